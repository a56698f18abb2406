"""Valid-account use that does not fit the account's own history (T1078).

For each successful login, against the same account's *earlier* successful logins in the
evidence: a new client address, a new network (the ip_context network, else the /24; the internal
networks count as one), a new user agent, an hour of day (case time zone) with no earlier login within
``unusual_hour_margin`` hours.  Nothing is said before an account has
``baseline_min_logins`` earlier logins (no history, no novelty).  A finding is made when three of
these are new, or two from an external address, or one from an anonymiser or hosting
network; its
weight is ``new_source`` (0.1) per new dimension, at most 0.35: novelty alone never makes
an account suspicious (a physician on a new home connection is normal).
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, LOCAL_LABELS, Context
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding

NAME = "unusual_access"


def profile_logins(ctx: Context) -> pl.DataFrame:
    """Successful logins with ``prior`` (earlier logins of the account) and the new_* flags."""
    t = ctx.thresholds
    lg = ctx.logins().filter(pl.col("account").is_not_null()).sort("account", "@timestamp", "_row")
    if lg.height == 0:
        return lg
    local_hour = pl.col("@timestamp").dt.convert_time_zone(ctx.zone_name).dt.hour()
    lg = lg.with_columns(
        pl.int_range(0, pl.len()).over("account").alias("prior"),
        local_hour.alias("hour"),
        # inside the organisation every desk is the same network: moving wards is not a new network
        pl.when(pl.col("client.ip.label").is_in(list(LOCAL_LABELS)))
        .then(pl.lit("internal"))
        .otherwise(pl.coalesce(pl.col("client.ip.network"), pl.col("client.ip")))
        .alias("_net"),
    )

    def first_time(col: str) -> pl.Expr:
        return (pl.int_range(0, pl.len()).over(["account", col]) == 0) & pl.col(col).is_not_null()

    lg = lg.with_columns(
        first_time("client.ip").alias("new_ip"),
        first_time("_net").alias("new_network"),
        first_time("ua").alias("new_ua"),
    )
    # hour histogram of earlier logins: running counts per hour of day
    m = t.unusual_hour_margin
    hour_cols = [(pl.col("hour") == h).cast(pl.Int32).cum_sum().over("account").alias(f"_h{h}") for h in range(24)]
    lg = lg.with_columns(hour_cols)
    near = []
    for d in range(-m, m + 1):
        idx = (pl.col("hour") + d) % 24
        near.append(pl.coalesce([pl.when(idx == h).then(pl.col(f"_h{h}")) for h in range(24)]))
    own = pl.lit(1)
    lg = lg.with_columns((pl.sum_horizontal(near) - own).alias("_near")).with_columns(
        (pl.col("_near") == 0).alias("new_hour")
    )
    enough = pl.col("prior") >= t.baseline_min_logins
    lg = lg.with_columns([(pl.col(c) & enough).alias(c) for c in ("new_ip", "new_network", "new_ua", "new_hour")])
    return lg.drop([f"_h{h}" for h in range(24)] + ["_near"])


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    lg = profile_logins(ctx)
    if lg.height == 0:
        return []
    dims = pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in ("new_ip", "new_network", "new_ua", "new_hour")])
    flagged_src = pl.col("client.ip.label").fill_null("").is_in(list(FLAGGED_LABELS))
    internal = pl.col("client.ip.label").fill_null("").is_in(list(LOCAL_LABELS))
    hits = lg.with_columns(dims.alias("_dims")).filter(
        (pl.col("_dims") >= 3) | ((pl.col("_dims") >= 2) & ~internal) | (flagged_src & (pl.col("_dims") >= 1))
    )
    out = []
    w = SIGNAL_WEIGHTS["new_source"]
    hits = hits.sort("account", "@timestamp", "_row")
    for account in hits.get_column("account").unique(maintain_order=True).to_list():
        logins = hits.filter(pl.col("account") == account).to_dicts()
        described = []
        for r in logins:
            what = [
                label
                for flag, label in (
                    ("new_ip", msg("unusual.new.address", ip=r["client.ip"])),
                    ("new_network", msg("unusual.new.network", network=r["_net"])),
                    ("new_ua", msg("unusual.new.ua")),
                    ("new_hour", msg("unusual.new.hour", hour=r["hour"], zone=ctx.zone_name)),
                )
                if r[flag]
            ]
            label = msg("unusual.labelled", label=r["client.ip.label"]) if r["client.ip.label"] else ""
            described.append((r, what, msg("unusual.login", time=r["@timestamp"], what=what, label=label)))
        strongest = max(described, key=lambda d: (d[0]["_dims"], d[0]["@timestamp"]))
        first, last = logins[0]["@timestamp"], logins[-1]["@timestamp"]
        more = msg("unusual.more", n=len(described) - 5) if len(described) > 5 else ""
        out.append(
            Finding(
                detector=NAME,
                title=msg(
                    "unusual.title",
                    account=account,
                    what=strongest[1],
                    count=msg("unusual.count", n=len(logins)) if len(logins) > 1 else "",
                ),
                techniques=["T1078"],
                basis="derived",
                reason=msg(
                    "unusual.reason", account=account, logins=[d[2] for d in described[:5]], more=more, weight=w
                ),
                account=account,
                ips=sorted({r["client.ip"] for r in logins if r["client.ip"]}),
                first_seen=first,
                last_seen=last,
                event_count=len(logins),
                rows=sorted({x for r in logins for x in (r["_row"], r.get("web.row")) if x is not None}),
                signal="new_source",
                weight=min(0.35, w * max(r["_dims"] for r in logins)),
                details={
                    "logins": [
                        {
                            k: r[k]
                            for k in ("@timestamp", "client.ip", "new_ip", "new_network", "new_ua", "new_hour", "prior")
                        }
                        for r in logins[:50]
                    ]
                },
            )
        )
    return out
