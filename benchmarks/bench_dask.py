"""The same ingest on the local executor and on a two-worker Dask LocalCluster, side by side.

    python benchmarks/bench_dask.py                 # scale 2.7: about 10 M events (the issue's figure)
    python benchmarks/bench_dask.py --scale 0.1     # about 0.5 M lines, a few minutes on 2 cores
    python benchmarks/bench_dask.py --json

Needs the extra: ``pip install -e '.[dask]'``.  The invented case is written once with
``forensics simulate --scale S``; then ``forensics ingest CASE -o OUT --config CASE/case.toml``
runs twice, as its own process each time: with ``--executor local``, and with ``--executor
dask --scheduler ADDRESS`` against a LocalCluster of two worker processes (one thread each)
that this script starts.  For each run: wall seconds, the client's CPU seconds and peak RSS
(``os.wait4`` of the ``forensics`` process; the workers' own memory is not in it), events per
second, and whether ``events.parquet`` and ``rejects.parquet`` are the same bytes as the local
run's.  On a 2-core machine the two workers compete with the client (which orders and writes
the events) for the same cores: the figure says what the transport costs, not what a cluster
of real machines gains.
"""

from __future__ import annotations

import argparse
import json
import os
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
    }


def bench(scale: float, workdir: Path, seed: int | None) -> list[dict[str, object]]:
    from distributed import LocalCluster

    case = workdir / "case"
    simulate = ["simulate", str(case), "--scale", str(scale), "--force"]
    if seed is not None:
        simulate += ["--seed", str(seed)]
    gen = run(simulate)
    print(f"case written at scale {scale} in {gen['seconds']} s", file=sys.stderr)
    base = ["--config", str(case / "case.toml"), "-q"]
    rows: list[dict[str, object]] = []
    local = workdir / "local"
    row = {"executor": "local", **run(["ingest", str(case), "-o", str(local), *base])}
    rows.append(row)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = workdir / "dask"
        address = cluster.scheduler_address
        row = {
            "executor": "dask, 2 workers",
            **run(["ingest", str(case), "-o", str(remote), *base, "--executor", "dask", "--scheduler", address]),
        }
        rows.append(row)
    events = json.loads((local / "manifest.json").read_text(encoding="utf-8"))["totals"]["events"]
    for r, out in zip(rows, (local, remote)):
        r["events"] = events
        r["events_per_s"] = round(events / float(r["seconds"]))  # type: ignore[arg-type]
        r["same_bytes_as_local"] = all(
            (out / name).read_bytes() == (local / name).read_bytes() for name in ("events.parquet", "rejects.parquet")
        )
        r["scale"] = scale
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        rows = bench(args.scale, workdir, args.seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    cols = ["executor", "events", "seconds", "cpu_seconds", "peak_rss_mib", "events_per_s", "same_bytes_as_local"]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols))


if __name__ == "__main__":
    main()
