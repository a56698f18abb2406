"""A request logged by the proxy and by the application server counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.correlate.dedupe import (
    KEY,
    _key_hash,
    drop_cross_host_duplicates,
    duplicate_keys,
    kept_of_keys,
    kept_rows,
)

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


def _old_drop(web: pl.DataFrame, tolerance: float) -> tuple[pl.DataFrame, int]:
    """The expression ``drop_cross_host_duplicates`` replaced (a window over a chain id)."""
    if web.height == 0 or web.get_column("host.name").n_unique() < 2:
        return web, 0
    cols = [c for c in KEY if c in web.columns]
    narrow = web.select(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"),
        _key_hash(cols, 3).alias("_k1"),
        _key_hash(cols, 4).alias("_k2"),
        pl.col("host.name").alias("_h"),
        pl.col("@timestamp").alias("_t"),
    ).sort("_k1", "_k2", "_t", "_i")
    same = (pl.col("_k1") == pl.col("_k1").shift(1)) & (pl.col("_k2") == pl.col("_k2").shift(1))
    other_host = pl.col("_h") != pl.col("_h").shift(1)
    close = (pl.col("_t") - pl.col("_t").shift(1)).dt.total_microseconds() <= int(tolerance * 1_000_000)
    narrow = narrow.with_columns((same & other_host & close).fill_null(False).alias("_link"))
    narrow = narrow.with_columns((~pl.col("_link")).cum_sum().alias("_chain"))
    narrow = narrow.with_columns(pl.int_range(0, pl.len()).over("_chain").alias("_pos"))
    dup = narrow.filter(pl.col("_pos") % 2 == 1).get_column("_i")
    if dup.len() == 0:
        return web, 0
    keep = pl.Series(values=[True] * web.height, dtype=pl.Boolean).scatter(dup, False)
    return web.filter(keep), int(dup.len())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0, 0.1, 0.5, 3, 9.9, 10, 10.1, 25]),
            st.sampled_from(["rp01", "app01", "app02", None]),
            st.sampled_from(["/p", "/q", None, "/p|x"]),
        ),
        max_size=40,
    ),
    st.sampled_from([0, 1, 10]),
)
def test_the_same_requests_are_dropped_as_by_the_window_it_replaced(rows, tolerance):
    df = _frame(rows)
    out, dropped = drop_cross_host_duplicates(df, tolerance)
    want, want_dropped = _old_drop(df, tolerance)
    assert dropped == want_dropped and out.equals(want)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([-0.2, 0, 0.1, 3, 9.9, 10.1, 25]),
            st.sampled_from(["rp01", "app01", None]),
            st.sampled_from(["/p", "/q", None]),
        ),
        max_size=40,
    ),
    st.lists(st.integers(0, 40), max_size=4),
    st.sampled_from([0, 1, 10]),
)
def test_keys_made_a_day_at_a_time_drop_what_the_whole_frame_drops(rows, cuts, tolerance):
    """On a cluster each UTC day's keys are made on its own and tested side by side
    (``forensics.correlate.partitions``): a copy logged across the cut is still found."""
    # around midnight, in time order as the load reads them
    df = _frame(rows).with_columns(pl.col("@timestamp") - timedelta(hours=8)).sort("@timestamp", maintain_order=True)
    edges = sorted({min(c, df.height) for c in cuts} | {0, df.height})
    days = [df.slice(a, b - a) for a, b in pairwise(edges)]
    keep = kept_of_keys(pl.concat([duplicate_keys(d) for d in days]) if days else duplicate_keys(df), tolerance)
    whole = kept_rows(df, tolerance)
    if df.height == 0 or df.get_column("host.name").n_unique() < 2:
        assert whole is None
    assert (keep is None and whole is None) or (keep is not None and whole is not None and keep.equals(whole))
