"""Evidence intake: read-only walk, hashing, decompression, damaged archives, odd files."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import zlib
from pathlib import Path

import pytest

from forensics.intake.stream import StreamStatus, open_stream
from forensics.intake.walk import source_key, walk


def _read(path: Path, **kw: int) -> tuple[bytes, StreamStatus]:
    status = StreamStatus()
    return b"".join(open_stream(path, status, **kw)), status


TEXT = b"".join(f"line {i} caf\xc3\xa9\n".encode() for i in range(5000))


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("a.log.gz", lambda b: gzip.compress(b, mtime=0)),
        ("a.log.bz2", bz2.compress),
        ("a.log.xz", lzma.compress),
        ("a.log", lambda b: b),
    ],
)
def test_transparent_decompression(tmp_path: Path, name: str, compress) -> None:
    p = tmp_path / name
    p.write_bytes(compress(TEXT))
    data, status = _read(p)
    assert data == TEXT
    assert status.warnings == []


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    p = tmp_path / "a.gz"
    p.write_bytes(gzip.compress(TEXT[:1000], mtime=0) + gzip.compress(TEXT[1000:], mtime=0))
    data, status = _read(p)
    assert data == TEXT
    assert status.members == 2


def test_truncated_gzip_yields_what_could_be_read_and_warns(tmp_path: Path) -> None:
    blob = gzip.compress(TEXT, mtime=0)
    p = tmp_path / "cut.gz"
    p.write_bytes(blob[: len(blob) // 2])
    data, status = _read(p)
    assert 0 < len(data) < len(TEXT)
    assert TEXT.startswith(data)
    assert any("truncated" in w for w in status.warnings)


def test_corrupt_gzip_warns_and_does_not_crash(tmp_path: Path) -> None:
    blob = bytearray(gzip.compress(TEXT, mtime=0))
    blob[200:260] = b"\xff" * 60
    p = tmp_path / "bad.gz"
    p.write_bytes(bytes(blob))
    _, status = _read(p)
    assert status.warnings


def test_decompression_cap_stops_bombs(tmp_path: Path) -> None:
    p = tmp_path / "bomb.gz"
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    p.write_bytes(c.compress(b"\0" * (50 << 20)) + c.flush())
    data, status = _read(p, max_bytes=1 << 20)
    assert len(data) == 1 << 20
    assert any("cap" in w for w in status.warnings)


def test_walk_skips_fifo_sockets_and_outside_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "app").mkdir(parents=True)
    (root / "app" / "access.log").write_text("x\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("not evidence\n")
    (root / "app" / "link-out").symlink_to(outside)
    (root / "app" / "link-in").symlink_to(root / "app" / "access.log")
    (root / "loop").symlink_to(root)  # a directory symlink loop
    (root / "dangling").symlink_to(tmp_path / "missing")
    os.mkfifo(root / "app" / "pipe")
    files, skipped = walk(root)
    # a symlink to a file inside the evidence is that file under a second name: read once (issue 16)
    assert [f.relpath for f in files] == ["app/access.log"]
    assert files[0].aliases == ["app/link-in"]
    reasons = {s.relpath: s.reason for s in skipped}
    assert "alias (symlink) of app/access.log" in reasons["app/link-in"]
    assert "outside" in reasons["app/link-out"]
    assert "FIFO" in reasons["app/pipe"]
    assert "symlink" in reasons["loop"]
    assert "dangling" in reasons


def test_rotation_sets_sort_oldest_first() -> None:
    names = ["a/access.log", "a/access.log.1", "a/access.log.2.gz", "a/access.log.10.gz"]
    keys = [source_key(n) for n in names]
    assert {k for k, _ in keys} == {"a/access.log"}
    ordered = [n for _, n in sorted(zip([r for _, r in keys], names, strict=True))]
    assert ordered == ["a/access.log.10.gz", "a/access.log.2.gz", "a/access.log.1", "a/access.log"]
    dated = ["b/access_log-20241027", "b/access_log", "b/access_log-20241026.gz"]
    keys = [source_key(n) for n in dated]
    assert {k for k, _ in keys} == {"b/access_log"}
    ordered = [n for _, n in sorted(zip([r for _, r in keys], dated, strict=True))]
    assert ordered == ["b/access_log-20241026.gz", "b/access_log-20241027", "b/access_log"]


def test_hash_matches_hashlib(tmp_path: Path) -> None:
    from forensics.intake.stream import sha256_file

    p = tmp_path / "f"
    p.write_bytes(TEXT)
    assert sha256_file(p) == hashlib.sha256(TEXT).hexdigest()


def test_text_that_only_looks_compressed_is_read_plain(tmp_path: Path) -> None:
    p = tmp_path / "odd.log"
    p.write_bytes(b"BZh is how this line starts\nsecond\n")
    data, status = _read(p)
    assert data == b"BZh is how this line starts\nsecond\n"
    assert status.compression is None and "plain" in status.warnings[-1]
