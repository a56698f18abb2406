from __future__ import annotations

import gzip
import pathlib

from conftest import TINY

from forensics.simulate import simulate


def _tree(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_and_scale_give_identical_bytes(case: tuple[pathlib.Path, dict], tmp_path: pathlib.Path) -> None:
    first, _ = case
    second = tmp_path / "again"
    simulate(second, scale=TINY, progress=lambda _msg: None)
    a, b = _tree(first), _tree(second)
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert different == []


def test_gzip_headers_have_no_name_and_no_mtime(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    gz = sorted(root.rglob("*.gz"))
    assert gz
    for path in gz:
        head = path.read_bytes()[:10]
        assert head[:3] == b"\x1f\x8b\x08"
        assert head[3] & 0x08 == 0, f"{path} has a file name in its gzip header"
        assert head[4:8] == b"\x00\x00\x00\x00", f"{path} has an mtime"
        gzip.decompress(path.read_bytes())


def test_another_seed_changes_the_baseline(tmp_path: pathlib.Path) -> None:
    truth = simulate(tmp_path / "s1", scale=0.002, seed=7, progress=lambda _msg: None)
    assert truth["seed"] == 7
    assert truth["exfiltration"]["api_list_items"] == 118_412
