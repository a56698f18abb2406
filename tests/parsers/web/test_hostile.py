"""Hostile input through the whole engine: huge lines, a truncated gzip, a damaged last line."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from forensics.intake.reader import MAX_LINE_BYTES
from parsers.web import access
from tests.golden import parse_file
from tests.parsers.web.fixtures import DATA

GOOD = '10.20.5.12 - - [22/Oct/2024:14:10:05 +0200] "GET /a HTTP/1.1" 200 5 "-" "curl/8.5.0"'


def test_five_mib_lines(tmp_path: Path) -> None:
    """A 5 MiB URL is cut by the reader (a reject); a 5 MiB User-Agent keeps the request (tagged)."""
    huge_url = f'10.20.5.12 - - [22/Oct/2024:14:10:06 +0200] "GET /{"A" * (5 << 20)} HTTP/1.1" 414 0 "-" "x"'
    huge_ua = f'10.20.5.12 - - [22/Oct/2024:14:10:07 +0200] "GET /b HTTP/1.1" 200 5 "-" "{"<script>" * (600 << 10)}"'
    lines = [GOOD, huge_url, GOOD, huge_ua, GOOD]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, rejects, manifest = parse_file(log, tmp_path)
    report = manifest["files"][0]
    assert report["lines_read"] == 5
    assert report["truncated_lines"] == 2
    assert rejects.get_column("log.file.line").to_list() == [2]
    assert rejects.item(0, "reason") == "access log line cut short or malformed after the time"
    by_line = {r["log.file.line"]: r for r in events.to_dicts()}
    assert sorted(by_line) == [1, 3, 4, 5]
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line.encode()) + 1)
    assert [by_line[n]["log.offset"] for n in (1, 3, 4, 5)] == [offsets[0], offsets[2], offsets[3], offsets[4]]
    assert set(by_line[4]["tags"]) == {"line_truncated", "line_malformed"}
    assert by_line[4]["http.response.status_code"] == 200
    assert len(by_line[4]["user_agent.original"]) < MAX_LINE_BYTES


def test_truncated_gzip_gives_what_could_be_read(tmp_path: Path) -> None:
    raw = (DATA / "apache_access" / "sample_case.log").read_bytes()
    packed = gzip.compress(raw, mtime=0)
    cut = tmp_path / "access.log.2.gz"
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    fmt = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D "%{X-Forwarded-For}i"'
    events, rejects, manifest = parse_file(cut, tmp_path, fmt="apache.access", options={"log_format": fmt})
    report = manifest["files"][0]
    assert report["warnings"], report
    assert 0 < events.height < raw.count(b"\n")
    # what was read is exact: every event is a prefix line of the original file
    original = raw.decode().splitlines()
    for row in events.iter_rows(named=True):
        assert row["event.original"] == original[row["log.file.line"] - 1]
    # the line the cut fell in is a reject, not a crash
    assert rejects.height == 1
    assert rejects.item(0, "reason").startswith("line cut short after")


def test_control_characters_stay_data(tmp_path: Path) -> None:
    """ANSI and NUL bytes in a request are decoded values, never interpreted."""
    log = tmp_path / "access.log"
    log.write_bytes(
        b'1.2.3.4 - \\x1b[31mroot [22/Oct/2024:14:10:05 +0200] "GET /\\x00\\x1b[2J HTTP/1.1" 200 5 "-" "\\x07"\n'
    )
    events, rejects, _ = parse_file(log, tmp_path)
    assert rejects.height == 0
    row = events.row(0, named=True)
    assert row["user.name"] == "\x1b[31mroot"
    assert row["url.original"] == "/\x00\x1b[2J"
    assert row["user_agent.original"] == "\x07"
    assert row["event.original"].startswith("1.2.3.4 - \\x1b[31mroot")
    assert events.filter(pl.col("message").str.contains("\x1b", literal=True)).height == 1


def test_query_is_cut_at_the_question_mark_after_non_ascii_path(tmp_path: Path) -> None:
    """A raw UTF-8 path (Apache writes it as ``\\xhh`` escapes; nginx writes it as is) keeps
    its query apart: the cut is at the first ``?``, counted in characters."""
    lines = [
        '10.20.5.12 - - [22/Oct/2024:14:10:05 +0200] "GET /caf\\xc3\\xa9/x?q=1?z HTTP/1.1" 200 5 "-" "ua"',
        '10.20.5.12 - - [22/Oct/2024:14:10:06 +0200] "GET /d\u00e9j\u00e0?id=7 HTTP/1.1" 200 5 "-" "ua"',
        '10.20.5.12 - - [22/Oct/2024:14:10:07 +0200] "GET /plain? HTTP/1.1" 200 5 "-" "ua"',
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, _, _ = parse_file(log, tmp_path)
    got = events.sort("log.file.line").select("url.original", "url.path", "url.query").rows()
    assert got == [
        ("/caf\u00e9/x?q=1?z", "/caf\u00e9/x", "q=1?z"),
        ("/d\u00e9j\u00e0?id=7", "/d\u00e9j\u00e0", "id=7"),
        ("/plain?", "/plain", ""),
    ]


def test_zone_offsets_read_per_distinct_value_equal_the_per_line_reading() -> None:
    zones = [
        "+0200",
        "+0200",
        "-0530",
        "Z",
        "+02:00",
        "+0260",
        "+1",
        "",
        "garbage",
        None,
        "\u00e9\u00e9\u00e9\u00e9\u00e9",
    ]
    raw = pl.DataFrame({"time_zone": zones}, schema={"time_zone": pl.String})
    lf, offset = access._zone_stage(raw.lazy(), "time_zone")
    per_line = lf.select(offset).collect().to_series()
    distinct = raw.select(access._distinct_offsets(raw.get_column("time_zone"))).to_series()
    assert distinct.to_list() == per_line.to_list()
    assert distinct.to_list()[:4] == [7200, 7200, -19800, 0]
