"""Synthetic events with known clock offsets, for the skew estimator."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl

START = datetime(2024, 10, 22, 8, 0, tzinfo=UTC)


def _stamp(true: float, offset: float) -> datetime:
    """What a host whose clock is ``offset`` s ahead writes with one-second resolution."""
    return START + timedelta(seconds=int(true + offset))


def generate(
    n_requests: int = 6000,
    *,
    app_offset: float = 3.0,
    db01_offset: float = 0.4,
    db02_offset: float = -7.0,
    rate: float = 2.0,
    seed: int = 6,
) -> pl.DataFrame:
    """rp01 (proxy, right clock), app01 (app server), db01 (a CONNECT per request), db02 (some).

    Requests come at ``rate`` per second; some share a URL (a login form hammered every few
    seconds, a status page polled by monitoring straight on app01) so that pairing has to
    cope with repeated keys.
    """
    rng = random.Random(seed)
    rows: list[dict] = []
    t = 0.0
    for i in range(n_requests):
        t += rng.expovariate(rate)
        kind = rng.random()
        if kind < 0.2:
            method, url, status, size = "POST", "/mediboard/index.php", 401, 6021
        else:
            method, url, status, size = "GET", f"/mediboard/index.php?m=dPpatients&patient_id={i}", 200, 1000 + i
        ip = f"203.0.113.{rng.randrange(1, 250)}"
        base = {"http.request.method": method, "url.original": url, "http.response.status_code": status}
        rows.append(
            {
                **base,
                "log.source": "rp01/nginx/access.log",
                "time.recorded": _stamp(t, 0.0),
                "http.response.bytes": size,
                "event.action": "http_request",
                "source.ip": ip,
            }
        )
        t_app = t + rng.uniform(0.001, 0.01)
        rows.append(
            {
                **base,
                "log.source": "app01/apache2/access.log",
                "time.recorded": _stamp(t_app, app_offset),
                "http.response.bytes": size,
                "event.action": "http_request",
                "source.ip": ip,
                "event.duration": int(rng.uniform(0.02, 0.4) * 1e9),
            }
        )
        t_db = t_app + rng.uniform(0.005, 0.03)
        rows.append(
            {
                "log.source": "db01/mysql/server_audit.log",
                "time.recorded": _stamp(t_db, db01_offset),
                "event.action": "db_connect",
                "source.ip": "10.10.1.21",
            }
        )
        if rng.random() < 0.15:
            rows.append(
                {
                    "log.source": "db02/mysql/server_audit.log",
                    "time.recorded": _stamp(t_db, db02_offset),
                    "event.action": "db_connect",
                    "source.ip": "10.10.1.21",
                }
            )
        if i % 30 == 0:  # monitoring straight on app01: never seen by the proxy
            rows.append(
                {
                    "log.source": "app01/apache2/access.log",
                    "time.recorded": _stamp(t, app_offset),
                    "http.request.method": "GET",
                    "url.original": "/mediboard/status.php",
                    "http.response.status_code": 200,
                    "http.response.bytes": 512,
                    "event.action": "http_request",
                    "source.ip": "10.10.0.9",
                }
            )
    df = pl.DataFrame(rows, infer_schema_length=None)
    return df.with_columns(
        pl.col("time.recorded").dt.cast_time_unit("us"),
        pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"),
        pl.col("http.response.status_code").cast(pl.Int32),
    )


HOSTS = {
    "rp01/nginx/access.log": "rp01",
    "app01/apache2/access.log": "app01",
    "db01/mysql/server_audit.log": "db01",
    "db02/mysql/server_audit.log": "db02",
}
