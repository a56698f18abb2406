"""Failed-login sources: per-address profile and campaign clustering (spray, brute force, stuffing)."""

from __future__ import annotations

import warnings
from datetime import timedelta

import polars as pl

from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import UnionFind


def attempts(ctx: Context) -> pl.DataFrame:
    """Failures with a client address, plus ``known_ip``: the address had a successful login before."""
    f = ctx.failures().filter(pl.col("client.ip").is_not_null())
    first_ok = ctx.first_success_by_ip()
    f = f.join(first_ok, on="client.ip", how="left", maintain_order="left")
    # known: the address had logged in successfully before its first failure
    first_fail = pl.col("@timestamp").min().over("client.ip")
    return f.with_columns((pl.col("_first_ok") < first_fail).fill_null(False).alias("known_ip")).drop("_first_ok")


def with_corrected(ctx: Context, f: pl.DataFrame, window_s: float) -> pl.DataFrame:
    """Add ``corrected``: the same account logged in successfully from the same address within ``window_s`` after.

    That is what a mistyped password looks like (the owner tries again and gets in); a
    guessed password on someone else's account is the exception, not the rule.  Same rows,
    same order.
    """
    if f.height == 0:
        return f.with_columns(pl.lit(False).alias("corrected"))
    ok = (
        ctx.logins()
        .filter(pl.col("client.ip").is_not_null())
        .select("account", "client.ip", pl.col("@timestamp").alias("_ok_ts"))
        .sort("_ok_ts")
    )
    ordered = f.with_row_index("_attempt").sort("@timestamp")
    with warnings.catch_warnings():
        # both sides are sorted by time as a whole, hence within every (account, address) group
        warnings.filterwarnings("ignore", message="Sortedness of columns cannot be checked")
        joined = ordered.join_asof(
            ok,
            left_on="@timestamp",
            right_on="_ok_ts",
            by=["account", "client.ip"],
            strategy="forward",
            tolerance=timedelta(seconds=window_s),
        )
    return (
        joined.with_columns(pl.col("_ok_ts").is_not_null().alias("corrected"))
        .sort("_attempt")
        .drop("_attempt", "_ok_ts")
    )


def source_profile(f: pl.DataFrame) -> pl.DataFrame:
    """One row per client address: attempts, distinct accounts, unknown accounts, span, user agents."""
    return (
        f.group_by("client.ip")
        .agg(
            pl.len().alias("attempts"),
            pl.col("account").n_unique().alias("accounts"),
            pl.col("account").filter(~pl.col("account.known")).n_unique().alias("unknown"),
            pl.col("@timestamp").min().alias("first"),
            pl.col("@timestamp").max().alias("last"),
            pl.col("ua").drop_nulls().unique().alias("uas"),
            pl.col("client.ip.network").first().alias("network"),
            pl.col("client.ip.label").first().alias("label"),
            pl.col("known_ip").any().alias("known_ip"),
        )
        .sort("first", "client.ip")
    )


def cluster_sources(profile: pl.DataFrame, gap_s: float) -> list[list[str]]:
    """Group addresses whose activity is within ``gap_s`` and that share a user agent or a network."""
    uf = UnionFind()
    items = profile.select("client.ip", "first", "last", "uas", "network").to_dicts()
    for it in items:
        uf.find(it["client.ip"])
    active: list[dict] = []
    for it in items:  # sorted by first: sweep line
        active = [a for a in active if (it["first"] - a["last"]).total_seconds() <= gap_s]
        for a in active:
            shared_ua = bool(set(a["uas"] or []) & set(it["uas"] or []))
            same_net = a["network"] is not None and a["network"] == it["network"]
            if shared_ua or same_net:
                uf.union(a["client.ip"], it["client.ip"])
        active.append(it)
    return [[str(x) for x in g] for g in uf.groups()]


def external(label: pl.Expr) -> pl.Expr:
    return ~label.fill_null("").is_in(list(LOCAL_LABELS))
