"""Shared fixtures: one small generated case per test session."""

from __future__ import annotations

import gzip
import pathlib
import sys
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from forensics.simulate import simulate  # noqa: E402

TINY = 0.004


def read_bytes(path: pathlib.Path) -> bytes:
    """File content, decompressing every gzip member of ``.gz`` files."""
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data
    out = b""
    while data:
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += dec.decompress(data)
        data = dec.unused_data
    return out


def lines_of(root: pathlib.Path, pattern: str) -> list[bytes]:
    out: list[bytes] = []
    for path in sorted(root.glob(pattern)):
        out.extend(read_bytes(path).split(b"\n"))
    return out


@pytest.fixture(scope="session")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, dict]:
    out = tmp_path_factory.mktemp("case") / "evidence"
    truth = simulate(out, scale=TINY, progress=lambda _msg: None)
    return out, truth


__all__ = ["TINY", "gzip", "lines_of", "read_bytes"]
