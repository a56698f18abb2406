"""The repeated DST hour: where the changes are, and how order decides the pass of a record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.time import dst, zones
from forensics.time.zones import ZoneDecision, localize_all

PARIS = ZoneDecision("Europe/Paris", "source")


@pytest.mark.parametrize(
    ("zone", "year", "want"),
    [
        ("Europe/Paris", 2024, [(datetime(2024, 10, 27, 2), datetime(2024, 10, 27, 3))]),
        ("America/New_York", 2024, [(datetime(2024, 11, 3, 1), datetime(2024, 11, 3, 2))]),
        ("Australia/Sydney", 2024, [(datetime(2024, 4, 7, 2), datetime(2024, 4, 7, 3))]),
        ("Australia/Lord_Howe", 2024, [(datetime(2024, 4, 7, 1, 30), datetime(2024, 4, 7, 2))]),  # 30 min
        ("UTC", 2024, []),
        ("Asia/Kolkata", 2024, []),
        ("Not/AZone", 2024, []),
    ],
)
def test_fall_back_windows(zone: str, year: int, want: list) -> None:
    assert list(dst.fall_back_windows(zone, year)) == want


def _frame(local: list[str], ids: list[int | None] | None = None) -> pl.DataFrame:
    ts = [datetime.fromisoformat(t) for t in local]
    return pl.DataFrame(
        {"_ts": ts, "_order": ids if ids is not None else [None] * len(ts), "time.original": local},
        schema={"_ts": pl.Datetime("us"), "_order": pl.Int64, "time.original": pl.String},
    )


def _utc(df: pl.DataFrame) -> list[str]:
    return [t.strftime("%H:%M") for t in df.get_column("time.recorded").to_list()]


def _flags(df: pl.DataFrame) -> list[str]:
    return [next((f for f in flags if f.startswith("dst_")), "") for flags in df.get_column("time.flags").to_list()]


def test_dense_log_is_resolved_at_the_step_back() -> None:
    df = localize_all(_frame(["2024-10-27 02:50", "2024-10-27 02:59", "2024-10-27 02:00", "2024-10-27 02:10"]), PARIS)
    assert _utc(df) == ["00:50", "00:59", "01:00", "01:10"]
    assert _flags(df) == ["dst_ambiguous_resolved"] * 4
    assert df.get_column("time.earliest").null_count() == 4


def test_records_before_the_step_are_proven_first_pass() -> None:
    # two records in the first pass, then a step back of 20 minutes: both readings of the
    # first two that would put them in the second pass make time go back
    df = localize_all(_frame(["2024-10-27 02:10", "2024-10-27 02:40", "2024-10-27 02:20"]), PARIS)
    assert _utc(df) == ["00:10", "00:40", "01:20"]
    assert _flags(df) == ["dst_ambiguous_resolved"] * 3


def test_a_small_step_back_is_not_enough() -> None:
    # 02:40 then 02:35: a late write or the change? Within the reordering tolerance: undecided
    df = localize_all(_frame(["2024-10-27 02:40", "2024-10-27 02:35"]), PARIS)
    assert _flags(df) == ["dst_ambiguous", "dst_ambiguous"]
    assert [t.strftime("%H:%M") for t in df.get_column("time.earliest").to_list()] == ["00:40", "00:35"]
    assert [t.strftime("%H:%M") for t in df.get_column("time.latest").to_list()] == ["01:40", "01:35"]
    assert _utc(df) == ["00:40", "00:35"]  # the earlier instant, flagged


def test_records_that_never_go_back_stay_ambiguous() -> None:
    # neighbours outside the hour do not tell which pass the records are in
    df = localize_all(_frame(["2024-10-27 01:50", "2024-10-27 02:10", "2024-10-27 02:20", "2024-10-27 03:30"]), PARIS)
    assert _flags(df) == ["", "dst_ambiguous", "dst_ambiguous", ""]


def test_reordering_within_tolerance_is_tolerated() -> None:
    # a record written two minutes late in the first pass does not hide the change
    df = localize_all(
        _frame(["2024-10-27 02:30", "2024-10-27 02:28", "2024-10-27 02:58", "2024-10-27 02:03", "2024-10-27 02:20"]),
        PARIS,
    )
    assert _utc(df) == ["00:30", "00:28", "00:58", "01:03", "01:20"]
    assert _flags(df) == ["dst_ambiguous_resolved"] * 5


def test_ids_decide_when_file_order_cannot() -> None:
    # the two 02:15:26 of the sample case: only the ids tell them apart
    local = ["2024-10-27 02:15:26", "2024-10-27 02:15:26", "2024-10-27 02:59:00"]
    df = localize_all(_frame(local, ids=[89412290, 88930012, 88990000]), PARIS)
    assert [t.strftime("%H:%M:%S") for t in df.get_column("time.recorded").to_list()] == [
        "01:15:26",
        "00:15:26",
        "00:59:00",
    ]
    assert _flags(df) == ["dst_ambiguous_resolved"] * 3


def test_file_order_and_ids_in_conflict_decide_nothing() -> None:
    minutes = (50, 10, 40)  # p, q, r in file order
    rows = pl.DataFrame(
        {
            "log.file.path": ["f"] * 3,
            "event.id": ["p", "q", "r"],
            "_w": [datetime(2024, 10, 27, 2)] * 3,
            "_seq": [0, 1, 2],
            "_order": [20, 30, 10],  # ids say r, p, q
            "_early": [datetime(2024, 10, 27, 0, m, tzinfo=UTC) for m in minutes],
            "_late": [datetime(2024, 10, 27, 1, m, tzinfo=UTC) for m in minutes],
            "_amb": [True] * 3,
        },
        schema=dst.WINDOW_ROW_SCHEMA,
    )
    v = dst.resolve_fall_back(rows)
    # file order: p first pass, then q and r second; ids: r and p first, then q second
    assert v.get_column("_late_pass").to_list() == [False, True, None]
    assert v.get_column("_by").to_list() == ["file_order+ids", "file_order+ids", ""]
    assert v.get_column("_conflict").to_list() == [False, False, True]


def test_two_changes_in_one_source_are_decided_separately() -> None:
    local = ["2023-10-29 02:40", "2023-10-29 02:10", "2024-10-27 02:10", "2024-10-27 02:20"]
    df = localize_all(_frame(local), PARIS)
    assert _flags(df) == ["dst_ambiguous_resolved", "dst_ambiguous_resolved", "dst_ambiguous", "dst_ambiguous"]


def test_spring_forward_uses_the_offset_before_the_change() -> None:
    df = localize_all(_frame(["2024-03-31 02:30", "2024-03-10 02:30"]), PARIS)
    assert _utc(df) == ["01:30", "01:30"]
    assert _flags(df) == ["dst_nonexistent", ""]
    ny = localize_all(_frame(["2024-03-10 02:30"]), ZoneDecision("America/New_York", "case"))
    assert _utc(ny) == ["07:30"]  # EST (-05:00), the offset before the change
    assert _flags(ny) == ["dst_nonexistent"]


def test_ambiguous_instants_are_an_hour_apart_and_read_back_the_same() -> None:
    df = localize_all(_frame(["2024-10-27 02:30"]), PARIS)
    row = df.row(0, named=True)
    assert row["time.latest"] - row["time.earliest"] == timedelta(hours=1)
    paris = ZoneInfo("Europe/Paris")
    walls = {row[c].astimezone(paris).strftime("%Y-%m-%d %H:%M") for c in ("time.earliest", "time.latest")}
    assert walls == {"2024-10-27 02:30"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 2)), min_size=1, max_size=15, unique=True), st.integers(0, 50)
)
def test_source_order_rank_follows_offset_then_sub(keys: list[tuple[int, int]], base: int) -> None:
    # _seq is the position of a row in (log.offset, _sub) order, whether offsets repeat or not
    df = pl.DataFrame(
        {
            "_ts": [datetime(2024, 10, 27, 1, 0)] * len(keys),
            "log.offset": [k[0] * 100 for k in keys],
            "_sub": [k[1] for k in keys],
        },
        schema={"_ts": pl.Datetime("us"), "log.offset": pl.Int64, "_sub": pl.Int64},
    )
    state = {"seq": base}
    seq = zones._prepare(df, state).get_column("_seq").to_list()
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    assert [seq[i] for i in order] == list(range(base, base + len(keys)))
    assert state["seq"] == base + len(keys)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-14 * 3600, 14 * 3600)), max_size=20))
def test_zone_names_per_distinct_offset_equal_per_row_formatting(offsets: list[int | None]) -> None:
    df = pl.DataFrame({"_offset": offsets}, schema={"_offset": pl.Int32})
    fast = df.select(zones._offset_names(df)).to_series()
    per_row = df.select(zones._format_offset(pl.col("_offset"))).to_series()
    assert fast.to_list() == per_row.to_list()
    assert fast.dtype == pl.String
