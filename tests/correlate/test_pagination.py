"""Pagination conventions: offset, page number + size, JSON:API, cursors, SQL pages, stated item counts."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from forensics.apps.mediboard import label_activity
from forensics.config import ConfigError, config_from_dict
from forensics.correlate.exfil import _api_list, _cursor_pages
from forensics.correlate.pagination import sql_page, with_pagination
from tests.correlate.builder import PYREQ, Case, utc

PER_RECORD = 600


def _frame(queries: list[str], sizes: list[int], path: str = "/api/v1/customers", extra=None) -> pl.DataFrame:
    c = Case()
    t = utc(2024, 10, 27, 0, 0)
    for k, (q, n) in enumerate(zip(queries, sizes, strict=True)):
        c.web(t + timedelta(seconds=k), "203.0.113.201", path, q, ua=PYREQ, nbytes=n * PER_RECORD + 30)
    df = c.frame().with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    out = label_activity(df)
    assert isinstance(out, pl.DataFrame)
    return with_pagination(out, extra)


def _sizes(total: int, limit: int) -> list[int]:
    return [min(limit, total - off) for off in range(0, total, limit)]


@pytest.mark.parametrize(
    "make",
    [
        lambda off, lim, k: f"offset={off}&limit={lim}",
        lambda off, lim, k: f"start={off}&count={lim}",
        lambda off, lim, k: f"skip={off}&page_size={lim}",
        lambda off, lim, k: f"page={k + 1}&per_page={lim}",
        lambda off, lim, k: f"page={k + 1}&size={lim}",
        lambda off, lim, k: f"page={k + 1}&limit={lim}",
        lambda off, lim, k: f"page={k}&page_size={lim}",  # 0-based pages
        lambda off, lim, k: f"page[number]={k + 1}&page[size]={lim}",
        lambda off, lim, k: f"page[offset]={off}&page[limit]={lim}",
    ],
    ids=["offset", "start", "skip", "page_per_page", "page_size", "page_limit", "page0", "jsonapi", "jsonapi_offset"],
)
def test_offset_and_page_conventions_cover_the_records(make) -> None:
    total, limit = 437, 50
    queries = [make(off, limit, k) for k, off in enumerate(range(0, total, limit))]
    web = _frame(queries, _sizes(total, limit))
    comp = _api_list(web)
    assert comp is not None
    assert comp.low <= total <= comp.high
    assert abs(comp.estimate - total) <= 0.15 * total
    assert comp.reached_end


def test_case_config_names_other_parameters() -> None:
    total, limit = 230, 40
    queries = [f"from={off}&take={limit}" for off in range(0, total, limit)]
    plain = _frame(queries, _sizes(total, limit))
    assert _api_list(plain) is None  # unknown words: nothing claimed
    cfg = config_from_dict({"pagination": {"offset": ["from"], "limit": ["take"]}})
    named = _frame(queries, _sizes(total, limit), extra=cfg.pagination)
    comp = _api_list(named)
    assert comp is not None and comp.low <= total <= comp.high


def test_pagination_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="pagination"):
        config_from_dict({"pagination": {"offsets": ["from"]}})
    with pytest.raises(ConfigError, match="list of strings"):
        config_from_dict({"pagination": {"cursor": "next_token"}})


@pytest.mark.parametrize("param", ["after", "cursor", "next", "page_token", "page[after]", "starting_after"])
def test_cursor_pages_are_counted_with_honest_bounds(param: str) -> None:
    total, limit = 333, 50
    sizes = _sizes(total, limit)
    queries = [f"limit={limit}" if k == 0 else f"limit={limit}&{param}=c{k:04d}x" for k in range(len(sizes))]
    web = _frame(queries, sizes)
    assert _api_list(web) is None  # no offsets: the offset method claims nothing
    comp = _cursor_pages(web)
    assert comp is not None
    assert comp.low <= total <= comp.high
    assert comp.high - comp.low < limit
    assert abs(comp.estimate - total) <= 0.15 * total


def test_cursor_pages_without_a_size_are_bounded_by_bytes() -> None:
    sizes = [100, 100, 100, 40]
    queries = [""] + [f"cursor=abc{k}" for k in range(1, 4)]
    comp = _cursor_pages(_frame(queries, sizes))
    assert comp is not None
    assert comp.low <= sum(sizes) <= comp.high
    assert comp.low < comp.high


def test_repeated_cursor_counts_once() -> None:
    sizes = [50, 50, 50, 50, 20]
    queries = ["limit=50", "limit=50&after=A", "limit=50&after=A", "limit=50&after=B", "limit=50&after=C"]
    comp = _cursor_pages(_frame(queries, sizes))
    assert comp is not None and comp.high == 4 * 50


def test_stated_item_counts_replace_the_estimate() -> None:
    limit = 50
    sizes = [50, 50, 50, 7]
    queries = [f"page={k + 1}&per_page={limit}" for k in range(len(sizes))]
    web = _frame(queries, sizes).with_columns(pl.Series("api.items", sizes, dtype=pl.Int64))
    comp = _api_list(web)
    assert comp is not None
    assert (comp.estimate, comp.low, comp.high, comp.basis) == (157, 157, 157, "observed")
    cursor = _frame(["limit=50"] + [f"limit=50&cursor=x{k}" for k in range(1, 4)], sizes)
    comp = _cursor_pages(cursor.with_columns(pl.Series("api.items", sizes, dtype=pl.Int64)))
    assert comp is not None and (comp.low, comp.high) == (157, 157)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM customers ORDER BY id LIMIT 50 OFFSET 100", (100, 50)),
        ("select * from customers order by id limit 100, 50", (100, 50)),
        ("SELECT * FROM customers ORDER BY id OFFSET 100 ROWS FETCH NEXT 50 ROWS ONLY", (100, 50)),
        ("SELECT * FROM customers ORDER BY id LIMIT 50", (0, 50)),
        ("SELECT * FROM customers WHERE id = 4", (None, None)),
    ],
)
def test_sql_pages(sql: str, expected) -> None:
    off, lim = sql_page(pl.col("q"))
    got = pl.DataFrame({"q": [sql]}).select(off.alias("o"), lim.alias("l")).row(0)
    assert got == expected


def test_records_named_by_the_api_and_the_audit_trail_are_counted_once() -> None:
    from forensics.correlate.exfil import Component, combine

    api = Component(
        "api_records", "observed", 3, 3, 3, 3, 0, "x", objects={"customers:1", "customers:2", "customers:3"}
    )
    audit = Component(
        "audit_trail_reads", "observed", 3, 3, 3, 3, 0, "y", objects={"customer:1", "customer:2", "customer:3"}
    )
    empty = _frame(["offset=0&limit=10"], [10]).clear()
    row = combine(None, "a", None, empty, [api, audit])  # type: ignore[arg-type]
    assert row is not None and row["records"] == {"estimate": 3, "low": 3, "high": 3}


def test_range_headers_in_item_units_are_pages() -> None:
    total, limit = 180, 25
    offs = list(range(0, total, limit))
    web = _frame([""] * len(offs), _sizes(total, limit))
    headers = [f"items={o}-{o + limit - 1}" for o in offs]
    headers[1] = "bytes=0-1023"  # a byte range says nothing about records
    web = with_pagination(web.with_columns(pl.Series("http.request.range", headers)))
    assert web.get_column("api.offset").to_list() == [o if k != 1 else None for k, o in enumerate(offs)]
    comp = _api_list(web)
    assert comp is not None and comp.high <= total and comp.reached_end
