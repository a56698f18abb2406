"""A whole case end to end: wall time and peak RSS of each stage, at one or more scales.

    python benchmarks/bench_case.py                       # scale 3.0: 10.3 M lines, 10.2 M events
    python benchmarks/bench_case.py --scale 0.1 --scale 0.2   # two scales: is the growth linear?
    python benchmarks/bench_case.py --json
    python benchmarks/bench_case.py --case /tmp/case --stages ingest   # an existing case, one stage

For each scale the invented sample case is written with ``forensics simulate --scale S`` (web,
database and application logs of every kind the simulator knows), then the three stages that
``forensics investigate`` chains run one after the other, each as its own ``forensics``
command so that its peak resident memory is its own (``ru_maxrss`` of that child, read with
``os.wait4``):

* ``ingest``: ``forensics ingest CASE -o OUT --config CASE/case.toml -q``
* ``correlate``: ``forensics correlate OUT`` (sessions, links, detectors, findings.json)
* ``report``: ``forensics report OUT`` (the HTML report)

The end-to-end figure is the sum of the three (each pays the command's start-up, about 1 s, that
one ``investigate`` pays once), and the ``ingest`` command keeps freed memory five seconds
before returning it (``forensics/allocator.py``), which ``investigate`` does not: its ingest
stage takes about 6 % more CPU than this one's.  Generating the case is timed too but is not
part of it.  With
two or more scales the table ends with the growth of each stage's wall time, CPU time and memory
against the growth of the input (linear: time grows at most as fast as the lines).  On a shared,
loaded machine the wall time follows the load; the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Lines grow by about 3.4 M per unit of scale on top of about 150,000 lines of fixed-size
#: tables (each an event, give or take the rejects and meta lines): scale 2.7 wrote 9.35 M lines
#: (9.23 M events) and 3.0 wrote 10.34 M (10.22 M events).
DEFAULT_SCALE = 3.0
STAGES = ("ingest", "correlate", "report")


def run_stage(argv: list[str]) -> dict[str, object]:
    """Run one ``forensics`` command; return its wall seconds, CPU seconds, peak RSS and exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "forensics", *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    row: dict[str, object] = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "rss_mib": round(usage.ru_maxrss / 1024),
        "exit": proc.returncode,
    }
    if proc.returncode:
        row["error"] = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
    return row


def bench(
    scale: float, workdir: Path, seed: int | None, case: Path | None = None, stages: tuple[str, ...] = STAGES
) -> dict[str, object]:
    """Simulate one case at ``scale`` (or take ``case`` as it is) and time each stage of the investigation on it."""
    out = workdir / "out"
    result: dict[str, object] = {"scale": scale}
    if case is None:
        case = workdir / "case"
        sim = ["simulate", str(case), "--scale", str(scale), "--force"] + (["--seed", str(seed)] if seed else [])
        result["simulate"] = run_stage(sim)
    lines = files = 0
    for path in case.rglob("*"):
        if path.is_file() and path.name not in {"case.toml", "ground_truth.json", "README.md"}:
            files += 1
            with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
                lines += sum(chunk.count(b"\n") for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""))
    result["files"], result["lines"] = files, lines
    commands = {
        "ingest": ["ingest", str(case), "-o", str(out), "--config", str(case / "case.toml"), "-q"],
        "correlate": ["correlate", str(out)],
        "report": ["report", str(out)],
    }
    for stage in stages:
        result[stage] = run_stage(commands[stage])
        if result[stage]["exit"]:  # type: ignore[index]
            break
    manifest = out / "manifest.json"
    if manifest.exists():
        result["events"] = json.loads(manifest.read_text(encoding="utf-8"))["totals"]["events"]
    done = [result[s] for s in STAGES if s in result]
    result["total_seconds"] = round(sum(float(s["seconds"]) for s in done), 2)  # type: ignore[index]
    result["peak_rss_mib"] = max(int(s["rss_mib"]) for s in done)  # type: ignore[index]
    return result


def _print_table(rows: list[dict[str, object]]) -> None:
    print("| scale | files | lines | events | stage | wall s | CPU s | peak RSS MiB | lines/s |")
    print("|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in rows:
        head = f"| {r['scale']} | {r['files']} | {r['lines']:,} | {r.get('events', 0):,} |"
        for stage in ("simulate", *STAGES, "total"):
            s = (
                {"seconds": r["total_seconds"], "cpu_seconds": "", "rss_mib": r["peak_rss_mib"]}
                if stage == "total"
                else r.get(stage)
            )
            if not isinstance(s, dict):
                continue
            rate = f"{int(r['lines']) / float(s['seconds']):,.0f}" if stage != "simulate" else ""  # type: ignore[call-overload]
            note = f" (failed: {s['error']})" if s.get("error") else ""
            label = "**ingest+correlate+report**" if stage == "total" else stage
            print(f"{head} {label}{note} | {s['seconds']} | {s['cpu_seconds']} | {s['rss_mib']:,} | {rate} |")
            head = "| | | | |"
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        grow = int(b["lines"]) / max(1, int(a["lines"]))  # type: ignore[call-overload]
        print(f"\nInput grows {grow:.2f}x from scale {a['scale']} to {b['scale']}:")
        for stage in (*STAGES, "total"):
            if stage == "total":
                done_a = [a[s] for s in STAGES if isinstance(a.get(s), dict)]
                done_b = [b[s] for s in STAGES if isinstance(b.get(s), dict)]
                sa = {"seconds": a["total_seconds"], "rss_mib": a["peak_rss_mib"]}
                sb = {"seconds": b["total_seconds"], "rss_mib": b["peak_rss_mib"]}
                sa["cpu_seconds"] = sum(float(s["cpu_seconds"]) for s in done_a)  # type: ignore[index]
                sb["cpu_seconds"] = sum(float(s["cpu_seconds"]) for s in done_b)  # type: ignore[index]
            else:
                sa, sb = a.get(stage), b.get(stage)  # type: ignore[assignment]
            if not isinstance(sa, dict) or not isinstance(sb, dict):
                continue

            def x(key: str, sa: dict = sa, sb: dict = sb) -> str:  # type: ignore[type-arg]
                return f"x{float(sb[key]) / max(float(sa[key]), 1e-9):.2f}"

            print(f"- {stage}: wall time {x('seconds')}, CPU time {x('cpu_seconds')}, peak RSS {x('rss_mib')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--scale",
        type=float,
        action="append",
        help=f"simulator scale, repeatable to compare (default {DEFAULT_SCALE}, about 10 M events)",
    )
    ap.add_argument("--seed", type=int, default=None, help="simulator seed")
    ap.add_argument("--workdir", type=Path, default=None, help="where to write the cases (default: a temp folder)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per scale")
    ap.add_argument("--case", type=Path, help="time an existing case folder instead of simulating one")
    ap.add_argument(
        "--stages", default=",".join(STAGES), help="comma-separated stages to run (a stage needs the ones before it)"
    )
    args = ap.parse_args()
    scales = args.scale or [DEFAULT_SCALE]
    stages = tuple(s for s in args.stages.split(",") if s)
    if set(stages) - set(STAGES):
        ap.error(f"--stages takes {', '.join(STAGES)}")
    load = os.getloadavg()
    rows = []
    for scale in scales:
        tmp = Path(tempfile.mkdtemp(prefix="bench-case-", dir=args.workdir))
        try:
            row = bench(scale, tmp, args.seed, args.case, stages)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        row["load"] = round(os.getloadavg()[0], 1)
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
    if not args.json:
        print(f"# load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; at end {os.getloadavg()[0]:.1f}")
        _print_table(rows)


if __name__ == "__main__":
    main()
