"""Time the clock-skew estimation on a large synthetic event set (default 10 million events).

    python benchmarks/skew_estimation.py [--events 10000000]

A reverse proxy (right clock), an app server (+3 s), a primary database (+0.4 s, one
CONNECT per request) and a replica (-7 s, a CONNECT for 15 % of requests), over about a
week.  Prints the build time, the estimation time on a lazy scan of the Parquet file, the
estimates and the peak memory.  Needs numpy (only to generate the data quickly).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's code, not an installed copy
from forensics.time import skew

START_US = 1_729_555_200 * 1_000_000  # 2024-10-22 00:00:00Z


def build(n_events: int, seed: int = 6) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(n_events / 3.15)
    t = np.cumsum(rng.exponential(0.18, n))  # ~5.5 requests/s
    login_form = rng.random(n) < 0.2
    ids = np.arange(n)
    app_t = t + rng.uniform(0.001, 0.01, n)
    db_t = app_t + rng.uniform(0.005, 0.03, n)
    replica = rng.random(n) < 0.15

    def stamp(x: np.ndarray, offset: float) -> pl.Series:
        return pl.Series((START_US + np.floor(x + offset) * 1_000_000).astype(np.int64))

    url = (
        pl.when(pl.Series(login_form))
        .then(pl.lit("/mediboard/index.php"))
        .otherwise(
            pl.concat_str([pl.lit("/mediboard/index.php?m=dPpatients&patient_id="), pl.Series(ids).cast(pl.String)])
        )
    )
    web = pl.DataFrame({"_i": ids}).with_columns(
        url.alias("url.original"),
        pl.when(pl.Series(login_form)).then(pl.lit("POST")).otherwise(pl.lit("GET")).alias("http.request.method"),
        pl.when(pl.Series(login_form)).then(401).otherwise(200).cast(pl.Int32).alias("http.response.status_code"),
        pl.when(pl.Series(login_form))
        .then(6021)
        .otherwise(pl.Series(ids) + 1000)
        .cast(pl.Int64)
        .alias("http.response.bytes"),
        pl.lit("http_request").alias("event.action"),
    )
    proxy = web.with_columns(stamp(t, 0.0).alias("_t"), pl.lit("rp01/nginx/access.log").alias("log.source"))
    app = web.with_columns(stamp(app_t, 3.0).alias("_t"), pl.lit("app01/apache2/access.log").alias("log.source"))
    db01 = pl.DataFrame({"_t": stamp(db_t, 0.4)}).with_columns(
        pl.lit("db01/mysql/server_audit.log").alias("log.source"), pl.lit("db_connect").alias("event.action")
    )
    db02 = pl.DataFrame({"_t": stamp(db_t[replica], -7.0)}).with_columns(
        pl.lit("db02/mysql/server_audit.log").alias("log.source"), pl.lit("db_connect").alias("event.action")
    )
    df = pl.concat([proxy.drop("_i"), app.drop("_i"), db01, db02], how="diagonal_relaxed")
    return df.with_columns(
        pl.col("_t").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("time.recorded"),
        pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"),
        pl.lit(None, dtype=pl.Int64).alias("event.duration"),
        pl.lit(None, dtype=pl.String).alias("source.ip"),
    ).drop("_t")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = build(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        df.write_parquet(path, compression="zstd")
        built = time.perf_counter() - t0
        hosts = {
            "rp01/nginx/access.log": "rp01",
            "app01/apache2/access.log": "app01",
            "db01/mysql/server_audit.log": "db01",
            "db02/mysql/server_audit.log": "db02",
        }
        del df
        t1, c1 = time.perf_counter(), time.process_time()
        report = skew.estimate(pl.scan_parquet(path), hosts, {"rp01": 0.0}, 10.0)
        took, cpu = time.perf_counter() - t1, time.process_time() - c1
    n = args.events
    print(
        f"events: {n:,}  build: {built:.1f} s  estimation: {took:.2f} s wall, {cpu:.2f} s CPU "
        f"({n / took / 1e6:.1f} M events/s)"
    )
    for h, c in sorted(report.hosts.items()):
        print(f"  {h}: offset {c.offset:+.3f} s  origin {c.origin}  anchors {c.pairs}  MAD {c.mad}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
