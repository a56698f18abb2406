"""Fuzzing the reader, the decompressors and every parser with hostile bytes.

The suite runs a short version of each property (``FORENSICS_FUZZ_SCALE`` unset: a few
dozen examples).  The long campaign recorded in docs/forensic-soundness.md runs the same
properties with ``FORENSICS_FUZZ_SCALE`` times more examples::

    FORENSICS_FUZZ_SCALE=400 nice .venv/bin/python -m pytest -q --hypothesis-show-statistics tests/hostile/test_fuzz.py

What each property holds: nothing raises; decompressed blocks never exceed ``READ_BLOCK``;
every byte and every line is accounted for; every record a parser receives comes back as
an event, a reject or meta (or the parser fails the chunk, which the engine turns into
rejects: that is counted as a finding of the campaign, not accepted silently here).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forensics.intake.reader as reader_mod
from forensics.intake.accounting import FileReport
from forensics.intake.engine import ingest
from forensics.intake.reader import group_records, lines_frame
from forensics.intake.stream import READ_BLOCK, StreamStatus, open_stream, sniff_compression
from forensics.schema import conform
from parsers.base import get_parser, load_all

SCALE = max(1, int(os.environ.get("FORENSICS_FUZZ_SCALE", "1")))
DATA = Path(__file__).resolve().parent.parent / "data"


def budget(short: int) -> settings:
    return settings(
        max_examples=short * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
        database=None,
    )


def _seed_lines() -> list[bytes]:
    """Real lines of every fixture format (web, database, application, system logs)."""
    lines: list[bytes] = []
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or (path.name.endswith(".jsonl") and "golden" in path.name) or path.suffix == ".toml":
            continue
        try:
            head = path.read_bytes()[:20_000]
        except OSError:
            continue
        lines += [line for line in head.split(b"\n")[:40] if line]
    return lines


SEEDS = _seed_lines()
TRICKY = [
    b"\r",
    b"\r\n",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xe9",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x1f\x8b",
    b"BZh9",
    b"\xfd7zXZ\x00",
    b"\x1b[31m",
    b"\xe2\x80\xae",
    b'"',
    b"\\",
    b"[",
    b"]",
    b"{",
    b"}",
    b"<",
    b">",
    b"%",
    b"# Time: ",
    b"LOG:  ",
    b"2024-10-22 09:02:01",
    b"22/Oct/2024:09:02:01 +0200",
    b"9999-99-99T99:99:99Z",
    b"-",
    b" ",
    b"\t",
]
PIECES = st.one_of(st.sampled_from(SEEDS), st.sampled_from(TRICKY), st.binary(max_size=40))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A log made of real lines, tricky bytes and noise, cut anywhere."""
    parts = draw(st.lists(PIECES, min_size=1, max_size=25))
    joiner = draw(st.sampled_from([b"\n", b"", b"\r\n", b"\r"]))
    data = joiner.join(parts)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _compress(kind: str, data: bytes) -> bytes:
    return {
        "plain": lambda d: d,
        "gzip": lambda d: gzip.compress(d, mtime=0),
        "bzip2": bz2.compress,
        "xz": lzma.compress,
        "utf16": lambda d: codecs.BOM_UTF16_LE + d.decode("latin-1").encode("utf-16-le"),
    }[kind](data)


def _read_all(path: Path, status: StreamStatus) -> bytes:
    out = bytearray()
    for block in open_stream(path, status):
        assert 0 < len(block) <= READ_BLOCK * 3 // 2 + 4  # UTF-16 to UTF-8 may grow a block by half
        out += block
    return bytes(out)


@budget(40)
@given(data=mutated(), kind=st.sampled_from(["plain", "gzip", "bzip2", "xz", "utf16"]), cut=st.integers(0, 64))
def test_the_reader_and_decompressors_never_raise_and_lose_nothing(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, kind: str, cut: int
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.log"
    blob = _compress(kind, data)
    truncated = cut and kind in {"gzip", "bzip2", "xz"} and len(blob) > cut
    path.write_bytes(blob[:-cut] if truncated else blob)
    status = StreamStatus()
    text = _read_all(path, status)
    if kind in {"gzip", "bzip2", "xz"} and not truncated:
        expected = data
        if status.encoding:  # the text started with a UTF-16 byte order mark: decoded, as documented
            expected = data[2:].decode(status.encoding, "backslashreplace").encode("utf-8", "surrogatepass")
        if status.line_ends == "cr":
            expected = expected.replace(b"\r", b"\n")
        assert text == expected and status.compression == kind
    if truncated and sniff_compression(blob[:-cut]):
        # a cut archive yields a prefix of its text and says so (or, cut in its trailer, all of it)
        assert status.warnings or text == data
    # the line cutter and the lines frame: every byte but the line ends, in order
    report = FileReport(path="f.log", size=len(blob), sha256_before="")
    chunks = list(reader_mod._line_chunks(iter([text]) if text else iter([]), report))
    line_no, offset = 1, 0
    for buf in chunks:
        frame = lines_frame(buf, line_no, offset)
        assert frame.height == buf.count(b"\n") + 1
        assert frame.get_column("offset").is_sorted()
        line_no += frame.height
        offset += len(buf) + 1
    assert b"\n".join(chunks) == text.removesuffix(b"\n")


def _parsers() -> list[tuple[str, dict[str, Any]]]:
    mapped = {"fields": {"@timestamp": "time", "user.name": "user", "source.ip": "ip"}}
    out = []
    for name in load_all():
        options: dict[str, Any] = {"_filename": "f.log", "_path": "/nonexistent/f.log"}
        if name in {"csv", "jsonl"}:
            options |= mapped
        out.append((name, options))
    return out


PARSERS = _parsers()


@budget(60)
@given(data=mutated(), which=st.sampled_from(PARSERS), cut=st.integers(0, 1000))
def test_every_parser_accounts_for_every_record(data: bytes, which: tuple[str, dict[str, Any]], cut: int) -> None:
    name, options = which
    parser = get_parser(name, options)
    frame = lines_frame(data.removesuffix(b"\n"), 1, 0)
    state: dict[str, Any] = {"source": {}}
    at = cut % max(frame.height, 1)
    accounted = 0
    for part in (frame.slice(0, at), frame.slice(at)):
        if not part.height:
            continue
        records, blanks, orphans = group_records(part, parser)
        accounted += blanks.height + orphans.height + int(records.get_column("n_lines").sum())
        if not records.height:
            continue
        result = parser.parse(records, state)
        ids = set(records.get_column("_rec").to_list())
        seen = set(result.events.get_column("_rec").to_list()) if result.events.height else set()
        seen |= set(result.rejects.get_column("_rec").to_list()) | set(result.meta.get_column("_rec").to_list())
        assert seen <= ids
        if result.events.height:
            conform(result.events)
            assert result.events.get_column("_ts").dtype == pl.Datetime("us")
    assert accounted == frame.height


@budget(8)
@given(
    files=st.lists(
        st.tuples(st.sampled_from(["access.log", "a.log.gz", "db.log", "x.txt", "y.log.bz2"]), mutated()),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    )
)
def test_ingest_balances_every_file_whatever_it_holds(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]
) -> None:
    base = tmp_path_factory.mktemp("ingest")
    root = base / "ev"
    root.mkdir()
    for name, data in files:
        kind = "gzip" if name.endswith(".gz") else "bzip2" if name.endswith(".bz2") else "plain"
        (root / name).write_bytes(_compress(kind, data))
    result = ingest(root, base / "out")
    for f in result.manifest["files"]:
        assert f["balanced"], f
    assert result.manifest["totals"]["balanced"]
