"""The spilled path against a naive polars regex: one big access log, then the same lines rotated and gzipped.

    python benchmarks/bench_spilled.py                    # 2,000,000 lines: one file, then 20 .gz files
    python benchmarks/bench_spilled.py --lines 500000 --memory 0
    python benchmarks/bench_spilled.py --keep /tmp/spilled-inputs   # reuse the generated files
    python benchmarks/bench_spilled.py --json
    python benchmarks/bench_spilled.py --steps --only one          # where ingest's time goes, step by step

Two inputs hold the same Apache combined lines (``bench_web.generate``, seeded): one file
(2 M lines are 465 MB, past the default 1 GiB in-memory budget of parsed columns, so ingest
spills to Parquet parts and orders them out of core), and the same lines cut into 20
rotated files gzipped the way logrotate leaves them (``access.log.20.gz`` the oldest,
``access.log.1.gz`` the newest).  For each input, in the same run and each in its own child
process (so its peak RSS, ``ru_maxrss``, is its own):

* ``ingest``: ``forensics.intake.engine.ingest`` (the library call behind ``forensics ingest``), zone
  Europe/Paris, the default budget unless ``--memory MIB``;
* ``naive``: what an analyst writes in a notebook: ``scan_csv`` of whole lines (polars reads
  the .gz files itself), one ``str.extract_groups`` regex, integer columns cast, the timestamp
  parsed, ``sink_parquet``.  It keeps no raw line, no provenance, no order and no rejects.

The ratio is ingest lines/s over naive lines/s on the same input (1.0x: as fast as the naive
regex); ``vs one file`` divides it by the naive figure of the single file, which is the target's
reference for the rotated input.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_web import generate  # noqa: E402  (a sibling benchmark script)

_CLF = (
    r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<url>\S+) (?P<proto>[^"]*)" '
    r'(?P<status>\d{3}) (?P<bytes>\S+)(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?'
)
ROTATED = 20


def _usage() -> tuple[float, int]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime, u.ru_maxrss


def make_inputs(folder: Path, lines: int) -> tuple[Path, Path, int]:
    """Write (or reuse) the one-file and the rotated evidence folders; return them and the plain size."""
    one = folder / "one" / "web01" / "apache2"
    rotated = folder / "rotated" / "web01" / "apache2"
    log = one / "access.log"
    stamp = folder / "lines"
    if not stamp.exists() or stamp.read_text() != str(lines):
        for d in (one, rotated):
            d.mkdir(parents=True, exist_ok=True)
            for old in d.iterdir():
                old.unlink()
        generate(log, lines)
        with log.open("rb") as src:
            per = -(-lines // ROTATED)
            for i in range(ROTATED):
                # the first lines are the oldest: they go to the highest number
                chunk = b"".join(src.readline() for _ in range(per))
                with gzip.open(rotated / f"access.log.{ROTATED - i}.gz", "wb", compresslevel=6) as out:
                    out.write(chunk)
        stamp.write_text(str(lines))
    return one.parent.parent, rotated.parent.parent, log.stat().st_size


def _child_ingest(evidence: str, out: str, memory_mib: str) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from forensics.intake.engine import ingest

    budget = None if memory_mib == "default" else int(memory_mib) << 20
    cpu0, _ = _usage()
    started = time.perf_counter()
    result = ingest(evidence, out, tz="Europe/Paris", memory_budget=budget)
    seconds = time.perf_counter() - started
    cpu1, rss = _usage()
    totals = result.manifest["totals"]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu1 - cpu0,
        "events": totals["events"],
        "rejects": totals["rejects"],
        "rss_kib": rss,
    }


#: The steps ``--steps`` times: (module, attribute path).  A name that does not exist (moved
#: code) is left out of the table rather than failing the run.
STEPS = [
    ("forensics.intake.engine", "_ingest_file"),
    ("forensics.intake.engine", "process_lines"),
    ("forensics.intake.accounting", "finish_events"),
    ("forensics.intake.store", "PartStore._write_part"),
    ("forensics.intake.store", "PartStore._spill"),
    ("forensics.intake.writer", "time_pass"),
    ("forensics.intake.store", "PartStore._write_ranges"),
    ("forensics.intake.store", "PartStore._write_held"),
    ("forensics.intake.writer", "file_stats"),
    ("forensics.intake.engine", "_hash_after"),
    ("forensics.intake.engine", "hash_file"),
]


def _child_steps(evidence: str, out: str, memory_mib: str) -> dict[str, object]:
    """One ingest with its steps wrapped: wall seconds and process CPU seconds spent inside each.

    Steps nest (reading a file includes its part writes) and other threads (the reader, the
    parse workers, the re-hash) run during a step, so the process CPU of a step counts them too.
    """
    import functools
    import importlib

    sys.path.insert(0, str(ROOT))
    times: dict[str, list[float]] = {}

    def wrap(module: str, name: str) -> None:
        owner: object = importlib.import_module(module)
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        fn = getattr(owner, attr, None)
        if fn is None:
            return

        @functools.wraps(fn)
        def timed(*a: object, **k: object) -> object:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                entry = times.setdefault(name, [0.0, 0.0, 0])
                entry[0] += time.perf_counter() - wall
                entry[1] += time.process_time() - cpu
                entry[2] += 1

        setattr(owner, attr, timed)

    for module, name in STEPS:
        wrap(module, name)
    row = _child_ingest(evidence, out, memory_mib)
    row["steps"] = {k: {"seconds": v[0], "cpu_seconds": v[1], "calls": v[2]} for k, v in times.items()}
    return row


def _child_naive(evidence: str, out: str) -> dict[str, object]:
    import polars as pl

    files = sorted(str(p) for p in Path(evidence).rglob("access.log*"))
    names = re.findall(r"\(\?P<(\w+)>", _CLF)
    cpu0, _ = _usage()
    started = time.perf_counter()
    (
        pl.scan_csv(files, has_header=False, separator="\x1f", quote_char=None, schema={"line": pl.String})
        .with_columns(pl.col("line").str.extract_groups(_CLF).alias("m"))
        .unnest("m")
        .with_columns(
            pl.col("ts").str.strptime(pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S %z", strict=False),
            pl.col("status").cast(pl.Int64, strict=False),
            pl.col("bytes").cast(pl.Int64, strict=False),
        )
        .select(names)
        .sink_parquet(out)
    )
    seconds = time.perf_counter() - started
    cpu1, rss = _usage()
    parsed = pl.scan_parquet(out).select(pl.col("ts").is_not_null().sum()).collect().item()
    return {"seconds": seconds, "cpu_seconds": cpu1 - cpu0, "events": parsed, "rss_kib": rss}


def _run_child(*args: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False, env=env
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(
    name: str,
    evidence: Path,
    lines: int,
    work: Path,
    memory: str = "default",
    reference: int | None = None,
    steps: bool = False,
) -> dict[str, object]:
    """Time the naive baseline, then ingest, on one evidence folder; ``reference``: the one file's naive lines/s."""
    naive = _run_child("naive", str(evidence), str(work / "naive.parquet"))
    ing = _run_child("steps" if steps else "ingest", str(evidence), str(work / "out"), memory)
    row: dict[str, object] = {"input": name, "lines": lines, "ingest": ing, "naive": naive}
    if "seconds" in ing and "seconds" in naive:
        row["ingest_lines_s"] = round(lines / ing["seconds"])  # type: ignore[operator]
        row["naive_lines_s"] = round(lines / naive["seconds"])  # type: ignore[operator]
        row["ratio"] = round(row["ingest_lines_s"] / row["naive_lines_s"], 4)  # type: ignore[operator]
        row["ratio_vs_one_file"] = round(row["ingest_lines_s"] / (reference or row["naive_lines_s"]), 4)  # type: ignore[operator]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--memory", default="default", help="ingest's memory budget in MiB (default: the library's)")
    ap.add_argument("--keep", type=Path, help="generate the inputs here and reuse them on later runs")
    ap.add_argument("--only", choices=("one", "rotated"), help="measure one input only")
    ap.add_argument("--json", action="store_true", help="one JSON object per input")
    ap.add_argument("--steps", action="store_true", help="also time ingest's steps (wrapped: a little slower)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        child = {"ingest": _child_ingest, "steps": _child_steps, "naive": _child_naive}[kind]
        print(json.dumps(child(*rest)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-spilled-") as tmp:
        folder = args.keep or Path(tmp) / "inputs"
        t0 = time.perf_counter()
        one, rotated, size = make_inputs(folder, args.lines)
        print(f"inputs: {args.lines:,} lines, {size / 1e6:,.0f} MB ({time.perf_counter() - t0:.1f} s to prepare)")
        reference = None
        for name, evidence in (("one file", one), (f"{ROTATED} .gz files", rotated)):
            if args.only and (args.only == "one") != (name == "one file"):
                continue
            row = measure(name, evidence, args.lines, Path(tmp), str(args.memory), reference, args.steps)
            reference = reference or row.get("naive_lines_s")  # type: ignore[assignment]
            print(json.dumps(row) if args.json else _text(row), flush=True)
        print(f"load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def _text(row: dict[str, object]) -> str:
    ing, naive = row["ingest"], row["naive"]
    assert isinstance(ing, dict) and isinstance(naive, dict)
    if "error" in ing or "error" in naive:
        return f"{row['input']}: ingest {ing.get('error', 'ok')}; naive {naive.get('error', 'ok')}"
    return (
        f"{row['input']:>13}: ingest {ing['seconds']:6.2f} s, {row['ingest_lines_s']:>9,} lines/s, "
        f"{ing['cpu_seconds']:5.1f} CPU-s, peak RSS {ing['rss_kib'] / 1024:5,.0f} MiB, "
        f"{ing['events']:,} events, {ing['rejects']:,} rejects\n"
        f"{'':>13}  naive  {naive['seconds']:6.2f} s, {row['naive_lines_s']:>9,} lines/s, "
        f"{naive['cpu_seconds']:5.1f} CPU-s, peak RSS {naive['rss_kib'] / 1024:5,.0f} MiB\n"
        f"{'':>13}  ratio  {row['ratio']:.2f}x (against the one file's naive run: {row['ratio_vs_one_file']:.2f}x)"
        + "".join(
            f"\n{'':>15}{step:>28}: {v['seconds']:6.2f} s wall, {v['cpu_seconds']:6.2f} process CPU-s, x{v['calls']}"
            for step, v in ing.get("steps", {}).items()
        )
    )


if __name__ == "__main__":
    main()
