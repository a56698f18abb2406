"""The per-format benchmark covers every registered format and generates what it claims."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from parsers.base import load_all

ROOT = Path(__file__).resolve().parents[2]


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_formats", ROOT / "benchmarks" / "bench_formats.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_formats"] = module
    spec.loader.exec_module(module)
    return module


bench = _module()


def test_every_registered_format_has_a_generator() -> None:
    # parsers that other test modules register for themselves are not formats of the project
    shipped = {name for name, cls in load_all().items() if cls.__module__.startswith("parsers.")}
    assert sorted(bench.FIXTURES) == sorted(shipped)


@pytest.mark.parametrize("fmt", sorted(f for f in bench.FIXTURES if f != "apache.access"))
def test_generator_writes_at_least_the_lines_asked(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "log"
    written = bench.generate(fmt, path, 500)
    assert written >= 500
    assert path.read_bytes().count(b"\n") == written


def test_copies_move_time_on_and_vary_addresses(tmp_path: Path) -> None:
    path = tmp_path / "server_audit.log"
    bench.generate("mariadb.audit", path, 100)
    lines = path.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    body = (ROOT / "tests/data/db/server_audit.log").read_bytes().count(b"\n")
    first, second = lines[0], lines[body]
    assert first.split(",")[0] < second.split(",")[0]  # the second copy is later
    assert first.split(",")[3] != second.split(",")[3]  # and from another address


def test_one_format_end_to_end(tmp_path: Path) -> None:
    row = bench.bench("syslog", 2000, tmp_path)
    ing, naive = row["ingest"], row["naive"]
    assert row["lines"] >= 2000
    assert row["lines"] // 2 < ing["events"] and ing["events"] + ing["rejects"] <= row["lines"]
    assert naive["events"] > 0
    assert row["ratio"] > 0 and row["cpu_ratio"] > 0 and ing["rss_kib"] > 0


@pytest.mark.parametrize("fmt", sorted(bench.FIXTURES))
def test_every_format_has_its_own_naive_regex_and_it_parses_the_format(fmt: str, tmp_path: Path) -> None:
    # the baseline an analyst would write *for that format*: a regex that finds its fields, not
    # the first-timestamp fallback, which parses nothing of the line and flatters the naive side
    assert bench.baseline_for(fmt)[3] == "own"
    log = tmp_path / "log"
    written = bench.generate(fmt, log, 600)
    naive = bench._child_naive(fmt, str(log), str(tmp_path / "naive.parquet"))
    # every format's fixture has rejects and continuation lines; at least a few records match
    assert naive["events"] >= written // 20, naive


def test_the_profile_accounts_for_the_whole_ingest(tmp_path: Path) -> None:
    """``--profile``: every step is timed on one thread, and the steps add up to the whole run."""
    row = bench.profile_row("mysql.error", 3000, tmp_path)
    ing, naive = row["ingest"], row["naive"]
    assert "error" not in ing and "error" not in naive, (ing, naive)
    steps = ing["steps"]
    assert set(steps) == set(bench.PROFILE_COLUMNS)
    assert all(v >= 0 for v in steps.values())
    # the hash is timed on its own thread's clock, the rest on the wall clock: within 5 %
    assert abs(sum(steps.values()) - ing["seconds"]) <= 0.05 * ing["seconds"] + steps["hash"]
    assert steps["parse"] > 0 and steps["order+write"] > 0 and steps["read"] > 0
    assert ing["events"] > 0
    line = bench._profile_table_row(row)
    assert line.startswith("| mysql.error | ") and line.count("|") == bench.PROFILE_HEADER.splitlines()[0].count("|")
