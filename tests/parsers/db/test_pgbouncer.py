"""pgbouncer.log: logins, refusals counted once, disconnections, server lines (invented data, PgBouncer 1.18 shapes)."""

from __future__ import annotations

import json

from forensics.intake.detect import detect_sample
from forensics.intake.reader import records_from_text
from parsers.base import get_parser

PARSER = get_parser("pgbouncer.log")

LOG = (
    "2025-03-02 10:15:00.100 CET [2210] LOG process up: PgBouncer 1.18.0, libevent 2.1.12-stable (epoll)\n"
    "2025-03-02 10:15:01.200 CET [2210] LOG C-0x55aa10: wards/ward_app@192.0.2.41:50712 login attempt: db=wards "
    "user=ward_app tls=no\n"
    "2025-03-02 10:15:01.210 CET [2210] LOG S-0x55bb20: wards/ward_app@10.0.5.4:5432 new connection to server "
    "(from 10.0.5.3:40100)\n"
    "2025-03-02 10:15:04.300 CET [2210] LOG C-0x55aa10: wards/ward_app@192.0.2.41:50712 closing because: client "
    "close request (age=3s)\n"
    "2025-03-02 10:15:05.000 CET [2210] LOG C-0x55aa10: wards/ward_app@192.0.2.41:50713 login attempt: db=wards "
    "user=ward_app tls=no\n"
    "2025-03-02 10:15:05.010 CET [2210] ERROR C-0x55aa10: wards/ward_app@192.0.2.41:50713 password authentication "
    "failed\n"
    "2025-03-02 10:15:05.010 CET [2210] LOG C-0x55aa10: wards/ward_app@192.0.2.41:50713 closing because: SASL "
    "authentication failed (age=0s)\n"
    "2025-03-02 10:15:05.010 CET [2210] WARNING C-0x55aa10: wards/ward_app@192.0.2.41:50713 pooler error: SASL "
    "authentication failed\n"
    "2025-03-02 10:15:06.000 CET [2210] LOG C-0x55aa10: (nodb)/ward_app@198.51.100.7:40001 login attempt: "
    "db=payroll user=ward_app tls=no\n"
    "2025-03-02 10:15:06.010 CET [2210] LOG C-0x55aa10: (nodb)/ward_app@198.51.100.7:40001 login failed: "
    "db=payroll user=ward_app\n"
    "2025-03-02 10:15:06.010 CET [2210] LOG C-0x55aa10: (nodb)/ward_app@198.51.100.7:40001 closing because: no "
    "such database: payroll (age=0s)\n"
    "2025-03-02 10:15:06.010 CET [2210] WARNING C-0x55aa10: (nodb)/ward_app@198.51.100.7:40001 pooler error: no "
    "such database: payroll\n"
    "2025-03-02 10:15:07.000 CET [2210] WARNING server login failed: FATAL password authentication failed for user "
    '"ward_app"\n'
    "2025-03-02 10:16:00.100 CET [2210] LOG stats: 0 xacts/s, 1 queries/s, in 20 B/s, out 90 B/s, xact 0 us\n"
)


def test_detected_and_every_line_read() -> None:
    assert detect_sample(LOG.encode(), "pgbouncer.log").parser == "pgbouncer.log"
    result = PARSER.parse(records_from_text(LOG, PARSER), {})
    assert result.rejects.height == 0
    assert result.events.height == LOG.count("\n")


def test_one_failed_login_counts_once_with_the_database_asked_for() -> None:
    events = PARSER.parse(records_from_text(LOG, PARSER), {}).events.sort("_rec").to_dicts()
    actions = [e["event.action"] for e in events]
    assert actions.count("db_connect") == 3
    assert actions.count("db_connect_failed") == 2
    assert actions.count("db_disconnect") == 1
    logins = [e for e in events if e["event.action"] == "db_connect"]
    assert [e["event.outcome"] for e in logins] == ["success", "failure", "failure"]
    failed = [e for e in events if e["event.action"] == "db_connect_failed"]
    assert [(e["db.user"], e["db.name"], e["source.ip"], e["event.reason"]) for e in failed] == [
        ("ward_app", "wards", "192.0.2.41", "SASL authentication failed"),
        ("ward_app", "payroll", "198.51.100.7", "no such database: payroll"),
    ]
    (gone,) = [e for e in events if e["event.action"] == "db_disconnect"]
    assert (gone["event.duration"], gone["event.reason"], gone["source.port"]) == (
        3_000_000_000,
        "client close request",
        50712,
    )
    assert [e["_offset"] for e in events][:2] == [3600, 3600]  # CET, from the line
    server = events[2]
    assert json.loads(server["labels"])["side"] == "server" and server["source.ip"] is None
    assert events[-2]["event.action"] == "server_error"
