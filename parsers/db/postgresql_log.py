"""PostgreSQL stderr log with any ``log_line_prefix`` (multi-line statements, DETAIL/STATEMENT lines).

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html

The prefix comes from the source option ``log_line_prefix`` (as in ``postgresql.conf``);
without it the parser tries the common ones (pgBadger's ``'%t [%p]: [%l-1]
user=%u,db=%d,app=%a,client=%h '`` and its shorter forms with ``user=`` before or after
``db=``, ``'%m [%p] user=%u,db=%d '``, the AWS RDS default ``'%t:%r:%u@%d:[%p]:'``,
Debian's ``'%m [%p] %q%u@%d '``, ``'%m [%p] '``..., see ``pg_prefix.KNOWN_PREFIXES``) on
the first records of the file and keeps the one that reads the most of them.  The
inferred prefix is in ``state["inferred"]``: ``forensics detect`` and the manifest show it.

Record grouping: every line starts a record except a TAB continuation (PostgreSQL starts
the further lines of a message with a TAB) and a ``DETAIL:``, ``HINT:``, ``CONTEXT:``,
``QUERY:``, ``STATEMENT:`` or ``LOCATION:`` line: PostgreSQL writes a message and its
details in one piece, so they are the same backend's, and investigators want the failing
statement next to its error.  Those parts go to ``labels`` (and the STATEMENT of an ERROR
to ``db.query.text``).  A line that is neither is never glued to the message above it:
when it fits another known prefix (the configuration changed during the file's life) it
is read with that one and tagged ``log_line_prefix_mismatch``; otherwise it is a reject
that says why.

``log_error_verbosity = verbose`` writes the SQLSTATE after the level (``FATAL:  28P01:
password authentication failed...``): it goes to ``error.code`` and the message is read as
without it, so stderr and csvlog of one server give the same events.

Sessions: with a prefix that has no ``%u``/``%d``/``%h``, the account, database and client
of a backend pid come from its ``connection received`` / ``connection authorized`` lines
and are carried to its later records (tagged ``db_session_carried``).
"""

from __future__ import annotations

import re
from typing import ClassVar

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import add_tag, no_events
from parsers.db.pg_common import SECONDARY, pg_events
from parsers.db.pg_prefix import ANY_LEVEL_LINE, ANY_SECONDARY, FIRST_LEVEL, KNOWN_PREFIXES, line_pattern

_GROUPS = [
    "ts", "epoch", "user", "db", "pid", "client", "port", "session", "lnum", "tag", "sqlstate", "app",
    "btype", "qid", "vxid", "xid", "sstart",
]  # fmt: skip
#: first records a file's prefix is inferred from
DETECT_RECORDS = 5000
_PARTS = ("DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION")


@register
class PostgresqlLog(Parser):
    """PostgreSQL stderr log (any log_line_prefix, inferred when not given; multi-line; DETAIL/STATEMENT attached; pgaudit)."""

    name = "postgresql.log"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message", "server_error")
    multiline = True
    literals = ("LOG:  ", "ERROR:  ", "FATAL:  ", "WARNING:  ", "STATEMENT:  ", "NOTICE:  ")
    filenames = ("postgresql*.log", "*postgres*")
    option_keys = ("log_line_prefix",)
    #: prefixes tried, in order, when the source config gives none
    candidates: ClassVar[tuple[str, ...]] = tuple(KNOWN_PREFIXES)

    def _configured(self) -> str | None:
        prefix = self.options.get("log_line_prefix")
        return str(prefix) if prefix else None

    def record_start(self, text: pl.Expr) -> pl.Expr:
        """Every line starts a record except a TAB continuation and a DETAIL/HINT/... line.

        A line that matches no prefix at all is a record of its own (read with another
        prefix, or rejected with its reason): it is never glued to the message above it.
        """
        maybe_part = pl.when(text.str.contains(ANY_SECONDARY)).then(text)
        prefix = self._configured()
        if prefix is not None:
            level = maybe_part.str.extract(line_pattern(prefix), 1 + _group_count(prefix))
            level = pl.coalesce(level, maybe_part.str.extract(FIRST_LEVEL, 1))
        else:
            level = maybe_part.str.extract(FIRST_LEVEL, 1)
        part = level.is_in(SECONDARY).fill_null(False)
        return ~text.str.starts_with("\t") & ~part

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        prefix = self._configured() or state.get("prefix") or self._detect(records)
        if prefix is None:
            return ParseResult(
                events=no_events(),
                rejects=rejects_of(records, "no known log_line_prefix matches; set log_line_prefix for this source"),
            )
        if not self._configured():
            state["prefix"] = prefix
            state["inferred"] = {"log_line_prefix": prefix}
        pattern = line_pattern(prefix)
        recs = records.select(
            "_rec",
            "text",
            _multi=pl.col("text").str.contains("\n", literal=True),
        ).with_columns(
            _head=pl.when(pl.col("_multi"))
            .then(pl.col("text").str.splitn("\n", 2).struct.field("field_0"))
            .otherwise(pl.col("text"))
        )
        heads = recs.with_columns(_m=pl.col("_head").str.extract_groups(pattern)).unnest("_m")
        ok = heads.filter(pl.col("level").is_not_null() & ~pl.col("level").is_in(SECONDARY))
        rest = heads.filter(pl.col("level").is_null() | pl.col("level").is_in(SECONDARY))
        other, rest = _other_prefixes(rest.select("_rec", "text", "_multi", "_head"), prefix, self.candidates)
        rejects = rejects_of(
            rest, f"line matches neither log_line_prefix {prefix!r} nor another known prefix, and continues no message"
        )
        keep = [c for c in ("_rec", "text", "_multi", "level", "vstate", "msg", *_GROUPS) if c in ok.columns]
        ok = ok.select(keep).with_columns(_other=pl.lit(None, dtype=pl.String))
        if other.height:
            ok = pl.concat([ok, other], how="diagonal_relaxed").sort("_rec")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        df = ok.select(
            pl.exclude("text", "_multi", "msg", "vstate", "sqlstate"),
            pl.col("msg").alias("message"),
            pl.coalesce(*[c for c in ("sqlstate", "vstate") if c in ok.columns]).alias("sqlstate"),
        )
        multi = ok.filter(pl.col("_multi"))
        if multi.height:
            parts = _parts(multi, pattern).rename({"message": "_whole"})
            df = df.join(parts, on="_rec", how="left", maintain_order="left")
            df = df.with_columns(pl.coalesce("_whole", "message").alias("message")).drop("_whole")
        events = pg_events(df.rename({"query": "internal_query"}, strict=False), state, self.name)
        if other.height:
            # read with another known prefix: kept, and flagged so the investigator sees the change
            mismatched = pl.col("_rec").is_in(other.get_column("_rec").implode())
            events = events.with_columns(add_tag(pl.col("tags"), mismatched, "log_line_prefix_mismatch"))
        return ParseResult(events=events, rejects=rejects)

    def _detect(self, records: pl.DataFrame) -> str | None:
        """The known prefix that matches the most first lines of the first records (None if none matches)."""
        firsts = records.head(DETECT_RECORDS).select(pl.col("text").str.splitn("\n", 2).struct.field("field_0"))
        counts = firsts.select(
            [pl.col("field_0").str.contains(line_pattern(p)).sum().alias(str(i)) for i, p in enumerate(self.candidates)]
        ).row(0)
        best = max(range(len(self.candidates)), key=lambda i: (counts[i], -i))
        return self.candidates[best] if counts[best] else None


def _other_prefixes(rest: pl.DataFrame, prefix: str, candidates: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records whose first line fits another known prefix (a configuration changed in the file's life).

    Returns (read with another prefix, the prefix in ``_other``; still unread).
    """
    found = []
    for candidate in candidates:
        if rest.height == 0:
            break
        if candidate == prefix:
            continue
        m = rest.with_columns(_m=pl.col("_head").str.extract_groups(line_pattern(candidate))).unnest("_m")
        hit = pl.col("level").is_not_null() & ~pl.col("level").is_in(SECONDARY)
        if m.select(hit.any()).item():
            keep = [c for c in ("_rec", "text", "_multi", "level", "vstate", "msg", *_GROUPS) if c in m.columns]
            found.append(m.filter(hit).select(keep).with_columns(_other=pl.lit(candidate)))
            rest = m.filter(~hit).select(rest.columns)
    other = pl.concat(found, how="diagonal_relaxed") if found else pl.DataFrame(schema={"_rec": pl.Int64})
    return other, rest


def _parts(multi: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """Message, DETAIL, HINT... of multi-line records: each part with its TAB-continued lines."""
    lines = (
        multi.select("_rec", "msg", pl.col("text").str.split("\n").alias("line"))
        .explode("line")
        .with_columns(_i=pl.int_range(pl.len()).over("_rec"))
    )
    cont = (pl.col("_i") > 0) & ~pl.col("line").str.starts_with("\t")
    own = pl.when(cont).then(pl.col("line")).str.extract_groups(pattern)
    generic = pl.when(cont).then(pl.col("line")).str.extract_groups(ANY_LEVEL_LINE)
    lines = lines.with_columns(_own=own, _generic=generic).with_columns(
        _level=pl.coalesce(pl.col("_own").struct.field("level"), pl.col("_generic").struct.field("level")),
        _text=pl.coalesce(pl.col("_own").struct.field("msg"), pl.col("_generic").struct.field("msg")),
    )
    is_part = (pl.col("_i") == 0) | (cont & pl.col("_level").is_in(SECONDARY))
    kind = pl.when(pl.col("_i") == 0).then(pl.lit("MAIN")).when(is_part).then(pl.col("_level"))
    content = (
        pl.when(pl.col("_i") == 0)
        .then(pl.col("msg"))
        .when(is_part)
        .then(pl.col("_text"))
        .otherwise(pl.col("line").str.strip_prefix("\t"))
    )
    parts = (
        lines.with_columns(_kind=kind, _content=content)
        .with_columns(_part=pl.col("_kind").is_not_null().cast(pl.Int32).cum_sum().over("_rec"))
        .group_by("_rec", "_part", maintain_order=True)
        .agg(pl.col("_kind").first(), pl.col("_content").str.join("\n"))
    )
    return parts.group_by("_rec", maintain_order=True).agg(
        pl.col("_content").filter(pl.col("_kind") == "MAIN").first().alias("message"),
        *[pl.col("_content").filter(pl.col("_kind") == k).first().alias(k.lower()) for k in _PARTS],
    )


def _group_count(prefix: str) -> int:
    """Number of capture groups the prefix part of ``line_pattern`` defines (level comes next)."""
    return re.compile(line_pattern(prefix)).groups - 3
