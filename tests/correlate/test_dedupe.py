"""A request logged by the proxy and by the application server counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forensics.correlate.dedupe import drop_cross_host_duplicates

T0 = datetime(2024, 10, 21, 8, 0, tzinfo=UTC)


def _frame(rows):
    return pl.DataFrame(
        [(T0 + timedelta(seconds=s), host, path) for s, host, path in rows],
        schema={"@timestamp": pl.Datetime("us", "UTC"), "host.name": pl.String, "url.path": pl.String},
        orient="row",
    ).with_columns(
        pl.lit("10.20.1.5").alias("source.ip"),
        pl.lit("GET").alias("http.request.method"),
        pl.lit(None, dtype=pl.String).alias("url.query"),
        pl.lit(200).alias("http.response.status_code"),
        pl.lit("A").alias("user_agent.original"),
    )


def test_pairs_are_counted_once_and_repeats_are_kept():
    # the same page twice, 8 s apart, each logged by the proxy (0.3 s earlier) and the app server
    df = _frame([(-0.3, "rp01", "/p"), (0, "app01", "/p"), (7.7, "rp01", "/p"), (8, "app01", "/p"), (1, "app01", "/q")])
    out, dropped = drop_cross_host_duplicates(df, 10)
    assert dropped == 2
    assert sorted(out.get_column("host.name").to_list()) == ["app01", "rp01", "rp01"]


def test_one_host_or_far_apart_is_left_alone():
    df = _frame([(0, "app01", "/p"), (1, "app01", "/p")])
    assert drop_cross_host_duplicates(df, 10) == (df, 0)
    df = _frame([(0, "rp01", "/p"), (30, "app01", "/p")])
    assert drop_cross_host_duplicates(df, 10)[1] == 0
