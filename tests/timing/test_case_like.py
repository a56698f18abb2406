"""A small case shaped like the sample case: three hosts, three clocks, a DST fall-back night.

rp01 (proxy, UTC, right clock), app01 (Apache with offsets, +3 s) and db02 (naive local
audit log with connection ids, -7 s), from 00:30Z to 02:30Z on 27 October 2024, across
the repeated hour in Europe/Paris.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from forensics.config import SourceConfig
from tests.timing.helpers import run

PARIS = ZoneInfo("Europe/Paris")


def _evidence(n: int = 300) -> tuple[dict[str, str], list[tuple[int, datetime]]]:
    rng = random.Random(27)
    proxy, app, db = [], [], []
    truth = []
    t = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    conn = 5540000
    for i in range(n):
        t += timedelta(seconds=rng.uniform(15, 33))
        url = f"/mediboard/api/dossierpatient/patients/{48000 + i}"
        size = 3000 + i
        seen_app = t + timedelta(seconds=3.0 + rng.uniform(0.001, 0.008))
        seen_db = t + timedelta(seconds=-7.0 + rng.uniform(0.01, 0.04))
        proxy.append(
            f'203.0.113.201 - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "GET {url} HTTP/1.1" 200 {size} "-" "python-requests/2.32.3"'
        )
        local = seen_app.astimezone(PARIS)
        app.append(
            f'10.10.0.5 - - [{local:%d/%b/%Y:%H:%M:%S %z}] "GET {url} HTTP/1.1" 200 {size} "-" '
            f'"python-requests/2.32.3" 98112 "10.20.3.47, 203.0.113.201"'
        )
        conn += rng.randint(1, 40)
        db.append(f"{seen_db.astimezone(PARIS):%Y-%m-%d %H:%M:%S},{conn} CONNECT mediboard@app01")
        truth.append((i + 1, t))
    files = {
        "rp01/nginx/access.log": "\n".join(proxy) + "\n",
        "app01/apache2/access.log": "\n".join(app) + "\n",
        "db02/mysql/server_audit.log": "\n".join(db) + "\n",
    }
    return files, truth


def test_three_clocks_across_the_repeated_hour(tmp_path: Path) -> None:
    files, truth = _evidence()
    sources = (
        SourceConfig(path="rp01/**", format="apache.access", host="rp01", clock_offset=0.0),
        SourceConfig(path="app01/**", format="apache.access", host="app01"),
        SourceConfig(path="db02/**", format="test.naive_ids", host="db02", timezone="Europe/Paris"),
    )
    events, manifest = run(files, tmp_path, sources=sources, trusted_proxies=("10.10.0.5",))
    src = {s["clock_host"]: s for s in manifest["sources"]}
    assert abs(src["app01"]["skew_applied"] - 3.0) < 0.5
    assert abs(src["db02"]["skew_applied"] + 7.0) < 0.5
    assert src["db02"]["skew_estimate"]["via"][0] == "rp01"
    # the repeated hour of the naive audit log is decided by its connection ids and file order
    dst = src["db02"]["dst_fall_back"]
    assert dst["ambiguous"] > 50 and dst["unresolved"] == 0 and dst["order_conflicts"] == 0
    # after correction every CONNECT sits next to the true time of its request (the log
    # has one-second resolution, the estimate is within half a second)
    db = events.filter(pl.col("host.name") == "db02").sort("log.file.line")
    want = pl.Series([t for _, t in truth]).dt.cast_time_unit("us")
    err = (db["@timestamp"] - want).dt.total_milliseconds()
    assert err.abs().max() < 1500
    # and time.recorded still says what db02's clock said
    raw = (db["time.recorded"] - want).dt.total_milliseconds()
    assert raw.is_between(-8000, -6000).all()
    assert manifest["totals"]["dst_ambiguous"] == 0
