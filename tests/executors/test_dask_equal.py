"""The Dask executor gives the local executor's outputs: same bytes, same rows, same file table.

A LocalCluster with two worker processes parses the shipped sample case (every worker hashes
each file again and the frames travel back to the client by pickling, as on a real cluster);
its outputs are compared with the local run of the same case (the session's ``sample_case``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask tests need: pip install -e '.[dask]'")

import forensics  # noqa: E402
from forensics.dataset import part_files, scan_events  # noqa: E402
from forensics.executors.cluster import DaskExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "sample_evidence"


@pytest.fixture(scope="module")
def dask_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dask-case") / "out"
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        forensics.investigate(
            ROOT, out=out, config=ROOT / "case.toml", quiet=True, executor=DaskExecutor(client), layout="both"
        )
    return out


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_events_and_rejects_are_the_same_bytes(dask_case: Path, sample_case: Path) -> None:
    assert _bytes(dask_case / "events.parquet") == _bytes(sample_case / "events.parquet")
    assert _bytes(dask_case / "rejects.parquet") == _bytes(sample_case / "rejects.parquet")


def test_findings_are_the_same_bytes(dask_case: Path, sample_case: Path) -> None:
    assert _bytes(dask_case / "findings.json") == _bytes(sample_case / "findings.json")
    assert _bytes(dask_case / "attribution.parquet") == _bytes(sample_case / "attribution.parquet")


def test_manifest_file_table_is_the_same(dask_case: Path, sample_case: Path) -> None:
    local = json.loads((sample_case / "manifest.json").read_text(encoding="utf-8"))
    remote = json.loads((dask_case / "manifest.json").read_text(encoding="utf-8"))
    assert remote["files"] == local["files"]
    assert remote["sources"] == local["sources"]
    assert remote["totals"] == local["totals"]
    assert remote["run_id"] == local["run_id"]
    assert remote["options"]["executor"] == "dask" and remote["options"]["workers"] == 2
    assert local["options"]["executor"] == "local"


def test_every_worker_hashed_what_it_read(dask_case: Path) -> None:
    manifest = json.loads((dask_case / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]
    for f in manifest["files"]:
        # measured on the worker, compared with the client's hash before reading
        assert f["sha256_read"] == f["sha256_before"] == f["sha256_after"], f["path"]
        assert not any("not the file hashed by the client" in w for w in f["warnings"])


def test_partitioned_dataset_reads_back_as_events_parquet(dask_case: Path, tmp_path: Path) -> None:
    single = pl.read_parquet(dask_case / "events.parquet")
    assert part_files(dask_case)
    # the dataset alone (no events.parquet beside it), read the way the library reads it
    alone = tmp_path / "out"
    shutil.copytree(dask_case / "events", alone / "events")
    shutil.copy(dask_case / "manifest.json", alone / "manifest.json")
    back = scan_events(alone).collect()
    assert back.schema == single.schema
    assert back.equals(single)  # row for row, in the canonical order
    # as DuckDB, Spark or Trino see it: two partition columns decoded from the paths
    hive = pl.scan_parquet(alone / "events", hive_partitioning=True).select("source", "day", "log.source", "@timestamp")
    mismatched = hive.filter(
        (pl.col("source") != pl.col("log.source")) | (pl.col("day") != pl.col("@timestamp").dt.date())
    ).collect()
    assert mismatched.height == 0
