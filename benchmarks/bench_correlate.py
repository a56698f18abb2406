"""Time ``correlate`` on a synthetic case of N events (default 10 million).

Mostly benign traffic of a week in a hospital (workstation sessions with logins, page
views, patient views, static files, API use, audit-trail reads, database connections and
queries), plus the small attack of the correlation tests (spray, takeover, reconnaissance,
chunked export, API pagination through Tor with a forged X-Forwarded-For, backdoor).
The events are written to a temporary OUT folder as ``events.parquet`` (sorted, like an
ingest), then ``correlate(OUT)`` is timed.

    python benchmarks/bench_correlate.py [--events 10000000] [--keep DIR]
    python benchmarks/bench_correlate.py --case OUT --steps   # an existing ingest, memory per step

Prints the stage timings, events per second, peak memory, and whether the attack was found.
``--case`` correlates an existing ingest output folder (``forensics ingest ... -o OUT``; the
findings are not written back).  ``--steps`` samples the resident memory every 10 ms and
prints, for every step of the pipeline and every detector, its wall time, the resident
memory when it began and ended and the peak while it ran: where correlation peaks.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forensics.correlate import correlate, detectors, pipeline  # noqa: E402
from forensics.schema import conform  # noqa: E402
from tests.correlate import scenarios  # noqa: E402
from tests.correlate.builder import write_config  # noqa: E402

START = np.datetime64("2024-10-21T00:00:00", "us")
WEEK_US = 7 * 86400 * 1_000_000
UAS = [
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
    for v in range(100, 130)
] + [f"Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0" for v in range(110, 120)]
PAGES = [
    f"m={m}&tab={t}"
    for m in ("dPcabinet", "dPhospi", "soins", "dPplanningOp", "dPbloc")
    for t in ("vw_a", "vw_b", "edit_planning", "vw_placement", "vw_bilan", "vw_list")
]
STATIC = [
    "/mediboard/style/e.css",
    "/mediboard/lib/jquery.js",
    "/mediboard/images/l.gif",
    "/mediboard/lib/x.js",
    "/favicon.ico",
]


def benign(n_events: int, seed: int = 1) -> pl.DataFrame:
    """``n_events`` benign events: web (88 %), application (4 %), database (8 %)."""
    rng = np.random.default_rng(seed)
    n_web = int(n_events * 0.88)
    n_sessions = max(n_web // 30, 1)
    # sessions: a workstation (internal or a remote physician), a browser, a start, an account
    n_ws = 4000
    ws_ip = np.array(
        [f"10.20.{i // 200}.{i % 200 + 10}" for i in range(n_ws - 400)]
        + [f"198.51.100.{i % 120 + 1}" for i in range(400)]
    )
    # each user has a desk and a browser; one session in eight is from another desk (wards share)
    s_user = rng.integers(0, 3000, n_sessions)
    s_ws = np.where(rng.random(n_sessions) < 0.875, s_user % n_ws, rng.integers(0, n_ws, n_sessions))
    s_ip = ws_ip[s_ws]
    s_ua = s_user % len(UAS)
    # office hours (06:00-18:00 UTC) on weekdays mostly, some nights
    day = rng.integers(0, 7, n_sessions)
    hour = np.where(rng.random(n_sessions) < 0.9, rng.integers(6, 17, n_sessions), rng.integers(0, 24, n_sessions))
    sec = day * 86400 + hour * 3600 + rng.integers(0, 3600, n_sessions)
    s_start = START + (sec * 1_000_000).astype("timedelta64[us]")
    # requests
    r_s = rng.integers(0, n_sessions, n_web)
    r_off = rng.exponential(1200, n_web).clip(1, 7000)
    r_ts = s_start[r_s] + (r_off * 1e6).astype("timedelta64[us]")
    kind = rng.choice(6, n_web, p=[0.40, 0.30, 0.21, 0.04, 0.03, 0.02])
    pid = rng.integers(1, 120_000, n_web)
    web = pl.DataFrame(
        {
            "@timestamp": r_ts,
            "_s": r_s,
            "_kind": kind,
            "_pid": pid,
            "_static": rng.integers(0, len(STATIC), n_web),
            "_page": rng.integers(0, len(PAGES), n_web),
            "http.response.bytes": rng.integers(300, 90_000, n_web),
            "event.duration": rng.integers(5, 900, n_web) * 1_000_000,
        }
    )
    sessions = pl.DataFrame(
        {"_s": np.arange(n_sessions), "source.ip": s_ip, "_ua": s_ua, "_user": s_user, "_start": s_start}
    )
    web = web.join(sessions, on="_s", how="left")

    def ua_of(col: str) -> pl.Expr:
        return pl.col(col).replace_strict(dict(enumerate(UAS)), return_dtype=pl.String)

    web = web.with_columns(
        ua_of("_ua").alias("user_agent.original"),
        pl.when(pl.col("_kind") == 0)
        .then(pl.col("_static").replace_strict(dict(enumerate(STATIC)), return_dtype=pl.String))
        .when(pl.col("_kind") == 4)
        .then(pl.format("/mediboard/api/dossierpatient/patients/{}", pl.col("_pid")))
        .otherwise(pl.lit("/mediboard/index.php"))
        .alias("url.path"),
        pl.when(pl.col("_kind") == 1)
        .then(pl.col("_page").replace_strict(dict(enumerate(PAGES)), return_dtype=pl.String))
        .when(pl.col("_kind") == 2)
        .then(pl.format("m=dPpatients&tab=vw_full_patients&patient_id={}", pl.col("_pid")))
        .when(pl.col("_kind") == 3)
        .then(pl.format("m=dPpatients&a=ajax_search_patient&nom={}", pl.col("_pid") % 500))
        .when(pl.col("_kind") == 5)
        .then(pl.lit("m=admin&tab=vw_edit_users"))
        .alias("url.query"),
    )
    # one login request (POST) at the start of every session
    logins = sessions.select(
        pl.col("_start").alias("@timestamp"),
        "_s",
        "source.ip",
        ua_of("_ua").alias("user_agent.original"),
        pl.lit("/mediboard/index.php").alias("url.path"),
        pl.lit(None, dtype=pl.String).alias("url.query"),
        pl.lit(48_000, dtype=pl.Int64).alias("http.response.bytes"),
        pl.lit(300_000_000, dtype=pl.Int64).alias("event.duration"),
        pl.lit("POST").alias("http.request.method"),
    )
    web = pl.concat(
        [
            web.select(
                "@timestamp",
                "_s",
                "source.ip",
                "user_agent.original",
                "url.path",
                "url.query",
                "http.response.bytes",
                "event.duration",
                pl.lit("GET").alias("http.request.method"),
            ),
            logins,
        ]
    ).with_columns(
        pl.lit("apache.access").alias("event.dataset"),
        pl.lit("http_request").alias("event.action"),
        pl.lit("app01").alias("host.name"),
        pl.lit("10.10.0.5").alias("network.peer_ip"),
        pl.col("source.ip").alias("network.forwarded_ip"),
        pl.col("source.ip").alias("network.forwarded_first"),
        pl.lit(200, dtype=pl.Int32).alias("http.response.status_code"),
        pl.lit("app01/apache2/access.log").alias("log.file.path"),
    )
    # application: login and session end for every session, audit reads for a tenth of patient views
    users = sessions.with_columns(
        pl.format("u{}", pl.col("_user")).alias("user.name"),
        (pl.col("_user") + 1000).cast(pl.String).alias("user.id"),
        pl.format("sess{}", pl.col("_s")).alias("session.id"),
        ua_of("_ua").alias("user_agent.original"),
    )
    app_login = users.select(
        (pl.col("_start") + pl.duration(seconds=1)).alias("@timestamp"),
        pl.lit("login").alias("event.action"),
        "user.name",
        "user.id",
        "session.id",
        "source.ip",
        "user_agent.original",
        pl.lit('{"auth_method": "standard", "screen_width": 1920, "screen_height": 1080}').alias("labels"),
    )
    last = web.group_by("_s").agg(pl.col("@timestamp").max().alias("_last"))
    app_end = users.join(last, on="_s").select(
        (pl.col("_last") + pl.duration(seconds=1)).alias("@timestamp"),
        pl.lit("session_end").alias("event.action"),
        "user.name",
        "user.id",
        "session.id",
        "source.ip",
        "user_agent.original",
        pl.lit(None, dtype=pl.String).alias("labels"),
    )
    app = pl.concat([app_login, app_end]).with_columns(
        pl.lit("mediboard.user_authentication").alias("event.dataset"),
        pl.lit(["ip_from_application"]).alias("tags"),
        pl.lit("mediboard_dump/user_authentication.tsv").alias("log.file.path"),
    )
    views = web.filter(pl.col("url.query").str.contains("patient_id=", literal=True)).gather_every(10)
    reads = views.join(users.select("_s", "user.name", "user.id"), on="_s").select(
        pl.col("@timestamp").dt.truncate("1h"),
        pl.lit("record_read").alias("event.action"),
        "user.name",
        "user.id",
        pl.lit("CPatient").alias("object.type"),
        pl.col("url.query").str.extract(r"patient_id=(\d+)", 1).alias("object.id"),
        pl.lit(["rounded_hour"]).alias("time.flags"),
        pl.lit("mediboard.log_access_medical_data").alias("event.dataset"),
        pl.lit("mediboard_dump/log_access_medical_data.tsv").alias("log.file.path"),
    )
    # database: connect / query / disconnect for a sample of requests
    n_db = max(int(n_events * 0.08) // 3, 1)
    dbs = web.sample(n=min(n_db, web.height), seed=seed).select("@timestamp", "url.query")
    dbs = dbs.with_columns(pl.int_range(0, pl.len()).alias("db.connection_id") + 9_000_000)
    q = pl.format("SELECT * FROM `patients` WHERE `patient_id` = '{}'", pl.col("db.connection_id") % 120_000)
    db = pl.concat(
        [
            dbs.select(
                "@timestamp",
                "db.connection_id",
                pl.lit("db_connect").alias("event.action"),
                pl.lit(None, dtype=pl.String).alias("db.query.text"),
            ),
            dbs.select(
                (pl.col("@timestamp") + pl.duration(milliseconds=20)).alias("@timestamp"),
                "db.connection_id",
                pl.lit("db_query").alias("event.action"),
                q.alias("db.query.text"),
            ),
            dbs.select(
                (pl.col("@timestamp") + pl.duration(milliseconds=90)).alias("@timestamp"),
                "db.connection_id",
                pl.lit("db_disconnect").alias("event.action"),
                pl.lit(None, dtype=pl.String).alias("db.query.text"),
            ),
        ]
    ).with_columns(
        pl.lit("mariadb.audit").alias("event.dataset"),
        pl.lit("db01").alias("host.name"),
        pl.lit("10.10.1.21").alias("source.ip"),
        pl.lit("mediboard").alias("db.user"),
        pl.lit("db01/mysql/server_audit.log").alias("log.file.path"),
    )
    frames = [web.drop("_s"), app, reads, db]
    out = pl.concat(
        [conform(f.with_columns(pl.col("@timestamp").dt.replace_time_zone("UTC"))) for f in frames], how="vertical"
    )
    return out


def build(n_events: int, out: Path) -> int:
    attack = scenarios.attack_case().frame()
    base = benign(max(n_events - attack.height, 0))
    events = pl.concat([base, attack.select(base.columns)], how="vertical")
    events = events.sort("@timestamp", "log.file.path", maintain_order=True)
    events = events.with_columns(
        pl.coalesce(pl.col("log.file.line"), pl.int_range(1, pl.len() + 1).over("log.file.path").cast(pl.Int64)).alias(
            "log.file.line"
        ),
        pl.col("log.file.path").alias("log.source"),
    )
    out.mkdir(parents=True, exist_ok=True)
    events.write_parquet(out / "events.parquet", compression="zstd")
    cfg_dir = out.parent / "case"
    write_config(cfg_dir)
    (out / "manifest.json").write_text(json.dumps({"config": {"path": str(cfg_dir / "case.toml")}}), encoding="utf-8")
    return events.height


#: The pipeline's steps whose memory ``--steps`` reports (names in ``forensics.correlate.pipeline``).
STEPS = (
    "load_inputs", "kept_rows", "rebuilt", "_profile", "with_pagination", "_ip_table", "_with_ip_labels", "sessionize_web",
    "prepare_app", "match_app_to_web", "reconcile_app", "sessionize_app", "app_sessions", "web_sessions",
    "link_sessions", "attribute_requests", "attribute_matched", "query_shape", "sessionize_db", "db_sessions",
    "link_web_db", "coverage_table", "_with_accounts", "id_names", "decide", "estimate", "_document",
    "all_sessions", "_session_reasons", "account_profiles",
)  # fmt: skip
_PAGE = 4096


class RssSampler(threading.Thread):
    """Reads this process's resident memory every 10 ms; ``peak`` is the highest since ``reset``."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.now()
        self.running = True

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * _PAGE

    def reset(self) -> int:
        self.peak = self.now()
        return self.peak

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.now())
            time.sleep(0.01)


def watch_steps(sampler: RssSampler, rows: list[dict[str, Any]]) -> Callable[[], None]:
    """Wrap every pipeline step and detector so that each call appends its time and memory to
    ``rows``; return the function that puts the unwrapped steps back."""
    depth = [0]
    saved = {name: getattr(pipeline, name) for name in STEPS}
    saved_detectors = list(detectors.DETECTORS)

    def restore() -> None:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)
        detectors.DETECTORS[:] = saved_detectors

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def step(*args: Any, **kwargs: Any) -> Any:
            outer_peak = sampler.peak
            start_rss = sampler.reset()
            row = {"step": "  " * depth[0] + name, "start_mb": start_rss >> 20}
            rows.append(row)
            depth[0] += 1
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                sampler.peak = max(sampler.peak, sampler.now())
                row.update(seconds=round(time.perf_counter() - t, 2), end_mb=sampler.now() >> 20)
                row["peak_mb"] = max(row.get("peak_mb", 0), sampler.peak >> 20)
                sampler.peak = max(outer_peak, sampler.peak)

        return step

    for name in STEPS:
        setattr(pipeline, name, wrap(name, getattr(pipeline, name)))
    detectors.DETECTORS[:] = [(n, wrap(f"detector {n}", fn)) for n, fn in detectors.DETECTORS]
    return restore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--keep", type=Path, help="build the case here and keep it (reused when it exists)")
    ap.add_argument("--case", type=Path, help="correlate this ingest output folder instead of a synthetic case")
    ap.add_argument("--steps", action="store_true", help="print the time and memory of every step")
    args = ap.parse_args()
    steps: list[dict[str, Any]] = []
    if args.steps:
        sampler = RssSampler()
        sampler.start()
        watch_steps(sampler, steps)
    tmp = None
    if args.case:
        out = args.case
    elif args.keep:
        out = args.keep / "out"
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-correlate-"))
        out = tmp / "out"
    try:
        if not (out / "events.parquet").is_file():
            t = time.perf_counter()
            n = build(args.events, out)
            print(
                f"built {n:,} events in {time.perf_counter() - t:.1f} s ({(out / 'events.parquet').stat().st_size / 1e6:.0f} MB)"
            )
        else:
            n = pl.scan_parquet(out / "events.parquet").select(pl.len()).collect().item()
            print(f"reusing {n:,} events from {out}")
        t = time.perf_counter()
        result = correlate(out)
        elapsed = time.perf_counter() - t
        if not args.case:
            result.save(out)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        doc = result.findings
        if steps:
            print("| step | seconds | RSS at start MB | peak MB | RSS at end MB |\n|---|---:|---:|---:|---:|")
            for r in steps:
                print(
                    f"| {r['step']} | {r.get('seconds', '')} | {r['start_mb']:,} | {r['peak_mb']:,} | {r['end_mb']:,} |"
                )
        print("stages (s):", json.dumps(result.timings))
        print(f"correlate: {elapsed:.1f} s for {n:,} events ({n / elapsed:,.0f} events/s), peak RSS {peak:,.0f} MB")
        print(f"sessions {result.sessions.height:,}, links {result.links.height:,}, findings {len(doc['findings'])}")
        top = doc["accounts"][0] if doc["accounts"] else None
        print("top account:", top and (top["account"], top["verdict"], top["score"]))
        print("attacker addresses:", ", ".join(doc["attacker_ips"]))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
