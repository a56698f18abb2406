"""PostgreSQL csvlog (``log_destination = 'csvlog'``): one CSV row per message, quoted new lines inside.

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-LOGGING-CSVLOG

23 columns up to PostgreSQL 12 (log_time ... application_name), then ``backend_type``
(13), ``leader_pid`` and ``query_id`` (14).  A record starts at a line beginning with the
log time followed by the user, database and process id columns; a message with new lines
continues on the next physical lines inside its quotes.  pgaudit messages are split into
their fields (see ``parsers.db.pgaudit``).
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import no_events, split_match
from parsers.db.pg_common import TS_RE, pg_events
from parsers.db.pgaudit import unquote

_F = r'(?:"(?:[^"]|"")*"|[^,"]*)'
CSV_COLUMNS = [
    "ts", "user", "db", "pid", "connection_from", "session", "lnum", "tag", "sstart", "vxid", "xid", "level",
    "sqlstate", "message", "detail", "hint", "internal_query", "internal_position", "context", "statement",
    "query_position", "location", "app",
]  # fmt: skip
OPTIONAL = ["btype", "leader", "qid"]
ROW = (
    "(?s)^"
    + ",".join(f"(?P<{c}>{_F})" for c in CSV_COLUMNS)
    + "".join(f"(?:,(?P<{c}>{_F})" for c in OPTIONAL)
    + ")?" * len(OPTIONAL)
    + "$"
)
_START = rf'^{TS_RE},(?:"(?:[^"]|"")*"|[^,"]*),(?:"(?:[^"]|"")*"|[^,"]*),\d*,'


@register
class PostgresqlCsv(Parser):
    """PostgreSQL csvlog (23 to 26 columns; multi-line quoted messages; pgaudit)."""

    name = "postgresql.csv"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message", "server_error")
    multiline = True
    literals = (",LOG,", ",ERROR,", ",FATAL,", ",WARNING,", ",NOTICE,", ",PANIC,", ",INFO,")
    filenames = ("*.csv", "postgresql*")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_START)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        ok, bad = split_match(records, ROW)
        rejects = rejects_of(bad, "not a complete csvlog row (cut short or not CSV)")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        fields = [unquote(pl.col(c)).alias(c) for c in [*CSV_COLUMNS, *OPTIONAL]]
        df = ok.select("_rec", *fields)
        conn = pl.col("connection_from")
        has_port = conn.str.contains(r":\d+$")
        df = df.with_columns(
            pl.when(has_port).then(conn.str.replace(r":\d+$", "")).otherwise(conn).alias("client"),
            pl.when(has_port).then(conn.str.extract(r":(\d+)$", 1)).alias("port"),
        )
        return ParseResult(events=pg_events(df, state, self.name), rejects=rejects)
