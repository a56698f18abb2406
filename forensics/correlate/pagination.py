"""Where a list page starts and how many records it holds, read from its URL or its SQL.

APIs page their collections in a handful of ways; each is recognised in the (decoded) query
string of a request labelled ``api_list``:

==============================  =============================================================
offset / limit                  ``offset``, ``start``, ``skip``, ``page[offset]`` with ``limit``,
                                ``count``, ``size``, ``per_page``, ``page_size``, ``pageSize``,
                                ``perPage``, ``page[size]``, ``page[limit]``
page number / size              ``page`` or ``page[number]`` (1-based unless a page 0 is seen)
                                with one of the sizes above: offset = (page - 1) x size
cursor                          ``after``, ``cursor``, ``next``, ``page_token``, ``pageToken``,
                                ``page[after]``, ``page[cursor]``, ``starting_after``,
                                ``continuation``, ``marker``: the page's position is unknown,
                                its size is the size parameter when there is one
==============================  =============================================================

A logged ``Range`` request header in item units (``Range: items=0-24``, not ``bytes=``) gives a
page's first and last position when the query string does not.  ``[pagination]`` in case.toml
names more parameters per role (``offset``, ``limit``, ``page``, ``cursor``).  SQL pages (``LIMIT n OFFSET m``, ``LIMIT m, n``, ``OFFSET m ROWS FETCH NEXT n
ROWS ONLY``) are read by ``sql_page``.  Nothing here estimates: ``exfil`` turns pages into
records with bounds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import polars as pl

OFFSET_PARAMS = ("offset", "start", "skip", "page[offset]")
LIMIT_PARAMS = ("limit", "count", "per_page", "size", "page_size", "pageSize", "perPage", "page[size]", "page[limit]")
PAGE_PARAMS = ("page", "page[number]")
CURSOR_PARAMS = (
    "after",
    "cursor",
    "next",
    "page_token",
    "pageToken",
    "page[after]",
    "page[cursor]",
    "starting_after",
    "continuation",
    "marker",
)
ADDS = ("api.offset", "api.limit", "api.page", "api.cursor")


def _names(defaults: Sequence[str], extra: Sequence[str]) -> str:
    """A regex alternation of parameter names (longest first, so ``page[size]`` beats ``page``)."""
    names = sorted({*defaults, *extra}, key=lambda n: (-len(n), n))
    return "|".join(re.escape(n) for n in names)


def _value(query: pl.Expr, names: str, pattern: str) -> pl.Expr:
    return query.str.extract(rf"(?:^|&)(?:{names})=({pattern})(?:&|$)", 1)


def with_pagination(web: pl.DataFrame, extra: Mapping[str, Sequence[str]] | None = None) -> pl.DataFrame:
    """Set ``api.offset``, ``api.limit``, ``api.page`` and ``api.cursor`` of list requests.

    Same rows, same order.  Needs ``url.query`` and ``activity``; replaces the offset and
    limit the activity labels read (offset/start only) with every convention above.
    """
    extra = extra or {}
    is_list = pl.col("activity") == "api_list"
    q = pl.when(is_list).then(pl.col("url.query"))
    offset = _value(q, _names(OFFSET_PARAMS, extra.get("offset", ())), r"\d{1,12}").cast(pl.Int64, strict=False)
    limit = _value(q, _names(LIMIT_PARAMS, extra.get("limit", ())), r"\d{1,9}").cast(pl.Int64, strict=False)
    page = _value(q, _names(PAGE_PARAMS, extra.get("page", ())), r"\d{1,9}").cast(pl.Int64, strict=False)
    cursor = _value(q, _names(CURSOR_PARAMS, extra.get("cursor", ())), r"[^&]+")
    out = web.with_columns(
        offset.alias("_off"), limit.alias("api.limit"), page.alias("api.page"), cursor.alias("api.cursor")
    )
    by_page = (pl.col("api.page") - 1) * pl.col("api.limit")
    out = out.with_columns(pl.coalesce(pl.col("_off"), by_page).alias("api.offset")).drop("_off")
    if "http.request.range" not in out.columns:
        return out
    # Range: items=0-24 (any unit but bytes): the page's first and last position
    rng = (
        pl.when(is_list)
        .then(pl.col("http.request.range"))
        .str.extract_groups(r"^\s*(?i:(?:items|rows|records|objects|entries|[a-z]+))=(\d{1,12})-(\d{1,12})\s*$")
    )
    unit_ok = ~pl.col("http.request.range").str.to_lowercase().str.starts_with("bytes").fill_null(True)
    first = rng.struct.field("1").cast(pl.Int64, strict=False)
    last = rng.struct.field("2").cast(pl.Int64, strict=False)
    ok = unit_ok & first.is_not_null() & (last >= first)
    return out.with_columns(
        pl.when(pl.col("api.offset").is_null() & ok).then(first).otherwise(pl.col("api.offset")).alias("api.offset"),
        pl.when(pl.col("api.limit").is_null() & ok)
        .then(last - first + 1)
        .otherwise(pl.col("api.limit"))
        .alias("api.limit"),
    )


def sql_page(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(offset, limit) of a SQL statement's page, or nulls: ``LIMIT n OFFSET m``, ``LIMIT m, n``,
    ``OFFSET m ROWS FETCH NEXT n ROWS ONLY``, ``LIMIT n`` (offset 0)."""
    q = text.str.to_lowercase()
    comma = q.str.extract_groups(r"\blimit\s+(\d+)\s*,\s*(\d+)")
    lim_off = q.str.extract_groups(r"\blimit\s+(\d+)\s+offset\s+(\d+)")
    off_fetch = q.str.extract_groups(r"\boffset\s+(\d+)\s+rows?\s+fetch\s+(?:next|first)\s+(\d+)\s+rows?")
    fetch_only = q.str.extract(r"\bfetch\s+(?:next|first)\s+(\d+)\s+rows?\s+only", 1)
    limit_only = q.str.extract(r"\blimit\s+(\d+)\s*(?:;|$|\))", 1)
    offset = pl.coalesce(
        comma.struct.field("1"),
        lim_off.struct.field("2"),
        off_fetch.struct.field("1"),
        pl.when(limit_only.is_not_null() | fetch_only.is_not_null()).then(pl.lit("0")),
    ).cast(pl.Int64, strict=False)
    limit = pl.coalesce(
        comma.struct.field("2"), lim_off.struct.field("1"), off_fetch.struct.field("2"), fetch_only, limit_only
    ).cast(pl.Int64, strict=False)
    return offset, limit
