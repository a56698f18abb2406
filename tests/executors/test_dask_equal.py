"""The Dask executor gives the local executor's outputs: same bytes, same rows, same file table.

A LocalCluster with two worker processes parses the shipped sample case (every worker hashes
each file again and the frames travel back to the client by pickling, as on a real cluster);
its outputs are compared with the local run of the same case (the session's ``sample_case``).

The same cluster then runs the case past a memory budget of 0 with only the partitioned
dataset asked: the events stay on the workers, which send the time pass its summaries and
write the dataset's parts themselves (``forensics.executors.mapreduce``).  Its parts are
compared byte for byte with the parts a local run cuts from ``events.parquet``, its findings
with the local findings; a small case with a yearless syslog in a repeated fall-back hour
checks the years and DST decisions that only that path makes on the client from summaries.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask tests need: pip install -e '.[dask]'")

import forensics  # noqa: E402
from forensics.app import ingest_only, inputs_on_workers  # noqa: E402
from forensics.config import CaseConfig, SourceConfig  # noqa: E402
from forensics.dataset import part_files, scan_events, write_dataset  # noqa: E402
from forensics.executors.cluster import DaskExecutor  # noqa: E402
from forensics.executors.task import ParseOptions, parse_source  # noqa: E402
from forensics.intake.walk import EvidenceFile  # noqa: E402
from forensics.outputs import parquet_metadata  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "sample_evidence"
TIMING = Path(__file__).resolve().parents[1] / "data" / "timing" / "formats"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def dask_case(client: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dask-case") / "out"
    forensics.investigate(
        ROOT, out=out, config=ROOT / "case.toml", quiet=True, executor=DaskExecutor(client), layout="both"
    )
    return out


@pytest.fixture(scope="module")
def on_workers(client: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample case with the events kept on the workers (a memory budget of 0, the dataset only)."""
    out = tmp_path_factory.mktemp("dask-workers") / "out"
    forensics.investigate(
        ROOT,
        out=out,
        config=ROOT / "case.toml",
        quiet=True,
        executor=DaskExecutor(client),
        layout="partitioned",
        memory=0,
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


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _same_parts(out: Path, reference: Path) -> None:
    """The same part files (names and bytes) in both datasets."""
    mine = [p.relative_to(out) for p in part_files(out)]
    theirs = [p.relative_to(reference) for p in part_files(reference)]
    assert mine and mine == theirs
    different = [str(p) for p in mine if (out / p).read_bytes() != (reference / p).read_bytes()]
    assert not different


def test_events_kept_on_the_workers_write_the_local_dataset(
    on_workers: Path, sample_case: Path, tmp_path: Path
) -> None:
    manifest = _manifest(on_workers)
    assert manifest["options"]["events_held_on"] == "workers"
    assert _manifest(sample_case)["options"]["events_held_on"] == "client"
    assert not (on_workers / "events.parquet").exists()
    # the dataset a local run cuts from its events.parquet (what --layout partitioned writes)
    rid = manifest["run_id"]
    parts = write_dataset(sample_case / "events.parquet", tmp_path, metadata=parquet_metadata(rid))
    _same_parts(on_workers, tmp_path)
    assert manifest["dataset"]["parts"] == [p.to_json() for p in parts]
    assert not list(on_workers.glob(".events-*"))  # the staging folder was published, not left


def test_events_kept_on_the_workers_give_the_local_findings(on_workers: Path, sample_case: Path) -> None:
    for name in ("findings.json", "attribution.parquet", "rejects.parquet"):
        assert _bytes(on_workers / name) == _bytes(sample_case / name), name
    local, remote = _manifest(sample_case), _manifest(on_workers)
    for key in ("files", "sources", "totals", "run_id", "clock", "warnings"):
        assert remote[key] == local[key], key
    # the time decisions this case needs were made from the workers' summaries
    sources = {s["source"]: s for s in remote["sources"]}
    assert sources["db02/mysql/general.log"]["dst_fall_back"]["resolved"] > 0
    assert sources["app01/apache2/access.log"]["skew_origin"] == "estimated"


def _yearless_case(root: Path) -> tuple[Path, CaseConfig]:
    """A yearless syslog whose year comes from another host's dated log, with a repeated fall-back hour."""
    evidence = root / "evidence"
    for rel, fixture in (("app01/syslog", "syslog_fallback"), ("rp01/error.log", "nginx_error_fallback.log")):
        (evidence / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TIMING / fixture, evidence / rel)
    zone = "Europe/Paris"
    sources = (
        SourceConfig(path="app01/syslog", format="syslog", host="app01", timezone=zone),
        SourceConfig(path="rp01/*", format="nginx.error", host="rp01", timezone=zone),
    )
    return evidence, CaseConfig(sources=sources)


class _Blind(DaskExecutor):
    """Workers that cannot see the output folder (another machine, no shared mount)."""

    def sees(self, folder: Path) -> bool:
        return False


def test_yearless_fall_back_decided_from_the_workers_summaries(client: Any, tmp_path: Path) -> None:
    evidence, cfg = _yearless_case(tmp_path)
    local = ingest_only(evidence, tmp_path / "local", config=cfg, quiet=True, layout="partitioned")
    remote = ingest_only(
        evidence,
        tmp_path / "remote",
        config=cfg,
        quiet=True,
        layout="partitioned",
        memory=0,
        executor=DaskExecutor(client),
    )
    blind = ingest_only(
        evidence, tmp_path / "blind", config=cfg, quiet=True, layout="partitioned", memory=0, executor=_Blind(client)
    )
    lm, rm, bm = _manifest(local.out_dir), _manifest(remote.out_dir), _manifest(blind.out_dir)
    assert rm["options"]["events_held_on"] == "workers"
    assert bm["options"]["events_held_on"] == "client"  # the events came back: the workers could not write there
    syslog = next(s for s in rm["sources"] if s["parser"] == "syslog")
    assert syslog["year_inference"]["basis"] == "case"
    assert syslog["dst_fall_back"]["resolved"] > 0
    for m in (rm, bm):
        for key in ("files", "sources", "totals", "warnings", "clock"):
            assert m[key] == lm[key], key
    _same_parts(remote.out_dir, local.out_dir)
    _same_parts(blind.out_dir, local.out_dir)


def test_correlation_reads_the_workers_days_as_the_client_reads_the_dataset(client: Any, on_workers: Path) -> None:
    from forensics.correlate.dedupe import kept_rows
    from forensics.correlate.frames import evidence_rows, load_inputs
    from forensics.correlate.pagination import with_pagination
    from forensics.correlate.pipeline import coverage_table

    remote = inputs_on_workers(DaskExecutor(client), on_workers)
    assert remote is not None  # the ingest kept its events on the workers: they read them back
    local = load_inputs(on_workers)
    # the workers dropped the copies another host logged, as prepare drops them from the whole
    # frame with the same tolerance, and labelled the rest with the profile the datasets choose
    assert remote.deduplicated_with is not None
    keep = kept_rows(local.web, remote.deduplicated_with)
    assert keep is not None and remote.duplicates_dropped == keep.len() - keep.sum() > 0
    assert remote.labelled_with is not None and remote.labelled_with.name == "mediboard"
    # and read their list pages: the query string stayed on the workers
    assert remote.paginated_with is not None and "url.query" not in remote.web.columns
    labelled = with_pagination(remote.labelled_with.label_activity(local.web.filter(keep)), remote.paginated_with).drop(
        "url.query"
    )
    for name in ("web", "db", "app", "names"):
        mine, theirs = getattr(remote, name), labelled if name == "web" else getattr(local, name)
        assert mine.height and mine.schema == theirs.schema, name
        assert mine.equals(theirs), name
    assert (remote.total, remote.untimed) == (local.total, local.untimed)
    assert remote.coverage is not None and remote.coverage.equals(coverage_table(local.scan))
    rows = [0, 1, local.total // 2, local.total - 1]
    assert evidence_rows(remote.scan, rows).equals(evidence_rows(local.scan, rows))


def test_correlation_reads_on_the_client_what_the_client_holds(client: Any, sample_case: Path) -> None:
    # events.parquet on the client: nothing to read on the workers
    assert inputs_on_workers(DaskExecutor(client), sample_case) is None


class _Watching:
    """A part writer's two methods that note, at each frame, how many sets the client has submitted and not taken."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.frames: list[tuple[str, pl.DataFrame, int | None]] = []
        self.sets_alive: list[int] = []

    def _note(self, kind: str, df: pl.DataFrame, size: int | None) -> None:
        self.frames.append((kind, df, size))
        self.sets_alive.append(sum(str(key).startswith("parse_source-") for key in self.client.futures))

    def events(self, df: pl.DataFrame, size: int | None = None) -> None:
        self._note("events", df, size)

    def rejects(self, df: pl.DataFrame, size: int | None = None) -> None:
        self._note("rejects", df, size)


def _rotation_sets(root: Path, n: int) -> list[EvidenceFile]:
    """``n`` rotation sets of two Apache files each (a rejected line in each older file)."""
    line = '192.0.2.{i} - alice [25/Oct/2024:10:{m:02d}:00 +0200] "GET /p{i} HTTP/1.1" 200 512 "-" "curl/8.0"\n'
    files = []
    for s in range(n):
        for rank, name in ((1, "access.log.1"), (0, "access.log")):
            path = root / f"host{s}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            body = "".join(line.format(i=i + 1, m=rank * 30 + i) for i in range(20)) + ("garbage\n" if rank else "")
            path.write_text(body, encoding="utf-8")
            files.append(
                EvidenceFile(
                    path=path,
                    relpath=f"host{s}/{name}",
                    size=path.stat().st_size,
                    sha256_before=hashlib.sha256(path.read_bytes()).hexdigest(),
                    source=f"host{s}/access.log",
                )
            )
    return files


def test_the_client_path_bounds_the_sets_and_frames_it_has_not_taken(client: Any, tmp_path: Path) -> None:
    """At most ``sets_ahead + 1`` sets submitted and not taken, one batch of frames fetched and not stored."""
    files = _rotation_sets(tmp_path, 6)
    options = ParseOptions(config=CaseConfig(), format="apache.access", files=tuple(files))
    ex = DaskExecutor(client, sets_ahead=1, fetch_bytes=1)  # one frame per batch
    writer, states = _Watching(client), {}
    reports = ex.parse(files, options, writer, states, None)
    assert max(writer.sets_alive) <= 2  # every set at once before backpressure: 6
    assert ex.backlog.peak_sets == 2 and ex.backlog.sets == 0
    assert ex.backlog.peak_bytes == ex.backlog.largest_frame and ex.backlog.bytes == 0
    # what the local executor's order gives: file after file, each file's events then rejects
    expected: list[tuple[str, pl.DataFrame, int]] = []
    expected_reports = []
    for s in range(6):
        for parsed in parse_source(files[2 * s : 2 * s + 2], options).files:
            expected += [("events", df, n) for df, n in zip(parsed.events, parsed.event_sizes)]
            expected += [("rejects", df, n) for df, n in zip(parsed.rejects, parsed.reject_sizes)]
            expected_reports.append(parsed.report)
    assert [(k, n) for k, _, n in writer.frames] == [(k, n) for k, _, n in expected]
    assert all(got.equals(want) for (_, got, _), (_, want, _) in zip(writer.frames, expected))
    assert reports == expected_reports
    assert sorted(states) == [f"host{s}/access.log" for s in range(6)]
    assert not [key for key in client.futures if str(key).startswith(("parse_source-", "outline-", "frames-"))]


def _correlate_on(client: Any, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Path]]:
    """``forensics correlate OUT --executor dask --scheduler ADDRESS``; the folders read on the workers."""
    from typer.testing import CliRunner

    import forensics.correlate.partitions as partitions
    from forensics.cli import app

    on_cluster: list[Path] = []
    load = partitions.load_on_cluster

    def spy(c: Any, folder: Path, config: Any = None) -> Any:
        on_cluster.append(Path(folder))
        return load(c, folder, config)

    monkeypatch.setattr(partitions, "load_on_cluster", spy)
    (out / "findings.json").unlink()
    result = CliRunner().invoke(
        app, ["correlate", str(out), "--executor", "dask", "--scheduler", client.scheduler.address]
    )
    assert result.exit_code == 0, result.output
    return result, on_cluster


def _assert_same_findings(out: Path, reference: Path) -> None:
    """findings.json and attribution.parquet of ``out`` are the reference run's bytes."""
    for name in ("findings.json", "attribution.parquet"):
        assert _bytes(out / name) == _bytes(reference / name), name


def test_correlate_reads_the_workers_days_and_writes_the_same_findings(
    client: Any, on_workers: Path, sample_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(on_workers, out)
    _, on_cluster = _correlate_on(client, out, monkeypatch)
    assert on_cluster == [out]
    _assert_same_findings(out, sample_case)


def test_correlate_on_dask_reads_a_dataset_the_client_wrote(
    client: Any, sample_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local ingest's dataset (its events were held on the client) is read on the workers too."""
    out = ingest_only(ROOT, tmp_path / "out", config=ROOT / "case.toml", quiet=True, layout="partitioned").out_dir
    assert _manifest(out)["options"]["events_held_on"] == "client"
    (out / "findings.json").write_text("{}", encoding="utf-8")  # replaced by the run below
    _, on_cluster = _correlate_on(client, out, monkeypatch)
    assert on_cluster == [out]
    _assert_same_findings(out, sample_case)


def test_correlate_on_dask_without_a_dataset_reads_on_the_client_and_says_so(
    client: Any, sample_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(sample_case, out)
    result, on_cluster = _correlate_on(client, out, monkeypatch)
    assert on_cluster == []
    assert "read on this machine, not on the Dask workers" in result.output
    assert _bytes(out / "findings.json") == _bytes(sample_case / "findings.json")
