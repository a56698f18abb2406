"""Defect 2 of issue 16: decompression bombs and endless lines or records stay within bounded memory.

The bombs are built here from a few KB: bzip2 and xz streams of zeros concatenated (the
reader reads multi-stream files whole), gzip members of zeros.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import forensics.intake.reader as reader_mod
import forensics.intake.stream as stream_mod
from forensics.intake.accounting import FileReport
from forensics.intake.engine import ingest
from forensics.intake.stream import READ_BLOCK, StreamStatus, open_stream

from .conftest import LINE, manifest

ZEROS = bytes(16 << 20)


def _bomb(kind: str, copies: int) -> bytes:
    """``copies`` x 16 MiB of zeros: a few hundred bytes (bzip2) to a few hundred KB (gzip)."""
    if kind == "bzip2":
        return bz2.compress(ZEROS, 9) * copies
    if kind == "xz":
        return lzma.compress(ZEROS, preset=1) * copies
    return gzip.compress(ZEROS, 9, mtime=0) * copies


@pytest.mark.parametrize("kind", ["bzip2", "xz", "gzip"])
def test_a_bomb_is_decompressed_one_block_at_a_time(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(_bomb(kind, 8))  # 128 MiB once decompressed
    status = StreamStatus()
    tracemalloc.start()
    try:
        total = 0
        biggest = 0
        for block in open_stream(path, status):
            total += len(block)
            biggest = max(biggest, len(block))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 8 * len(ZEROS) and status.warnings == []
    assert biggest <= READ_BLOCK
    # a few blocks at most were ever held (the old reader held the whole output of a read)
    assert peak < 8 * READ_BLOCK, peak


@pytest.mark.parametrize("kind", ["bzip2", "xz", "gzip"])
def test_the_decompression_cap_stops_the_file_with_a_warning(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(_bomb(kind, 2))
    status = StreamStatus()
    data = sum(len(b) for b in open_stream(path, status, max_bytes=3 << 20))
    assert data == 3 << 20
    assert any("decompression cap of 3145728 bytes reached" in w for w in status.warnings)


def test_one_huge_block_is_never_held_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """However big a block the stream hands over, no line piece is longer than MAX_PENDING."""
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 1000)
    monkeypatch.setattr(reader_mod, "MAX_PENDING", 4000)

    def stream() -> Iterator[bytes]:
        yield b"x" * 50_000 + b"\nshort\n" + b"y" * 9_000

    report = FileReport(path="a", size=0, sha256_before="")
    pieces = list(reader_mod._line_chunks(stream(), report))
    assert max(len(p) for p in pieces) <= 4000
    assert sum(len(p) for p in pieces) == 50_000 + 7 + 9_000 - 2  # every byte but the two line ends
    assert b"short" in pieces
    assert report.warnings.count("a line longer than 4000 bytes was split into several lines") == 1


def _case(tmp_path: Path, name: str, data: bytes, fmt: str) -> tuple[Path, Path]:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "web" / name).write_bytes(data)
    (root / "web" / "access.log").write_text(LINE)
    config = tmp_path / "case.toml"
    config.write_text(f'[[source]]\npath = "web/{name}"\nformat = "{fmt}"\n')
    return root, config


def test_gzip_of_zeros_read_with_a_configured_format_is_cut_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the 512 MB of zeros as one line, scaled down: 32 MiB with 4 MiB pieces
    monkeypatch.setattr(reader_mod, "MAX_PENDING", 4 << 20)
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 1 << 20)
    root, config = _case(tmp_path, "zeros.log.gz", _bomb("gzip", 2), "apache.access")
    result = ingest(root, tmp_path / "out", config=config)
    files = {f["path"]: f for f in manifest(result.out_dir)["files"]}
    bomb = files["web/zeros.log.gz"]
    assert bomb["decompressed_bytes"] == 32 << 20
    assert bomb["lines_read"] == 8 and bomb["lines_rejected"] == 8 and bomb["balanced"]
    assert any("split into several lines" in w for w in bomb["warnings"])
    assert files["web/access.log"]["events"] == 1  # the rest of the evidence is processed


def test_a_multiline_parser_fed_only_continuation_lines_holds_back_a_bounded_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "MAX_PENDING", 64 << 10)
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 16 << 10)
    held: list[int] = []
    real = reader_mod._hold_back_last_record

    def spy(lines, parser):
        kept, carry = real(lines, parser)
        held.append(0 if carry is None else carry.estimated_size())
        return kept, carry

    monkeypatch.setattr(reader_mod, "_hold_back_last_record", spy)
    body = b"# Time: 2024-10-22T09:02:01.000000Z\n" + b"  continuation of nothing\n" * 40_000
    root, config = _case(tmp_path, "slow.log.gz", gzip.compress(body, mtime=0), "mysql.slow")
    result = ingest(root, tmp_path / "out", config=config)
    slow = next(f for f in manifest(result.out_dir)["files"] if f["path"] == "web/slow.log.gz")
    assert slow["lines_read"] == 40_001 and slow["balanced"]
    assert any("was not held whole" in w for w in slow["warnings"])
    # what was held back never grew past the cap plus one chunk
    assert max(held) < (64 << 10) + 4 * (16 << 10) + 40 * 2000


def _one_member_gzip(copies: int) -> bytes:
    """One gzip member of ``copies`` x 16 MiB of zeros (one read of it decompresses to all of it)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(packer.compress(ZEROS) for _ in range(copies)) + packer.flush()


def test_reading_a_gzip_bomb_stays_far_below_its_size(tmp_path: Path) -> None:
    """End to end in a child process: 1 GiB of zeros in one line, configured format, bounded RSS.

    The reader before issue 16 decompressed the whole member from one read (peak RSS about
    2.1 GB for 256 MiB, so about 8 GB for this GiB); now the peak stays near the fixed cost of
    the reader, whatever the size of the bomb (about 470 MB alone, up to 1.84 GB inside a
    full test run on a loaded machine, when the reader and parse threads run ahead of the
    writer by their bounded queues).  The bomb is a GiB so that the limit (3 GiB) sits far
    from both: scheduling noise cannot fail the test and a reader that inflates the whole
    member cannot pass it.
    """
    import resource
    import subprocess
    import sys

    root, config = _case(tmp_path, "zeros.log.gz", _one_member_gzip(64), "apache.access")
    code = (
        "import sys, resource; from forensics.intake.engine import ingest; "
        "ingest(sys.argv[1], sys.argv[2], config=sys.argv[3], memory_budget=64 << 20); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(root), str(tmp_path / "out"), str(config)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    peak_kib = int(done.stdout.split()[-1])
    assert peak_kib < 3 * 1024 * 1024, peak_kib
    del resource
    assert stream_mod.READ_BLOCK == READ_BLOCK
