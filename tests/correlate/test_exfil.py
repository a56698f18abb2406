"""Exfiltration components: API pages with a partial or empty last page, CSV rows, united record ids."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.apps.mediboard import PATIENT_TABLES, label_activity
from forensics.correlate.dblinks import query_shape
from forensics.correlate.exfil import _api_list, _record_reads, combine
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


def _exports_case(named: bool):
    """Two monthly exports of one session; four patients had stays in both months."""
    c = Case()
    t = utc(2024, 10, 24, 7, 18)
    months = [list(range(1, 11)), list(range(7, 17))]  # 7..10 in both
    for k, (m, ids) in enumerate(zip(("09", "08"), months, strict=True)):
        q = f"m=dPpatients&raw=ajax_export_patients_csv&date_min=2024-{m}-01&date_max=2024-{m}-30&all_prats=on"
        c.web(t + timedelta(minutes=k), "203.0.113.40", query=q, nbytes=len(ids) * 650 + 1187)
    web = label_activity(c.frame().with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)))
    web = web.with_columns(pl.lit("o.chevalier").alias("account"))
    rows = web.filter(pl.col("activity") == "export").get_column("_row").to_list()
    sql = [
        "SELECT * FROM `patients` WHERE (`patient_id` IN (" + ",".join(f"'{i}'" for i in ids) + ("))" if named else "")
        for ids in months
    ]

    class Ctx:
        db = query_shape(
            pl.DataFrame(
                {
                    "_row": [1000, 1001],
                    "db.query.text": sql,
                    "db.rows_returned": [len(m) for m in months],
                    "db.tables": [["patients"], ["patients"]],
                }
            ),
            record_tables=PATIENT_TABLES,
            record_id_columns=("patient_id",),
        )
        db_links = pl.DataFrame(
            {"web_row": rows, "db_row": [1000, 1001], "rows_returned": [len(m) for m in months]},
            schema={"web_row": pl.Int64, "db_row": pl.Int64, "rows_returned": pl.Int64},
        )

    return combine(Ctx(), "o.chevalier", None, web, [])  # type: ignore[arg-type]


def test_exports_named_by_their_queries_count_a_record_in_two_date_ranges_once():
    row = _exports_case(named=True)
    assert row["records"] == {"estimate": 16, "low": 16, "high": 16}
    assert row["rows_transferred"]["estimate"] == 20  # the repeats were sent twice


def test_counted_exports_prove_only_their_largest_one():
    """Without the records' names, two exports may hold the same patients: 10 are certain, 20 at most."""
    row = _exports_case(named=False)
    assert row["records"]["low"] == 10 and row["records"]["high"] == 20
    assert row["records"]["low"] <= 16 <= row["records"]["high"]


def test_audit_reads_stored_without_an_address_only_raise_the_high_bound():
    """The owner reads at the same hours; a trail that keeps no address cannot tell whose reads they are."""
    c = Case()
    t = utc(2024, 10, 24, 7, 17)
    for k, pid in enumerate(range(1, 6)):
        c.web(t + timedelta(seconds=k), "203.0.113.80", query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}")
    web = label_activity(c.frame().with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)))
    web = web.with_columns(pl.lit("o.chevalier").alias("account"))
    hour = utc(2024, 10, 24, 7, 0)
    app = pl.DataFrame(
        {
            "_row": list(range(100, 108)),
            "@timestamp": [hour] * 8,
            "event.action": ["record_read"] * 8,
            "account": ["o.chevalier"] * 8,
            "object.type": ["CPatient"] * 8,
            "object.id": [str(i) for i in (1, 2, 3, 4, 5, 41, 42, 43)],  # 41-43: the owner's own reads
            "client.ip": [None] * 8,
            "session.app": [None] * 8,
        },
        schema_overrides={"client.ip": pl.String, "session.app": pl.String},
    )

    class Ctx:
        db_links = pl.DataFrame(schema={"web_row": pl.Int64, "db_row": pl.Int64, "rows_returned": pl.Int64})

    Ctx.app = app  # type: ignore[attr-defined]
    reads = _record_reads(Ctx(), "o.chevalier", hour, hour + timedelta(hours=1), ["203.0.113.80"])  # type: ignore[arg-type]
    assert reads is not None and reads.objects == set() and len(reads.possible) == 8
    row = combine(Ctx(), "o.chevalier", None, web, [reads])  # type: ignore[arg-type]
    assert row["records"] == {"estimate": 5, "low": 5, "high": 8}
