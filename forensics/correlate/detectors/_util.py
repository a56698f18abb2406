"""Small helpers shared by the detectors (formatting, evidence rows, grouping)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import polars as pl

from forensics.findings import Finding, sort_ips


def n(value: float | int | None) -> str:
    """1234567 -> ``1,234,567`` (what a report reader expects)."""
    if value is None:
        return "?"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def when(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%SZ") if ts else "?"


def rows(df: pl.DataFrame, *columns: str) -> list[int]:
    """Distinct non-null row numbers from the given columns, in order."""
    out: set[int] = set()
    for c in columns:
        if c in df.columns:
            out.update(int(v) for v in df.get_column(c).drop_nulls().to_list())
    return sorted(out)


def pair_code(first: str, second: str) -> pl.Expr:
    """One integer per distinct pair of values of two text columns: equal pairs, equal codes.

    A client is a network and a user agent. Joining the two into one new string per request
    (``net|ua``) costs the length of both texts for every request of the case, about 0.8 GB
    at 10 M requests; a code costs 8 bytes per request, since each column is coded by its
    distinct values (a categorical's physical code, u32) and the two codes are combined into
    one 64-bit integer. Only equality means anything: codes differ from run to run, so they
    are never sorted on nor written out. Null where either value is null.
    """

    def code(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.Categorical).to_physical().cast(pl.UInt64)

    return code(first) * (1 << 32) + code(second)


def in_time_order(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` ordered by ``@timestamp`` then ``_row``, sorted only when it is not already.

    The web frame comes in that order (the order of the event file), and so does anything
    filtered from it: sorting millions of requests again gathered every column for nothing.
    """
    if df.get_column("@timestamp").is_sorted() and df.get_column("_row").is_sorted():
        return df
    return df.sort("@timestamp", "_row")


def span(df: pl.DataFrame, column: str = "@timestamp", *more: str) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest time over one or more time columns (nulls ignored).

    Web requests also count from ``request.start``: a request stamped when it completed
    (nginx) began that much earlier, and the finding began with it.
    """
    if df.height == 0:
        return None, None
    extra = ("request.start",) if column == "@timestamp" else ()
    cols = [c for c in (column, *more, *extra) if c in df.columns]
    s = pl.concat([df.get_column(c).drop_nulls() for c in cols])
    if s.len() == 0:
        return None, None
    return s.min(), s.max()  # type: ignore[return-value]


def distinct(df: pl.DataFrame, column: str) -> list[str]:
    if column not in df.columns:
        return []
    return sorted(str(v) for v in df.get_column(column).drop_nulls().unique().to_list())


def ips(df: pl.DataFrame, column: str = "client.ip") -> list[str]:
    return sort_ips(df.get_column(column).drop_nulls().unique().to_list()) if column in df.columns else []


def short_list(values: Iterable[str], limit: int = 8) -> str:
    items = list(values)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


class UnionFind:
    """Disjoint sets over hashable items (campaign clustering)."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=str)] = min(ra, rb, key=str)

    def groups(self) -> list[list[object]]:
        out: dict[object, list[object]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return sorted((sorted(g, key=str) for g in out.values()), key=lambda g: str(g[0]))


def by_detector(prior: list[Finding], *names: str) -> list[Finding]:
    return [f for f in prior if f.detector in names]
