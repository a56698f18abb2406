"""MySQL / MariaDB general query log: MariaDB and MySQL 5.x style, and MySQL >= 5.7 ISO style.

Reference: https://mariadb.com/kb/en/general-query-log/ (file format: sql/log.cc, MYSQL_QUERY_LOG::write)

MariaDB and MySQL <= 5.6 write ``YYMMDD HH:MM:SS\\t<thread> <Command>\\t<argument>`` in
local time and leave the timestamp blank (``\\t\\t``) while the second does not change;
MySQL >= 5.7 writes ``2024-10-26T22:41:09.123456Z`` (or with an offset).  Multi-line SQL
continues on lines without a prefix; the ``/usr/sbin/mysqld, Version: ...`` banner, the
``Tcp port`` line and the ``Time Id Command Argument`` line are headers (meta).

Two things are carried between records:

* the last timestamp (``state``), for blank-timestamp lines (tagged
  ``time_from_previous_line``; the timestamp then comes from the line before);
* ``_order`` is the thread id on ``Connect`` lines (ids are handed out in increasing
  order), so they can be ordered inside a repeated DST hour;
* the account, database and client of each thread id, taken from its ``Connect`` line (and
  ``Init DB`` / ``USE``), kept in ``state["source"]`` so that later queries of the same
  thread, even in the next rotated file, get ``db.user`` / ``db.name`` / ``source.ip``
  (tagged ``db_session_carried``).  A server restart banner clears the map.
"""

from __future__ import annotations

import re

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import (
    CATEGORY,
    ISO_TS,
    SHORT_TS,
    add_tag,
    carry_session,
    empty_tags,
    host_or_null,
    ip_or_null,
    iso_offset,
    iso_ts,
    no_events,
    null_if_empty,
    short_ts,
    with_label_object,
)
from parsers.db.sql import sql_operation, sql_tables

#: Command names as the server prints them (sql/sql_parse.cc command_name[], MySQL and MariaDB).
COMMANDS = [
    "Sleep", "Quit", "Init DB", "Query", "Field List", "Create DB", "Drop DB", "Refresh", "Shutdown",
    "Statistics", "Processlist", "Connect", "Kill", "Debug", "Ping", "Time", "Delayed insert", "Change user",
    "Binlog Dump", "Binlog Dump GTID", "Table Dump", "Connect Out", "Register Slave", "Prepare", "Execute",
    "Long Data", "Close stmt", "Reset stmt", "Set option", "Fetch", "Daemon", "Reset Connection", "Error",
    "Bulk_execute", "Slave_IO", "Slave_SQL", "Slave_worker", "Com_multi", "Killed", "Clone", "Group Replication Data Stream subscription",
]  # fmt: skip
_CMD = "|".join(re.escape(c) for c in sorted(COMMANDS, key=len, reverse=True))
_TS = rf"(?:{SHORT_TS}|{ISO_TS})"
LINE = rf"^(?P<ts>{_TS})?[\t ]+(?P<tid>\d+) (?P<cmd>{_CMD})(?:(?:\t| +)(?P<arg>(?s:.*)))?$"
#: ``LINE`` without its argument: the same match up to the separator (or the end), whose
#: length tells where the argument starts (capturing a long SQL text costs more than finding it)
HEAD = rf"^(?P<_head>(?P<ts>{_TS})?[\t ]+(?P<tid>\d+) (?P<cmd>{_CMD})(?P<_sep>\t| +|$))"
_START = rf"^(?:{_TS})?[\t ]+\d+ (?:{_CMD})(?:[\t ]|$)"
HEADER = r"^(?:\S.*, Version: .*|Tcp port: \d+.*|TCP Port: \d+.*|Time\s+Id\s+Command\s+Argument\s*)$"

CONNECT_OK = r"^(?P<user>.*?)@(?P<host>\S*)(?: as (?P<priv>\S*))? on ?(?P<db>\S*)\s*(?:using (?P<conn>.*?))?\s*$"
ACCESS_DENIED = (
    r"^Access denied for user '(?P<user>[^']*)'@'(?P<host>[^']*)'"
    r"(?: \(using password: (?P<pw>\w+)\)| to database '(?P<db>[^']*)')?"
)
USE = r"(?i)^\s*use\s+`?([^`;\s]+)`?\s*;?\s*$"
QUERY_COMMANDS = ["Query", "Execute", "Prepare"]


def _split_lines(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``split_match(records, LINE)``: rows read by ``LINE`` (``ts``, ``tid``, ``cmd``, ``arg``), the others.

    ``HEAD`` finds the same prefix; the argument is the text after it (null when the line
    ends at the command), which saves the regex engine capturing every SQL statement.
    """
    df = records.with_columns(_m=pl.col("text").str.extract_groups(HEAD)).unnest("_m")
    hit = pl.col("_head").is_not_null()
    rest = pl.col("text").str.slice(pl.col("_head").str.len_chars())
    ok = df.filter(hit).with_columns(pl.when(pl.col("_sep") == "").then(None).otherwise(rest).alias("arg"))
    return ok.drop("_head", "_sep"), df.filter(~hit).drop("_head", "ts", "tid", "cmd", "_sep")


def is_header(text: pl.Expr) -> pl.Expr:
    """The server banner lines that start every general (and slow) log file."""
    return text.str.contains(HEADER)


def header_system(version_lines: list[str]) -> str | None:
    """``mariadb`` or ``mysql`` from a ``..., Version: 10.11.6-MariaDB-log ...`` banner."""
    for line in version_lines:
        if ", Version: " in line:
            return "mariadb" if "mariadb" in line.lower() else "mysql"
    return None


@register
class MysqlGeneral(Parser):
    """MySQL / MariaDB general query log (5.x, MariaDB and >= 5.7 styles, multi-line SQL)."""

    name = "mysql.general"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query")
    multiline = True
    literals = (" Connect\t", " Query\t", " Quit", " Connect ", " Query ", "Time                 Id Command")
    filenames = ("*general*", "*query*.log")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_START) | is_header(text)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        source = state.setdefault("source", {}).setdefault(self.name, {})
        first = pl.col("text").str.split("\n").list.first()
        headers = records.filter(is_header(first))
        body = records.filter(~is_header(first))
        banner = headers.filter(~pl.col("text").str.contains("\n"))
        header_junk = headers.filter(pl.col("text").str.contains("\n"))
        system = header_system(banner.get_column("text").to_list())
        if system:
            source["db_system"] = system
        ok, bad = _split_lines(body)
        rejects = pl.concat(
            [
                rejects_of(bad, "not a general query log line"),
                rejects_of(header_junk, "header followed by lines that are not general log records"),
            ]
        )
        meta = rejects_of(banner, "general log header")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects, meta=meta)
        df = self._times(ok, state)
        df = self._columns(df, source.get("db_system"))
        df = self._connect_outcomes(df)
        # connection (thread) ids are handed out in increasing order: they order Connect lines
        df = df.with_columns(pl.when(pl.col("_cmd") == "Connect").then(pl.col("db.connection_id")).alias("_order"))
        # restarts (banners) reset the thread map: put them in sequence as marker rows
        markers = banner.filter(pl.col("text").str.contains(", Version: ", literal=True)).select(
            "_rec", pl.lit(True).alias("_reset")
        )
        df = pl.concat([df.with_columns(_reset=pl.lit(False)), markers], how="diagonal").sort("_rec")
        df = carry_session(
            df,
            source,
            key="db.connection_id",
            values=["db.user", "db.name", "source.ip", "_client_host", "_priv_user"],
            start=pl.col("_connected"),
            setter=pl.col("_connected") | pl.col("_sets_db"),
            reset=pl.col("_reset"),
            end=pl.col("event.action") == "db_disconnect",
        )
        df = df.filter(~pl.col("_reset"))
        df = with_label_object(
            df,
            {
                "command": pl.col("_cmd"),
                "argument": pl.col("_argument"),
                "client_host": pl.col("_client_host"),
                "priv_user": pl.col("_priv_user"),
                "connection_type": pl.col("_conn"),
                "using_password": pl.col("_pw"),
            },
        )
        events = df.drop([c for c in df.columns if c.startswith("_") and c not in ("_rec", "_ts", "_offset", "_order")])
        return ParseResult(events=events, rejects=rejects, meta=meta)

    @staticmethod
    def _times(df: pl.DataFrame, state: ParserState) -> pl.DataFrame:
        """Blank timestamps take the last one written (kept in ``state`` across chunks)."""
        written = null_if_empty(pl.col("ts"))
        filled = written.forward_fill()
        if state.get("last_ts") is not None:
            filled = filled.fill_null(pl.lit(state["last_ts"]))
        df = df.with_columns(_written=written, _time=filled)
        last = df.get_column("_time").drop_nulls()
        if last.len():
            state["last_ts"] = last[-1]
        t = pl.col("_time")
        return df.with_columns(
            pl.coalesce(short_ts(t), iso_ts(t)).alias("_ts"),
            iso_offset(t).alias("_offset"),
            t.alias("time.original"),
            add_tag(empty_tags(), pl.col("_written").is_null() & t.is_not_null(), "time_from_previous_line").alias(
                "tags"
            ),
        )

    @staticmethod
    def _connect_outcomes(df: pl.DataFrame) -> pl.DataFrame:
        """A ``Connect user@host on db`` line is written before the password is checked.

        MariaDB then writes ``Connect Access denied ...`` on the same thread when it fails.
        So a Connect line is a success when the thread's next record is anything else, a
        failure (with the denial as reason) when it is the denial, and unknown when the
        thread has no later record in this batch.  A database the account may not use is
        refused after the password, on an ``Init DB`` line (``Access denied for user
        'app'@'localhost' to database 'x'``): right after the Connect it is the failed
        login (``db_connect_failed`` for database x); later in a session (``USE x``) a
        failed command.
        """
        tid = "db.connection_id"
        next_denied = pl.col("_denied").shift(-1).over(tid)
        next_reason = pl.col("event.reason").shift(-1).over(tid)
        connected = pl.col("_connected")
        # a database refused right after the Connect ends the login; later (``USE x``) it is a failed command
        mid_session = pl.col("_refused_db") & (pl.col("_cmd").shift(1).over(tid) != "Connect").fill_null(False)
        df = df.with_columns(
            pl.when(mid_session).then(pl.lit("db_query")).otherwise(pl.col("event.action")).alias("event.action"),
            pl.when(pl.col("_refused_db") & ~mid_session)
            .then(pl.lit("CONNECT"))
            .otherwise(pl.col("db.operation"))
            .alias("db.operation"),
        )
        return df.with_columns(
            pl.when(connected & next_denied.fill_null(False))
            .then(pl.lit("failure"))
            .when(connected & next_denied.is_not_null())
            .then(pl.lit("success"))
            .otherwise(pl.col("event.outcome"))
            .alias("event.outcome"),
            pl.when(connected & next_denied.fill_null(False))
            .then(next_reason)
            .otherwise(pl.col("event.reason"))
            .alias("event.reason"),
        )

    @staticmethod
    def _columns(df: pl.DataFrame, system: str | None) -> pl.DataFrame:
        cmd = pl.col("cmd")
        is_connect = cmd.is_in(["Connect", "Change user"])
        is_query = cmd.is_in(QUERY_COMMANDS)
        # each regex once, on the rows a cheap test selects (the others are null and skipped)
        df = df.with_columns(_arg=null_if_empty(pl.col("arg").str.strip_chars_end(" \t")))
        arg = pl.col("_arg")
        df = df.with_columns(
            _rx_denied=pl.when(arg.str.starts_with("Access denied for user "))
            .then(arg)
            .str.extract_groups(ACCESS_DENIED),
            _rx_connect=pl.when(is_connect).then(arg).str.extract_groups(CONNECT_OK),
            _rx_use=pl.when(is_query & arg.str.contains(r"(?i)^\s*use\s")).then(arg).str.extract(USE, 1),
        )
        denied, connect = pl.col("_rx_denied"), pl.col("_rx_connect")
        # MariaDB checks the database after the password: a refused one is an ``Init DB`` line
        refused_db = (cmd == "Init DB") & denied.struct.field("db").is_not_null()
        is_denied = (is_connect & denied.struct.field("user").is_not_null()) | refused_db
        connected = is_connect & ~is_denied & connect.struct.field("user").is_not_null()
        query = pl.when(is_query).then(arg)
        use_db = pl.col("_rx_use")
        user = pl.when(is_denied).then(denied.struct.field("user")).when(connected).then(connect.struct.field("user"))
        host = pl.when(is_denied).then(denied.struct.field("host")).when(connected).then(connect.struct.field("host"))
        db = (
            pl.when(connected)
            .then(null_if_empty(connect.struct.field("db")))
            .when(is_denied)
            .then(denied.struct.field("db"))
            .when(cmd == "Init DB")
            .then(arg)
            .otherwise(use_db)
        )
        action = (
            pl.when(is_denied)
            .then(pl.lit("db_connect_failed"))
            .when(is_connect)
            .then(pl.lit("db_connect"))
            .when(cmd == "Quit")
            .then(pl.lit("db_disconnect"))
            .otherwise(pl.lit("db_query"))
        )
        outcome = (
            pl.when(is_denied)
            .then(pl.lit("failure"))
            .when(cmd == "Quit")
            .then(pl.lit("success"))
            .otherwise(pl.lit("unknown"))
        )
        operation = (
            pl.when(is_connect)
            .then(pl.lit("CONNECT"))
            .when(cmd == "Quit")
            .then(pl.lit("DISCONNECT"))
            .when(is_query)
            .then(sql_operation(query))
            .otherwise(cmd.str.to_uppercase())
        )
        style = (
            pl.when(pl.col("_time").str.contains("T", literal=True)).then(pl.lit("mysql")).otherwise(pl.lit("mariadb"))
        )
        summary = pl.coalesce(arg, pl.lit("")).str.slice(0, 300).str.replace_all("\n", " ", literal=True)
        return df.with_columns(
            pl.lit("Command received").alias("timestamp_desc"),
            pl.lit(CATEGORY).alias("event.category"),
            action.alias("event.action"),
            outcome.alias("event.outcome"),
            pl.when(is_denied).then(arg).alias("event.reason"),
            (pl.lit(system) if system else style).alias("db.system"),
            null_if_empty(user).alias("db.user"),
            db.alias("db.name"),
            pl.col("tid").cast(pl.Int64, strict=False).alias("db.connection_id"),
            query.alias("db.query.text"),
            operation.alias("db.operation"),
            sql_tables(query).alias("db.tables"),
            ip_or_null(host).alias("source.ip"),
            host_or_null(host).alias("_client_host"),
            pl.when(connected).then(null_if_empty(connect.struct.field("priv"))).alias("_priv_user"),
            pl.when(connected).then(null_if_empty(connect.struct.field("conn"))).alias("_conn"),
            pl.when(is_denied).then(denied.struct.field("pw")).alias("_pw"),
            cmd.alias("_cmd"),
            pl.when(~is_query).then(arg).alias("_argument"),
            connected.alias("_connected"),
            is_denied.alias("_denied"),
            refused_db.alias("_refused_db"),
            (((cmd == "Init DB") & ~refused_db) | use_db.is_not_null()).alias("_sets_db"),
            pl.concat_str([cmd, pl.lit(" "), pl.col("tid"), pl.lit(": "), summary]).alias("message"),
        )
