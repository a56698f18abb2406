"""PostgreSQL jsonlog (``log_destination = 'jsonlog'``, PostgreSQL 15+): one JSON object per line.

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-LOGGING-JSONLOG

Keys: timestamp, user, dbname, pid, remote_host, remote_port, session_id, line_num, ps,
session_start, vxid, txid, error_severity, state_code, message, detail, hint,
internal_query, context, statement, location (func_name, file_name, file_line_num),
application_name, backend_type, leader_pid, query_id.  Absent keys are null.
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import no_events
from parsers.db.pg_common import pg_events
from parsers.json_fields import json_fields

KEYS = {
    "ts": "timestamp",
    "user": "user",
    "db": "dbname",
    "pid": "pid",
    "client": "remote_host",
    "port": "remote_port",
    "session": "session_id",
    "lnum": "line_num",
    "tag": "ps",
    "sstart": "session_start",
    "vxid": "vxid",
    "xid": "txid",
    "level": "error_severity",
    "sqlstate": "state_code",
    "message": "message",
    "detail": "detail",
    "hint": "hint",
    "internal_query": "internal_query",
    "context": "context",
    "statement": "statement",
    "app": "application_name",
    "btype": "backend_type",
    "qid": "query_id",
    "location": "func_name",
}


@register
class PostgresqlJson(Parser):
    """PostgreSQL jsonlog (PostgreSQL 15+, one JSON object per line; pgaudit)."""

    name = "postgresql.json"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message", "server_error")
    literals = ('"error_severity"',)
    filenames = ("*.json", "postgresql*")

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df = json_fields(records, "text", {col: (key,) for col, key in KEYS.items()})
        ok = df.filter(pl.col("ts").is_not_null() & pl.col("level").is_not_null())
        bad = df.filter(pl.col("ts").is_null() | pl.col("level").is_null())
        rejects = rejects_of(bad, "not a jsonlog record")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        return ParseResult(events=pg_events(ok.select("_rec", *KEYS), state, self.name), rejects=rejects)
