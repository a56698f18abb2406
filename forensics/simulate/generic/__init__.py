"""A generic application case: a REST back end known to the tool only through case.toml.

``simulate_generic(out_dir, scale, seed, scenarios)`` writes an nginx access log, the
application's audit trail (JSON lines or CSV, mapped by ``[source.fields]``/``[source.values]``
in the generated case.toml: no parser knows this application), a PostgreSQL statement log,
``context/ip_context.csv`` and ``ground_truth.json``, and returns the ground truth.  The same
seed, scale and scenarios give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import random
from datetime import UTC, datetime

from .model import APP_DB_IP, T0, T1, World, build_users
from .scenarios import SCENARIOS
from .traffic import week

__all__ = ["SCENARIOS", "simulate_generic"]
SCHEMA = "forensics.ground_truth/1"

AUDIT_FIELDS = (
    "ts", "actor", "event", "result", "ip", "ua", "session", "request_id", "method", "path", "status", "items",
    "resource", "record", "target", "roles",
)  # fmt: skip

ACTION_WORDS = {
    "auth.login": "login",
    "auth.failure": "login_failed",
    "auth.logout": "logout",
    "customers.list": "api_call",
    "users.list": "api_call",
    "customers.read": "record_read",
    "customers.update": "record_update",
    "user.create": "account_created",
    "apikey.create": "account_created",
    "user.roles.update": "permission_changed",
    "user.password.update": "password_changed",
}


def _iso(t: float, ms: bool = True) -> str:
    d = datetime.fromtimestamp(t, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond // 1000:03d}" if ms else "") + "Z"


def _clf(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _pg(t: float) -> str:
    d = datetime.fromtimestamp(t, UTC)
    return d.strftime("%Y-%m-%d %H:%M:%S") + f".{d.microsecond // 1000:03d} UTC"


def case_toml(audit_format: str) -> str:
    """The case config: the only place the application's audit trail is described."""
    audit = "api01/audit/audit.csv" if audit_format == "csv" else "api01/audit/audit.jsonl"
    fields = {
        "@timestamp": "ts",
        "user.name": "actor",
        "event.action": "event",
        "event.outcome": "result",
        "source.ip": "ip",
        "user_agent.original": "ua",
        "session.id": "session",
        "http.request.id": "request_id",
        "http.request.method": "method",
        "url.path": "path",
        "http.response.status_code": "status",
        "object.count": "items",
        "object.type": "resource",
        "object.id": "record",
        "user.target.name": "target",
        "user.changes.roles": "roles",
    }
    lines = [
        "[case]",
        'name = "Ledgerly (invented REST back end)"',
        'timezone = "UTC"',
        'exclude = ["ground_truth.json", "case.toml", "context/**", "README.md"]',
        "",
        "[network]",
        'internal = ["10.0.0.0/8"]',
        'ip_context = "context/ip_context.csv"',
        "",
        "[[source]]",
        'path = "web01/nginx/access.log*"',
        'format = "nginx.access"',
        'log_format = \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_referer" "$http_user_agent" $request_time $request_id\'',
        'host = "web01"',
        "",
        "[[source]]",
        f'path = "{audit}"',
        f'format = "{audit_format}"',
        'host = "api01"',
        "",
        "[source.fields]",
        *[f'"{k}" = "{v}"' for k, v in fields.items()],
        "",
        '[source.values."event.action"]',
        *[f'"{k}" = "{v}"' for k, v in ACTION_WORDS.items()],
        "",
        '[source.values."event.outcome"]',
        '"ok" = "success"',
        '"denied" = "failure"',
        "",
        "[[source]]",
        'path = "db01/postgresql/postgresql.log*"',
        'format = "postgresql.log"',
        "log_line_prefix = '%m [%p] %q%u@%d '",
        'host = "db01"',
        "",
    ]
    return "\n".join(lines)


IP_CONTEXT = """network,label,note
10.0.0.0/8,internal,Ledgerly offices and servers
198.51.100.0/24,isp,residential ISP (invented)
192.0.2.0/24,hosting,hosting provider (invented)
203.0.113.0/24,hosting,hosting provider (invented)
"""


def _audit_rows(w: World) -> list[dict]:
    rows = []
    for r in w.reqs:
        if r.event is None:
            continue
        rows.append(
            {
                "ts": _iso(r.t + r.dur / 2),
                "actor": r.actor,
                "event": r.event,
                "result": r.result,
                "ip": r.ip,
                "ua": r.ua,
                "session": r.session,
                "request_id": r.rid,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "items": r.items,
                "resource": r.resource,
                "record": r.record,
                "target": r.target,
                "roles": r.roles,
            }
        )
    return rows


def _write_audit(rows: list[dict], audit_format: str) -> bytes:
    if audit_format == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=AUDIT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return buf.getvalue().encode("utf-8")
    out = [json.dumps({k: v for k, v in row.items() if v is not None}, separators=(",", ":")) for row in rows]
    return ("\n".join(out) + "\n").encode("utf-8")


def _nginx(w: World) -> bytes:
    lines = []
    for r in sorted(w.reqs, key=lambda r: (r.t + r.dur, r.rid)):
        target = r.path + (f"?{r.query}" if r.query else "")
        lines.append(
            (
                r.t + r.dur,
                f'{r.ip} - - [{_clf(r.t + r.dur)}] "{r.method} {target} HTTP/1.1" {r.status} {r.nbytes} "-" '
                f'"{r.ua}" {r.dur:.3f} {r.rid}',
            )
        )
    return ("\n".join(line for _, line in lines) + "\n").encode("ascii")


def _postgres(w: World) -> bytes:
    rng = random.Random(f"{w.rng.random()}:pg")
    pids = [4100 + k * 17 for k in range(8)]
    lines = [
        f"{_pg(T0 + 1)} [{p}] ledger@ledger LOG:  connection authorized: user=ledger database=ledger" for p in pids
    ]
    stmts = []
    for r in w.reqs:
        for k, sql in enumerate(r.sql):
            stmts.append((r.t + 0.005 + 0.001 * k, rng.choice(pids), sql))
    stmts.sort()
    lines += [f"{_pg(t)} [{pid}] ledger@ledger LOG:  statement: {sql}" for t, pid, sql in stmts]
    return ("\n".join(lines) + "\n").encode("utf-8")


def simulate_generic(
    out_dir: pathlib.Path,
    scale: float = 0.1,
    seed: int = 20241104,
    scenarios: tuple[str, ...] = (),
    audit_format: str = "jsonl",
) -> dict:
    """Write the generic case into ``out_dir`` (empty or absent) and return its ground truth."""
    unknown = [s for s in scenarios if s != "none" and s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r} (known: none, {', '.join(SCENARIOS)})")
    if audit_format not in ("jsonl", "csv"):
        raise ValueError("audit_format must be jsonl or csv")
    rng = random.Random(f"{seed}:generic:{scale}")
    names = [s for s in scenarios if s != "none"]
    # one more person per route, so that every route has a victim of its own
    n_people = max(12, round(200 * scale)) + len(names)
    w = World(rng, build_users(rng, n_people))
    week(w)
    for name in names:
        SCENARIOS[name](w)
    w.reqs.sort(key=lambda r: (r.t, r.rid))
    files = {
        "web01/nginx/access.log": _nginx(w),
        f"api01/audit/audit.{audit_format}": _write_audit(_audit_rows(w), audit_format),
        "db01/postgresql/postgresql.log": _postgres(w),
        "case.toml": case_toml(audit_format).encode("utf-8"),
        "context/ip_context.csv": IP_CONTEXT.encode("utf-8"),
    }
    truth = _ground_truth(w, seed, scale, names or ["none"], audit_format)
    truth["counts"] = {p: d.count(b"\n") for p, d in sorted(files.items())}
    files["ground_truth.json"] = (json.dumps(truth, sort_keys=True, indent=2) + "\n").encode("utf-8")
    out_dir = pathlib.Path(out_dir)
    for rel, data in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return truth


def _ground_truth(w: World, seed: int, scale: float, scenarios: list[str], audit_format: str) -> dict:
    accounts = {
        acc: {**v, "first_malicious": _iso(v["first_malicious"])}
        for acc, v in sorted(w.truth.get("accounts", {}).items())
    }
    attacker = sorted(w.truth.get("attacker_ips", set()))
    involved = set(accounts)
    benign_accounts = sorted(u.name for u in w.users if u.name not in involved)
    benign_ips = sorted({r.ip for r in w.reqs if r.tag == "benign"} - set(attacker))
    return {
        "schema": SCHEMA,
        "app": "generic",
        "audit_format": audit_format,
        "seed": seed,
        "scale": scale,
        "scenarios": scenarios,
        "evidence_window": {"start": _iso(T0, False), "end": _iso(T1, False)},
        "accounts": accounts,
        "attacker_ips": attacker,
        "spoofed_ips": [],
        "backdoor_accounts": sorted(w.truth.get("backdoors", [])),
        "benign_accounts": benign_accounts,
        "benign_ips": benign_ips,
        "internal_ips": sorted({ip for ip in benign_ips if ip.startswith("10.")} | {APP_DB_IP}),
        "benign_lookalikes": w.lookalikes,
    }
