"""The generic profile: an application that is not Mediboard, described only by case.toml.

Its web server writes a plain nginx combined log; its audit trail is JSON lines mapped with
``[source.fields]``/``[source.values]``; its URLs are REST-like (``/login``,
``/customers/4821``, ``/api/customers?offset=200&limit=100``).  A password spray takes over
one account, which then pages through the customer list.  The takeover must come out as
it does on Mediboard: the account compromised and first, the attacker's address and only
it, the first malicious use at the successful login, and the records taken with bounds.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from forensics.apps import profile_for
from forensics.apps.generic import GenericProfile
from forensics.correlate import correlate
from forensics.intake.engine import ingest

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36"
SCRIPT = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"
ATTACKER = "203.0.113.66"
VICTIM = "u07"
STAFF = [f"u{k:02d}" for k in range(1, 13)]
PAGES, LIMIT, LAST = 24, 100, 37  # 23 full pages and a short one: 2,337 customers

CASE_TOML = """[case]
name = "Acme CRM"
timezone = "UTC"
skew_tolerance = "5s"

[network]
internal = ["10.0.0.0/8"]

[app]
profile = "generic"
record_tables = ["customers"]
record_id_columns = ["customer_id"]

[[source]]
path = "web/access.log"
format = "nginx.access"
host = "web01"

[[source]]
path = "db/general.log"
format = "mysql.general"
host = "db01"

[[source]]
path = "app/audit.jsonl"
format = "jsonl"
host = "app01"

[source.fields]
"@timestamp" = "time"
"user.name" = "actor"
"event.action" = "act"
"source.ip" = "ip"
"session.id" = "sid"
"user_agent.original" = "ua"
"object.type" = "kind"
"object.id" = "customer"

[source.values."event.action"]
LOGIN_OK = "login"
LOGIN_FAIL = "login_failed"
LOGOUT = "logout"
VIEW = "record_read"
"""


class Evidence:
    def __init__(self) -> None:
        self.web: list[tuple[datetime, str]] = []
        self.audit: list[tuple[datetime, str]] = []
        self.db: list[tuple[datetime, str]] = []
        self.rng = random.Random(5)

    def request(self, t: datetime, ip: str, method: str, target: str, status: int, size: int, ua: str) -> None:
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        self.web.append((t, f'{ip} - - [{stamp}] "{method} {target} HTTP/1.1" {status} {size} "-" "{ua}"'))

    def event(
        self, t: datetime, actor: str, act: str, ip: str, ua: str, sid: str | None = None, **more: object
    ) -> None:
        rec = {"time": t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "actor": actor, "act": act, "ip": ip, "ua": ua}
        if sid:
            rec["sid"] = sid
        rec.update(more)
        self.audit.append((t, json.dumps(rec)))

    def query(self, t: datetime, sql: str) -> None:
        self.db.append((t, f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z\t    7 Query\t{sql}"))

    def login(self, t: datetime, user: str, ip: str, ua: str, sid: str) -> None:
        self.request(t, ip, "POST", "/login", 302, 310, ua)
        self.event(t + timedelta(milliseconds=400), user, "LOGIN_OK", ip, ua, sid)

    def write(self, root: Path) -> None:
        (root / "web").mkdir(parents=True)
        (root / "app").mkdir(parents=True)
        (root / "db").mkdir(parents=True)
        head = "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
        head += (
            "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n"
        )
        start = "2024-10-21T00:00:00.000000Z\t    7 Connect\tcrm@10.1.1.5 on crm using TCP/IP\n"
        (root / "db" / "general.log").write_text(head + start + "\n".join(line for _, line in sorted(self.db)) + "\n")
        (root / "web" / "access.log").write_text("\n".join(line for _, line in sorted(self.web)) + "\n")
        (root / "app" / "audit.jsonl").write_text("\n".join(line for _, line in sorted(self.audit)) + "\n")
        (root / "case.toml").write_text(CASE_TOML)


def _week(ev: Evidence) -> None:
    """Staff at their desks, two sessions a workday, viewing customers and paging lists."""
    for day in range(21, 26):
        for k, user in enumerate(STAFF):
            ip = f"10.1.0.{10 + k}"
            for start_h in (8, 14):
                t = datetime(2024, 10, day, start_h, 5 * k, tzinfo=UTC)
                sid = f"{user}-{day}-{start_h}"
                ev.login(t, user, ip, CHROME, sid)
                for _ in range(20):
                    t += timedelta(seconds=ev.rng.choice((20, 45, 70, 130)))
                    cid = ev.rng.randint(1, 2337)
                    if ev.rng.random() < 0.5:
                        ev.request(t, ip, "GET", f"/customers/{cid}", 200, 8100, CHROME)
                        ev.query(
                            t - timedelta(milliseconds=150), f"SELECT * FROM customers WHERE customer_id = '{cid}'"
                        )
                        ev.event(t, user, "VIEW", ip, CHROME, sid, kind="customer", customer=cid)
                    else:
                        ev.request(
                            t, ip, "GET", f"/customers?page={ev.rng.randint(1, 5)}&per_page=25", 200, 22000, CHROME
                        )
                t += timedelta(seconds=30)
                ev.request(t, ip, "GET", "/logout", 302, 200, CHROME)
                ev.event(t, user, "LOGOUT", ip, CHROME, sid)


def _attack(ev: Evidence) -> dict:
    t = datetime(2024, 10, 24, 21, 0, tzinfo=UTC)
    first = t
    targets = [*STAFF, *(f"x{k:02d}" for k in range(20))]
    for user in targets:
        ev.request(t, ATTACKER, "POST", "/login", 401, 180, SCRIPT)
        ev.event(t + timedelta(milliseconds=300), user, "LOGIN_FAIL", ATTACKER, SCRIPT)
        t += timedelta(seconds=40)
    t += timedelta(minutes=10)
    success = t
    ev.login(t, VICTIM, ATTACKER, SCRIPT, "stolen")
    for page in range(PAGES):
        t += timedelta(seconds=3)
        rows = LIMIT if page < PAGES - 1 else LAST
        ev.request(t, ATTACKER, "GET", f"/api/customers?offset={page * LIMIT}&limit={LIMIT}", 200, 350 * rows, SCRIPT)
        ev.query(
            t - timedelta(milliseconds=150), f"SELECT * FROM customers ORDER BY id LIMIT {LIMIT} OFFSET {page * LIMIT}"
        )
    for cid in (17, 230, 1024, 1999, 2300):  # a few records fetched one by one, already in the listing
        t += timedelta(seconds=2)
        ev.request(t, ATTACKER, "GET", f"/api/customers/{cid}", 200, 900, SCRIPT)
        ev.query(t - timedelta(milliseconds=150), f"SELECT * FROM customers WHERE customer_id = '{cid}'")
    return {"first_seen": first, "first_malicious": success, "last": t, "records": (PAGES - 1) * LIMIT + LAST}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, object]:
    ev = Evidence()
    _week(ev)
    truth = _attack(ev)
    root = tmp_path_factory.mktemp("generic") / "evidence"
    ev.write(root)
    out = root.parent / "out"
    ingest(root, out, config=root / "case.toml")
    result = correlate(out, root / "case.toml")
    return result.findings, truth, result


def test_the_case_config_chooses_and_configures_the_profile() -> None:
    p = profile_for("generic", {"record_tables": ["customers"]})
    assert isinstance(p, GenericProfile) and p.record_tables == ("customers",)
    with pytest.raises(ValueError, match="no option"):
        profile_for("generic", {"nonsense": 1})
    assert profile_for(None, None, ["mediboard.user_authentication"]).name == "mediboard"
    assert profile_for(None, None, ["jsonl"]).name == "generic"


def test_the_taken_over_account_is_compromised_and_first(run: tuple[dict, dict, object]) -> None:
    doc, _, _ = run
    assert doc["case"]["application_profile"] == "generic"
    first = doc["accounts"][0]
    assert first["account"] == VICTIM and first["verdict"] == "compromised"
    assert [a["account"] for a in doc["accounts"] if a["verdict"] == "compromised"] == [VICTIM]
    # every clerk pages through the customer lists all day: that is not bulk collection
    assert not [a["account"] for a in doc["accounts"] if a["verdict"] == "suspicious"]
    assert len(doc["findings"]) < 10


def test_attacker_address_and_times(run: tuple[dict, dict, object]) -> None:
    doc, truth, _ = run
    assert doc["attacker_ips"] == [ATTACKER]
    victim = doc["accounts"][0]
    t = datetime.fromisoformat(victim["first_malicious"].replace("Z", "+00:00"))
    assert abs((t - truth["first_malicious"]).total_seconds()) <= 5
    t = datetime.fromisoformat(doc["attack"]["first_seen"].replace("Z", "+00:00"))
    assert abs((t - truth["first_seen"]).total_seconds()) <= 5


def test_records_taken_are_counted_with_bounds(run: tuple[dict, dict, object]) -> None:
    doc, truth, _ = run
    row = next(e for e in doc["exfiltration"] if e["account"] == VICTIM and e["ip"] is None)
    rec = row["records"]
    assert rec["low"] <= truth["records"] <= rec["high"]
    assert abs(rec["estimate"] - truth["records"]) <= 0.15 * truth["records"]
    assert any(c["method"] == "api_pagination" for c in row["components"])


def test_sessions_and_links_tie_the_audit_trail_to_the_web_requests(run: tuple[dict, dict, object]) -> None:
    doc, _, _ = run
    s = doc["summary"]
    assert s["application_sessions"] >= 5 * 12 * 2
    assert s["web_requests_attributed"] > 0.9 * s["web_requests"] - 32 - PAGES - 1
    assert s["links"] > 5 * 12 * 2


def test_the_app_table_of_case_toml_is_validated_by_its_profile() -> None:
    from forensics.config import ConfigError, config_from_dict

    cfg = config_from_dict({"app": {"profile": "generic", "record_tables": ["customers"]}})
    assert cfg.app_profile == "generic" and cfg.app_options == {"record_tables": ["customers"]}
    with pytest.raises(ConfigError, match="no option 'loginn'"):
        config_from_dict({"app": {"loginn": "/x"}})
    with pytest.raises(ConfigError, match="unknown application profile"):
        config_from_dict({"app": {"profile": "sap"}})


def test_database_queries_are_tied_to_the_requests_by_the_profiles_record_tables(
    run: tuple[dict, dict, object],
) -> None:
    """Each API page's LIMIT/OFFSET and each record view's customer_id tie a query to its request."""
    doc, _, result = run
    assert doc["summary"]["database_events"] > 0
    links = result.links.filter(pl.col("kind") == "web_db")
    reasons = " ".join(links.get_column("reason").to_list())
    assert "same offset and limit" in reasons and "same record id" in reasons
    assert links.height >= PAGES
