"""Time ``forensics.intake.engine.ingest`` end to end on generated database logs.

    python benchmarks/bench_db.py                    # 1,000,000 audit lines, 200,000 slow blocks, 1,000,000 access lines
    python benchmarks/bench_db.py --audit 200000 --slow 50000 --access 0
    python benchmarks/bench_db.py --only audit

The logs are generated (seeded, so every run reads the same bytes) into a temporary
evidence folder: a MariaDB server_audit log (connections, queries with escaped quotes and
long ``IN (...)`` lists, table events), a MariaDB slow query log (six-line blocks with
``SET timestamp``), and, for comparison on the same machine and engine, an Apache
combined access log.  Each ``ingest`` runs in a child process so that its peak RSS
(``ru_maxrss``) is measured alone.  Printed: physical lines, records, seconds, lines per
second over the whole ingest (detect, read, parse, normalize, sort, write Parquet) and
the child's peak resident memory.
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

_TABLES = ["patients", "sejour", "consultation", "users", "user_log", "plageconsult", "operations", "files_mediboard"]
_NAMES = ["Lévêque", "Bénard", "N'Guessan", "Dupré-Léger", "Martin", "Bernard", "Petit", "Moreau"]
_QUERIES = [
    "SELECT `patients`.* FROM `patients` WHERE `patients`.`patient_id` = '{n}'",
    "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id "
    "WHERE (sejour.praticien_id IN ('12','15','17','21')) AND (sejour.sortie BETWEEN '2019-01-01' AND '2019-01-31')",
    "SELECT * FROM `{t}` WHERE `{t}`.`{t}_id` IN ({ids})",
    "UPDATE `users` SET `user_last_login` = '2024-10-27 00:41:0{d}' WHERE `user_id` = '{n}'",
    "INSERT INTO `user_log` (`user_id`, `date`, `object_class`, `object_id`, `type`) VALUES ('1042', NOW(), 'CPatient', '{n}', 'store')",
    "SELECT * FROM patients WHERE nom LIKE '{name}%' ORDER BY nom, prenom LIMIT 0, 30",
    "SET NAMES latin1",
]


def _audit_escape(sql: str) -> str:
    return sql.replace("\\", "\\\\").replace("'", "\\'")


def generate_audit(path: Path, n: int, seed: int = 20241027) -> int:
    """``n`` server_audit lines: about 1 connect/disconnect per 40 queries, 1 table event per 4."""
    rng = random.Random(seed)
    start = 1729980000  # 2024-10-26T22:00:00Z
    clients = [f"10.10.1.{i}" for i in range(20, 40)]
    qid = 88_000_000
    conn = 5_530_000
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        while written < n:
            conn += 1
            client = rng.choice(clients)
            t = time.localtime(start + written * 86400 // max(n, 1))
            stamp = time.strftime("%Y%m%d %H:%M:%S", t)
            batch.append(f"{stamp},db02,mediboard,{client},{conn},0,CONNECT,mediboard,,0\n")
            written += 1
            for _ in range(rng.randrange(20, 60)):
                qid += rng.randrange(1, 9)
                tpl = rng.choice(_QUERIES)
                sql = tpl.format(
                    n=rng.randrange(100_000),
                    t=rng.choice(_TABLES),
                    d=rng.randrange(10),
                    name=rng.choice(_NAMES),
                    ids=",".join(f"'{rng.randrange(100_000)}'" for _ in range(rng.randrange(5, 120))),
                )
                sql = sql[:1024]
                if rng.random() < 0.25:
                    batch.append(
                        f"{stamp},db02,mediboard,{client},{conn},{qid},READ,mediboard,{rng.choice(_TABLES)},\n"
                    )
                    written += 1
                retcode = 0 if rng.random() < 0.98 else 1146
                batch.append(
                    f"{stamp},db02,mediboard,{client},{conn},{qid},QUERY,mediboard,'{_audit_escape(sql)}',{retcode}\n"
                )
                written += 1
            batch.append(f"{stamp},db02,mediboard,{client},{conn},0,DISCONNECT,mediboard,,0\n")
            written += 1
            if len(batch) >= 50_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return written


def generate_slow(path: Path, n: int, seed: int = 20241027) -> int:
    """``n`` MariaDB slow-log blocks (``# Time`` every other block, ``SET timestamp`` always)."""
    rng = random.Random(seed)
    start = 1729980000
    lines = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:\n")
        out.write("Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n")
        out.write("Time\t\t    Id Command\tArgument\n")
        lines += 3
        batch: list[str] = []
        for i in range(n):
            epoch = start + i * 86400 // max(n, 1)
            block = []
            if i % 2 == 0:
                t = time.localtime(epoch + 3)
                block.append(f"# Time: {time.strftime('%y%m%d', t)} {t.tm_hour:2d}:{t.tm_min:02d}:{t.tm_sec:02d}\n")
            conn = 5_530_000 + i // 7
            block.append(f"# User@Host: mediboard[mediboard] @ app01.hds.local [10.10.1.{20 + i % 20}]\n")
            block.append(f"# Thread_id: {conn}  Schema: mediboard  QC_hit: No\n")
            block.append(
                f"# Query_time: {rng.uniform(1, 40):.6f}  Lock_time: 0.000{rng.randrange(10, 99)}  "
                f"Rows_sent: {rng.randrange(1, 9000)}  Rows_examined: {rng.randrange(1000, 3_000_000)}\n"
            )
            block.append(f"# Rows_affected: 0  Bytes_sent: {rng.randrange(1000, 3_000_000)}\n")
            block.append(f"SET timestamp={epoch};\n")
            ids = ",".join(f"'{rng.randrange(100_000)}'" for _ in range(rng.randrange(5, 60)))
            block.append(f"SELECT * FROM `{rng.choice(_TABLES)}` WHERE (`patient_id` IN ({ids}));\n")
            lines += len(block)
            batch.extend(block)
            if len(batch) >= 50_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return lines


def generate_access(path: Path, n: int, seed: int = 20241027) -> int:
    """``n`` Apache combined lines, the web parser's reference workload."""
    rng = random.Random(seed)
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    start = 1729728000
    with path.open("w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        for i in range(n):
            t = time.gmtime(start + 7200 + i * 86400 // max(n, 1))
            stamp = f"{t.tm_mday:02d}/{months[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            page = f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={rng.randrange(120_000)}"
            batch.append(
                f'10.10.0.5 - - [{stamp} +0200] "GET {page} HTTP/1.1" 200 {rng.randrange(200, 90_000)} '
                f'"https://dpi.clinique-exemple.fr/mediboard/index.php" "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) '
                f'Gecko/20100101 Firefox/131.0"\n'
            )
            if len(batch) >= 100_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return n


def child(evidence: str, out: str, fmt: str) -> None:
    """Run one ingest and print its figures as JSON (runs in a fresh interpreter)."""
    sys.path.insert(0, str(ROOT))
    from forensics.intake.engine import ingest

    t0 = time.perf_counter()
    result = ingest(evidence, out, format=fmt, tz="Europe/Paris")
    seconds = time.perf_counter() - t0
    totals = result.manifest["totals"]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "lines": totals["lines_read"],
                "events": totals["events"],
                "rejects": totals["rejects"],
                "seconds": seconds,
                "peak_rss_mib": peak_kib / 1024,
            }
        )
    )


def run(name: str, fmt: str, folder: Path) -> dict[str, float]:
    out = folder.parent / f"out-{name}"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), str(out), fmt],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    rate = figures["lines"] / figures["seconds"]
    print(
        f"{name:<8} {fmt:<14} {figures['lines']:>10,} lines {figures['events']:>10,} events "
        f"{figures['rejects']:>4} rejects {figures['seconds']:7.2f} s {rate:>12,.0f} lines/s "
        f"peak RSS {figures['peak_rss_mib']:,.0f} MiB"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audit", type=int, default=1_000_000, help="server_audit lines")
    parser.add_argument("--slow", type=int, default=200_000, help="slow-log blocks")
    parser.add_argument("--access", type=int, default=1_000_000, help="Apache lines (reference)")
    parser.add_argument("--only", choices=["audit", "slow", "access"], action="append")
    parser.add_argument("--child", nargs=3, metavar=("EVIDENCE", "OUT", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    wanted = set(args.only or ["audit", "slow", "access"])
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        base = Path(tmp)
        jobs = [
            ("audit", "mariadb.audit", args.audit, generate_audit, "server_audit.log"),
            ("slow", "mysql.slow", args.slow, generate_slow, "mariadb-slow.log"),
            ("access", "apache.access", args.access, generate_access, "access.log"),
        ]
        for name, fmt, n, gen, filename in jobs:
            if name not in wanted or n <= 0:
                continue
            folder = base / f"evidence-{name}"
            folder.mkdir()
            gen(folder / filename, n)
            run(name, fmt, folder)


if __name__ == "__main__":
    main()
