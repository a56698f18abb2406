"""Logins that do not fit the account's own history nor its peers' (a weak signal, no technique).

For each successful login, against the same account's *earlier* successful logins in the
evidence: a new client address, a new network (the ip_context network, else the /24; the internal
networks count as one), a new user agent, an hour of day (case time zone) with no earlier login within
``unusual_hour_margin`` hours.  Nothing is said before an account has
``baseline_min_logins`` earlier logins (no history, no novelty).  A finding is made when three of
these are new, or two from an external address, or one from an anonymiser or hosting
network; its
weight is ``new_source`` (0.1) per new dimension, at most 0.35: novelty alone never makes
an account suspicious (a physician on a new home connection is normal).

A dimension new for the account still does not count when at least ``peer_common_share`` of
its peers (``baselines.peer_groups``: accounts using the same functions, else every account)
used the same address, network, user agent or hour: a browser update rolled out to every
desk, or a night shift shared by a whole ward, is ordinary for accounts like it.

These findings carry no ATT&CK technique: a new address says nothing about *who* used the
account.  Valid Accounts (T1078) needs evidence of use by someone else (a credential attack
that succeeded, use from an attacker's address, a session replayed from a second client:
see ``success_after_failures``, ``concurrent_use`` and the verdict step).
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.baselines import peer_groups, peer_share, users_of
from forensics.correlate.context import FLAGGED_LABELS, LOCAL_LABELS, Context
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding

NAME = "unusual_access"
ORDER = 50
TECHNIQUES: tuple[str, ...] = ()
SIGNALS: dict[str, float] = {"new_source": 0.1}
BASELINE = "own_history+peers"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unusual.title": "{account} logged in from a new {what:msgs:, }{count:msg}",
        "unusual.count": " ({n} such logins)",
        "unusual.new.address": "address {ip:ip}",
        "unusual.new.network": "network {network}",
        "unusual.new.ua": "user agent",
        "unusual.new.hour": "hour {hour:02d}h ({zone})",
        "unusual.login": "{time:time}: new {what:msgs:, }{label:msg}",
        "unusual.labelled": " (labelled {label:word:ipctx})",
        "unusual.more": "; and {n} more",
        "unusual.reason": "Compared with the earlier logins of {account} in the evidence: {logins:msgs:; }{more:msg}. Novelty alone is weak evidence (weight {weight:g} per new dimension, at most 0.35).",
        "unusual.reason.peers": "Compared with the {prior:num} earlier logins of {account} over {days:num} day(s) of evidence, and with its {peers:num} peers ({peer_basis:msg}): {logins:msgs:; }{more:msg}. A value that at least {share:num} % of the peers used does not count. Novelty alone is weak evidence and says nothing about who used the account (weight {weight:g} per new dimension, at most 0.35).",
    },
    "fr": {
        "unusual.title": "Connexion de {account} avec nouveauté : {what:msgs:, }{count:msg}",
        "unusual.count": " ({n:num} connexions de ce type)",
        "unusual.new.address": "adresse {ip:ip}",
        "unusual.new.network": "réseau {network}",
        "unusual.new.ua": "agent utilisateur",
        "unusual.new.hour": "heure {hour:02d} h ({zone})",
        "unusual.login": "{time:time} : éléments nouveaux : {what:msgs:, }{label:msg}",
        "unusual.labelled": " (classée {label:word:ipctx})",
        "unusual.more": " ; et {n:num} autres",
        "unusual.reason": "Par rapport aux connexions antérieures de {account} dans les preuves : {logins:msgs: ; }{more:msg}. La nouveauté seule est un indice faible (poids {weight:g} par nouveauté, au plus 0,35).",
        "unusual.reason.peers": "Par rapport aux {prior:num} connexions antérieures de {account} sur {days:num} jour(s) de preuves, et à ses {peers:num} pairs ({peer_basis:msg}) : {logins:msgs: ; }{more:msg}. Une valeur utilisée par au moins {share:num} % des pairs ne compte pas. La nouveauté seule est un indice faible et ne dit pas qui a utilisé le compte (poids {weight:g} par nouveauté, au plus 0,35).",
    },
}
DIMENSIONS = ("new_ip", "new_network", "new_ua", "new_hour")


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


def _peer_usage(lg: pl.DataFrame, margin: int) -> dict[str, dict[object, set[str]]]:
    """Which accounts used each address, network, user agent and hour of day (any time)."""
    hours: dict[object, set[str]] = {}
    for acc, h in lg.select("account", "hour").unique().iter_rows():
        for d in range(-margin, margin + 1):
            hours.setdefault((h + d) % 24, set()).add(acc)
    return {
        "new_ip": users_of(lg, "client.ip"),
        "new_network": users_of(lg, "_net"),
        "new_ua": users_of(lg, "ua"),
        "new_hour": hours,
    }


_VALUE = {"new_ip": "client.ip", "new_network": "_net", "new_ua": "ua", "new_hour": "hour"}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    lg = profile_logins(ctx)
    if lg.height == 0:
        return []
    any_new = pl.any_horizontal([pl.col(c) for c in DIMENSIONS])
    cand = lg.filter(any_new)
    if cand.height == 0:
        return []
    groups = peer_groups(ctx)
    usage = _peer_usage(lg, t.unusual_hour_margin)
    # history depth of each account before each candidate login, in days with a login
    days = lg.select("account", pl.col("@timestamp").dt.date().alias("_d"), "@timestamp")
    # a dimension counts when it is new for the account AND rare among its peers
    kept: list[dict] = []
    for r in cand.sort("account", "@timestamp", "_row").to_dicts():
        group = groups.get(r["account"])
        peer_common: dict[str, float] = {}
        for dim in DIMENSIONS:
            if not r[dim] or group is None:
                continue
            share = peer_share(group, usage[dim].get(r[_VALUE[dim]], set()))
            peer_common[dim] = share
            if share >= t.peer_common_share:
                r[dim] = False
        r["_dims"] = sum(int(bool(r[d])) for d in DIMENSIONS)
        r["_peer_share"] = peer_common
        r["_peers"] = group
        kept.append(r)
    flagged = set(FLAGGED_LABELS)
    local = set(LOCAL_LABELS)
    hits = [
        r
        for r in kept
        if r["_dims"] >= 3
        or (r["_dims"] >= 2 and (r["client.ip.label"] or "") not in local)
        or ((r["client.ip.label"] or "") in flagged and r["_dims"] >= 1)
    ]
    out = []
    w = SIGNAL_WEIGHTS["new_source"]
    by_account: dict[str, list[dict]] = {}
    for r in hits:
        by_account.setdefault(r["account"], []).append(r)
    for account, logins in by_account.items():
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
        group = logins[0]["_peers"]
        own = days.filter((pl.col("account") == account) & (pl.col("@timestamp") < first))
        baseline = {
            "own_history": {"logins": int(logins[0]["prior"]), "days": own.get_column("_d").n_unique()},
            "peers": group.describe() if group else {"basis": "population", "accounts": 0},
            "peer_share": {k: round(v, 3) for k, v in strongest[0]["_peer_share"].items()},
        }
        out.append(
            Finding(
                detector=NAME,
                title=msg(
                    "unusual.title",
                    account=account,
                    what=strongest[1],
                    count=msg("unusual.count", n=len(logins)) if len(logins) > 1 else "",
                ),
                techniques=[],
                basis="derived",
                reason=msg(
                    "unusual.reason.peers",
                    account=account,
                    logins=[d[2] for d in described[:5]],
                    more=more,
                    weight=w,
                    prior=baseline["own_history"]["logins"],
                    days=baseline["own_history"]["days"],
                    peers=baseline["peers"]["accounts"],
                    peer_basis=msg(f"baseline.peers.{baseline['peers']['basis']}"),
                    share=round(100 * t.peer_common_share),
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
                    "baseline": baseline,
                    "logins": [
                        {
                            k: r[k]
                            for k in ("@timestamp", "client.ip", "new_ip", "new_network", "new_ua", "new_hour", "prior")
                        }
                        for r in logins[:50]
                    ],
                },
            )
        )
    return out
