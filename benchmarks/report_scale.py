"""Report size and time against the number of events: ``python benchmarks/report_scale.py 10000000``.

Writes a synthetic output folder (tests/report/synth.py) under benchmarks/_work/, builds the
report, and prints the events, the seconds, the peak memory and the bytes of report.html.
The report's size depends on sources, bins and findings, not on events: it must stay under
10 MB at ten million.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forensics.report import build_report  # noqa: E402
from tests.report import synth  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = ROOT / "benchmarks" / "_work" / f"report-{n}"
    started = time.perf_counter()
    synth.write(out, n)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    report = build_report(out, generated_at="2024-11-01T00:00:00Z")
    path = report.save(out / "report.html")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = path.stat().st_size
    print(f"events={n:,} generate={generated:.1f}s report={seconds:.1f}s peak_rss={peak:.0f}MiB html={size:,} bytes")
    if size >= 10 * 1024 * 1024:
        raise SystemExit("report.html is 10 MB or more")


if __name__ == "__main__":
    main()
