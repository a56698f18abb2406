"""The correlation benchmark's step report: every step and detector of the pipeline, with its memory."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("numpy")  # the benchmark's case generator (the ``bench`` extra)


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_correlate", ROOT / "benchmarks" / "bench_correlate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_correlate"] = module
    spec.loader.exec_module(module)
    return module


def test_every_step_is_timed_and_measured_then_put_back(tmp_path: Path) -> None:
    from forensics.correlate import correlate, detectors, pipeline
    from tests.correlate import scenarios
    from tests.correlate.builder import config

    bench = _module()
    before = pipeline.match_app_to_web, list(detectors.DETECTORS)
    sampler = bench.RssSampler()
    sampler.start()
    rows: list[dict] = []
    restore = bench.watch_steps(sampler, rows)
    try:
        result = correlate(scenarios.quiet_case().frame(), config(tmp_path))
    finally:
        restore()
        sampler.running = False
    assert (pipeline.match_app_to_web, list(detectors.DETECTORS)) == before
    names = [r["step"].strip() for r in rows]
    assert names[0] == "load_inputs" and "match_app_to_web" in names and "_document" in names
    assert {f"detector {n}" for n, _ in detectors.DETECTORS} <= set(names)
    for r in rows:
        assert r["peak_mb"] >= max(r["start_mb"], r["end_mb"]) > 0 and r["seconds"] >= 0
    assert result.findings["summary"]["events"] > 0
