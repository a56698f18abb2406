"""Valid-account use that does not fit the account's own history (T1078).

For each successful login, against the same account's *earlier* successful logins in the
evidence: a new client address, a new network (the ip_context network, else the /24), a
new user agent, an hour of day (case time zone) with no earlier login within
``unusual_hour_margin`` hours.  Nothing is said before an account has
``baseline_min_logins`` earlier logins (no history, no novelty).  A finding is made when at
least two of these are new, or when the address is an anonymiser or hosting network; its
weight is ``new_source`` (0.1) per new dimension, at most 0.35: novelty alone never makes
an account suspicious (a physician on a new home connection is normal).
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, Context
from forensics.correlate.detectors._util import rows
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
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
        pl.coalesce(pl.col("client.ip.network"), pl.col("client.ip")).alias("_net"),
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
    hits = lg.with_columns(dims.alias("_dims")).filter((pl.col("_dims") >= 2) | (flagged_src & (pl.col("_dims") >= 1)))
    out = []
    w = SIGNAL_WEIGHTS["new_source"]
    for r in hits.sort("@timestamp", "_row").to_dicts():
        what = [
            label
            for flag, label in (
                ("new_ip", f"address {r['client.ip']}"),
                ("new_network", f"network {r['_net']}"),
                ("new_ua", "user agent"),
                ("new_hour", f"hour {r['hour']:02d}h ({ctx.zone_name})"),
            )
            if r[flag]
        ]
        out.append(
            Finding(
                detector=NAME,
                title=f"{r['account']} logged in from a new {', '.join(what)}",
                techniques=["T1078"],
                basis="derived",
                reason=(
                    f"Login of {r['account']} at {r['@timestamp']:%Y-%m-%d %H:%M:%S}Z: new {', '.join(what)} compared "
                    f"with its {r['prior']} earlier logins in the evidence"
                    + (f"; the address is labelled {r['client.ip.label']}" if r["client.ip.label"] else "")
                    + ". Novelty alone is weak evidence."
                ),
                account=r["account"],
                ips=[r["client.ip"]] if r["client.ip"] else [],
                first_seen=r["@timestamp"],
                last_seen=r["@timestamp"],
                event_count=1,
                rows=rows(pl.DataFrame([{"_row": r["_row"], "web.row": r.get("web.row")}]), "_row", "web.row"),
                signal="new_source",
                weight=min(0.35, w * r["_dims"]),
                details={k: r[k] for k in ("new_ip", "new_network", "new_ua", "new_hour", "prior", "hour")},
            )
        )
    return out
