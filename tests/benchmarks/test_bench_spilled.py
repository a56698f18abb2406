"""The spilled-path benchmark writes the same lines twice (one file, rotated .gz files) and times both sides."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_spilled", ROOT / "benchmarks" / "bench_spilled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_spilled"] = module
    spec.loader.exec_module(module)
    return module


bench = _module()


def test_rotated_files_hold_the_same_lines_oldest_first(tmp_path: Path) -> None:
    one, rotated, _ = bench.make_inputs(tmp_path, 1000)
    text = (one / "web01/apache2/access.log").read_bytes()
    parts = [gzip.decompress((rotated / f"web01/apache2/access.log.{n}.gz").read_bytes()) for n in range(20, 0, -1)]
    assert b"".join(parts) == text
    assert text.count(b"\n") == 1000


def test_both_inputs_measured_spilled(tmp_path: Path) -> None:
    one, rotated, _ = bench.make_inputs(tmp_path / "in", 3000)
    first = bench.measure("one file", one, 3000, tmp_path, memory="0", steps=True)
    second = bench.measure("20 .gz files", rotated, 3000, tmp_path, memory="0", reference=first["naive_lines_s"])
    for row in (first, second):
        assert row["ingest"]["events"] == 3000 and row["ingest"]["rejects"] == 0
        assert row["naive"]["events"] == 3000
        assert row["ratio"] > 0 and row["ingest"]["rss_kib"] > 0
    steps = first["ingest"]["steps"]
    assert steps["_ingest_file"]["calls"] == 1 and steps["PartStore._write_part"]["calls"] >= 1
    assert "steps" not in second["ingest"]
    assert second["ratio_vs_one_file"] == round(second["ingest_lines_s"] / first["naive_lines_s"], 4)
