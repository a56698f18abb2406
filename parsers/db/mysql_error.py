"""MySQL / MariaDB error log: MySQL 8 and 5.7 (ISO, UTC by default), MariaDB and MySQL <= 5.6 (naive local).

Reference: https://dev.mysql.com/doc/refman/8.0/en/error-log-format.html

Shapes: ``2019-03-25T07:55:41.602127Z 8 [Warning] [MY-010055] [Server] message`` (MySQL 8),
``2019-03-25T07:55:41.602127Z 8 [Note] message`` (5.7; ``Z`` or an offset with
``log_timestamps=SYSTEM``), ``2024-10-27  0:41:03 5531207 [Warning] message`` (MariaDB
10.x, local time), ``241027  0:41:03 [Note] message`` (older).  Lines without a timestamp
(the ``Version: ...`` line after "ready for connections", stack traces) belong to the line
before.

Connection events get their own action: ``Access denied for user 'x'@'host'`` is
``db_connect_failed`` (outcome failure), ``Aborted connection N to db: ... user: ...
host: ... (reason)`` is ``db_disconnect`` with outcome failure and the reason.  Every other
record is ``server_error`` ([ERROR]) or ``log_message``, so nothing is lost.  ``_order`` is the
thread id of access-denied lines (ids increase with connection time).
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import (
    CATEGORY,
    host_or_null,
    ip_or_null,
    iso_offset,
    iso_ts,
    label_object,
    no_events,
    null_if_empty,
    short_ts,
)

_TS = (
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|\d{4}-\d\d-\d\d\s+\d{1,2}:\d\d:\d\d(?:\.\d+)?"
    r"|\d{6}\s+\d{1,2}:\d\d:\d\d"
)
LINE = (
    rf"^(?P<ts>{_TS})\s+(?:(?P<tid>\d+)\s+)?(?:\[(?P<level>[A-Za-z]+)\]\s+)?"
    r"(?:\[(?P<code>MY-\d+)\]\s+\[(?P<subsystem>[^\]]*)\]\s+)?(?P<msg>(?s:.*))$"
)
#: ``LINE`` up to the message: the message is the text after this match (the regex engine
#: then never captures a long message; every choice before it is the same as ``LINE``'s)
HEAD = (
    rf"^(?P<_head>(?P<ts>{_TS})\s+(?:(?P<tid>\d+)\s+)?(?:\[(?P<level>[A-Za-z]+)\]\s+)?"
    r"(?:\[(?P<code>MY-\d+)\]\s+\[(?P<subsystem>[^\]]*)\]\s+)?)"
)
_START = rf"^(?:{_TS})\s"


def split_lines(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``split_match(records, LINE)`` by ``HEAD`` and a slice: (read rows with their groups, the others)."""
    df = records.with_columns(_m=pl.col("text").str.extract_groups(HEAD)).unnest("_m")
    hit = pl.col("_head").is_not_null()
    ok = df.filter(hit).with_columns(msg=pl.col("text").str.slice(pl.col("_head").str.len_chars()))
    return ok.drop("_head"), df.filter(~hit).drop("_head", "ts", "tid", "level", "code", "subsystem")


DENIED = r"Access denied for user '(?P<user>[^']*)'@'(?P<host>[^']*)'(?: \(using password: (?P<pw>\w+)\))?"
ABORTED = (
    r"Aborted connection (?P<cid>\d+) to db: '(?P<db>[^']*)' user: '(?P<user>[^']*)' host: '(?P<host>[^']*)'"
    r"(?: \((?P<why>[^)]*)\))?"
)
FORCED = r"Forcing close of thread (?P<cid>\d+)\s+user: '(?P<user>[^']*)'"


@register
class MysqlError(Parser):
    """MySQL / MariaDB error log (MySQL 8, 5.7, MariaDB; access denied and aborted connections)."""

    name = "mysql.error"
    chunk_independent = True
    actions = ("db_connect_failed", "db_disconnect", "server_error", "log_message")
    multiline = True
    literals = ("[Note]", "[Warning]", "[ERROR]", "[System]", "[Error]")
    filenames = ("*error*", "*.err")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_START)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        ok, bad = split_lines(records)
        rejects = rejects_of(bad, "not an error log line")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        msg = pl.col("msg")
        # each message regex runs once, stored before its fields are read, and only on the
        # lines holding its literal start (the others are null, which the regex skips)
        ok = ok.with_columns(_first=msg.str.split("\n").list.first())
        first_line = pl.col("_first")

        def only(literal: str, pattern: str) -> pl.Expr:
            return pl.when(first_line.str.contains(literal, literal=True)).then(first_line).str.extract_groups(pattern)

        ok = ok.with_columns(
            _denied=only("Access denied for user '", DENIED),
            _aborted=only("Aborted connection ", ABORTED),
            _forced=only("Forcing close of thread ", FORCED),
        )
        denied, aborted, forced = pl.col("_denied"), pl.col("_aborted"), pl.col("_forced")
        is_denied = denied.struct.field("user").is_not_null()
        is_aborted = aborted.struct.field("user").is_not_null()
        level = pl.col("level")
        ts = pl.col("ts")
        iso = ts.str.contains("T", literal=True)
        local = ts.str.replace_all(r"\s+", " ").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
        host = pl.when(is_denied).then(denied.struct.field("host")).when(is_aborted).then(aborted.struct.field("host"))
        # 'unauthenticated' / 'unconnected' are the server's placeholders, not names
        aborted_user = aborted.struct.field("user")
        aborted_user = pl.when(aborted_user == "unauthenticated").then(None).otherwise(aborted_user)
        aborted_db = aborted.struct.field("db")
        aborted_db = pl.when(aborted_db == "unconnected").then(None).otherwise(aborted_db)
        user = pl.coalesce(denied.struct.field("user"), aborted_user, forced.struct.field("user"))
        tid = pl.col("tid").cast(pl.Int64, strict=False)
        cid = pl.coalesce(
            aborted.struct.field("cid").cast(pl.Int64, strict=False),
            forced.struct.field("cid").cast(pl.Int64, strict=False),
            pl.when(tid > 0).then(tid),
        )
        action = (
            pl.when(is_denied)
            .then(pl.lit("db_connect_failed"))
            .when(is_aborted)
            .then(pl.lit("db_disconnect"))
            .when(level.str.to_uppercase().is_in(["ERROR", "FATAL"]))
            .then(pl.lit("server_error"))
            .otherwise(pl.lit("log_message"))
        )
        system = (
            pl.when(iso | pl.col("code").is_not_null())
            .then(pl.lit("mysql"))
            .when(ts.str.contains(r"^\d{4}-"))
            .then(pl.lit("mariadb"))
            .otherwise(pl.lit("mysql"))
        )
        message = pl.concat_str(
            [
                pl.when(pl.col("code").is_not_null()).then(
                    pl.concat_str([pl.lit("["), pl.col("code"), pl.lit("] ["), pl.col("subsystem"), pl.lit("] ")])
                ),
                msg,
            ],
            ignore_nulls=True,
        )
        events = ok.select(
            "_rec",
            pl.when(iso).then(iso_ts(ts)).otherwise(pl.coalesce(local, short_ts(ts))).alias("_ts"),
            pl.when(iso).then(iso_offset(ts)).alias("_offset"),
            ts.alias("time.original"),
            pl.lit("Logged").alias("timestamp_desc"),
            pl.lit(CATEGORY).alias("event.category"),
            action.alias("event.action"),
            pl.when(is_denied | is_aborted).then(pl.lit("failure")).otherwise(pl.lit("unknown")).alias("event.outcome"),
            pl.when(is_denied)
            .then(first_line)
            .when(is_aborted)
            .then(aborted.struct.field("why"))
            .alias("event.reason"),
            level.alias("log.level"),
            system.alias("db.system"),
            null_if_empty(user).alias("db.user"),
            pl.when(is_aborted).then(null_if_empty(aborted_db)).alias("db.name"),
            cid.alias("db.connection_id"),
            pl.when(is_denied)
            .then(pl.lit("CONNECT"))
            .when(is_aborted)
            .then(pl.lit("DISCONNECT"))
            .alias("db.operation"),
            # a denial is written when the connection (and its increasing id) is made
            pl.when(is_denied & (tid > 0)).then(tid).alias("_order"),
            ip_or_null(host).alias("source.ip"),
            label_object(
                {
                    "thread_id": pl.col("tid"),
                    "error_code": pl.col("code"),
                    "subsystem": pl.col("subsystem"),
                    "client_host": host_or_null(host),
                    "using_password": denied.struct.field("pw"),
                }
            ).alias("labels"),
            message.str.slice(0, 500).alias("message"),
        )
        return ParseResult(events=events, rejects=rejects)
