"""Exfiltration components: API pages with a partial or empty last page, CSV rows, united record ids."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.apps.mediboard import label_activity
from forensics.correlate.exfil import _api_list, combine
from tests.correlate.builder import PYREQ, Case, utc


def _pages(total: int, limit: int = 100, per_record: int = 880, extra_empty: bool = False, full_only: bool = False):
    c = Case()
    t = utc(2024, 10, 27, 0, 0)
    stop = total if not full_only else total - total % limit
    for k, off in enumerate(range(0, stop, limit)):
        n = min(limit, total - off)
        c.web(
            t + timedelta(seconds=k),
            "203.0.113.201",
            "/api/p/patients",
            f"offset={off}&limit={limit}",
            ua=PYREQ,
            nbytes=n * per_record + 40,
        )
    if extra_empty:
        c.web(
            t + timedelta(hours=1),
            "203.0.113.201",
            "/api/p/patients",
            f"offset={stop + limit * 3}&limit={limit}",
            ua=PYREQ,
            nbytes=2,
        )
    df = c.frame().with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    return label_activity(df)


def test_partial_last_page_bounds_contain_the_table():
    for total in (4912, 4999, 4901, 250):
        comp = _api_list(_pages(total))
        assert comp.reached_end
        assert comp.low <= total <= comp.high, (total, comp)
        assert abs(comp.estimate - total) <= 1
        assert comp.high - comp.low == 99


def test_empty_page_past_the_end_is_dropped():
    comp = _api_list(_pages(4912, extra_empty=True))
    assert comp.reached_end and comp.low <= 4912 <= comp.high
    assert "empty pages" in comp.description


def test_full_last_page_is_a_floor_not_the_end():
    comp = _api_list(_pages(5000, full_only=True))
    assert not comp.reached_end
    assert comp.estimate == comp.high == 5000 and comp.low == 4901


def test_named_records_are_united_not_added():
    c = Case()
    t = utc(2024, 10, 27, 0, 0)
    for k, pid in enumerate([1, 2, 3, 2]):
        c.web(t + timedelta(seconds=k), "10.20.1.5", query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}")
    for k, pid in enumerate([3, 4]):
        c.web(t + timedelta(seconds=10 + k), "10.20.1.5", f"/api/p/patients/{pid}")
    df = label_activity(c.frame().with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)))

    class Ctx:  # exports need the database links only
        db_links = pl.DataFrame(schema={"web_row": pl.Int64, "db_row": pl.Int64, "rows_returned": pl.Int64})

    row = combine(Ctx(), "a.petit", None, df, [])  # type: ignore[arg-type]
    assert row["records"] == {"estimate": 4, "low": 4, "high": 4}
    assert row["distinct_objects"] == 4
    assert row["rows_transferred"]["estimate"] == 3 + 2  # distinct per method, added across methods
