"""MariaDB server_audit plugin log (also used with MySQL and Percona), file and syslog forms.

Reference: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/

The file form is ``timestamp,serverhost,username,host,connectionid,queryid,operation,
database,object,retcode`` (plugin/server_audit/server_audit.c, ``log_header``): the
timestamp is ``localtime`` with no zone, the query is wrapped in ``'...'`` with ``\\'`` and
``\\\\`` escapes (newer versions also ``\\n``/``\\r``/``\\t``) and is cut at
``server_audit_query_log_limit`` (1024 bytes by default).  Table events (READ, WRITE,
CREATE, ALTER, DROP, RENAME) carry the table instead of a query and an empty retcode.
Trailing fields of newer versions are kept in ``labels.extra``.  A query whose closing
quote is missing (cut, or the last line of a live file) is kept and tagged
``query_truncated``.  The server cuts the escaped query at exactly
``server_audit_query_log_limit`` bytes and still closes the quote, so a query of exactly
that length (the source option ``server_audit_query_log_limit``, 1024 when not given) is
tagged ``query_truncated`` too; one as long as the default limit is also tagged
``query_at_log_limit``.

Time: naive local (the engine applies the source/case zone).  ``_order`` is the server's
query id (global and increasing); connection events, which have query id 0, take the
last query id seen before them, so records keep their order inside a repeated DST hour.
"""

from __future__ import annotations

import re

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import (
    CATEGORY,
    add_tag,
    empty_tags,
    host_or_null,
    ip_or_null,
    no_events,
    null_if_empty,
    split_match,
    with_label_object,
)
from parsers.db.sql import sql_operation, sql_tables
from parsers.web.common import map_distinct

#: server_audit_query_log_limit default: a query this long (escaped) was probably cut.
QUERY_LOG_LIMIT = 1024

_FILE_TS = r"(?P<ts>\d{8} \d\d:\d\d:\d\d),"
_SYSLOG = (
    r"(?P<sts>[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d) (?P<syshost>\S+) (?P<ident>[^\s:\[]+)(?:\[\d+\])?: "
    r"(?:(?P<info>[^\s,]*) )?"
)
_HEAD = (
    rf"^(?:{_FILE_TS}|{_SYSLOG})(?P<server>[^,]*),(?P<user>[^,]*),(?P<host>[^,]*),(?P<cid>-?\d+),(?P<qid>-?\d+),"
    r"(?P<op>[A-Z_]+),(?P<db>[^,]*),"
)
FULL = _HEAD + r"(?:'(?P<q>(?:[^'\\]|\\.)*)'|(?P<obj>[^,']*)),(?P<ret>[^,]*)(?:,(?P<extra>.*))?$"
#: a query whose closing quote is missing (cut by the log limit or by the end of the file)
TRUNCATED = _HEAD + r"'(?P<q>.*)$"

ACTIONS = {
    "CONNECT": "db_connect",
    "PROXY_CONNECT": "db_connect",
    "CHANGEUSER": "db_connect",
    "DISCONNECT": "db_disconnect",
    "FAILED_CONNECT": "db_connect_failed",
}
OPERATIONS = {
    "CONNECT": "CONNECT",
    "PROXY_CONNECT": "CONNECT",
    "FAILED_CONNECT": "CONNECT",
    "CHANGEUSER": "CHANGE USER",
    "DISCONNECT": "DISCONNECT",
}
TABLE_EVENTS = ["READ", "WRITE", "CREATE", "ALTER", "DROP", "RENAME"]

_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def unescape_audit(value: str) -> str:
    """Undo server_audit escaping: ``\\'``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``."""
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def unescape_column(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """Vectorised unescape; values with ``\\n``-style escapes go through Python once per distinct value."""
    text = pl.col(column)
    # every quote inside the query is escaped, so "\\'" can never be the tail of an escaped
    # backslash: two literal passes undo the escaping exactly
    simple = text.str.replace_all("\\'", "'", literal=True).str.replace_all("\\\\", "\\", literal=True)
    needs_python = (
        text.str.contains("\\n", literal=True)
        | text.str.contains("\\r", literal=True)
        | text.str.contains("\\t", literal=True)
    ).fill_null(False)
    df = df.with_columns(pl.when(needs_python).then(text).otherwise(simple).alias(column), needs_python.alias("_py"))
    if not df.get_column("_py").any():
        return df.drop("_py")
    done = df.filter(~pl.col("_py"))
    todo = map_distinct(df.filter(pl.col("_py")), column, unescape_audit, "\\")
    return pl.concat([done, todo]).sort("_rec").drop("_py")


_COLUMNS = ["_rec", "ts", "sts", "syshost", "ident", "info", "server", "user", "host", "cid", "qid", "op", "db"]
_COLUMNS += ["q", "obj", "ret", "extra", "_cut"]
_TAIL = r"^,(?P<ret>[^,]*)(?:,(?P<extra>.*))?$"


def _fast_split(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file form without regex backtracking: split the header on commas, find the closing quote from the end.

    Returns (parsed rows with the common columns, rows left for the regex path).
    """
    names = ["ts", "server", "user", "host", "cid", "qid", "op", "db", "rest"]
    parts = pl.col("text").str.splitn(",", 9).struct.rename_fields(names)
    df = records.select("_rec", parts.alias("_p")).unnest("_p")
    ok = (
        pl.col("rest").is_not_null()
        & pl.col("ts").str.contains(r"^\d{8} \d\d:\d\d:\d\d$")
        & pl.col("cid").str.contains(r"^-?\d+$")
        & pl.col("qid").str.contains(r"^-?\d+$")
        & pl.col("op").str.contains(r"^[A-Z_]+$")
    ).fill_null(False)
    df = df.with_columns(_ok=ok)
    left = records.join(df.filter(~pl.col("_ok")).select("_rec"), on="_rec", how="semi")
    df = df.filter(pl.col("_ok")).drop("_ok")
    rest = pl.col("rest")
    end = rest.str.extract_groups(r"(?P<bs>\\*)'(?P<tail>,[^']*)$")
    df = df.with_columns(_end=end).unnest("_end")
    quoted = rest.str.starts_with("'")
    closed = (
        pl.col("tail").is_not_null()
        & (pl.col("bs").str.len_bytes() % 2 == 0)
        & (rest.str.len_chars() >= pl.col("tail").str.len_chars() + 2)
    )
    tail = (
        pl.when(quoted)
        .then(pl.when(closed).then(pl.col("tail")))
        .otherwise(pl.concat_str([pl.lit(","), rest.str.splitn(",", 2).struct.field("field_1")]))
    )
    df = df.with_columns(
        _cut=quoted & ~closed.fill_null(False),
        q=pl.when(quoted & closed)
        .then(rest.str.slice(1, rest.str.len_chars() - 2 - pl.col("tail").str.len_chars()))
        .when(quoted)
        .then(rest.str.slice(1)),
        obj=pl.when(~quoted).then(rest.str.splitn(",", 2).struct.field("field_0")),
        _tail=tail.str.extract_groups(_TAIL),
    ).unnest("_tail")
    # an unquoted object must be followed by a retcode field
    unquoted_bad = (~quoted & pl.col("ret").is_null()).fill_null(True)
    bad = df.filter(unquoted_bad).select("_rec")
    df = df.filter(~unquoted_bad)
    left = pl.concat([left, records.join(bad, on="_rec", how="semi")])
    nulls = {c: pl.lit(None, dtype=pl.String) for c in ("sts", "syshost", "ident", "info")}
    return df.with_columns(**nulls).select(_COLUMNS), left


def _regex_split(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The general path (syslog form, odd lines): one regex per form; returns (parsed, unparsed)."""
    full, rest = split_match(records, FULL)
    cut, bad = split_match(rest, TRUNCATED)
    full = full.with_columns(pl.lit(False).alias("_cut"))
    cut = cut.with_columns(
        pl.lit(None, dtype=pl.String).alias("obj"),
        pl.lit(None, dtype=pl.String).alias("ret"),
        pl.lit(None, dtype=pl.String).alias("extra"),
        pl.lit(True).alias("_cut"),
    )
    return pl.concat([full.select(_COLUMNS), cut.select(_COLUMNS)]), bad


@register
class MariadbAudit(Parser):
    """MariaDB server_audit log (CONNECT, QUERY, table events; file or syslog form)."""

    name = "mariadb.audit"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message")
    literals = (",CONNECT,", ",QUERY", ",DISCONNECT,", ",READ,", ",WRITE,", ",FAILED_CONNECT,", ",CREATE,", ",DROP,")
    filenames = ("server_audit*", "*audit*")
    option_keys = ("server_audit_query_log_limit",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        fast, left = _fast_split(records)
        slow, bad = _regex_split(left)
        df = pl.concat([fast, slow]).sort("_rec")
        rejects = rejects_of(bad, "not a server_audit line")
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        df = unescape_column(df.with_columns(pl.col("q").alias("_raw_q")), "q")
        df = with_label_object(df, self._labels())
        events = df.select(*self._columns(), pl.col("labels"), pl.col("_rec"))
        events = self._order(events, state)
        return ParseResult(events=events, rejects=rejects)

    @staticmethod
    def _labels() -> dict[str, pl.Expr]:
        op = pl.col("op")
        host = null_if_empty(pl.col("host"))
        return {
            "operation": op,
            "server_host": null_if_empty(pl.col("server")),
            "client_host": host_or_null(host),
            "object": pl.when(op.is_in(TABLE_EVENTS) | (op == "PROXY_CONNECT")).then(null_if_empty(pl.col("obj"))),
            "retcode": null_if_empty(pl.col("ret")),
            "extra": null_if_empty(pl.col("extra")),
            "syslog_host": pl.col("syshost"),
            "syslog_ident": pl.col("ident"),
            "syslog_info": null_if_empty(pl.col("info")),
        }

    def _columns(self) -> list[pl.Expr]:
        op = pl.col("op")
        q = pl.col("q")
        ret = null_if_empty(pl.col("ret"))
        qid = pl.col("qid").cast(pl.Int64, strict=False)
        is_table = op.is_in(TABLE_EVENTS)
        failed = (op == "FAILED_CONNECT") | (ret.is_not_null() & (ret != "0"))
        outcome = (
            pl.when(failed)
            .then(pl.lit("failure"))
            .when(ret == "0")
            .then(pl.lit("success"))
            .otherwise(pl.lit("unknown"))
        )
        syslog_ts = pl.concat_str([pl.lit("2000 "), pl.col("sts").str.replace_all(r"\s+", " ")]).str.to_datetime(
            "%Y %b %d %H:%M:%S", strict=False, time_unit="us"
        )
        file_ts = pl.col("ts").str.to_datetime("%Y%m%d %H:%M:%S", strict=False, time_unit="us")
        table_names = (
            pl.col("obj").str.split("|").list.eval(pl.element().str.split(".").list.last().str.strip_chars("`"))
        )
        tables = pl.when(is_table).then(table_names).when(q.is_not_null()).then(sql_tables(q))
        operation = (
            pl.when(is_table)
            .then(op)
            .when(q.is_not_null())
            .then(sql_operation(q))
            .otherwise(op.replace_strict(OPERATIONS, default=op))
        )
        # the server cuts the escaped query at exactly the limit and still closes the quote
        limit = int(self.options.get("server_audit_query_log_limit") or QUERY_LOG_LIMIT)
        at_limit = pl.col("_raw_q").str.len_bytes() == limit
        tags = add_tag(empty_tags(), pl.col("_cut") | at_limit.fill_null(False), "query_truncated")
        tags = add_tag(
            tags, ~pl.col("_cut") & (pl.col("_raw_q").str.len_bytes() >= QUERY_LOG_LIMIT - 1), "query_at_log_limit"
        )
        user = null_if_empty(pl.col("user"))
        host = null_if_empty(pl.col("host"))
        who = pl.concat_str([user.fill_null(""), pl.lit("@"), host.fill_null("")])
        on_db = pl.when(null_if_empty(pl.col("db")).is_not_null()).then(pl.concat_str([pl.lit(" on "), pl.col("db")]))
        what = null_if_empty(pl.coalesce(q.str.slice(0, 300), pl.col("obj")))
        what = pl.when(what.is_not_null()).then(
            pl.concat_str([pl.lit(": "), what.str.replace_all("\n", " ", literal=True)])
        )
        return [
            pl.coalesce(file_ts, syslog_ts).alias("_ts"),
            pl.lit(None, dtype=pl.Int32).alias("_offset"),
            pl.coalesce(pl.col("ts"), pl.col("sts")).alias("time.original"),
            pl.when(pl.col("sts").is_not_null())
            .then(pl.lit(["year_missing"]))
            .otherwise(empty_tags())
            .alias("time.flags"),
            pl.lit("Audit event").alias("timestamp_desc"),
            pl.lit(CATEGORY).alias("event.category"),
            op.replace_strict(ACTIONS, default="db_query").alias("event.action"),
            outcome.alias("event.outcome"),
            pl.when(failed & ret.is_not_null()).then(pl.concat_str([pl.lit("error "), ret])).alias("event.reason"),
            pl.lit("mariadb").alias("db.system"),
            user.alias("db.user"),
            null_if_empty(pl.col("db")).alias("db.name"),
            pl.col("cid").cast(pl.Int64, strict=False).alias("db.connection_id"),
            pl.when(qid > 0).then(qid).alias("db.query.id"),
            q.alias("db.query.text"),
            operation.alias("db.operation"),
            tables.alias("db.tables"),
            ip_or_null(host).alias("source.ip"),
            qid.alias("_qid"),
            pl.concat_str([op, pl.lit(" "), who, on_db.fill_null(""), what.fill_null("")]).alias("message"),
            tags.alias("tags"),
        ]

    @staticmethod
    def _order(events: pl.DataFrame, state: ParserState) -> pl.DataFrame:
        """``_order``: the query id, or for connection events the last query id seen before them."""
        last = state.get("last_query_id")
        qid = pl.when(pl.col("_qid") > 0).then(pl.col("_qid"))
        order = qid.forward_fill()
        if last is not None:
            order = order.fill_null(pl.lit(last, dtype=pl.Int64))
        events = events.with_columns(order.cast(pl.Int64).alias("_order")).drop("_qid")
        seen = events.get_column("_order").drop_nulls()
        if seen.len():
            state["last_query_id"] = int(seen[-1])
        return events
