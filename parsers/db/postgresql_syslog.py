"""PostgreSQL through syslog (``log_destination = 'syslog'``), also Heroku's logplex form.

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-SYSLOG-SEQUENCE-NUMBERS,
https://devcenter.heroku.com/articles/postgres-logs-errors

PostgreSQL hands each report to syslog cut into lines, each with ``[N-k]``: N counts the
reports of the process, k the lines of one report (``syslog_sequence_numbers``, on by
default).  A report's message, its TAB-continued lines and its DETAIL/HINT/STATEMENT
lines (each with the ``log_line_prefix`` again) share N; a line longer than
``syslog_split_messages`` allows is cut into further parts.  rsyslog writes the TAB as
``#011``.  So::

    Mar  2 10:15:01 db1 postgres[4711]: [7-1] user=ward_app,db=wards LOG:  statement: SELECT name
    Mar  2 10:15:01 db1 postgres[4711]: [7-2] #011FROM beds
    2025-03-02T10:15:01.250000+00:00 app[postgres.4711]: [DATABASE] [7-1] sql_error_code = 28P01 FATAL:  ...
    <134>1 2025-03-02T10:15:01+00:00 host app postgres.4711 - [DATABASE] [7-1] sql_error_code = ...

A record is a ``[N-1]`` line with the parts after it.  Each record is turned back into
what the stderr log would hold after the syslog header (continuation lines with their
TAB, DETAIL lines, parts of a cut line joined) and read like the stderr log with the
``log_line_prefix`` of the source or one inferred from the file (the usual syslog ones:
``user=%u,db=%d,app=%a,client=%h ``, Heroku's ``sql_error_code = %e ``, Debian's
``%m [%p] %q%u@%d ``, none at all...).  The time is the syslog header's unless the prefix
has its own (``%m``, ``%t``: they carry the year and zone); a BSD header has no year
(``year_missing``, the engine decides it) and no zone.  The process id is the syslog
header's (``postgres[4711]``, Heroku's ``postgres.4711``) when the prefix has none; the
syslog host goes to ``host.name``.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from parsers.base import MONTHS, ParseResult, ParserState, offset_seconds, register, rejects_of
from parsers.db.common import add_tag, json_quote, no_events
from parsers.db.pg_common import SECONDARY
from parsers.db.pg_prefix import ANY_SECONDARY, FIRST_LEVEL, KNOWN_PREFIXES
from parsers.db.postgresql_log import PostgresqlLog

_MON = "|".join(MONTHS)
#: the syslog header up to ``[N-k]`` and the space after it, all of it in ``head``: the body
#: is the rest of the line, cut off by its length rather than captured (a capture of the whole
#: line makes the regex engine walk every character of the message again)
HEAD = (
    r"^(?P<head>(?:<\d{1,3}>)?(?:(?P<bsd>(?:" + _MON + r") {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?)"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?P<tz>Z|[+-]\d\d:?\d\d)) "
    r"(?:(?P<host>[^\s\[]+) )?(?P<ident>[^\s\[:]+)\[(?P<spid>[^\]\s]+)\]: "
    r"(?:\[(?P<color>[A-Z][A-Z0-9_]*)\] )?\[(?P<seq>\d+)-(?P<part>\d+)\] ?)"
)
#: the same header with the body captured: what ``_header`` returns, as one regex (tests compare them)
HEADER = HEAD.removesuffix(")").replace("(?P<head>", "", 1) + r"(?P<body>.*)$"
#: prefixes people set with syslog (the header already has time and pid), then the stderr ones
SYSLOG_PREFIXES = (
    "user=%u,db=%d,app=%a,client=%h ",
    "db=%d,user=%u,app=%a,client=%h ",
    "user=%u,db=%d ",
    "db=%d,user=%u ",
    "sql_error_code = %e ",
    "%u@%d ",
    "%q%u@%d ",
    *KNOWN_PREFIXES,
    "",
)
_TAB = ("#011", "\t")
#: an RFC 5424 header (rsyslog's RFC 5424 templates, Heroku's logplex drains) rewritten to the
#: ISO form above: ``<134>1 TIME HOST APP PROCID MSGID [SD] `` -> ``TIME HOST APP[PROCID]: ``
RFC5424 = r"^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) \S+ (?:- )?"


def _rfc3164(text: pl.Expr) -> pl.Expr:
    """A line with an RFC 5424 header rewritten to the form ``HEAD`` reads."""
    return text.str.replace(RFC5424, "$1 $2 $3[$4]: ")


def _header(text: pl.Expr) -> pl.Expr:
    """``HEAD``'s groups of a line (RFC 5424 headers included), ``head`` being the whole header."""
    return _rfc3164(text).str.extract_groups(HEAD)


def _body(text: pl.Expr, head: pl.Expr) -> pl.Expr:
    """The line after its header (null when the header did not match)."""
    return _rfc3164(text).str.slice(head.str.len_chars())


def header_frame(lines: pl.DataFrame, column: str) -> pl.DataFrame:
    """``lines`` with ``HEADER``'s columns (``bsd`` ... ``part``, ``body``) read from ``column``."""
    return (
        lines.with_columns(_h=_header(pl.col(column)))
        .unnest("_h")
        .with_columns(body=_body(pl.col(column), pl.col("head")))
        .drop("head")
    )


@register
class PostgresqlSyslog(PostgresqlLog):
    """PostgreSQL through syslog or Heroku logplex ([N-k] line parts joined; any log_line_prefix; db.* fields)."""

    name = "postgresql.syslog"
    literals = ("-1] ",)
    filenames = ()
    candidates: ClassVar[tuple[str, ...]] = SYSLOG_PREFIXES

    def record_start(self, text: pl.Expr) -> pl.Expr:
        """A ``[N-1]`` line starts a record; the parts ``[N-k]`` (k > 1) continue it."""
        head = _header(text)
        body = _body(text, head.struct.field("head"))
        later_part = (head.struct.field("part") != "1").fill_null(False)
        level = pl.when(body.str.contains(ANY_SECONDARY)).then(body).str.extract(FIRST_LEVEL, 1)
        return ~later_part & ~level.is_in(SECONDARY).fill_null(False)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        # most records are one line: only the others are cut into lines and joined back
        # (``_pos`` keeps the records' own order)
        several = pl.col("text").str.contains("\n", literal=True)
        records = records.with_row_index("_pos")
        one = records.filter(~several).select(
            "_pos", "_rec", pl.col("text").alias("line"), _i=pl.lit(0, dtype=pl.Int64)
        )
        many = (
            records.filter(several)
            .select("_pos", "_rec", pl.col("text").str.split("\n").alias("line"))
            .explode("line")
            .with_columns(_i=pl.int_range(pl.len()).over("_rec"))
        )
        lines = header_frame(pl.concat([one, many]).sort("_pos", maintain_order=True), "line")
        firsts = lines.filter(pl.col("_i") == 0)
        unread = firsts.filter(pl.col("body").is_null()).select("_rec")
        unread = unread.vstack(
            lines.filter((pl.col("_i") > 0) & pl.col("body").is_null()).select("_rec").unique(maintain_order=True)
        ).unique(maintain_order=True)
        rejects = rejects_of(unread, "not a PostgreSQL syslog line ([N-k] after the syslog header)")
        lines = lines.join(unread, on="_rec", how="anti")
        if lines.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        body = pl.col("body")
        tabbed = pl.any_horizontal([body.str.starts_with(t) for t in _TAB])
        detail = body.str.contains(ANY_SECONDARY) & pl.when(body.str.contains(ANY_SECONDARY)).then(body).str.extract(
            FIRST_LEVEL, 1
        ).is_in(SECONDARY).fill_null(False)
        piece = (
            pl.when(pl.col("_i") == 0)
            .then(body)
            .when(tabbed)
            .then(pl.concat_str([pl.lit("\n\t"), body.str.strip_prefix("#011").str.strip_prefix("\t")]))
            .when(detail | (pl.col("part") == "1"))
            .then(pl.concat_str([pl.lit("\n"), body]))
            .otherwise(body)  # a line cut for length: its parts join without a new line
        )
        cut = pl.col("_pos").is_in(many.get_column("_pos").unique().implode())
        joined = (
            lines.filter(cut)
            .group_by("_pos", maintain_order=True)
            .agg(pl.col("_rec").first(), piece.str.join("").alias("text"))
        )
        alone = lines.filter(~cut).select("_pos", "_rec", pl.col("body").alias("text"))
        texts = pl.concat([alone, joined]).sort("_pos").drop("_pos")
        heads = firsts.join(unread, on="_rec", how="anti").select(
            "_rec", "bsd", "iso", "tz", "host", "ident", "spid", "color"
        )
        result = super().parse(texts, state)
        events = result.events
        if events.height:
            events = self._syslog_fields(events, heads)
        return ParseResult(events=events, rejects=pl.concat([rejects, result.rejects]), meta=result.meta)

    @staticmethod
    def _syslog_fields(events: pl.DataFrame, heads: pl.DataFrame) -> pl.DataFrame:
        """Time, pid and host from the syslog header where the prefix gave none."""
        month = pl.col("bsd").str.slice(0, 3).replace_strict({k: f"{v:02d}" for k, v in MONTHS.items()}, default=None)
        day_clock = pl.col("bsd").str.slice(4).str.strip_chars_start(" ")
        bsd_ts = pl.concat_str([pl.lit("2000-"), month, pl.lit("-"), day_clock.str.zfill(2)]).str.to_datetime(
            "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
        )
        bsd_ts = (
            pl.when(day_clock.str.contains(r"^\d "))
            .then(
                pl.concat_str([pl.lit("2000-"), month, pl.lit("-0"), day_clock]).str.to_datetime(
                    "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
                )
            )
            .otherwise(bsd_ts)
        )
        iso_ts = pl.col("iso").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
        heads = heads.with_columns(
            _sts=pl.coalesce(iso_ts, bsd_ts),
            _soff=pl.when(pl.col("iso").is_not_null()).then(offset_seconds(pl.col("tz"))),
            _sorig=pl.coalesce(pl.concat_str([pl.col("iso"), pl.col("tz")]), pl.col("bsd")),
            _spid=pl.col("spid").str.extract(r"(\d+)$", 1).cast(pl.Int64, strict=False),
        )
        events = events.join(heads, on="_rec", how="left", maintain_order="left")
        own = pl.col("time.original").is_not_null()
        no_year = ~own & pl.col("bsd").is_not_null()
        if "time.flags" not in events.columns:
            events = events.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"))
        labels = pl.concat_str(
            [
                pl.col("labels").fill_null("{}").str.strip_suffix("}"),
                pl.when(pl.col("labels").is_null() | (pl.col("labels") == "{}"))
                .then(pl.lit(""))
                .otherwise(pl.lit(",")),
                pl.lit('"syslog_ident":'),
                json_quote(pl.col("ident")),
                pl.when(pl.col("color").is_not_null())
                .then(pl.concat_str([pl.lit(',"heroku_database":'), json_quote(pl.col("color"))]))
                .otherwise(pl.lit("")),
                pl.lit("}"),
            ]
        )
        return events.with_columns(
            pl.when(own).then(pl.col("_ts")).otherwise(pl.col("_sts")).alias("_ts"),
            pl.when(own).then(pl.col("_offset")).otherwise(pl.col("_soff")).alias("_offset"),
            pl.when(own).then(pl.col("time.original")).otherwise(pl.col("_sorig")).alias("time.original"),
            pl.coalesce(pl.col("db.connection_id"), pl.col("_spid")).alias("db.connection_id"),
            pl.col("host").alias("host.name"),
            add_tag(pl.col("time.flags"), no_year, "year_missing").alias("time.flags"),
            labels.alias("labels"),
        ).drop("bsd", "iso", "tz", "host", "ident", "spid", "color", "_sts", "_soff", "_sorig", "_spid")
