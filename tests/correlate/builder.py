"""Schema-conformant event frames for correlation tests, built like the parsers would emit them.

Each helper adds one event the way its parser describes it (see the correlation issue):
web requests as ``apache.access`` after trusted-proxy resolution, Mediboard tables as
``mediboard.<table>``, database lines as ``mariadb.audit``/``mysql.slow``.  Every event gets a
file and a line so findings can cite evidence.  ``write`` makes an ingest-like OUT folder.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.schema import EVENT_SCHEMA, conform

PROXY = "10.10.0.5"
APP_SERVER = "10.10.1.21"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0"
CHROME118 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
PYREQ = "python-requests/2.32.3"

IP_CONTEXT = """network,label,note
203.0.113.201/32,tor,Tor exit (synthetic list)
203.0.113.202/32,tor,Tor exit (synthetic list)
203.0.113.203/32,tor,Tor exit (synthetic list)
203.0.113.45/32,vpn,Commercial VPN endpoint
198.51.100.0/25,isp,French residential ISP (synthetic)
"""

CASE_TOML = """[case]
name = "Test case"
timezone = "Europe/Paris"
skew_tolerance = "10s"
[network]
trusted_proxies = ["10.10.0.5"]
internal = ["10.0.0.0/8", "127.0.0.0/8"]
ip_context = "ip_context.csv"
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Case:
    """Accumulates events; ``frame()`` conforms them, ``write(out)`` makes an OUT folder."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.rows: list[dict[str, Any]] = []
        self.lines: dict[str, int] = defaultdict(int)
        self.truth: dict[str, Any] = {}

    # -- plumbing -----------------------------------------------------------------
    def _add(self, file: str, dataset: str, ts: datetime | None, **fields: Any) -> dict[str, Any]:
        self.lines[file] += 1
        line = self.lines[file]
        host = file.split("/", 1)[0]
        row = {
            "@timestamp": ts,
            "time.recorded": ts,
            "event.dataset": dataset,
            "log.file.path": file,
            "log.source": file,
            "log.file.line": line,
            "event.id": f"{hashlib.sha256(file.encode()).hexdigest()[:16]}-{line}",
            "host.name": host,
            "event.original": f"{dataset} line {line}",
            **fields,
        }
        self.rows.append(row)
        return row

    # -- web --------------------------------------------------------------------------
    def web(
        self,
        ts: datetime,
        client: str,
        path: str = "/mediboard/index.php",
        query: str | None = None,
        *,
        method: str = "GET",
        status: int = 200,
        nbytes: int = 5000,
        ua: str | None = CHROME,
        xff: str | None = None,
        direct: bool = False,
        duration: float = 0.2,
        host: str = "app01",
    ) -> dict[str, Any]:
        """A request as Apache logged it behind the proxy; ``xff`` defaults to the client itself."""
        if direct:
            peer, chain = client, None
        else:
            peer, chain = PROXY, xff if xff is not None else client
        first = chain.split(",")[0].strip() if chain else None
        tags = ["xff_spoof_candidate"] if first and first != client else []
        original = path + (f"?{query}" if query else "")
        return self._add(
            f"{host}/apache2/access.log",
            "apache.access",
            ts,
            **{
                "event.action": "http_request",
                "event.category": "web",
                "event.outcome": "success" if status < 400 else "failure",
                "source.ip": client,
                "network.peer_ip": peer,
                "network.forwarded_ip": chain,
                "network.forwarded_first": first,
                "http.request.method": method,
                "url.original": original,
                "url.path": path,
                "url.query": query,
                "http.response.status_code": status,
                "http.response.bytes": nbytes,
                "event.duration": int(duration * 1e9),
                "user_agent.original": ua,
                "tags": tags,
                "related.ip": [x for x in (client, peer) if x],
            },
        )

    # -- Mediboard tables -----------------------------------------------------------
    def login(
        self,
        ts: datetime,
        user: str,
        uid: int,
        session: str,
        ip: str,
        ua: str | None = CHROME,
        *,
        method: str = "standard",
        screen: tuple[int, int] | None = (1920, 1080),
    ) -> dict[str, Any]:
        labels = {
            "auth_method": method,
            "screen_width": screen[0] if screen else None,
            "screen_height": screen[1] if screen else None,
            "nb_update": 1,
        }
        return self._add(
            "mediboard_dump/user_authentication.tsv",
            "mediboard.user_authentication",
            ts,
            **{
                "event.action": "login",
                "event.category": "authentication",
                "event.outcome": "success",
                "timestamp_desc": "Login",
                "user.name": user,
                "user.id": str(uid),
                "session.id": session,
                "source.ip": ip,
                "user_agent.original": ua,
                "labels": json.dumps(labels),
                "tags": ["ip_from_application"],
            },
        )

    def session_end(
        self, ts: datetime, user: str, uid: int, session: str, ip: str, ua: str | None = CHROME
    ) -> dict[str, Any]:
        return self._add(
            "mediboard_dump/user_authentication.tsv",
            "mediboard.user_authentication",
            ts,
            **{
                "event.action": "session_end",
                "event.category": "authentication",
                "event.outcome": "unknown",
                "timestamp_desc": "Last session update",
                "user.name": user,
                "user.id": str(uid),
                "session.id": session,
                "source.ip": ip,
                "user_agent.original": ua,
                "tags": ["ip_from_application"],
            },
        )

    def failed(
        self, ts: datetime, login: str, ip: str, uid: int | None = None, reason: str = "Auth-failed-combination"
    ) -> dict[str, Any]:
        return self._add(
            "mediboard_dump/user_authentication_error.tsv",
            "mediboard.user_authentication_error",
            ts,
            **{
                "event.action": "login_failed",
                "event.category": "authentication",
                "event.outcome": "failure",
                "event.reason": reason,
                "user.name": login,
                "user.id": str(uid) if uid is not None else None,
                "source.ip": ip,
                "tags": ["ip_from_application"],
            },
        )

    def user_log(
        self,
        ts: datetime,
        actor: str,
        actor_id: int,
        action: str,
        otype: str,
        oid: int,
        ip: str,
        labels: dict | None = None,
    ) -> dict[str, Any]:
        return self._add(
            "mediboard_dump/user_log.tsv",
            "mediboard.user_log",
            ts,
            **{
                "event.action": action,
                "event.category": "iam",
                "event.outcome": "success",
                "user.name": actor,
                "user.id": str(actor_id),
                "object.type": otype,
                "object.id": str(oid),
                "source.ip": ip,
                "labels": json.dumps(labels) if labels else None,
                "tags": ["ip_from_application"],
            },
        )

    def users_row(self, uid: int, name: str) -> dict[str, Any]:
        """A row of the ``users`` table (no time of its own)."""
        return self._add(
            "mediboard_dump/users.tsv",
            "mediboard.users",
            None,
            **{"event.action": "log_message", "user.id": str(uid), "user.name": name},
        )

    def long_request(
        self, ts: datetime, user: str, uid: int, params: dict, duration: float, action: str = "export"
    ) -> dict[str, Any]:
        return self._add(
            "mediboard_dump/long_request_log.tsv",
            "mediboard.long_request_log",
            ts,
            **{
                "event.action": action,
                "event.category": "application",
                "user.name": user,
                "user.id": str(uid),
                "event.duration": int(duration * 1e9),
                "labels": json.dumps({"query_params_get": params, "server_addr": APP_SERVER}),
            },
        )

    def record_read(self, ts: datetime, user: str, uid: int, otype: str, oid: int) -> dict[str, Any]:
        rounded = ts.replace(minute=0, second=0, microsecond=0)
        return self._add(
            "mediboard_dump/log_access_medical_data.tsv",
            "mediboard.log_access_medical_data",
            rounded,
            **{
                "event.action": "record_read",
                "event.category": "application",
                "user.name": user,
                "user.id": str(uid),
                "object.type": otype,
                "object.id": str(oid),
                "time.flags": ["rounded_hour"],
            },
        )

    # -- database ---------------------------------------------------------------------
    def db(
        self,
        ts: datetime,
        conn: int,
        action: str,
        sql: str | None = None,
        *,
        rows: int | None = None,
        examined: int | None = None,
        tables: list[str] | None = None,
        host: str = "db02",
        dataset: str = "mariadb.audit",
        duration: float | None = None,
    ) -> dict[str, Any]:
        file = f"{host}/mysql/{'server_audit.log' if dataset == 'mariadb.audit' else 'mariadb-slow.log'}"
        op = {"db_connect": "CONNECT", "db_disconnect": "DISCONNECT"}.get(action) or (sql or "").split(" ", 1)[
            0
        ].upper()
        return self._add(
            file,
            dataset,
            ts,
            **{
                "event.action": action,
                "event.category": "database",
                "db.system": "mariadb",
                "db.user": "mediboard",
                "db.connection_id": conn,
                "db.query.text": sql,
                "db.operation": op,
                "db.tables": tables,
                "db.rows_returned": rows,
                "db.rows_examined": examined,
                "event.duration": int(duration * 1e9) if duration else None,
                "source.ip": APP_SERVER,
            },
        )

    # -- outputs ----------------------------------------------------------------------
    def frame(self) -> pl.DataFrame:
        schema = {k: v for k, v in EVENT_SCHEMA.items()}
        df = pl.DataFrame(self.rows, schema={k: schema[k] for k in _columns(self.rows)}, strict=False)
        out = conform(df)
        assert isinstance(out, pl.DataFrame)
        return out.sort(["@timestamp", "log.file.path", "log.file.line"], nulls_last=True, maintain_order=True)

    def write(self, out: Path, config_dir: Path | None = None) -> Path:
        """An ingest-like OUT folder (events.parquet + manifest.json), and case.toml + ip_context.csv."""
        out.mkdir(parents=True, exist_ok=True)
        self.frame().write_parquet(out / "events.parquet")
        cfg_dir = config_dir or out.parent
        write_config(cfg_dir)
        manifest = {
            "schema": "forensics.manifest/1",
            "config": {
                "path": str(cfg_dir / "case.toml"),
                "sha256": None,
                "case": "Test case",
                "timezone": "Europe/Paris",
            },
            "files": [],
            "warnings": [],
        }
        (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        return out


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ip_context.csv").write_text(IP_CONTEXT, encoding="utf-8")
    (folder / "case.toml").write_text(CASE_TOML, encoding="utf-8")
    return folder / "case.toml"


def config(folder: Path):
    from forensics.config import load_config

    return load_config(write_config(folder))


def jitter(rng: random.Random, base: float, spread: float) -> timedelta:
    return timedelta(seconds=base + rng.uniform(-spread, spread))
