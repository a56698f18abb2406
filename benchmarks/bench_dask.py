"""The same ingest on the local executor and on a two-worker Dask LocalCluster, side by side.

    python benchmarks/bench_dask.py                 # scale 2.7: about 10 M events (the issue's figure)
    python benchmarks/bench_dask.py --scale 0.1     # about 0.5 M lines, a few minutes on 2 cores
    python benchmarks/bench_dask.py --scale 1.0 --memory 512 --json
    python benchmarks/bench_dask.py --correlate OUT  # forensics correlate of an ingest's OUT, local then Dask
    python benchmarks/bench_dask.py --case CASE --scale 3.0 --no-client-path   # a case simulated earlier

Needs the extra: ``pip install -e '.[dask]'``.  The invented case is written once with
``forensics simulate --scale S``; then ``forensics ingest CASE -o OUT --config CASE/case.toml``
runs three times, as its own process each time:

1. ``--executor local --layout partitioned``: the reference;
2. ``--executor dask --layout partitioned``: past the memory budget (``--memory``, default
   1024 MiB) the events stay on the workers, which send the time pass its summaries and
   write the dataset's parts (``forensics.executors.mapreduce``);
3. ``--executor dask --layout both``: the events come back to the client, which orders and
   writes ``events.parquet`` and cuts the dataset from it, as a local run does.

The Dask runs each get a new LocalCluster of two worker processes (one thread each) started
by this script.  For each run: wall seconds, the client's CPU seconds and peak RSS
(``os.wait4`` of the ``forensics`` process), the workers' peak RSS (each worker's own
``getrusage``, read before its cluster stops), events per second, where the events waited
for the time pass (the manifest's ``options.events_held_on``), the load average of the
machine before and after, and whether the dataset's parts and ``rejects.parquet`` are the
same bytes as the local run's.  On a 2-core machine the two workers compete with the client
for the same cores: the figure says what the transport costs, not what a cluster of real
machines gains.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCALE = 2.7


def run(argv: list[str]) -> dict[str, object]:
    """One ``forensics`` command: wall seconds, CPU seconds and peak RSS of that process."""
    load_before = round(os.getloadavg()[0], 1)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "forensics", *argv], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"forensics {' '.join(argv)} failed ({code}):\n{err.decode(errors='replace')[-2000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "load": f"{load_before}-{round(os.getloadavg()[0], 1)}",
    }


def _peak_rss_mib() -> int:
    """This process's peak RSS (run on each worker)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def on_cluster(argv: list[str]) -> dict[str, object]:
    """``run`` against a new LocalCluster of two workers; adds the workers' peak RSS."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        row = run([*argv, "--executor", "dask", "--scheduler", cluster.scheduler_address])
        peaks = client.run(_peak_rss_mib)
    row["worker_peak_rss_mib"] = "+".join(str(v) for _, v in sorted(peaks.items()))
    return row


def _parts(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "events").rglob("part-*.parquet"))}


def bench(
    scale: float,
    workdir: Path,
    seed: int | None,
    memory: int | None,
    client_path: bool = True,
    case: Path | None = None,
) -> list[dict[str, object]]:
    """The runs on ``case`` (a case ``forensics simulate`` wrote), or on a case simulated here at ``scale``."""
    if case is None:
        case = workdir / "case"
        simulate = ["simulate", str(case), "--scale", str(scale), "--force"]
        if seed is not None:
            simulate += ["--seed", str(seed)]
        gen = run(simulate)
        print(f"case written at scale {scale} in {gen['seconds']} s", file=sys.stderr)
    base = ["--config", str(case / "case.toml"), "-q"]
    if memory is not None:
        base += ["--memory", str(memory)]
    runs: list[tuple[str, Path, dict[str, object]]] = []
    local = workdir / "local"
    row = run(["ingest", str(case), "-o", str(local), *base, "--layout", "partitioned"])
    runs.append(("local", local, row))
    print(f"local: {row}", file=sys.stderr)
    layouts = ["partitioned", "both"] if client_path else ["partitioned"]
    for label, layout in (("dask, 2 workers", layout) for layout in layouts):
        out = workdir / f"dask-{layout}"
        row = on_cluster(["ingest", str(case), "-o", str(out), *base, "--layout", layout])
        runs.append((label, out, row))
        print(f"dask {layout}: {row}", file=sys.stderr)
    reference = _parts(local)
    rejects = (local / "rejects.parquet").read_bytes()
    rows = []
    for label, out, r in runs:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        events = manifest["totals"]["events"]
        r.update(
            executor=label,
            layout=manifest["options"]["layout"],
            events_held_on=manifest["options"].get("events_held_on"),
            events=events,
            events_per_s=round(events / float(r["seconds"])),  # type: ignore[arg-type]
            same_bytes_as_local=_parts(out) == reference and (out / "rejects.parquet").read_bytes() == rejects,
            scale=scale,
        )
        r.setdefault("worker_peak_rss_mib", "")
        rows.append(r)
        shutil.rmtree(out, ignore_errors=True)
    return rows


def bench_correlate(out: Path, workdir: Path) -> list[dict[str, object]]:
    """``forensics correlate`` of one ingest output, locally then on a new two-worker LocalCluster.

    ``out`` must hold the partitioned dataset (``--layout both``).  Each run works on its own
    copy: the local one keeps ``events.parquet``, the Dask one holds the dataset only, so the
    workers read it one UTC day each (``forensics.correlate.partitions``).  Adds whether the
    two ``findings.json`` (apart from the run id) and ``attribution.parquet`` are the same.
    """
    if not (out / "events").is_dir():
        raise SystemExit(f"{out} holds no partitioned dataset: ingest it with --layout both")
    rows: list[dict[str, object]] = []
    copies = {}
    for executor in ("local", "dask"):
        copy = workdir / f"out-{executor}"
        shutil.copytree(out, copy, ignore=shutil.ignore_patterns("findings.json", "*.lock"))
        copies[executor] = copy
        if executor == "local":
            row = run(["correlate", str(copy), "-q"])
        else:
            (copy / "events.parquet").unlink(missing_ok=True)
            row = on_cluster(["correlate", str(copy), "-q"])
        rows.append({"executor": executor, **row})

    def findings(folder: Path) -> dict[str, object]:
        doc = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
        doc.pop("run_id", None)
        return doc

    same = findings(copies["local"]) == findings(copies["dask"]) and (
        (copies["local"] / "attribution.parquet").read_bytes() == (copies["dask"] / "attribution.parquet").read_bytes()
    )
    for row in rows:
        row["same_findings"] = same
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--memory", type=int, default=None, help="--memory of every run (MiB; default: the tool's)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-client-path", action="store_true", help="skip the third run (--layout both on Dask)")
    ap.add_argument(
        "--case", type=Path, default=None, help="an existing simulated case (its case.toml inside): not simulated again"
    )
    ap.add_argument(
        "--correlate", type=Path, metavar="OUT", help="time forensics correlate of this ingest output instead"
    )
    args = ap.parse_args()
    if args.correlate:
        workdir = Path(tempfile.mkdtemp(prefix="bench-dask-"))
        try:
            rows = bench_correlate(args.correlate, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        keys = ["executor", "seconds", "cpu_seconds", "peak_rss_mib", "worker_peak_rss_mib", "load", "same_findings"]
        print(
            json.dumps(rows, indent=2)
            if args.json
            else "\n".join(" | ".join(str(r.get(k, "")) for k in keys) for r in rows)
        )
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        rows = bench(args.scale, workdir, args.seed, args.memory, not args.no_client_path, args.case)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    cols = [
        "executor",
        "layout",
        "events_held_on",
        "events",
        "seconds",
        "cpu_seconds",
        "peak_rss_mib",
        "worker_peak_rss_mib",
        "events_per_s",
        "load",
        "same_bytes_as_local",
    ]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols))


if __name__ == "__main__":
    main()
