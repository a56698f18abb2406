"""The partitioned event dataset: safe paths from hostile names, idempotent, the same rows as events.parquet."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forensics.case import Case
from forensics.dataset import (
    MAX_COMPONENT,
    NULL_PARTITION,
    encode_component,
    part_files,
    part_name,
    scan_events,
    source_batches,
    write_dataset,
)
from forensics.intake.engine import ingest
from forensics.outputs import OutputError

LINE = '192.0.2.{n} - alice [{d}/Oct/2024:23:59:5{s} +0000] "GET /a?x=1 HTTP/1.1" 200 512 "-" "curl/8.0"\n'
#: folder names an evidence archive may carry: separators, traversal, dots, escapes, controls
HOSTILE = ["..", ".hidden", "a=b%2F..", "web 01;rm -rf", "s\u00e9rveur", "tab\there"]


def _evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    for i, name in enumerate(HOSTILE):
        folder = root / ("x" + name if name == ".." else name)
        folder.mkdir(parents=True)
        lines = [LINE.format(n=i + 1, d=d, s=s) for d in (24, 25) for s in range(3)]
        (folder / "access.log").write_text("".join(lines), encoding="utf-8")
    return root


@given(st.text(max_size=300))
def test_encoded_values_are_one_safe_component(value: str) -> None:
    text = encode_component(value)
    assert "/" not in text and "\x00" not in text and not text.startswith(".")
    assert 0 < len(text) <= MAX_COMPONENT
    assert text.isascii()
    if value and "~" not in text:
        assert unquote(text) == value  # what Hive, Spark, DuckDB and polars decode


def test_missing_values_and_part_names() -> None:
    assert encode_component(None) == encode_component("") == NULL_PARTITION
    assert encode_component("..") == "%2E." and encode_component("a/b") == "a%2Fb"
    assert part_name("ABCDEF0123456789ffff") == "part-abcdef0123456789.parquet"
    assert part_name("../../x") == "part-unknown.parquet"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("dataset")
    evidence = _evidence(tmp)
    ingest(evidence, tmp / "single", force=False)
    ingest(evidence, tmp / "partitioned", layout="partitioned", force=False)
    return evidence, tmp / "single", tmp / "partitioned"


def test_partitioned_only_reads_back_as_events_parquet(runs: tuple[Path, Path, Path]) -> None:
    _, single, partitioned = runs
    assert not (partitioned / "events.parquet").exists()
    expected = pl.read_parquet(single / "events.parquet")
    assert expected.height == 6 * len(HOSTILE)
    assert scan_events(partitioned).collect().equals(expected)
    assert Case(partitioned).events.equals(expected)
    for part in part_files(partitioned):
        assert part.resolve().is_relative_to((partitioned / "events").resolve())


def test_parts_trace_to_their_input_and_day(runs: tuple[Path, Path, Path]) -> None:
    _, _, partitioned = runs
    manifest = json.loads((partitioned / "manifest.json").read_text(encoding="utf-8"))
    shas = {f["path"]: f["sha256_before"] for f in manifest["files"]}
    parts = manifest["dataset"]["parts"]
    assert len(parts) == 2 * len(HOSTILE)  # one per input file and UTC day
    for p in parts:
        rows = pl.read_parquet(partitioned / "events" / p["path"])
        assert rows.height == p["rows"] == 3
        assert rows.get_column("log.file.sha256").unique().to_list() == [p["sha256"]]
        assert p["sha256"] in shas.values() and Path(p["path"]).name == part_name(p["sha256"])
        assert rows.get_column("log.source").unique().to_list() == [p["source"]]
    hive = pl.scan_parquet(partitioned / "events", hive_partitioning=True).collect()
    assert hive.filter(pl.col("source") != pl.col("log.source")).height == 0
    assert sorted(hive.get_column("day").cast(pl.String).unique().to_list()) == ["2024-10-24", "2024-10-25"]


@pytest.mark.parametrize("budget", [0, 2_000, 5_000])
def test_a_day_cut_a_few_sources_at_a_time_gives_the_same_parts(
    runs: tuple[Path, Path, Path], tmp_path: Path, budget: int
) -> None:
    """Past the memory budget a day is read a few sources at a time: the same files, the same bytes."""
    _, single, _ = runs
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    whole.mkdir()
    batched.mkdir()
    events = single / "events.parquet"
    parts = write_dataset(events, whole)
    assert write_dataset(events, batched, memory_budget=budget) == parts
    assert {p.relative_to(batched): p.read_bytes() for p in part_files(batched)} == {
        p.relative_to(whole): p.read_bytes() for p in part_files(whole)
    }


def test_a_day_is_read_once_per_batch_of_its_sources(
    runs: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget of nothing reads each source of a day alone; the default reads the day once."""
    _, single, _ = runs
    collected: list[int] = []
    real = pl.LazyFrame.collect

    def counted(self: pl.LazyFrame, *args: object, **kwargs: object) -> pl.DataFrame:
        frame = real(self, *args, **kwargs)  # type: ignore[arg-type]
        if "event.original" in frame.columns and frame.height:
            collected.append(frame.height)
        return frame

    monkeypatch.setattr(pl.LazyFrame, "collect", counted)
    for budget, reads in ((None, 2), (0, 2 * len(HOSTILE))):
        collected.clear()
        target = tmp_path / f"b{budget}"
        target.mkdir()
        write_dataset(single / "events.parquet", target, memory_budget=budget)
        assert len(collected) == reads + 1  # and the sample that sizes an event
        assert collected[0] <= 6 * len(HOSTILE) and max(collected[1:]) == (3 * len(HOSTILE) if budget is None else 3)


def test_source_batches_keep_the_order_and_the_limit() -> None:
    assert source_batches(["a", "b", "c", None], [3, 3, 5, 1], 6) == [["a", "b"], ["c", None]]
    assert source_batches(["a", "b"], [10, 1], 4) == [["a"], ["b"]]  # a source over the limit is alone
    assert source_batches(["a", "b", "c"], [1, 1, 1], 1) == [["a"], ["b"], ["c"]]
    assert source_batches([], [], 5) == []


def test_rerun_is_idempotent(runs: tuple[Path, Path, Path]) -> None:
    evidence, _, partitioned = runs
    before = {p: p.read_bytes() for p in part_files(partitioned)}
    ingest(evidence, partitioned, layout="partitioned", force=False)
    assert {p: p.read_bytes() for p in part_files(partitioned)} == before
    assert not [p for p in (partitioned / "events").rglob("*") if p.is_file() and p not in before]


def test_dataset_of_another_run_is_refused_then_removed_with_force(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path)
    out = tmp_path / "out"
    ingest(evidence, out, layout="both", force=False)
    (evidence / "s\u00e9rveur" / "access.log").write_text(LINE.format(n=9, d=26, s=1), encoding="utf-8")
    with pytest.raises(OutputError):
        ingest(evidence, out, layout="partitioned", force=False)
    said: list[str] = []
    ingest(evidence, out, layout="partitioned", force=True, say=said.append)
    assert any("events/" in s for s in said)
    days = {p.parent.name for p in part_files(out)}
    assert "day=2024-10-26" in days


def test_correlation_and_report_read_the_dataset_alone(tmp_path: Path) -> None:
    import forensics

    evidence = _evidence(tmp_path)
    single = forensics.investigate(evidence, out=tmp_path / "single", quiet=True)
    alone = forensics.investigate(evidence, out=tmp_path / "alone", quiet=True, layout="partitioned")
    assert not (alone.out_dir / "events.parquet").exists() and part_files(alone.out_dir)
    for name in ("findings.json", "attribution.parquet", "sessions.parquet"):
        assert (alone.out_dir / name).read_bytes() == (single.out_dir / name).read_bytes(), name
    html = (alone.out_dir / "report.html").read_text(encoding="utf-8")
    assert ">events/<" in html  # the report names the dataset among the hashes it was made from
