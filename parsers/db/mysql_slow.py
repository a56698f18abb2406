"""MySQL / MariaDB / Percona slow query log: one multi-line block per statement.

Reference: https://dev.mysql.com/doc/refman/8.0/en/slow-query-log.html (sql/log.cc, File_query_log::write_slow)

A block is ``# Time:`` (written only when the second changes in older servers, so it may be
missing), ``# User@Host: user[user] @ host [ip]  Id: N``, ``# Query_time: ... Lock_time: ...
Rows_sent: ... Rows_examined: ...``, optional extra ``#`` lines (MariaDB ``Thread_id``/
``Schema``/``QC_hit``, Percona and MySQL 8 counters), ``use db;``, ``SET timestamp=EPOCH;`` and
the statement.  A block starts at ``# Time:`` or, when there is none, at ``# User@Host:``.

Time: ``SET timestamp`` is the statement's start as an epoch, zone-free, and wins
(to the microsecond when ``# Time:`` is MySQL's UTC end time with microseconds: end minus
``Query_time``, when it falls in the ``SET timestamp`` second, tagged
``start_from_time_header``)
(``timestamp_desc`` "Query started"); without it the ``# Time:`` line is used (naive local,
or with ``Z``/offset in MySQL >= 5.7), which is when the block was written ("Query
logged"); a block with neither takes the last ``# Time:`` seen (kept in ``state``, tagged
``time_from_previous_block``).  ``# Time:`` is always kept in ``labels.time_header``.
Every ``Key: value`` of the header lines is kept in ``labels``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import (
    CATEGORY,
    add_tag,
    empty_tags,
    epoch_ts,
    host_or_null,
    ip_or_null,
    iso_offset,
    iso_ts,
    labels_json,
    no_events,
    null_if_empty,
    seconds_to_ns,
    short_ts,
)
from parsers.db.mysql_general import header_system, is_header
from parsers.db.sql import sql_operation, sql_tables

_BLOCK = r"(?s)^(?P<head>(?:#[^\n]*(?:\n|$))*)(?P<prelude>(?:(?:[Uu][Ss][Ee]\s+[^\n;]+|SET\s+[^\n]*\btimestamp=[\d.]+[^\n]*);[ \t]*(?:\n|$))*)(?P<sql>.*)$"
_TIME = r"(?m)^# Time:\s+(\d{6}\s+\d{1,2}:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
_USER_HOST = (
    r"# User@Host: (?P<user>[^\[\s]*)(?:\[(?P<cuser>[^\]]*)\])?\s*@\s*(?P<host>[^\s\[]*)\s*"
    r"(?:\[(?P<ip>[^\]]*)\])?(?:\s+Id:\s*(?P<id>\d+))?"
)
_PAIR = r"[A-Za-z_]+: [^\s\"\\\x00-\x1f]*"
_ADMIN = r"(?m)^# administrator command: ([^\n]*?);?\s*$"


def _num(name: str, pattern: str = r"[\d.]+") -> pl.Expr:
    return pl.col("head").str.extract(rf"\b{name}: ({pattern})", 1)


@register
class MysqlSlow(Parser):
    """MySQL / MariaDB / Percona slow query log (multi-line blocks, SET timestamp)."""

    name = "mysql.slow"
    actions = ("db_query",)
    multiline = True
    literals = ("# Query_time:", "# User@Host:", "# Time:")
    filenames = ("*slow*",)

    def record_start(self, text: pl.Expr) -> pl.Expr:
        is_time = text.str.starts_with("# Time:")
        is_user = text.str.starts_with("# User@Host:")
        after_time = text.shift(1).str.starts_with("# Time:").fill_null(False)
        return is_time | (is_user & ~after_time) | is_header(text)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        source = state.setdefault("source", {}).setdefault(self.name, {})
        first = pl.col("text").str.split("\n").list.first()
        headers = records.filter(is_header(first))
        blocks = records.filter(~is_header(first))
        banner = headers.filter(~pl.col("text").str.contains("\n"))
        junk = headers.filter(pl.col("text").str.contains("\n"))
        system = header_system(banner.get_column("text").to_list())
        if system:
            source["db_system"] = system
        meta = rejects_of(banner, "slow log header")
        df = blocks.with_columns(_b=pl.col("text").str.extract_groups(_BLOCK)).unnest("_b")
        sql = null_if_empty(pl.col("sql").str.strip_chars_end())
        admin_sql = sql.str.extract(r"^# administrator command: ([^\n]*?);?\s*$", 1)
        admin = pl.coalesce(admin_sql, pl.when(sql.is_null()).then(pl.col("head").str.extract(_ADMIN, 1)))
        prelude_only = null_if_empty(pl.col("prelude").str.strip_chars_end())
        df = df.with_columns(
            _admin=admin,
            _query=pl.when(admin.is_not_null())
            .then(pl.concat_str([pl.lit("administrator command: "), admin]))
            .otherwise(pl.coalesce(sql, prelude_only)),
        )
        empty = df.filter(pl.col("_query").is_null())
        df = df.filter(pl.col("_query").is_not_null())
        rejects = pl.concat(
            [
                rejects_of(empty, "slow log block without a statement (cut short?)"),
                rejects_of(junk, "header followed by lines that are not slow log blocks"),
            ]
        )
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects, meta=meta)
        df = self._times(df, state)
        events = df.select("_rec", "_ts", "_offset", "time.original", "timestamp_desc", "tags", *self._columns(source))
        return ParseResult(events=events, rejects=rejects, meta=meta)

    @staticmethod
    def _times(df: pl.DataFrame, state: ParserState) -> pl.DataFrame:
        header_time = pl.col("head").str.extract(_TIME, 1)
        epoch = pl.col("prelude").str.extract(r"\btimestamp=(\d+(?:\.\d+)?)", 1)
        df = df.with_columns(_time=header_time, _epoch=epoch)
        carried = pl.col("_time").forward_fill()
        if state.get("last_time") is not None:
            carried = carried.fill_null(pl.lit(state["last_time"]))
        df = df.with_columns(_carried=carried)
        seen = df.get_column("_time").drop_nulls()
        if seen.len():
            state["last_time"] = seen[-1]
        t = pl.col("_carried")
        clean = t.str.replace(r"(\.\d{6})\d+", "$1")
        local = pl.coalesce(short_ts(clean), iso_ts(clean))
        use_epoch = pl.col("_epoch").is_not_null()
        # MySQL >= 5.7 stamps ``# Time:`` in UTC with microseconds when the statement ends, and
        # ``SET timestamp`` with the start second: the end minus Query_time is the start to the
        # microsecond, used when it falls in that second (else the whole second stays).
        own = pl.col("_time")
        fraction = own.str.contains(r"\.\d+(?:Z|[+-]\d\d:?\d\d)$").fill_null(False)
        end_utc = iso_ts(own) - pl.duration(seconds=iso_offset(own).fill_null(0))
        query_us = pl.col("head").str.extract(r"Query_time: (\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False) * 1e6
        precise = end_utc - pl.duration(microseconds=query_us.round().cast(pl.Int64))
        start = epoch_ts(pl.col("_epoch"))
        whole = ~pl.col("_epoch").str.contains(".", literal=True)
        refine = use_epoch & whole & fraction & (precise.dt.truncate("1s") == start).fill_null(False)
        return df.with_columns(
            pl.when(refine).then(precise).when(use_epoch).then(start).otherwise(local).alias("_ts"),
            pl.when(use_epoch).then(pl.lit(0, dtype=pl.Int32)).otherwise(iso_offset(t)).alias("_offset"),
            pl.when(use_epoch).then(pl.col("_epoch")).otherwise(t).alias("time.original"),
            pl.when(use_epoch).then(pl.lit("Query started")).otherwise(pl.lit("Query logged")).alias("timestamp_desc"),
            add_tag(
                add_tag(
                    empty_tags(), ~use_epoch & pl.col("_time").is_null() & t.is_not_null(), "time_from_previous_block"
                ),
                refine,
                "start_from_time_header",
            ).alias("tags"),
        )

    @staticmethod
    def _columns(source: dict[str, Any]) -> list[pl.Expr]:
        head = pl.col("head")
        uh = head.str.extract_groups(_USER_HOST)
        user = pl.coalesce(null_if_empty(uh.struct.field("user")), null_if_empty(uh.struct.field("cuser")))
        host = null_if_empty(uh.struct.field("host"))
        ip = null_if_empty(uh.struct.field("ip"))
        schema = null_if_empty(head.str.extract(r"\bSchema: (\S*)", 1))
        use_db = pl.col("prelude").str.extract(r"(?im)^use\s+`?([^`;\s]+)`?\s*;", 1)
        thread = pl.coalesce(uh.struct.field("id"), _num("Thread_id", r"\d+")).cast(pl.Int64, strict=False)
        query = pl.col("_query")
        is_admin = pl.col("_admin").is_not_null()
        duration = _num("Query_time")
        if source.get("db_system"):
            system = pl.lit(source["db_system"])
        else:
            system = (
                pl.when(head.str.contains("QC_hit:", literal=True) | pl.col("_carried").str.contains(r"^\d{6}\s"))
                .then(pl.lit("mariadb"))
                .otherwise(pl.lit("mysql"))
            )
        explain = head.str.extract_all(r"(?m)^# explain: [^\n]*").list.eval(pl.element().str.slice(11)).list.join("\n")
        pairs = (
            head.str.replace_all(r"(?m)^# explain: [^\n]*", "")
            .str.replace_all(r"# (?:Time|User@Host):[^\n#]*", "")
            .str.extract_all(_PAIR)
            .list.eval(pl.element().str.replace(r"^([A-Za-z_]+): (.*)$", '"$1":"$2"'))
        )
        who = pl.concat_str([user.fill_null(""), pl.lit("@"), pl.coalesce(ip, host, pl.lit(""))])
        summary = query.str.slice(0, 300).str.replace_all("\n", " ", literal=True)
        return [
            pl.lit(CATEGORY).alias("event.category"),
            pl.lit("db_query").alias("event.action"),
            pl.lit("unknown").alias("event.outcome"),
            system.alias("db.system"),
            user.alias("db.user"),
            pl.coalesce(schema, use_db).alias("db.name"),
            thread.alias("db.connection_id"),
            query.alias("db.query.text"),
            pl.when(is_admin)
            .then(pl.col("_admin").str.to_uppercase())
            .otherwise(sql_operation(query))
            .alias("db.operation"),
            pl.when(~is_admin).then(sql_tables(query)).alias("db.tables"),
            _num("Rows_sent", r"\d+").cast(pl.Int64, strict=False).alias("db.rows_returned"),
            _num("Rows_examined", r"\d+").cast(pl.Int64, strict=False).alias("db.rows_examined"),
            seconds_to_ns(duration).alias("event.duration"),
            pl.coalesce(ip_or_null(ip), ip_or_null(host)).alias("source.ip"),
            labels_json(
                [
                    ("time_header", pl.col("_time")),
                    ("client_host", pl.coalesce(host_or_null(host), host_or_null(ip))),
                    ("priv_user", null_if_empty(uh.struct.field("user"))),
                    ("login_user", null_if_empty(uh.struct.field("cuser"))),
                    ("explain", null_if_empty(explain)),
                ],
                raw_pairs=[pairs],
            ).alias("labels"),
            pl.concat_str(
                [pl.lit("Slow query "), duration.fill_null("?"), pl.lit("s "), who, pl.lit(": "), summary]
            ).alias("message"),
        ]
