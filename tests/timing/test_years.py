"""Year inference for timestamps written without a year, through the real engine and alone."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from forensics.config import SourceConfig
from forensics.time.years import SourceSpan, choose_year, mark_rollover
from tests.timing.helpers import DATA, check_expected, expected, iso, run

# (format, fixture, expected): yearless formats; add syslog (RFC 3164) and yearless error logs here
YEARLESS_FALL_BACK = [
    ("test.yearless", "yearless_fallback.log", "yearless_fallback.log.expected.json"),
    ("syslog", "formats/syslog_fallback", "formats/syslog_fallback.expected.json"),
]
YEARLESS_SPRING = [
    ("test.yearless", "yearless_spring.log", "yearless_spring.log.expected.json"),
    ("syslog", "formats/syslog_spring", "formats/syslog_spring.expected.json"),
]
YEARLESS_FORMATS = ["test.yearless", "syslog"]


def _src(fmt: str, tz: str | None = "UTC", year: int | None = None, host: str = "app01", path: str = "**"):
    options = {"year": year} if year is not None else {}
    return SourceConfig(path=path, format=fmt, host=host, timezone=tz, options=options)


def _recorded(events: pl.DataFrame) -> list[str]:
    return [iso(t) for t in events.sort("log.file.line").get_column("time.recorded").to_list()]  # type: ignore[misc]


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_new_year_inside_one_file(fmt: str, tmp_path: Path) -> None:
    events, manifest = run({"app01/syslog": DATA / "yearless_new_year.log"}, tmp_path, sources=(_src(fmt, year=2024),))
    assert _recorded(events) == [
        "2024-12-31T23:59:58Z",
        "2024-12-31T23:59:59Z",
        "2025-01-01T00:00:00Z",
        "2024-12-31T23:59:59Z",  # written late: the old year, not the next one
        "2025-01-01T00:00:02Z",
    ]
    assert all(f == ["year_inferred"] for f in events.get_column("time.flags").to_list())
    info = manifest["sources"][0]["year_inference"]
    assert info["year_of_first_record"] == 2024
    assert info["basis"] == "config"
    assert info["new_years_in_source"] == 1
    assert manifest["totals"]["year_inferred"] == 5
    assert "year_missing" not in manifest["sources"][0]["time_flags"]


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_new_year_across_rotated_files(fmt: str, tmp_path: Path) -> None:
    files = {
        "app01/syslog.1": "Dec 30 10:00:00 app01 a\nDec 31 23:59:00 app01 b\n",
        "app01/syslog": "Jan  1 00:01:00 app01 c\nJan  2 08:00:00 app01 d\n",
    }
    events, _ = run(files, tmp_path, sources=(_src(fmt, year=2023),))
    got = {
        (p.rsplit("/", 1)[-1], line): iso(t)
        for p, line, t in events.select("log.file.path", "log.file.line", "time.recorded").iter_rows()
    }
    assert got == {
        ("syslog.1", 1): "2023-12-30T10:00:00Z",
        ("syslog.1", 2): "2023-12-31T23:59:00Z",
        ("syslog", 1): "2024-01-01T00:01:00Z",
        ("syslog", 2): "2024-01-02T08:00:00Z",
    }


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_year_from_dated_source_of_the_same_host(fmt: str, tmp_path: Path) -> None:
    files = {
        "app01/syslog": "Oct 27 00:41:41 app01 php: export\n",
        "app01/app.log": "2023-10-26 23:00:00 app01 dated\n2023-10-27 01:00:00 app01 dated\n",
        "db02/audit.log": "2019-10-27 00:00:00 other host, other year\n",
    }
    sources = (
        _src(fmt, path="app01/syslog"),
        _src("test.naive", path="app01/app.log"),
        _src("test.naive", path="db02/audit.log", host="db02"),
    )
    events, manifest = run(files, tmp_path, sources=sources)
    row = events.filter(pl.col("event.dataset") == fmt).row(0, named=True)
    assert iso(row["time.recorded"]) == "2023-10-27T00:41:41Z"
    info = next(s for s in manifest["sources"] if s["parser"] == fmt)["year_inference"]
    assert info["basis"] == "host"


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_year_from_the_case_span(fmt: str, tmp_path: Path) -> None:
    files = {
        "app01/syslog": "Dec 31 23:00:00 app01 a\nJan  1 01:00:00 app01 b\n",
        "rp01/access.log": "2022-12-30 10:00:00 proxy\n2023-01-02 10:00:00 proxy\n",
    }
    sources = (_src(fmt, path="app01/syslog"), _src("test.naive", path="rp01/*", host="rp01"))
    events, manifest = run(files, tmp_path, sources=sources)
    got = _recorded(events.filter(pl.col("event.dataset") == fmt))
    assert got == ["2022-12-31T23:00:00Z", "2023-01-01T01:00:00Z"]
    info = next(s for s in manifest["sources"] if s["parser"] == fmt)["year_inference"]
    assert info["basis"] == "case"


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_year_from_the_file_time(fmt: str, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence" / "app01"
    evidence.mkdir(parents=True)
    log = evidence / "syslog"
    log.write_text("Dec 30 10:00:00 app01 a\nJan  2 08:00:00 app01 b\n")
    stamp = datetime(2022, 1, 3, 12, 0, tzinfo=UTC).timestamp()
    os.utime(log, (stamp, stamp))
    events, manifest = run({}, tmp_path, sources=(_src(fmt),))
    assert _recorded(events) == ["2021-12-30T10:00:00Z", "2022-01-02T08:00:00Z"]
    src = manifest["sources"][0]
    assert src["year_inference"]["basis"] == "file_mtime"
    assert any("weak evidence" in w for w in manifest["warnings"])


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_year_from_awareness(fmt: str, tmp_path: Path) -> None:
    files = {"app01/syslog": "Oct 27 03:00:00 app01 a\nNov  3 08:00:00 app01 b\n"}
    events, manifest = run(files, tmp_path, sources=(_src(fmt),), awareness=datetime(2024, 10, 28, 10, 30, tzinfo=UTC))
    # Nov 3 2024 would be after the awareness date: the records are from 2023
    assert _recorded(events) == ["2023-10-27T03:00:00Z", "2023-11-03T08:00:00Z"]
    assert manifest["sources"][0]["year_inference"]["basis"] == "awareness"


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_feb_29_in_a_common_year_does_not_crash(fmt: str, tmp_path: Path) -> None:
    files = {"app01/syslog": "Feb 28 23:00:00 app01 a\nFeb 29 12:00:00 app01 leap day\nMar  1 00:00:01 app01 c\n"}
    events, manifest = run(files, tmp_path, sources=(_src(fmt, year=2023),))
    rows = events.sort("log.file.line").to_dicts()
    assert iso(rows[1]["time.recorded"]) == "2023-03-01T12:00:00Z"
    assert rows[1]["time.flags"] == ["year_inferred", "year_conflict"]
    assert rows[1]["time.original"] == "Feb 29 12:00:00"
    assert any("29 February" in w for w in manifest["warnings"])
    events, _ = run(files, tmp_path / "leap", sources=(_src(fmt, year=2024),))
    rows = events.sort("log.file.line").to_dicts()
    assert iso(rows[1]["time.recorded"]) == "2024-02-29T12:00:00Z"
    assert rows[1]["time.flags"] == ["year_inferred"]


@pytest.mark.parametrize(("fmt", "fixture", "want"), YEARLESS_FALL_BACK)
def test_yearless_fall_back_resolved_after_the_year(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    exp = expected(want)
    name = Path(fixture).name
    events, manifest = run({f"app01/{name}": DATA / fixture}, tmp_path, sources=(_src(fmt, exp["zone"], 2024),))
    assert events.height == len(exp["lines"])
    check_expected(events, exp["lines"])
    dst = manifest["sources"][0]["dst_fall_back"]
    assert dst["resolved"] == exp.get("dst_fall_back", {}).get("resolved", 4)
    assert dst["unresolved"] == 0
    if "dst_fall_back" in exp:
        assert dst["resolved_by"] == exp["dst_fall_back"]["resolved_by"]


@pytest.mark.parametrize(("fmt", "fixture", "want"), YEARLESS_FALL_BACK)
def test_yearless_fall_back_with_the_year_from_the_case_span(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    # no year configured: a dated source of another host (the reverse proxy) gives the case span
    exp = expected(want)
    name = Path(fixture).name
    files = {f"app01/{name}": DATA / fixture, "rp01/error.log": DATA / "formats" / "nginx_error_fallback.log"}
    sources = (
        _src(fmt, exp["zone"], path=f"app01/{name}"),
        _src("nginx.error", exp["zone"], host="rp01", path="rp01/*"),
    )
    events, manifest = run(files, tmp_path, sources=sources)
    check_expected(events.filter(pl.col("event.dataset") == fmt), exp["lines"])
    info = next(s for s in manifest["sources"] if s["parser"] == fmt)
    assert info["year_inference"]["basis"] == "case"
    assert info["year_inference"]["year_of_first_record"] == 2024


@pytest.mark.parametrize(("fmt", "fixture", "want"), YEARLESS_FALL_BACK)
def test_yearless_no_zone_given_assumes_utc(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    name = Path(fixture).name
    events, manifest = run({f"app01/{name}": DATA / fixture}, tmp_path, sources=(_src(fmt, None, 2024),))
    assert set(events.get_column("time.zone_source")) == {"assumed_utc"}
    assert all(f == ["year_inferred"] for f in events.get_column("time.flags").to_list())
    as_utc = expected(want).get("as_utc", {"2": "2024-10-27T02:20:00Z"})
    for line, instant in as_utc.items():
        row = events.filter(pl.col("log.file.line") == int(line)).row(0, named=True)
        assert iso(row["time.recorded"]) == instant, line
    src = manifest["sources"][0]
    assert src["zone_source"] == "assumed_utc"
    assert (
        f"{src['source']}: no time zone given for {events.height} naive timestamps; UTC assumed" in manifest["warnings"]
    )


@pytest.mark.parametrize(("fmt", "fixture", "want"), YEARLESS_SPRING)
def test_yearless_spring_forward(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    exp = expected(want)
    name = Path(fixture).name
    events, manifest = run({f"app01/{name}": DATA / fixture}, tmp_path, sources=(_src(fmt, exp["zone"], 2024),))
    assert events.height == len(exp["lines"])
    check_expected(events, exp["lines"])
    assert manifest["totals"]["dst_nonexistent"] == exp.get("nonexistent", 1)


# -- the pieces alone ------------------------------------------------------------------------


def test_rollover_carries_across_chunks() -> None:
    state: dict = {}
    chunk1 = pl.DataFrame({"_seq": [0, 1], "_ts": [datetime(2000, 12, 30), datetime(2000, 12, 31, 23)]})
    chunk2 = pl.DataFrame({"_seq": [2, 3], "_ts": [datetime(2000, 1, 1, 1), datetime(2000, 12, 31, 23, 30)]})
    a = mark_rollover(chunk1, pl.lit(True), state)
    b = mark_rollover(chunk2, pl.lit(True), state)
    assert a.get_column("_t_roll").to_list() == [0, 0]
    assert b.get_column("_t_roll").to_list() == [1, 0]


def test_choose_year_order_of_evidence() -> None:
    span = SourceSpan(0, datetime(2000, 10, 27, 2), 0, datetime(2000, 10, 27, 5))
    assert choose_year(span, configured=2020).base == 2020
    ref = (datetime(2024, 10, 20), datetime(2024, 10, 28))
    assert choose_year(span, host_span=ref, case_span=(datetime(2019, 1, 1), datetime(2019, 2, 1))).source == "host"
    assert choose_year(span, case_span=ref).base == 2024
    assert choose_year(span, file_mtime=datetime(2024, 10, 27, 6)).base == 2024
    assert choose_year(span, file_mtime=datetime(2024, 10, 1)).base == 2023
    assert choose_year(span, today=datetime(2030, 1, 1)).source == "ingest_date"


@pytest.mark.parametrize("fmt", YEARLESS_FORMATS)
def test_dates_that_keep_turning_the_year_do_not_leave_the_calendar(fmt: str, tmp_path: Path) -> None:
    # each cycle goes back by more than half a year once: one more year per cycle
    cycle = "Dec 25 10:00:00 h a\nJun 18 10:00:00 h b\nDec 15 10:00:00 h c\n"
    events, manifest = run({"app01/syslog": cycle * 9000}, tmp_path, sources=(_src(fmt, year=2024),))
    assert events.height == 27000
    assert events.get_column("time.recorded").dt.year().max() <= 9998
    assert "year_conflict" in events.row(-1, named=True)["time.flags"]
    assert any("check the inferred years" in w for w in manifest["warnings"])
