"""Every route to an account on the Mediboard profile: written as Mediboard and its stack record it.

One tiny week with all nine routes at once is generated and ingested; each route's ground
truth must be visible in the parsed events (its failed logins, its login rows, its session,
its grants and created accounts, its reads), and every line must be recognised.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from datetime import datetime, timedelta

import polars as pl
import pytest

from forensics.intake.engine import ingest
from forensics.simulate import MEDIBOARD_SCENARIOS, simulate
from forensics.simulate.__main__ import main
from forensics.simulate.routes import ROUTES

TINY = 0.004
NEAR = timedelta(seconds=15)  # the app server's clock is a few seconds off, and ingest corrects it


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    root = tmp_path_factory.mktemp("mb-routes")
    ev = root / "evidence"
    truth = simulate(ev, scale=TINY, seed=5, progress=lambda _m: None, scenarios=tuple(ROUTES))
    res = ingest(ev, root / "out", config=ev / "case.toml")
    return truth, res.events, res.rejects


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _account(truth: dict, route: str) -> tuple[str, dict]:
    hits = [(a, v) for a, v in truth["accounts"].items() if v["route"] == route and v["records"]]
    hits = hits or [(a, v) for a, v in truth["accounts"].items() if v["route"] == route]
    return hits[0]


def _ds(events: pl.DataFrame, name: str) -> pl.DataFrame:
    return events.filter(pl.col("event.dataset") == name)


def test_every_line_is_an_event_but_the_cut_last_line(week) -> None:
    """The only reject is the sample's own trap: the live access log copied mid-line."""
    _, _, rejects = week
    assert rejects.height == 1
    assert rejects.get_column("log.file.path").to_list() == ["app01/apache2/access.log"]
    assert rejects.get_column("reason").str.contains("cut short").all()


def test_the_truth_names_every_route_in_the_generic_shape(week) -> None:
    truth, _, _ = week
    assert truth["app"] == "mediboard" and truth["scenarios"] == list(ROUTES)
    assert {v["route"] for v in truth["accounts"].values()} == set(ROUTES)
    assert truth["backdoor_accounts"] == ["adm.maintenance"]
    assert {v["expected"] for v in truth["accounts"].values()} == {"compromised", "suspicious"}
    assert not set(truth["attacker_ips"]) & set(truth["benign_ips"])
    assert not set(truth["attacker_ips"]) & set(truth["internal_ips"])
    assert not set(truth["accounts"]) & set(truth["benign_accounts"])
    victims = [a for a, v in truth["accounts"].items() if v["route"] != "backdoor_account"]
    assert len(victims) == len(set(victims))
    looks = truth["benign_lookalikes"]
    assert {"heavy_reader", "dhcp_change", "integration", "new_hire_created", "monitoring", "nightly_job"} <= set(looks)
    assert {"B1", "B2", "B3", "B4"} <= set(looks)  # the sample's own look-alikes stay
    for key, v in looks.items():  # the integration is the stolen key's victim on purpose
        assert key == "integration" or v["account"] not in truth["accounts"], key


def test_spraying_many_accounts_from_two_addresses_then_a_login(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "password_spraying")
    errs = _ds(events, "mediboard.user_authentication_error").filter(
        pl.col("source.ip").is_in(["203.0.113.10", "203.0.113.11"])
    )
    assert errs.get_column("user.name").n_unique() > 200
    assert errs.get_column("user.id").null_count() > 0  # guessed names that are not accounts
    assert errs.group_by("user.name").len().get_column("len").max() <= 2  # under the per-account lockout
    logins = _ds(events, "mediboard.user_authentication").filter(
        (pl.col("user.name") == acc) & (pl.col("event.action") == "login") & (pl.col("source.ip") == "203.0.113.10")
    )
    assert logins.height >= 1
    assert abs(logins.get_column("@timestamp").min() - _ts(v["first_malicious"])) < NEAR


def test_stuffing_from_a_pool_with_names_that_do_not_exist(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "credential_stuffing")
    pool = [ip for ip in truth["attacker_ips"] if ip.startswith("203.0.113.1") and int(ip.rsplit(".", 1)[1]) >= 100]
    errs = _ds(events, "mediboard.user_authentication_error").filter(pl.col("source.ip").is_in(pool))
    assert len(pool) >= 20 and errs.get_column("source.ip").n_unique() == len(pool)
    assert errs.group_by("source.ip").len().get_column("len").max() <= 2
    assert "marc.dupont" in errs.get_column("user.name").to_list()
    win = _ds(events, "mediboard.user_authentication").filter(
        (pl.col("user.name") == acc) & pl.col("source.ip").is_in(pool)
    )
    assert win.height >= 1 and v["records"] > 0


def test_brute_force_stays_under_the_lockout_then_succeeds(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "brute_force")
    errs = _ds(events, "mediboard.user_authentication_error").filter(
        (pl.col("source.ip") == "203.0.113.30") & (pl.col("user.name") == acc)
    )
    assert errs.height >= 20
    times = sorted(errs.get_column("@timestamp").to_list())
    # never five failures within the 60-minute lock window: the account is never locked
    assert not any(b - a < timedelta(hours=1) for a, b in zip(times, times[4:], strict=False))
    reads = _ds(events, "mediboard.log_access_medical_data").filter(pl.col("user.name") == acc)
    assert reads.height >= v["records"] * 0.9  # hour-rounded rows: one per patient here


def test_hijacked_session_exports_from_elsewhere_without_a_login(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "session_hijacking")
    assert _ds(events, "mediboard.user_authentication").filter(pl.col("source.ip") == "203.0.113.40").height == 0
    web = _ds(events, "apache.access").filter(pl.col("source.ip") == "203.0.113.40")
    assert web.height > 0
    assert abs(web.get_column("@timestamp").min() - _ts(v["first_malicious"])) < NEAR
    # the exporter's long requests carry the owner's own session id
    owner = _ds(events, "mediboard.user_authentication").filter(
        (pl.col("user.name") == acc) & (pl.col("event.action") == "login")
    )
    longs = _ds(events, "mediboard.long_request_log").filter(pl.col("user.name") == acc)
    assert longs.height > 0
    assert set(longs.get_column("session.id")) <= set(owner.get_column("session.id"))
    owner_ips = set(
        owner.filter(pl.col("session.id").is_in(longs.get_column("session.id").to_list())).get_column("source.ip")
    )
    assert owner_ips and "203.0.113.40" not in owner_ips


def test_stolen_token_is_the_days_first_integration_login(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "stolen_api_key")
    rows = _ds(events, "mediboard.user_authentication").filter(
        (pl.col("user.name") == acc) & (pl.col("event.action") == "login")
    )
    assert rows.get_column("labels").str.contains('"auth_method":"token"').all()
    assert set(rows.get_column("source.ip")) == {"10.20.0.50", "203.0.113.50"}
    stolen = rows.filter(pl.col("source.ip") == "203.0.113.50")
    assert stolen.height == 1
    assert abs(stolen.get_column("@timestamp")[0] - _ts(v["first_malicious"])) < NEAR
    api = _ds(events, "apache.access").filter(
        (pl.col("source.ip") == "203.0.113.50") & pl.col("url.path").str.contains("/api/")
    )
    assert api.height == 80


def test_insider_reads_from_their_own_desk(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "insider")
    assert v["expected"] == "suspicious"
    logins = _ds(events, "mediboard.user_authentication").filter(pl.col("user.name") == acc)
    assert logins.get_column("source.ip").str.starts_with("10.").all()
    reads = _ds(events, "mediboard.log_access_medical_data").filter(pl.col("user.name") == acc)
    assert reads.height >= v["records"]


def test_escalation_grants_itself_admin_then_uses_it(week) -> None:
    truth, events, _ = week
    acc, _ = _account(truth, "privilege_escalation")
    grants = _ds(events, "mediboard.user_log").filter(
        (pl.col("user.name") == acc) & (pl.col("source.ip") == "203.0.113.60")
    )
    assert set(grants.get_column("object.type")) == {"CPermModule", "CUser"}
    after = _ds(events, "apache.access").filter(
        (pl.col("source.ip") == "203.0.113.60") & (pl.col("@timestamp") > grants.get_column("@timestamp").min())
    )
    paths = after.get_column("url.original").to_list()
    assert any("m=admin&tab=vw_edit_users" in p for p in paths) and any("/api/" in p for p in paths)


def test_backdoor_account_created_then_used_from_the_same_network(week) -> None:
    truth, events, _ = week
    created = _ds(events, "mediboard.user_log").filter(
        (pl.col("event.action") == "account_created") & (pl.col("source.ip") == "203.0.113.70")
    )
    assert created.get_column("user.name").unique().to_list() == ["adm.si"]
    assert set(created.get_column("object.id")) == {"1379"}
    users = _ds(events, "mediboard.users")
    assert "adm.maintenance" in users.get_column("user.name").to_list()
    used = _ds(events, "mediboard.user_authentication").filter(pl.col("user.name") == "adm.maintenance")
    assert set(used.get_column("source.ip")) == {"203.0.113.70"}
    v = truth["accounts"]["adm.maintenance"]
    assert abs(used.get_column("@timestamp").min() - _ts(v["first_malicious"])) < NEAR
    # IT's planned creation of a new hire, from the LAN, is the look-alike
    hire = truth["benign_lookalikes"]["new_hire_created"]["account"]
    lan = _ds(events, "mediboard.user_log").filter(
        (pl.col("event.action") == "account_created") & (pl.col("source.ip") == "10.20.5.41")
    )
    assert lan.height >= 2 and hire in truth["benign_accounts"]


def test_concurrent_use_overlaps_the_owners_session(week) -> None:
    truth, events, _ = week
    acc, v = _account(truth, "concurrent_use")
    logins = _ds(events, "mediboard.user_authentication").filter(
        (pl.col("user.name") == acc) & (pl.col("event.action") == "login")
    )
    first = _ts(v["first_malicious"])
    theirs = logins.filter(pl.col("source.ip") == "203.0.113.80")
    assert theirs.height == 1 and abs(theirs.get_column("@timestamp")[0] - first) < NEAR
    owner = logins.filter(
        pl.col("source.ip").str.starts_with("10.")
        & (pl.col("@timestamp") < first)
        & (pl.col("@timestamp") > first - timedelta(hours=1))
    )
    assert owner.height == 1


def _digest(root: pathlib.Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_cli_combines_routes_and_refuses_sample_with_others(tmp_path: pathlib.Path, capsys) -> None:
    args = ["--scale", "0.002", "--seed", "9", "--scenario", "insider", "--scenario", "brute_force"]
    assert main([str(tmp_path / "a"), *args]) == 0
    assert main([str(tmp_path / "b"), *args]) == 0
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a.pop("README.md") != b.pop("README.md")  # it quotes the command, with its folder
    assert a == b
    truth = json.loads((tmp_path / "a" / "ground_truth.json").read_text())
    assert truth["scenarios"] == ["insider", "brute_force"]
    assert {v["route"] for v in truth["accounts"].values()} == {"insider", "brute_force"}
    with pytest.raises(SystemExit):
        main([str(tmp_path / "c"), "--scenario", "sample", "--scenario", "insider"])
    with pytest.raises(SystemExit):
        main([str(tmp_path / "d"), "--scenario", "phishing"])
    assert "unknown scenario" in capsys.readouterr().err
    assert set(MEDIBOARD_SCENARIOS) == {"sample", "none", *ROUTES}
