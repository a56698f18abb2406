"""DST fall-back, spring-forward and missing zones through the real engine, per naive-time format.

The lists hold the test parsers of ``fixture_parsers.py`` and every real parser that writes
naive local time (MariaDB audit, general and slow logs, Apache and nginx error logs, Mediboard
tables, application.log; syslog is in ``test_years.py``).  Each real format has hand-written
fixtures in its own line shape under ``tests/data/timing/formats``, with an ``.expected.json``
beside them: the UTC instant and time flags of every event line, the manifest's
``dst_fall_back`` counts (what decided), and a few lines read as UTC when no zone is given.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forensics.cli import print_summary
from forensics.config import SourceConfig
from tests.timing.helpers import DATA, check_expected, expected, iso, run, time_flags

# (format, fixture, expected): the repeated hour, records in time order
FALL_BACK = [
    ("test.naive_ids", "naive_fallback.log", "naive_fallback.log.expected.json"),
    ("test.naive", "naive_fallback.log", "naive_fallback.log.expected.json"),
    *[
        (fmt, f"formats/{name}", f"formats/{name}.expected.json")
        for fmt, name in (
            ("mariadb.audit", "server_audit_fallback.log"),
            ("mysql.general", "general_fallback.log"),
            ("mysql.slow", "slow_fallback.log"),
            ("apache.error", "apache_error_fallback.log"),
            ("nginx.error", "nginx_error_fallback.log"),
            ("mediboard.user_log", "user_log_fallback.tsv"),
            ("mediboard.applog", "application_fallback.log"),
        )
    ],
]
# (format, fixture folder, expected): sets whose file order is not time order; only ids can decide
FALL_BACK_ROTATED = [
    ("test.naive_ids", "rotated_out_of_order", "rotated_with_ids.expected.json"),
    ("test.naive", "rotated_out_of_order", "rotated_without_ids.expected.json"),
    # size rotation: server_audit.log.1 holds the second pass, server_audit.log the first
    ("mariadb.audit", "formats/server_audit_rotated", "formats/server_audit_rotated.expected.json"),
    # SELECT ... ORDER BY date INTO OUTFILE: the two passes interleave, the keys still increase
    ("mediboard.user_log", "formats/user_log_by_date", "formats/user_log_by_date.expected.json"),
    # the same scramble without ids: nothing decides, both instants are kept
    ("nginx.error", "formats/nginx_error_rotated", "formats/nginx_error_rotated.expected.json"),
]
# (format, fixture, expected): the missing hour of the spring-forward change
SPRING_FORWARD = [
    ("test.naive_ids", "naive_spring.log", "naive_spring.log.expected.json"),
    ("test.naive", "naive_spring.log", "naive_spring.log.expected.json"),
    *[
        (fmt, f"formats/{name}", f"formats/{name}.expected.json")
        for fmt, name in (
            ("mariadb.audit", "server_audit_spring.log"),
            ("mysql.general", "general_spring.log"),
            ("mysql.slow", "slow_spring.log"),
            ("apache.error", "apache_error_spring.log"),
            ("nginx.error", "nginx_error_spring.log"),
            ("mediboard.user_log", "user_log_spring.tsv"),
            ("mediboard.applog", "application_spring.log"),
        )
    ],
]
#: the test parsers alone (the tests below that write their own lines use their format)
NAIVE_FORMATS = ["test.naive", "test.naive_ids"]


def _src(fmt: str, tz: str | None = None) -> tuple[SourceConfig, ...]:
    return (SourceConfig(path="**", format=fmt, host="db02", timezone=tz),)


@pytest.mark.parametrize(("fmt", "fixture", "want"), FALL_BACK)
def test_fall_back_resolved_from_order(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    exp = expected(want)
    name = Path(fixture).name
    events, manifest = run({f"db02/{name}": DATA / fixture}, tmp_path, sources=_src(fmt, exp["zone"]))
    assert events.height == len(exp["lines"]), "every event line is listed in the expected file"
    check_expected(events, exp["lines"])
    src = manifest["sources"][0]
    n = exp.get("dst_fall_back", {}).get("resolved", 6)
    assert src["dst_fall_back"]["resolved"] == n
    assert src["dst_fall_back"]["unresolved"] == 0
    if "dst_fall_back" in exp:
        assert src["dst_fall_back"]["resolved_by"] == exp["dst_fall_back"]["resolved_by"]
    assert src["time_flags"].get("dst_ambiguous_resolved") == n
    assert "dst_ambiguous" not in src["time_flags"]
    assert manifest["totals"]["dst_ambiguous"] == 0
    assert manifest["totals"]["dst_ambiguous_resolved"] == n
    # time.original is kept as written (a general-log line without a time has its previous line's)
    for row in events.iter_rows(named=True):
        if "time_from_previous_line" not in (row["tags"] or []):
            assert row["time.original"] in row["event.original"], row["time.original"]


@pytest.mark.parametrize(("fmt", "folder", "want"), FALL_BACK_ROTATED)
def test_fall_back_in_rotation_out_of_order(fmt: str, folder: str, want: str, tmp_path: Path) -> None:
    exp = expected(want)
    files = {f"db02/mysql/{p.name}": p for p in sorted((DATA / folder).iterdir())}
    events, manifest = run(files, tmp_path, sources=_src(fmt, exp["zone"]))
    assert events.height == sum(len(lines) for lines in exp["files"].values())
    for name, lines in exp["files"].items():
        check_expected(events, lines, path_suffix=f"/{name}")
    assert len(manifest["sources"]) == 1, "one rotation set, one source"
    dst = manifest["sources"][0]["dst_fall_back"]
    if "dst_fall_back" in exp:
        assert {k: dst[k] for k in exp["dst_fall_back"]} == exp["dst_fall_back"]
        assert dst["order_conflicts"] == 0
        undecided = manifest["totals"]["dst_ambiguous"]
        assert undecided == exp["dst_fall_back"]["unresolved"]
        assert any("could not be placed" in w for w in manifest["warnings"]) == (undecided > 0)
    elif fmt == "test.naive_ids":
        assert dst["resolved_by"] == {"ids": 6}
    else:
        assert dst["unresolved"] == 6
        assert any("could not be placed" in w for w in manifest["warnings"])


@pytest.mark.parametrize(("fmt", "fixture", "want"), SPRING_FORWARD)
def test_spring_forward_flagged_and_counted(fmt: str, fixture: str, want: str, tmp_path: Path) -> None:
    exp = expected(want)
    name = Path(fixture).name
    events, manifest = run({f"app01/{name}": DATA / fixture}, tmp_path, sources=_src(fmt, exp["zone"]))
    assert events.height == len(exp["lines"])
    check_expected(events, exp["lines"])
    assert manifest["totals"]["dst_nonexistent"] == 2
    assert manifest["sources"][0]["time_flags"]["dst_nonexistent"] == 2
    assert manifest["files"][0]["time_flags"]["dst_nonexistent"] == 2


@pytest.mark.parametrize(("fmt", "fixture", "want"), FALL_BACK)
def test_no_zone_given_assumes_utc_and_warns(
    fmt: str, fixture: str, want: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = Path(fixture).name
    events, manifest = run({f"db02/{name}": DATA / fixture}, tmp_path, sources=_src(fmt))
    assert set(events.get_column("time.zone_source")) == {"assumed_utc"}
    assert set(events.get_column("time.zone")) == {"UTC"}
    # read as UTC: the wall clock is the instant, nothing is ambiguous
    assert all(f == [] for f in events.get_column("time.flags").to_list())
    as_utc = expected(want).get("as_utc", {"2": "2024-10-27T02:10:00Z"})
    for line, instant in as_utc.items():
        row = events.filter(events["log.file.line"] == int(line)).row(0, named=True)
        assert iso(row["time.recorded"]) == instant, line
        assert iso(row["@timestamp"]) == instant, line
    src = manifest["sources"][0]
    assert src["zone_source"] == "assumed_utc"
    warning = f"{src['source']}: no time zone given for {events.height} naive timestamps; UTC assumed"
    assert warning in manifest["warnings"]
    print_summary(manifest)
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert err.count("UTC assumed") == 1


@pytest.mark.parametrize("fmt", NAIVE_FORMATS)
def test_case_zone_and_cli_zone(fmt: str, tmp_path: Path) -> None:
    fixture = "naive_fallback.log"
    events, manifest = run({f"db02/{fixture}": DATA / fixture}, tmp_path, sources=_src(fmt), timezone="Europe/Paris")
    assert set(events.get_column("time.zone_source")) == {"case"}
    assert manifest["sources"][0]["zone"] == "Europe/Paris"
    assert not any("UTC assumed" in w for w in manifest["warnings"])
    events, _ = run({f"db02/{fixture}": DATA / fixture}, tmp_path / "cli", sources=_src(fmt), tz="America/New_York")
    assert set(events.get_column("time.zone")) == {"America/New_York"}
    assert events.filter(events["log.file.line"] == 2).row(0, named=True)["time.recorded"].hour == 6


def test_offset_records_are_exact_and_never_ambiguous(tmp_path: Path) -> None:
    lines = (
        "2024-10-27T02:15:36+02:00,1 first pass with its offset\n"
        "2024-10-27T02:15:36+01:00,2 second pass with its offset\n"
        "2024-10-27T00:15:33Z,3 utc\n"
    )
    events, manifest = run({"app01/a.log": lines}, tmp_path, sources=_src("test.naive_ids", "Europe/Paris"))
    rows = events.sort("log.file.line").to_dicts()
    assert [r["time.zone_source"] for r in rows] == ["record"] * 3
    assert [r["time.zone"] for r in rows] == ["+02:00", "+01:00", "+00:00"]
    assert [r["time.recorded"].strftime("%H:%M:%S") for r in rows] == ["00:15:36", "01:15:36", "00:15:33"]
    assert all(r["time.flags"] == [] for r in rows)
    assert [r["time.original"] for r in rows] == [
        "2024-10-27T02:15:36+02:00",
        "2024-10-27T02:15:36+01:00",
        "2024-10-27T00:15:33Z",
    ]
    assert manifest["sources"][0]["naive_events"] == 0


@pytest.mark.parametrize("fmt", NAIVE_FORMATS)
def test_undecided_candidates_follow_the_clock_correction(fmt: str, tmp_path: Path) -> None:
    # a step back of five minutes decides nothing; the host's clock is 3 s ahead
    files = {"db02/audit.log": "2024-10-27 02:40:00,1 a\n2024-10-27 02:35:00,2 b\n"}
    src = (SourceConfig(path="**", format=fmt, host="db02", timezone="Europe/Paris", clock_offset=3.0),)
    events, manifest = run(files, tmp_path, sources=src)
    row = events.filter(events["log.file.line"] == 1).row(0, named=True)
    assert row["time.flags"] == ["dst_ambiguous", "skew_corrected"]
    assert row["time.recorded"].strftime("%H:%M:%S") == "00:40:00"  # as the clock said, earlier reading
    assert row["@timestamp"].strftime("%H:%M:%S") == "00:39:57"
    assert row["time.earliest"].strftime("%H:%M:%S") == "00:39:57"
    assert row["time.latest"].strftime("%H:%M:%S") == "01:39:57"
    assert manifest["totals"]["dst_ambiguous"] == 2
    assert manifest["sources"][0]["dst_fall_back"] == {
        "ambiguous": 2,
        "resolved": 0,
        "resolved_by": {},
        "unresolved": 2,
        "order_conflicts": 0,
    }


def test_spring_forward_gap_is_a_manifest_warning(tmp_path: Path) -> None:
    fixture = "naive_spring.log"
    _, manifest = run({f"app01/{fixture}": DATA / fixture}, tmp_path, sources=_src("test.naive", "Europe/Paris"))
    assert any("2 timestamps fall in a spring-forward gap" in w for w in manifest["warnings"])


def test_session_end_is_not_placed_by_file_order(tmp_path: Path) -> None:
    # user_authentication: logins follow the primary key; last_session_update is rewritten on
    # every request, so its place in the dump proves nothing (row 2: login in the first pass,
    # last activity at 02:05 in the second pass, 55 minutes later)
    fixture = "formats/user_authentication_fallback.tsv"
    src = (SourceConfig(path="**", format="mediboard.user_authentication", host="app01", timezone="Europe/Paris"),)
    events, manifest = run({"app01/user_authentication.tsv": DATA / fixture}, tmp_path, sources=src)
    got = {
        (r["log.file.line"], r["event.action"]): (iso(r["time.recorded"]), time_flags(r["time.flags"]))
        for r in events.iter_rows(named=True)
    }
    resolved, amb = ["dst_ambiguous_resolved"], ["dst_ambiguous"]
    assert got[(2, "login")] == ("2024-10-27T00:10:00Z", resolved)
    assert got[(3, "login")] == ("2024-10-27T00:41:03Z", resolved)
    assert got[(4, "login")] == ("2024-10-27T01:01:30Z", resolved)
    assert got[(5, "login")] == ("2024-10-27T01:15:26Z", resolved)
    assert got[(2, "session_end")] == ("2024-10-27T00:05:00Z", amb)  # never silently before its login
    assert got[(1, "session_end")] == ("2024-10-26T23:50:00Z", [])
    assert got[(6, "session_end")] == ("2024-10-27T02:20:00Z", [])
    end = events.filter((pl.col("log.file.line") == 2) & (pl.col("event.action") == "session_end")).row(0, named=True)
    assert (iso(end["time.earliest"]), iso(end["time.latest"])) == ("2024-10-27T00:05:00Z", "2024-10-27T01:05:00Z")
    dst = manifest["sources"][0]["dst_fall_back"]
    assert dst["resolved_by"] == {"file_order+ids": 4}
    assert dst["unresolved"] == 4
