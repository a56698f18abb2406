"""A synthetic output folder of any size, to prove the report's size does not follow the event count.

``n`` events over 30 days across 30 sources (more than the timeline draws as lanes), one
hour missing in one steady source, and an attack whose ~``n/40`` events are far more than
the timeline draws one by one.  Built with polars expressions only, so ten million rows
take seconds (see benchmarks/report_scale.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from forensics.schema import conform

START = datetime(2024, 10, 1, tzinfo=UTC)
DAYS = 30
SOURCES = 30
ATTACK = (datetime(2024, 10, 24, 21, 0, tzinfo=UTC), datetime(2024, 10, 27, 3, 0, tzinfo=UTC))
ATTACKERS = [f"203.0.113.{i}" for i in range(10, 20)]


def events(n: int) -> pl.LazyFrame:
    span_us = DAYS * 86400 * 1_000_000
    i = pl.int_range(0, n, dtype=pl.Int64)
    source = (i * 7 % SOURCES).cast(pl.String)
    ts = pl.lit(START) + pl.duration(microseconds=(i * (span_us // n) + (i * 7919 % 997) * 1000))
    frame = (
        pl.LazyFrame()
        .select(i.alias("i"))
        .with_columns(
            ts.alias("@timestamp"),
            ("host" + source + "/var/log/app.log").alias("log.source"),
            ("host" + source + "/var/log/app.log." + (i % 3).cast(pl.String)).alias("log.file.path"),
            (i // SOURCES + 1).alias("log.file.line"),
        )
    )
    in_attack = pl.col("@timestamp").is_between(ATTACK[0], ATTACK[1]) & (pl.col("i") % 3 == 0)
    attacker = pl.lit(pl.Series(ATTACKERS)).gather((pl.col("i") % len(ATTACKERS)).cast(pl.UInt32))
    client = (
        pl.when(in_attack)
        .then(attacker)
        .otherwise(
            pl.concat_str(
                [pl.lit("10.20."), (pl.col("i") % 250).cast(pl.String), pl.lit("."), (pl.col("i") % 7).cast(pl.String)]
            )
        )
    )
    frame = frame.with_columns(client.alias("source.ip")).with_columns(
        pl.concat_list([pl.col("source.ip")]).alias("related.ip"),
        pl.when(in_attack)
        .then(pl.lit("python-requests/2.32.3"))
        .otherwise(pl.lit("Mozilla/5.0"))
        .alias("user_agent.original"),
        pl.lit("GET /mediboard/index.php -> 200").alias("message"),
        pl.concat_str([pl.lit("10.10.0.5 - - line "), pl.col("i").cast(pl.String)]).alias("event.original"),
        pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"),
    )
    # one silent hour in source 0 (a steady source): a gap to call out
    gap = (pl.col("log.source") == "host0/var/log/app.log") & pl.col("@timestamp").is_between(
        datetime(2024, 10, 10, 12, tzinfo=UTC), datetime(2024, 10, 10, 13, tzinfo=UTC), closed="left"
    )
    return conform(frame.filter(~gap).drop("i"))  # type: ignore[return-value]


def write(out: Path, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    events(n).sink_parquet(out / "events.parquet", compression="zstd")
    counts = pl.scan_parquet(out / "events.parquet").group_by("log.file.path").len().sort("log.file.path").collect()
    files = [
        {
            "path": path,
            "size": 1000,
            "sha256_before": "0" * 64,
            "sha256_after": "0" * 64,
            "unchanged": True,
            "parser": "apache.access",
            "detection": "detected",
            "lines_read": n_events,
            "events": n_events,
            "rejects": 0,
            "zone": "UTC",
            "clock_offset": None,
            "reject_reasons": {},
        }
        for path, n_events in counts.iter_rows()
    ]
    total = sum(f["events"] for f in files)
    manifest = {
        "schema": "forensics.manifest/1",
        "tool": {"name": "forensic-timeline", "version": "0.1.0", "python": "3.11", "polars": pl.__version__},
        "command_line": ["forensics", "ingest", "synthetic"],
        "evidence_root": "/evidence",
        "config": {"path": None, "sha256": None, "case": "Synthetic scale case", "timezone": "Europe/Paris"},
        "totals": {
            "files": len(files),
            "files_unrecognised": 0,
            "lines_read": total,
            "events": total,
            "rejects": 0,
            "skipped": 0,
        },
        "sources": [
            {
                "source": f"host{s}/var/log/app.log",
                "host": f"host{s}",
                "zone": "UTC",
                "zone_source": "source",
                "clock_offset": None,
                "skew_estimate": None,
                "naive_events": 0,
            }
            for s in range(SOURCES)
        ],
        "files": files,
        "skipped": [],
        "warnings": [],
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    first, last = ATTACK
    findings = {
        "schema": "forensics.findings/1",
        "attack": {
            "first_seen": first.isoformat().replace("+00:00", "Z"),
            "last_seen": last.isoformat().replace("+00:00", "Z"),
        },
        "accounts": [],
        "attacker_ips": ATTACKERS,
        "created_accounts": [],
        "findings": [
            {
                "id": "F-001",
                "title": "Bulk API reads from ten addresses",
                "techniques": ["T1213"],
                "basis": "derived",
                "account": None,
                "ips": ATTACKERS,
                "first_seen": (first + timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
                "last_seen": (last - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
                "event_count": 0,
                "evidence": [{"file": "host0/var/log/app.log.0", "line": 1}],
            }
        ],
        "exfiltration": [],
    }
    (out / "findings.json").write_text(json.dumps(findings), encoding="utf-8")
    return out
