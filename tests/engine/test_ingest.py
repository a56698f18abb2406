"""The ingest engine end to end: accounting, chunking, damaged and hostile evidence."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forensics.intake.enrichment as enrichment_mod
import forensics.intake.parsing as parsing_mod
import forensics.intake.reader as reader_mod
import forensics.intake.store as store_mod
import forensics.intake.stream as stream_mod
from forensics.config import CaseConfig, SourceConfig
from forensics.intake.engine import IngestError, ingest
from parsers.base import Parser, ParseResult, register, rejects_of

GOOD = '10.0.0.{i} - - [22/Oct/2024:09:02:{s:02d} +0200] "GET /x?i={i} HTTP/1.1" 200 {i} "-" "UA {i}"'


@register
class _Blocks(Parser):
    """Test-only multi-line format: a record is '# BEGIN <epoch>' then body lines.

    Reference: tests/engine/test_ingest.py
    """

    name = "test.blocks"
    multiline = True
    detectable = False

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.starts_with("# BEGIN ")

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        epoch = records.get_column("text").str.extract(r"^# BEGIN (\d+)\n?").cast(pl.Int64, strict=False)
        df = records.with_columns(_epoch=epoch)
        ok = df.filter(pl.col("_epoch").is_not_null())
        bad = df.filter(pl.col("_epoch").is_null())
        events = ok.select(
            "_rec",
            pl.from_epoch(pl.col("_epoch"), time_unit="s").cast(pl.Datetime("us")).alias("_ts"),
            pl.lit(0, dtype=pl.Int32).alias("_offset"),
            pl.col("_epoch").cast(pl.String).alias("time.original"),
            pl.lit("log_message").alias("event.action"),
        )
        return ParseResult(events=events, rejects=rejects_of(bad, "bad block header"))


@register
class _Fragile(_Blocks):
    """Test-only: like test.blocks, but fails outright on a chunk that holds the word CRASH.

    Reference: tests/engine/test_ingest.py
    """

    name = "test.fragile"

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        if records.get_column("text").str.contains("CRASH").any():
            raise ValueError("unexpected input")
        return super().parse(records, state)


def _evidence(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "evidence"
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def _access(n: int, start: int = 0) -> bytes:
    return "".join(GOOD.format(i=i, s=i % 60) + "\n" for i in range(start, start + n)).encode()


def _balanced(manifest: dict[str, Any]) -> None:
    for f in manifest["files"]:
        accounted = f["lines_in_events"] + f["lines_blank"] + f["lines_meta"] + f["lines_rejected"]
        assert accounted == f["lines_read"], f
        assert f["sha256_before"] == f["sha256_after"]


def test_outputs_manifest_and_accounting(tmp_path: Path) -> None:
    hostile = (
        b'10.0.0.9 - - [22/Oct/2024:09:02:01 +0200] "GET /<script>alert(1)</script> HTTP/1.1" 200 5 "-" "\\x1b[31mred"\n'
        b"\n"
        b"garbage \xff\xfe line\n"
        b'10.0.0.9 - - [22/Oct/2024:09:02:02 +0200] "GET /=cmd|\' /C calc\'!A0 HTTP/1.1" 200 5 "-" "x"\n'
        b"\x00\x00\x00\n"
        b'10.0.0.9 - - [22/Oct/2024:09:02:03 +0200] "GET /cut-short HTTP/1.1" 200'
    )
    root = _evidence(tmp_path, {"web/access.log": hostile, "web/access.log.1": _access(20)})
    res = ingest(
        root, tmp_path / "out", config=CaseConfig(sources=(SourceConfig(path="web/*", format="apache.access"),))
    )
    m = res.manifest
    _balanced(m)
    assert m["totals"]["events"] == 22
    assert m["totals"]["rejects"] == 3
    live = next(f for f in m["files"] if f["path"] == "web/access.log")
    assert live["lines_blank"] == 1 and live["final_newline"] is False
    rejects = res.rejects
    assert set(rejects.get_column("log.file.line").to_list()) == {3, 5, 6}
    assert rejects.filter(pl.col("log.file.line") == 3).get_column("event.original")[0] == "garbage \xff\xfe line"
    events = res.events
    assert events.get_column("@timestamp").is_sorted()
    assert events.filter(pl.col("url.original").str.contains("script")).height == 1
    # rotated file read before the live one; event ids are unique
    assert events.get_column("event.id").n_unique() == events.height
    for name in ("events.parquet", "rejects.parquet", "manifest.json"):
        assert (tmp_path / "out" / name).is_file()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["schema"] == "forensics.manifest/1"


def test_refuses_output_inside_evidence(tmp_path: Path) -> None:
    root = _evidence(tmp_path, {"a.log": _access(2)})
    with pytest.raises(IngestError, match="inside the evidence"):
        ingest(root, root / "out")
    assert not (root / "out").exists()


def test_evidence_is_never_modified(tmp_path: Path) -> None:
    root = _evidence(
        tmp_path, {"a/access.log": _access(50), "a/access.log.2.gz": gzip.compress(_access(50, 100), mtime=0)}
    )
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    res = ingest(root, tmp_path / "out")
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    assert before == after
    assert all(f["unchanged"] for f in res.manifest["files"])


def test_truncated_gzip_is_processed_with_a_warning(tmp_path: Path) -> None:
    blob = gzip.compress(_access(3000), mtime=0)
    root = _evidence(tmp_path, {"a/access.log.2.gz": blob[: len(blob) // 2], "a/access.log": _access(10)})
    res = ingest(root, tmp_path / "out")
    cut = next(f for f in res.manifest["files"] if f["path"].endswith(".gz"))
    assert any("truncated" in w for w in cut["warnings"])
    assert 0 < cut["events"] < 3000
    _balanced(res.manifest)


def test_fifo_is_skipped_without_blocking(tmp_path: Path) -> None:
    root = _evidence(tmp_path, {"a/access.log": _access(5)})
    os.mkfifo(root / "a" / "pipe")
    res = ingest(root, tmp_path / "out")
    assert res.manifest["totals"]["events"] == 5
    assert res.manifest["skipped"] == [
        {"relpath": "a/pipe", "reason": "FIFO skipped (never opened)", "reason_code": "walk.fifo", "params": {}}
    ]


def test_unrecognised_files_are_listed_and_counted(tmp_path: Path) -> None:
    root = _evidence(tmp_path, {"notes.txt": b"hello\nworld", "a/access.log": _access(5)})
    res = ingest(root, tmp_path / "out")
    notes = next(f for f in res.manifest["files"] if f["path"] == "notes.txt")
    assert notes["detection"] == "unrecognised" and notes["lines_read"] == 2
    assert res.manifest["totals"]["files_unrecognised"] == 1


def test_chunk_boundaries_do_not_change_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = "".join(f"# BEGIN {1729900000 + i}\nbody {i}\n{'more ' * (i % 7)}\n\n" for i in range(400)).encode()
    root = _evidence(tmp_path, {"b/blocks.log": blocks, "a/access.log": _access(800)})
    cfg = CaseConfig(sources=(SourceConfig(path="b/*", format="test.blocks"),))
    big = ingest(root, tmp_path / "big", config=cfg)
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 1500)
    monkeypatch.setattr(store_mod, "BUCKET_ROWS", 37)  # many sort buckets too
    small = ingest(root, tmp_path / "small", config=cfg, memory_budget=0)  # every chunk spilled to disk
    assert big.events.equals(small.events)
    assert big.rejects.equals(small.rejects)
    _balanced(small.manifest)
    blocks_file = next(f for f in small.manifest["files"] if f["path"] == "b/blocks.log")
    assert blocks_file["events"] == 400 and blocks_file["rejects"] == 0


def test_two_runs_give_identical_events(tmp_path: Path) -> None:
    root = _evidence(tmp_path, {"a/access.log": _access(300), "a/access.log.1": _access(300, 300)})
    one = ingest(root, tmp_path / "one").events
    two = ingest(root, tmp_path / "two").events
    assert one.equals(two)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(st.binary(max_size=80), st.sampled_from([GOOD.format(i=1, s=2).encode(), b"", b"\r"])), max_size=40
    )
)
def test_property_every_line_is_an_event_blank_or_reject(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    root = _evidence(tmp, {"a/access.log": data})
    res = ingest(root, tmp / "out", format="apache.access")
    _balanced(res.manifest)
    f = res.manifest["files"][0]
    # a file with CR but no LF has lone CR line ends (classic Mac): each CR ends a line
    text = data.replace(b"\r", b"\n") if b"\n" not in data and b"\r" in data else data
    assert f["lines_read"] == (text.count(b"\n") + 1 if text else 0) - (1 if text.endswith(b"\n") else 0)


def test_related_ip_kept_on_rows_without_forwarded_for(tmp_path: Path) -> None:
    # nginx "main": most lines log "-" for X-Forwarded-For; their peer must still be related
    lines = [
        '10.0.0.1 - - [22/Oct/2024:09:02:01 +0200] "GET / HTTP/1.1" 200 1 "-" "UA" "-"',
        '10.0.0.2 - - [22/Oct/2024:09:02:02 +0200] "GET / HTTP/1.1" 200 1 "-" "UA" "203.0.113.7, 10.0.0.9"',
    ]
    root = _evidence(tmp_path, {"access.log": ("\n".join(lines) + "\n").encode()})
    events = ingest(root, tmp_path / "out", format="apache.access").events.sort("log.file.line")
    assert events.get_column("related.ip").to_list() == [
        ["10.0.0.1"],
        ["10.0.0.2", "203.0.113.7", "10.0.0.9"],
    ]


def test_event_start_of_a_request_stamped_at_completion_moves_with_the_clock_fix(tmp_path: Path) -> None:
    """nginx stamps a request when it ends: event.start = @timestamp - duration, after the skew fix."""
    fmt = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time'
    lines = [
        '203.0.113.45 - - [27/Oct/2024:03:47:12 +0100] "GET /slow HTTP/1.1" 200 10 42.500',
        '203.0.113.45 - - [27/Oct/2024:03:47:13 +0100] "GET /fast HTTP/1.1" 200 10 0.000',
    ]
    root = _evidence(tmp_path, {"rp01/access.log": ("\n".join(lines) + "\n").encode()})
    src = SourceConfig(path="rp01/*", format="nginx.access", clock_offset=3.0, options={"log_format": fmt})
    events = ingest(root, tmp_path / "out", config=CaseConfig(sources=(src,))).events.sort("log.file.line")
    slow, fast = events.row(0, named=True), events.row(1, named=True)
    assert slow["timestamp_desc"] == "Request completed"
    assert slow["@timestamp"] == datetime(2024, 10, 27, 2, 47, 9, tzinfo=UTC)  # 03:47:12+01:00 minus 3 s
    assert slow["event.start"] == datetime(2024, 10, 27, 2, 46, 26, 500000, tzinfo=UTC)
    assert fast["event.start"] is None  # no time passed: @timestamp is the start


def _related_reference(events: pl.DataFrame) -> pl.DataFrame:
    """``related.*`` as one list expression on every row (what the engine's shortcut must equal)."""
    ips = [pl.col(c) for c in ("source.ip", "network.peer_ip", "destination.ip") if c in events.columns]
    if "network.forwarded_ip" in events.columns:
        chain = pl.col("network.forwarded_ip").str.split(",").list.eval(pl.element().str.strip_chars())
        ips.append(chain.fill_null(pl.lit([], dtype=pl.List(pl.String))))
    users = [pl.col(c) for c in ("user.name", "db.user") if c in events.columns]
    keep = pl.element().is_not_null() & (pl.element() != "-")
    out = []
    if ips:
        out.append(
            pl.concat_list(ips)
            .list.eval(pl.element().filter(keep & (pl.element() != "")))
            .list.unique(maintain_order=True)
            .alias("related.ip")
        )
    if users:
        out.append(
            pl.concat_list(users)
            .list.eval(pl.element().filter(keep))
            .list.unique(maintain_order=True)
            .alias("related.user")
        )
    return events.with_columns(out)


_ADDR = st.sampled_from([None, "-", "", "10.0.0.1", "10.0.0.2", "::1", "a\x1fb", " 10.0.0.1"])
_CHAIN = st.sampled_from(
    [None, "-", "", "  ", "10.0.0.1", " 10.0.0.2 ", "10.0.0.3, 10.0.0.1", " 10.0.0.2 ,-,", "unknown", "x\x1f10.0.0.1"]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_ADDR, _ADDR, _ADDR, _CHAIN, _ADDR, _ADDR), min_size=1, max_size=12),
    st.sets(st.sampled_from(["network.peer_ip", "destination.ip", "network.forwarded_ip", "db.user"])),
)
def test_related_lists_equal_the_plain_list_expression(rows: list[tuple[Any, ...]], dropped: set[str]) -> None:
    # rows that take the shortcut ([first] or []) and rows that need the list expression, mixed
    names = ["source.ip", "network.peer_ip", "destination.ip", "network.forwarded_ip", "user.name", "db.user"]
    events = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row").drop(sorted(dropped))
    assert enrichment_mod._related(events).equals(_related_reference(events))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 6), st.lists(st.integers(-1, 7), max_size=12), st.booleans())
def test_record_columns_are_joined_by_position_as_by_key(n: int, recs: list[int], clash: bool) -> None:
    # events in any order, repeated, missing or unknown records: the same frame as the join
    rec_meta = pl.DataFrame(
        {"_rec": list(range(n)), "line": [10 + i for i in range(n)], "text": [f"t{i}" for i in range(n)]},
        schema={"_rec": pl.Int64, "line": pl.Int64, "text": pl.String},
    )
    events = pl.DataFrame({"_rec": recs, "x": [str(r) for r in recs]}, schema={"_rec": pl.Int64, "x": pl.String})
    if clash:
        events = events.with_columns(pl.col("x").alias("line"))
    expected = events.join(rec_meta, on="_rec", how="left", maintain_order="left")
    assert enrichment_mod._with_records(events, rec_meta).equals(expected)
    in_order = rec_meta.select("_rec", pl.col("text").alias("x"))
    assert enrichment_mod._with_records(in_order, rec_meta).equals(
        in_order.join(rec_meta, on="_rec", how="left", maintain_order="left")
    )


@register
class _Partial(Parser):
    """Test-only format: events, rejects, meta and forgotten records by line number.

    Reference: tests/engine/test_ingest.py
    """

    name = "test.partial"
    detectable = False

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        kind = pl.col("text").str.slice(0, 1)
        events = records.filter(kind.is_in(["e", "x"])).select(
            "_rec",
            pl.lit(datetime(2024, 10, 22, 9, 0)).alias("_ts"),
            pl.lit(0, dtype=pl.Int32).alias("_offset"),
            pl.lit("t").alias("time.original"),
        )
        # "x" also gets a reject and a meta row: the event wins; "b" is both reject and meta: meta wins
        rejects = rejects_of(records.filter(kind.is_in(["r", "x", "b"])), "bad")
        meta = rejects_of(records.filter(kind.is_in(["m", "x", "b"])), "header")
        return ParseResult(events, rejects, meta)  # "f" records are forgotten


@pytest.mark.parametrize("kinds", ["eeee", "exe", "eerm", "ffe", "ebbe", "rmf", "e"])
def test_accounting_of_events_rejects_meta_and_forgotten_records(tmp_path: Path, kinds: str) -> None:
    root = _evidence(tmp_path, {"a.log": "\n".join(f"{k} {i}" for i, k in enumerate(kinds)).encode()})
    res = ingest(root, tmp_path / "out", format="test.partial")
    _balanced(res.manifest)
    f = res.manifest["files"][0]
    assert f["lines_in_events"] == sum(k in "ex" for k in kinds)
    assert f["lines_meta"] == sum(k in "mb" for k in kinds)
    assert f["lines_rejected"] == sum(k in "rf" for k in kinds)
    assert f["reject_reasons"] == {
        reason: n
        for reason, n in (
            ("bad", kinds.count("r")),
            ("parser produced no event for this record", kinds.count("f")),
        )
        if n
    }


def test_chunks_parsed_side_by_side_give_what_one_thread_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing chunks of an access log at once (and freezing layout hints) changes nothing."""
    variants = [
        GOOD,
        'dpi.example:443 10.0.0.{i} - - [22/Oct/2024:09:02:{s:02d} +0200] "GET /v?i={i} HTTP/1.1" 200 {i} "-" "UA"',
        '10.0.0.{i} - - [22/Oct/2024:09:02:{s:02d} +0200] "POST /c HTTP/1.1" 302 - "-" "UA" "203.0.113.{s}"',
        "garbage line {i} {s}",
    ]
    # one layout dominates the first chunk, another the rest: the frozen hint is then "wrong"
    text = "".join(variants[0 if i < 150 else 1 + i % 3].format(i=i, s=i % 60) + "\n" for i in range(900))
    root = _evidence(tmp_path, {"a/access.log": text.encode()})
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(parsing_mod, "PARSE_WORKERS", 1)
    alone = ingest(root, tmp_path / "alone")
    monkeypatch.setattr(parsing_mod, "PARSE_WORKERS", 3)
    together = ingest(root, tmp_path / "together")
    assert alone.events.height > 600 and alone.rejects.height > 200
    assert alone.events.equals(together.events)
    assert alone.rejects.equals(together.rejects)
    _balanced(together.manifest)


def test_progress_moves_inside_a_big_file_and_ends_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _evidence(tmp_path, {"a/access.log.1.gz": gzip.compress(_access(3000)), "a/access.log": _access(3000)})
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(stream_mod, "READ_BLOCK", 8192)
    calls: list[tuple[int, int, str]] = []
    ingest(root, tmp_path / "out", progress=lambda done, total, item: calls.append((done, total, item)))
    dones = [d for d, _, _ in calls]
    total = calls[0][1]
    assert dones == sorted(dones)  # never goes back
    assert len([d for d in dones if 0 < d < total]) >= 10  # moves within the files, not once per file
    assert dones[-1] == total and "ordering" in calls[-1][2]


def test_a_parser_that_fails_on_a_chunk_loses_nothing_and_stops_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the record that makes the parser fail is a reject with the error; the rest are events."""
    blocks = "".join(f"# BEGIN {1729900000 + i}\nbody {'CRASH' if i == 50 else i}\n" for i in range(200)).encode()
    root = _evidence(tmp_path, {"b/blocks.log": blocks, "a/access.log": _access(20)})
    cfg = CaseConfig(sources=(SourceConfig(path="b/*", format="test.fragile"),))
    for chunk in (500, 1 << 20):  # the failing record in a small chunk, then in the only chunk
        monkeypatch.setattr(reader_mod, "CHUNK_BYTES", chunk)
        res = ingest(root, tmp_path / f"out{chunk}", config=cfg)
        _balanced(res.manifest)
        blocks_file = next(f for f in res.manifest["files"] if f["path"] == "b/blocks.log")
        failed = res.rejects.filter(pl.col("reason").str.contains("failed on this record"))
        assert failed.height == 1 and failed.get_column("reason")[0].endswith("ValueError: unexpected input")
        assert failed.get_column("log.file.line")[0] == 101  # block 50 starts on line 101
        assert failed.get_column("event.original")[0] == "# BEGIN 1729900050\nbody CRASH"
        assert blocks_file["events"] == 199 and blocks_file["rejects"] == 1
        assert any("1 record(s) made the parser fail" in w for w in blocks_file["warnings"])
    assert next(f for f in res.manifest["files"] if f["path"] == "a/access.log")["events"] == 20


def test_cr_then_nul_is_two_lone_cr_lines(tmp_path: Path) -> None:
    """Found by the property test: a CR with no LF anywhere is a classic Mac line end, so the
    file holds two lines (an empty one and a NUL), both accounted for."""
    root = _evidence(tmp_path, {"a/access.log": b"\r\x00"})
    res = ingest(root, tmp_path / "out", format="apache.access")
    _balanced(res.manifest)
    assert res.manifest["files"][0]["lines_read"] == 2
