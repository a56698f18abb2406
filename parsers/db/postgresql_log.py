"""PostgreSQL stderr log with any ``log_line_prefix`` (multi-line statements, DETAIL/STATEMENT lines).

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html

The prefix comes from the source option ``log_line_prefix`` (as in ``postgresql.conf``);
without it the parser tries the common ones (``'%m [%p] '``, Debian's ``'%m [%p] %q%u@%d '``,
pgBadger's ``'%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '`` and a few more, see
``pg_prefix.KNOWN_PREFIXES``) and keeps, per file, the one that reads the most lines.

Record grouping: a record starts at a prefixed line whose severity is a message level
(LOG, ERROR, FATAL...).  Lines continuing a message (PostgreSQL starts them with a tab)
and the ``DETAIL:``, ``HINT:``, ``CONTEXT:``, ``QUERY:``, ``STATEMENT:``, ``LOCATION:``
lines that follow it belong to it: PostgreSQL writes a message and its details in one
piece, so they are the same backend's, and investigators want the failing statement next
to its error.  Those parts go to ``labels`` (and the STATEMENT of an ERROR to
``db.query.text``).

Sessions: with a prefix that has no ``%u``/``%d``/``%h``, the account, database and client
of a backend pid come from its ``connection received`` / ``connection authorized`` lines
and are carried to its later records (tagged ``db_session_carried``).
"""

from __future__ import annotations

import re

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import no_events
from parsers.db.pg_common import SECONDARY, pg_events
from parsers.db.pg_prefix import FIRST_LEVEL, GENERIC_START, KNOWN_PREFIXES, line_pattern

_GROUPS = [
    "ts", "epoch", "user", "db", "pid", "client", "port", "session", "lnum", "tag", "sqlstate", "app",
    "btype", "qid", "vxid", "xid", "sstart",
]  # fmt: skip


@register
class PostgresqlLog(Parser):
    """PostgreSQL stderr log (any log_line_prefix; multi-line; DETAIL/STATEMENT attached; pgaudit)."""

    name = "postgresql.log"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message", "server_error")
    multiline = True
    literals = ("LOG:  ", "ERROR:  ", "FATAL:  ", "WARNING:  ", "STATEMENT:  ", "NOTICE:  ")
    filenames = ("postgresql*.log", "*postgres*")
    option_keys = ("log_line_prefix",)

    def _configured(self) -> str | None:
        prefix = self.options.get("log_line_prefix")
        return str(prefix) if prefix else None

    def record_start(self, text: pl.Expr) -> pl.Expr:
        prefix = self._configured()
        if prefix is not None:
            level = text.str.extract(line_pattern(prefix), 1 + _group_count(prefix))
            return level.is_not_null() & ~level.is_in(SECONDARY)
        first_level = text.str.extract(FIRST_LEVEL, 1)
        return text.str.contains(GENERIC_START) & first_level.is_not_null() & ~first_level.is_in(SECONDARY)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        prefix = self._configured() or state.get("prefix") or self._detect(records)
        if prefix is None:
            return ParseResult(
                events=no_events(),
                rejects=rejects_of(records, "no known log_line_prefix matches; set log_line_prefix for this source"),
            )
        if not self._configured():
            state["prefix"] = prefix
        pattern = line_pattern(prefix)
        lines = (
            records.select("_rec", pl.col("text").str.split("\n").alias("line"))
            .explode("line")
            .with_columns(_i=pl.int_range(pl.len()).over("_rec"))
        )
        m = pl.col("line").str.extract_groups(pattern)
        lines = lines.with_columns(_m=m).unnest("_m")
        first = lines.filter(pl.col("_i") == 0)
        ok_recs = first.filter(pl.col("level").is_not_null())
        bad = first.filter(pl.col("level").is_null())
        rejects = rejects_of(bad, f"first line does not match log_line_prefix {prefix!r}")
        if ok_recs.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        # parts: the message, its tab-continued lines, and each DETAIL/HINT/... with its own continuations
        rest = lines.join(ok_recs.select("_rec"), on="_rec", how="semi")
        is_part = (pl.col("_i") == 0) | (pl.col("level").is_in(SECONDARY) & ~pl.col("line").str.starts_with("\t"))
        kind = pl.when(pl.col("_i") == 0).then(pl.lit("MAIN")).when(is_part).then(pl.col("level"))
        content = pl.when(is_part).then(pl.col("msg")).otherwise(pl.col("line").str.strip_prefix("\t"))
        parts = (
            rest.with_columns(_kind=kind, _content=content)
            .with_columns(_part=pl.col("_kind").is_not_null().cast(pl.Int32).cum_sum().over("_rec"))
            .group_by("_rec", "_part", maintain_order=True)
            .agg(pl.col("_kind").first(), pl.col("_content").str.join("\n"))
        )
        texts = parts.group_by("_rec", maintain_order=True).agg(
            pl.col("_content").filter(pl.col("_kind") == "MAIN").first().alias("message"),
            *[
                pl.col("_content").filter(pl.col("_kind") == k).first().alias(k.lower())
                for k in ("DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION")
            ],
        )
        heads = ok_recs.select("_rec", "level", *[c for c in _GROUPS if c in ok_recs.columns])
        df = heads.join(texts, on="_rec", how="left", maintain_order="left").rename({"query": "internal_query"})
        return ParseResult(events=pg_events(df, state, self.name), rejects=rejects)

    @staticmethod
    def _detect(records: pl.DataFrame) -> str | None:
        """The known prefix that matches the most first lines (None if none matches any)."""
        firsts = records.select(pl.col("text").str.split("\n").list.first().alias("t"))
        best, best_n = None, 0
        for prefix in KNOWN_PREFIXES:
            n = firsts.select(pl.col("t").str.contains(line_pattern(prefix)).sum()).item()
            if n > best_n:
                best, best_n = prefix, n
        return best


def _group_count(prefix: str) -> int:
    """Number of capture groups the prefix part of ``line_pattern`` defines (level comes next)."""
    return re.compile(line_pattern(prefix)).groups - 2
