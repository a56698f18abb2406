"""The database fixtures: which parser reads each, with which zone and options, and what it must reject."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "db"


@dataclass(frozen=True)
class Case:
    """One fixture file and what reading it must give."""

    fixture: str
    fmt: str
    tz: str | None = "Europe/Paris"
    options: dict[str, Any] = field(default_factory=dict)
    #: reject reason -> number of rejected records
    rejects: dict[str, int] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return DATA / self.fixture

    @property
    def golden(self) -> Path:
        return DATA / f"{self.fixture}.golden.jsonl"

    def __str__(self) -> str:
        return self.fixture


CASES = [
    Case("server_audit.log", "mariadb.audit", rejects={"not a server_audit line": 1}),
    Case("mariadb_general.log", "mysql.general"),
    Case("mysql57_general.log", "mysql.general", tz=None),
    Case("mariadb_slow.log", "mysql.slow", rejects={"slow log block without a statement (cut short?)": 1}),
    Case("mysql8_slow.log", "mysql.slow", tz=None),
    Case("mariadb_error.log", "mysql.error"),
    Case("mysql8_error.log", "mysql.error", tz=None),
    Case("mysql57_error.log", "mysql.error", tz=None),
    Case("mysql_enterprise_audit.json", "mysql.audit_json", tz=None, rejects={"not an audit log JSON record": 1}),
    Case("percona_audit.json", "mysql.audit_json", tz=None, rejects={"not an audit log JSON record": 1}),
    Case("percona_audit_old.xml", "mysql.audit_xml", tz=None, rejects={"incomplete or unrecognised AUDIT_RECORD": 1}),
    Case("mysql_audit_new.xml", "mysql.audit_xml", tz=None),
    Case("postgresql-debian.log", "postgresql.log"),
    Case("postgresql-plain.log", "postgresql.log", tz=None),
    Case("postgresql-pgbadger.log", "postgresql.log"),
    Case(
        "postgresql-custom.log",
        "postgresql.log",
        tz=None,
        options={"log_line_prefix": "%n [%p] %q<%r|%u|%d|%a|%e> "},
    ),
    Case("postgresql.csv", "postgresql.csv", rejects={"not a complete csvlog row (cut short or not CSV)": 1}),
    Case("postgresql.json", "postgresql.json", rejects={"not a jsonlog record": 1}),
]
