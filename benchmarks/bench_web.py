"""Time ``forensics.intake.engine.ingest`` end to end on generated Apache combined lines.

    python benchmarks/bench_web.py              # 2,000,000 lines
    python benchmarks/bench_web.py 500000       # another size
    python benchmarks/bench_web.py --profile    # per-step times of one chunk
    python benchmarks/bench_web.py --floor      # the cost of only storing each raw line

The lines are generated (seeded, so every run reads the same bytes) into a temporary
evidence folder, then ``ingest`` runs in a child process so that its peak RSS
(``ru_maxrss``) is measured alone, without the generator's memory.  The figures printed
are: lines per second over the whole ingest (detect, read, parse, normalize, sort, write
Parquet) and the child's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_METHODS = ["GET"] * 16 + ["POST"] * 3 + ["HEAD"]
_STATUSES = [200] * 30 + [302] * 4 + [304] * 4 + [401, 403, 404, 404, 500]
_PAGES = [
    "/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={n}",
    "/mediboard/index.php?m=dPcabinet&tab=edit_planning&date=2024-10-{d:02d}",
    "/mediboard/index.php?m=dPpatients&a=ajax_search_patient&nom=l%E9v%EAque",
    "/mediboard/api/dossierpatient/patients?offset={n}&limit=100",
    "/mediboard/api/dossierpatient/patients/{n}",
    "/mediboard/style/mediboard_ext/images/icons/loading.gif",
    "/mediboard/lib/jquery/jquery.min.js?build={d}",
    "/mediboard/index.php",
]
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "python-requests/2.32.3",
    "curl/7.81.0",
    "Java/1.8.0_392",
]
#: About one line in 200 carries Apache escapes (a quote in the User-Agent, a control byte).
_ESCAPED_AGENTS = ['Mozilla/5.0 \\"quoted\\" (compatible; Bot/1.0)', "sqlmap/1.8 \\x1b[31m\\xe9"]
_REFERRERS = ["-", "https://dpi.clinique-exemple.fr/mediboard/index.php", "https://dpi.clinique-exemple.fr/mediboard/"]
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def generate(path: Path, n: int, seed: int = 20241027) -> int:
    """Write ``n`` combined lines (one day per 86,400 lines, +0200); return the byte size."""
    rng = random.Random(seed)
    clients = [f"10.20.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(2000)]
    start = 1729728000  # 2024-10-24T00:00:00Z
    size = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        for i in range(n):
            t = time.gmtime(start + 7200 + i * 86400 // 1_000_000)
            stamp = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            page = rng.choice(_PAGES).format(n=rng.randrange(120_000), d=rng.randrange(1, 29))
            status = rng.choice(_STATUSES)
            agent = rng.choice(_ESCAPED_AGENTS) if rng.random() < 0.005 else rng.choice(_AGENTS)
            size_b = rng.randrange(200, 90_000) if status != 304 else 0
            batch.append(
                f'{rng.choice(clients)} - - [{stamp} +0200] "{rng.choice(_METHODS)} {page} HTTP/1.1" {status} '
                f'{size_b if size_b else "-"} "{rng.choice(_REFERRERS)}" "{agent}"\n'
            )
            if len(batch) >= 100_000:
                text = "".join(batch)
                size += len(text)
                out.write(text)
                batch.clear()
        text = "".join(batch)
        size += len(text)
        out.write(text)
    return size


def _child(evidence: str, out: str) -> None:
    """Run one ingest and print a JSON line with its wall time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from forensics.intake.engine import ingest

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = ingest(evidence, out, tz="Europe/Paris")
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime - before.ru_utime + usage.ru_stime - before.ru_stime
    totals = result.manifest["totals"]
    peak_kib = usage.ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "events": totals["events"],
                "rejects": totals["rejects"],
                "rss_kib": peak_kib,
            }
        )
    )


def _profile(n: int) -> None:
    """CPU seconds of each step for one in-memory chunk: reader, parser, engine, Parquet.

    One chunk of every line, in one thread: the steps' own costs, without the overlap
    (read-ahead, chunks parsed side by side) the real ingest adds.
    """
    sys.path.insert(0, str(ROOT))

    from forensics.config import CaseConfig
    from forensics.intake.accounting import FileReport
    from forensics.intake.enrichment import finish_events
    from forensics.intake.reader import group_records, lines_frame
    from forensics.intake.walk import EvidenceFile
    from forensics.intake.writer import SORT_KEYS
    from forensics.time.zones import decide_zone
    from parsers.base import get_parser

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        log = Path(tmp) / "access.log"
        generate(log, n)
        buf = log.read_bytes().removesuffix(b"\n")
        parser = get_parser("apache.access")
        f = EvidenceFile(path=log, relpath="access.log", size=len(buf), sha256_before="0" * 64, source="access.log")
        report = FileReport(path="access.log", size=len(buf), sha256_before="0" * 64, parser="apache.access")
        steps: list[tuple[str, float, float]] = []

        def step(name, fn):  # type: ignore[no-untyped-def]
            cpu, wall = time.process_time(), time.perf_counter()
            out = fn()
            steps.append((name, time.process_time() - cpu, time.perf_counter() - wall))
            return out

        lines = step("reader: lines_frame", lambda: lines_frame(buf, 1, 0))
        records = step("reader: group_records", lambda: group_records(lines, parser)[0])
        result = step("parser: apache.access", lambda: parser.parse(records, {}))
        rec_meta = records.select("_rec", "line", "offset", "n_lines", "text", "latin1", "truncated")
        events = step(
            "engine: finish_events",
            lambda: finish_events(
                result.events, rec_meta, f, report, CaseConfig(), decide_zone("Europe/Paris", None), {"source": {}}
            ),
        )
        from forensics.intake import store

        def write() -> None:
            ordered = events if store._in_order(events, SORT_KEYS) else events.sort(SORT_KEYS, nulls_last=True)
            ordered.write_parquet(
                Path(tmp) / "events.parquet",
                **store.OUTPUT_OPTIONS,
            )

        step("engine: order + events.parquet", write)
        total = sum(c for _, c, _ in steps)
        for name, cpu, wall in steps:
            print(
                f"{name:>30}: {cpu:6.2f} s CPU ({cpu / total:4.0%}), {wall:6.2f} s wall, {n / cpu:>11,.0f} lines/CPU-s"
            )
        print(f"{'total':>30}: {total:6.2f} s CPU, {n / total:,.0f} lines per CPU-second")


def _floor(n: int) -> None:
    """The least any ingest must do: split the lines and write them, as text, to Parquet.

    No parsing, no other column, no ordering: what is left of the time budget for
    everything else is the difference between this and the real ingest.
    """
    import polars as pl

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        log = Path(tmp) / "access.log"
        generate(log, n)
        cpu, wall = time.process_time(), time.perf_counter()
        raw = pl.Series("event.original", log.read_bytes().split(b"\n"), dtype=pl.Binary).cast(pl.String)
        pl.DataFrame([raw]).write_parquet(Path(tmp) / "raw.parquet", compression="zstd", compression_level=1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"raw lines only (read, split, UTF-8 check, one Parquet column): {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{n / wall:,.0f} lines/s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lines", nargs="?", type=int, default=2_000_000, help="number of lines (default 2,000,000)")
    ap.add_argument("--profile", action="store_true", help="CPU seconds per step of one in-memory chunk instead")
    ap.add_argument("--floor", action="store_true", help="time only reading and storing the raw lines")
    ap.add_argument("--child", nargs=2, metavar=("EVIDENCE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.profile:
        _profile(args.lines)
        return
    if args.floor:
        _floor(args.lines)
        return
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        evidence = Path(tmp) / "evidence" / "app01" / "apache2"
        evidence.mkdir(parents=True)
        t0 = time.perf_counter()
        size = generate(evidence / "access.log", args.lines)
        print(f"generated {args.lines:,} lines ({size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(Path(tmp) / "evidence"), str(Path(tmp) / "out")],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        stats = json.loads(proc.stdout.strip().splitlines()[-1])
        rate = args.lines / stats["seconds"]
        print(
            f"ingest: {stats['seconds']:.2f} s wall, {rate:,.0f} lines/s, {size / stats['seconds'] / 1e6:,.0f} MB/s; "
            f"{stats['cpu_seconds']:.2f} s CPU ({args.lines / stats['cpu_seconds']:,.0f} lines per CPU-second); "
            f"peak RSS {stats['rss_kib'] / 1024:,.0f} MiB; events {stats['events']:,}, rejects {stats['rejects']:,}"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
