"""Baselines: what is usual for an account (its own history) and for its peers.

A behaviour is suspicious when it is unusual **for this account** and **for accounts like
it** (``reference/compromise-routes.md``).  This module builds the second half: an
account's *peers* are the accounts that use the application alike, measured on the
functions (activity labels and modules of the web requests attributed to them) each one
used over the evidence.  Two accounts are peers when the functions they share make at
least ``peer_similarity`` of the functions either of them used (Jaccard index).  When an
account has fewer than ``peer_min_accounts`` such peers (thin evidence, a one-of-a-kind
job), the population of all accounts stands in, and the finding says so.

The result is plain data (a frame of ``account``/``peer`` pairs and a description per
account) so that detectors and notebooks can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from forensics.correlate.context import Context

#: Activity labels that say nothing about a job (everyone loads pages, logs in and out).
NEUTRAL_ACTIVITIES = ("static", "status", "page", "login", "login_failed", "logout", "form_post")


@dataclass(frozen=True)
class PeerGroup:
    """The peers of one account and what they were chosen on."""

    account: str
    peers: tuple[str, ...]
    basis: str  # "behaviour": accounts using the same functions; "population": every account

    def describe(self) -> dict[str, object]:
        return {"basis": self.basis, "accounts": len(self.peers)}


def functions_used(ctx: Context) -> pl.DataFrame:
    """``account``, ``function``: the distinct functions each account's web requests used."""
    web = ctx.web
    if web.height == 0 or "account" not in web.columns or "activity" not in web.columns:
        return pl.DataFrame(schema={"account": pl.String, "function": pl.String})
    act = pl.col("activity").cast(pl.String)
    module = pl.col("activity.module").cast(pl.String) if "activity.module" in web.columns else pl.lit(None)
    # lazily: the filter then reads only the columns named here, not every column of the web frame
    return (
        web.lazy()
        .filter(pl.col("account").is_not_null() & ~act.is_in(list(NEUTRAL_ACTIVITIES)))
        .select(
            "account",
            pl.concat_str([act, pl.lit(":"), module.fill_null("")]).alias("function"),
        )
        .unique()
        .collect()
    )


def peer_groups(ctx: Context) -> dict[str, PeerGroup]:
    """Peers of every account that logged in (cached on the context)."""
    cached = ctx._cache.get("peer_groups")
    if cached is not None:
        return cached
    t = ctx.thresholds
    accounts = sorted(ctx.logins().get_column("account").drop_nulls().unique().to_list() if ctx.app.height else [])
    fn = functions_used(ctx)
    sizes = fn.group_by("account").agg(pl.len().alias("_n"))
    pairs = (
        fn.join(fn.rename({"account": "peer"}), on="function")
        .filter(pl.col("account") != pl.col("peer"))
        .group_by("account", "peer")
        .agg(pl.len().alias("_shared"))
        .join(sizes, on="account")
        .join(sizes.rename({"account": "peer", "_n": "_np"}), on="peer")
        .with_columns((pl.col("_shared") / (pl.col("_n") + pl.col("_np") - pl.col("_shared"))).alias("_j"))
        .filter(pl.col("_j") >= t.peer_similarity)
    )
    by_account: dict[str, list[str]] = {}
    for acc, peer in pairs.select("account", "peer").iter_rows():
        by_account.setdefault(acc, []).append(peer)
    out: dict[str, PeerGroup] = {}
    for acc in accounts:
        peers = sorted(by_account.get(acc, []))
        if len(peers) >= t.peer_min_accounts:
            out[acc] = PeerGroup(acc, tuple(peers), "behaviour")
        else:
            out[acc] = PeerGroup(acc, tuple(a for a in accounts if a != acc), "population")
    ctx._cache["peer_groups"] = out
    return out


def users_of(df: pl.DataFrame, value: str) -> dict[object, set[str]]:
    """For one column of a per-account frame: which accounts used each value."""
    out: dict[object, set[str]] = {}
    for acc, v in df.select("account", value).drop_nulls().unique().iter_rows():
        out.setdefault(v, set()).add(acc)
    return out


def peer_share(group: PeerGroup, users: set[str]) -> float:
    """Share of the account's peers that used a value (0 when it has no peers at all)."""
    if not group.peers:
        return 0.0
    return len(users.intersection(group.peers)) / len(group.peers)


__all__ = ["NEUTRAL_ACTIVITIES", "PeerGroup", "functions_used", "peer_groups", "peer_share", "users_of"]
