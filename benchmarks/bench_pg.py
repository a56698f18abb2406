"""Database ingest against a naive polars regex over the same lines, in the same run.

    python benchmarks/bench_pg.py                         # 250,000 PostgreSQL stderr lines with pgaudit
    python benchmarks/bench_pg.py --lines 500000
    python benchmarks/bench_pg.py --formats pg,general,slow,audit

For each format a log is generated (seeded: every run reads the same bytes) into a
temporary evidence folder, then two child processes run one after the other, so that each
peak RSS (``ru_maxrss``) is measured alone:

* ``forensics ingest`` of the folder with the format named (detection is not timed), with
  everything the tool keeps: raw text, provenance, hashes, zone decisions, sessions;
* the **naive baseline** an analyst would write in a notebook: read the file as whole
  lines, one ``str.extract_groups`` regex to typed columns (time, pid or id, level or
  command, message), ``write_parquet``.  It keeps no multi-line record, no raw line, no
  meaning of the message.

Printed per format: lines, seconds, lines/s of both, the ratio (ingest speed / baseline
speed: 1.0 or more means ingest is at least as fast), both peak RSS, and the CPU seconds
of both with their ratio (baseline CPU / ingest CPU), which a busy machine disturbs less
than wall time.

``pg`` is a PostgreSQL stderr log with ``log_line_prefix = '%m [%p] %q%u@%d '`` (Debian's
default), ``log_connections``, ``log_disconnections``, ``log_statement = all``,
``log_min_duration_statement = 0`` and pgaudit (``pgaudit.log = 'read,write,ddl'``): each
statement gives a ``statement:`` line, one AUDIT line and a ``duration:`` line; one
statement in 25 spans several lines (TAB continuations), one in 50 fails with an
``ERROR`` and its ``STATEMENT``.  ``general``, ``slow`` and ``audit`` are MariaDB's general
query log, slow log and server_audit log (the last two from ``bench_db.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import generate_audit, generate_slow  # noqa: E402

_TABLES = ["patients", "sejour", "consultation", "users", "user_log", "operations"]
_USERS = ["clinic_app", "clinic_app", "clinic_app", "reporting", "auditor"]
_SELECTS = [
    "SELECT id, first_name, last_name, ssn FROM {t} WHERE id = {n};",
    "SELECT * FROM {t} ORDER BY id LIMIT 50 OFFSET {n};",
    "SELECT p.id, s.entree FROM patients p JOIN sejour s ON s.patient_id = p.id WHERE s.praticien_id IN ({ids});",
    "UPDATE users SET last_login = now() WHERE id = {n};",
    "INSERT INTO user_log (user_id, object_class, object_id, type) VALUES (1042, 'CPatient', {n}, 'store');",
]
_CLASS = {"SELECT": "READ", "UPDATE": "WRITE", "INSERT": "WRITE"}


def _pg_stamp(epoch: float) -> str:
    t = time.gmtime(epoch)
    return time.strftime("%Y-%m-%d %H:%M:%S", t) + f".{int(epoch * 1000) % 1000:03d} UTC"


def _audit_field(sql: str) -> str:
    return '"' + sql.replace('"', '""') + '"' if any(c in sql for c in ',"\n') else sql


def generate_pg(path: Path, n: int, seed: int = 20241027) -> int:
    """At least ``n`` stderr lines, in sessions of 5 to 40 statements; returns the line count."""
    rng = random.Random(seed)
    start = 1729980000.0
    written = 0
    pid = 40_000
    with path.open("w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        while written < n:
            pid += rng.randrange(1, 30)
            epoch = start + written * 86400 / n
            user = rng.choice(_USERS)
            host = f"10.10.1.{rng.randrange(20, 40)}"
            port = rng.randrange(40000, 60000)
            who = f"{user}@clinic"
            head = f"[{pid}] {who}"
            batch.append(
                f"{_pg_stamp(epoch)} [{pid}] [unknown]@[unknown] LOG:  connection received: host={host} port={port}\n"
            )
            batch.append(
                f'{_pg_stamp(epoch)} {head} LOG:  connection authenticated: identity="{user}" '
                "method=scram-sha-256 (/etc/postgresql/15/main/pg_hba.conf:4)\n"
            )
            batch.append(
                f"{_pg_stamp(epoch)} {head} LOG:  connection authorized: user={user} database=clinic application_name=psql\n"
            )
            written += 3
            statement_id = 0
            for _ in range(rng.randrange(5, 40)):
                epoch += rng.random() / 10
                stamp = _pg_stamp(epoch)
                sql = rng.choice(_SELECTS).format(
                    t=rng.choice(_TABLES),
                    n=rng.randrange(100_000),
                    ids=", ".join(str(rng.randrange(100)) for _ in range(rng.randrange(2, 12))),
                )
                roll = rng.random()
                if roll < 0.04:  # a statement on several lines
                    sql = sql.replace(" FROM ", "\n\tFROM ", 1).replace(" WHERE ", "\n\tWHERE ", 1)
                if roll > 0.98:  # a failing statement: no AUDIT, no duration
                    bad = sql.replace("FROM ", "FROM missing_", 1)
                    batch.append(f"{stamp} {head} LOG:  statement: {bad}\n")
                    batch.append(f'{stamp} {head} ERROR:  relation "missing_x" does not exist at character 15\n')
                    batch.append(f"{stamp} {head} STATEMENT:  {bad}\n")
                    written += 3 + 2 * bad.count("\n")
                    continue
                statement_id += 1
                verb = sql.split(" ", 1)[0]
                logged = sql.replace("\n\t", "\n")
                batch.append(f"{stamp} {head} LOG:  statement: {sql}\n")
                batch.append(
                    f"{stamp} {head} LOG:  AUDIT: SESSION,{statement_id},1,{_CLASS[verb]},{verb},,,"
                    f"{_audit_field(logged).replace(chr(10), chr(10) + chr(9))},<not logged>\n"
                )
                batch.append(f"{stamp} {head} LOG:  duration: {rng.random() * 20:.3f} ms\n")
                written += 3 + 2 * sql.count("\n")
            if rng.random() < 0.05:
                batch.append(f"{_pg_stamp(epoch)} [{rng.randrange(100, 200)}] LOG:  checkpoint starting: time\n")
                written += 1
            batch.append(
                f"{_pg_stamp(epoch + 0.2)} {head} LOG:  disconnection: session time: 0:00:0{rng.randrange(10)}.{rng.randrange(1000):03d} "
                f"user={user} database=clinic host={host} port={port}\n"
            )
            written += 1
            if len(batch) >= 50_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return written


def generate_general(path: Path, n: int, seed: int = 20241027) -> int:
    """About ``n`` MariaDB general-log lines (time printed when the second changes)."""
    rng = random.Random(seed)
    start = 1729980000
    written, conn, last = 3, 1000, ""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:\n")
        out.write("Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n")
        out.write("Time\t\t    Id Command\tArgument\n")
        batch: list[str] = []

        def line(epoch: int, body: str) -> None:
            nonlocal last, written
            t = time.gmtime(epoch)
            stamp = f"{time.strftime('%y%m%d', t)} {t.tm_hour:2d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            batch.append(f"{stamp}\t{body}\n" if stamp != last else f"\t\t{body}\n")
            last = stamp
            written += 1

        while written < n:
            conn += 1
            epoch = start + written * 86400 // n
            line(epoch, f"{conn:6d} Connect\tclinic_app@10.10.1.{rng.randrange(20, 40)} on clinic using TCP/IP")
            for _ in range(rng.randrange(5, 40)):
                sql = rng.choice(_SELECTS).format(
                    t=rng.choice(_TABLES), n=rng.randrange(100_000), ids=", ".join("1" * rng.randrange(1, 5))
                )
                line(epoch + rng.randrange(2), f"{conn:6d} Query\t{sql}")
            line(epoch + 2, f"{conn:6d} Quit\t")
            if len(batch) >= 50_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return written


#: format -> (parser name, file name, generator, naive regex with typed groups ts/id/kind/msg, time format)
FORMATS = {
    "pg": (
        "postgresql.log",
        "postgresql-2024-10-27.log",
        generate_pg,
        r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ \[(?P<id>\d+)\] (?:\S+@\S+ )?(?P<kind>[A-Z]+):  (?P<msg>.*)$",
        "%Y-%m-%d %H:%M:%S%.f",
    ),
    "general": (
        "mysql.general",
        "general.log",
        generate_general,
        r"^(?P<ts>\d{6} [ \d]\d:\d\d:\d\d)?\t+\s*(?P<id>\d+) (?P<kind>\w+)\t(?P<msg>.*)$",
        "%y%m%d %k:%M:%S",
    ),
    "slow": (
        "mysql.slow",
        "mariadb-slow.log",
        lambda path, n: generate_slow(path, max(n // 7, 1)),
        r"^(?:# Time: (?P<ts>\d{6} [ \d]\d:\d\d:\d\d)|# Thread_id: (?P<id>\d+).*|(?P<kind>SET) timestamp=(?P<msg>\d+);.*)$",
        "%y%m%d %k:%M:%S",
    ),
    "audit": (
        "mariadb.audit",
        "server_audit.log",
        generate_audit,
        r"^(?P<ts>\d{8} \d\d:\d\d:\d\d),[^,]*,[^,]*,[^,]*,(?P<id>\d+),\d+,(?P<kind>[A-Z_]+),(?P<msg>.*)$",
        "%Y%m%d %H:%M:%S",
    ),
}


def _ingest_child(evidence: str, out: str, fmt: str) -> None:
    from forensics.intake.engine import ingest

    started, cpu = time.perf_counter(), time.process_time()
    result = ingest(evidence, out, format=fmt, tz="UTC")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    totals = result.manifest["totals"]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "lines": totals["lines_read"],
                "events": totals["events"],
                "rejects": totals["rejects"],
                "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _naive_child(log: str, out: str, fmt: str) -> None:
    import polars as pl

    _, _, _, pattern, time_format = FORMATS[fmt]
    started, cpu = time.perf_counter(), time.process_time()
    lines = pl.scan_csv(
        log, has_header=False, separator="\x1f", quote_char=None, new_columns=["line"], schema={"line": pl.String}
    )
    groups = pl.col("line").str.extract_groups(pattern)
    frame = lines.select(
        groups.struct.field("ts").str.to_datetime(time_format, strict=False).alias("ts"),
        groups.struct.field("id").cast(pl.Int64, strict=False).alias("id"),
        groups.struct.field("kind").alias("kind"),
        groups.struct.field("msg").alias("msg"),
    )
    frame.sink_parquet(out)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "rows": rows,
                "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _child(kind: str, *args: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, f"--{kind}-child", *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=250_000, help="lines per format (at least; default 250,000)")
    ap.add_argument("--formats", default="pg", help="comma list among: " + ", ".join(FORMATS))
    ap.add_argument("--ingest-child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--naive-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ingest_child:
        _ingest_child(*args.ingest_child)
        return
    if args.naive_child:
        _naive_child(*args.naive_child)
        return
    print(f"{'format':<8} {'lines':>9} {'ingest s':>9} {'lines/s':>9} {'RSS MiB':>8} "
          f"{'naive s':>8} {'lines/s':>9} {'RSS MiB':>8} {'ratio':>6} {'CPU s':>11} {'CPU ratio':>9}  events/rejects")  # fmt: skip
    for fmt in args.formats.split(","):
        parser_name, filename, generate, _, _ = FORMATS[fmt]
        with tempfile.TemporaryDirectory(prefix=f"bench-{fmt}-") as tmp:
            evidence = Path(tmp) / "evidence"
            evidence.mkdir()
            log = evidence / filename
            generate(log, args.lines)
            ing = _child("ingest", str(evidence), str(Path(tmp) / "out"), parser_name)
            naive = _child("naive", str(log), str(Path(tmp) / "naive.parquet"), fmt)
            lines = int(ing["lines"])
            ing_rate, naive_rate = lines / ing["seconds"], lines / naive["seconds"]
            print(
                f"{fmt:<8} {lines:>9,} {ing['seconds']:>9.2f} {ing_rate:>9,.0f} {ing['rss_mib']:>8,.0f} "
                f"{naive['seconds']:>8.2f} {naive_rate:>9,.0f} {naive['rss_mib']:>8,.0f} {ing_rate / naive_rate:>6.2f} "
                f"{ing['cpu']:>5.1f}/{naive['cpu']:<5.1f} {naive['cpu'] / ing['cpu']:>9.2f}  "
                f"{int(ing['events']):,}/{int(ing['rejects']):,}",
                flush=True,
            )


if __name__ == "__main__":
    main()
