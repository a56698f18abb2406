"""Credential stuffing (T1110.004): leaked pairs replayed from a pool of addresses.

A stuffing campaign is many accounts tried from many addresses that belong together (few
networks, few user agents) in a short time, far above the case's normal rate of failed
logins.  No single address stands out (each tries once or twice), so nothing here is a
per-address count:

* candidates are failures from external addresses that each made at most
  ``stuffing_max_per_ip`` attempts and had no successful login before, leaving out the
  failures the source explains as an expired password (a Monday after an expiry date) and
  the typos their own account corrected from the same address within
  ``typo_correction_window``;
* candidates are grouped like the other campaigns (``_attempts.cluster_sources``):
  addresses active within ``campaign_gap`` of each other that share a user agent or a
  network;
* a group is a campaign when it holds at least ``stuffing_min_ips`` addresses, tried at
  least ``stuffing_min_accounts`` distinct accounts (one person mistyping tries one), and
  made at least ``stuffing_rate_factor`` times the failures the case's normal rate (every
  other failed login of the evidence, per hour) predicts over the group's span (at least
  ``stuffing_window``).

"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import Context
from forensics.correlate.detectors._attempts import attempts, cluster_sources, external, source_profile, with_corrected
from forensics.correlate.detectors._util import rows, span
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "stuffing"
ORDER = 30
TECHNIQUES: tuple[str, ...] = ("T1110.004",)
SIGNALS: dict[str, float] = {}
BASELINE = "population"
THRESHOLDS: dict[str, float] = {
    #: A group of candidate sources is a campaign from this many times the failures the case's
    #: normal rate predicts over its span.
    "stuffing_rate_factor": 10.0,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "stuffing.title": "Credential stuffing from {n_ips:num} addresses against {accounts:num} accounts",
        "stuffing.reason": "{events:num} failed logins on {accounts:num} accounts ({unknown:num} do not exist) in {minutes:dec:0} minutes from {n_ips:num} external addresses of {n_nets:num} network(s) and {n_uas:num} user agent(s), each of which tried at most {max_per_ip} times and had never logged in: a pool of addresses replaying user/password pairs. The case's other failed logins come at {rate:g} per hour, {expected:g} expected over this span. Rule: at least {min_ips} such addresses sharing a network or user agent, on at least {min_accounts} accounts, with {factor:g} times the failures the normal rate predicts.",
    },
    "fr": {
        "stuffing.title": "Bourrage d'identifiants depuis {n_ips:num} adresses contre {accounts:num} comptes",
        "stuffing.reason": "{events:num} échecs de connexion sur {accounts:num} comptes (dont {unknown:num} inexistants) en {minutes:dec:0} minutes depuis {n_ips:num} adresses externes de {n_nets:num} réseau(x) et {n_uas:num} agent(s) utilisateur, chacune ayant essayé au plus {max_per_ip:num} fois sans s'être jamais connectée : un ensemble d'adresses qui rejoue des couples identifiant/mot de passe. Les autres échecs du dossier surviennent à {rate:g} par heure, {expected:g} attendus sur cette durée. Règle : au moins {min_ips:num} adresses de ce type partageant un réseau ou un agent utilisateur, sur au moins {min_accounts:num} comptes, avec {factor:g} fois les échecs que le rythme normal prévoit.",
    },
}


def _normal_rate(ctx: Context, others: int) -> float:
    """Failed logins per hour outside the candidates, over the span of the evidence (at least one)."""
    times = [
        x
        for df in (ctx.app, ctx.web)
        if df.height
        for x in (df.get_column("@timestamp").min(), df.get_column("@timestamp").max())
        if x is not None
    ]
    hours = max((max(times) - min(times)).total_seconds() / 3600, 1.0) if times else 1.0
    return max(others, 1) / hours


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    f = attempts(ctx).filter(pl.col("account").is_not_null())
    if f.height == 0:
        return []
    f = f.filter(~pl.col("event.reason").fill_null("").str.to_lowercase().str.contains("expir"))
    f = with_corrected(ctx, f, t.typo_correction_window).filter(~pl.col("corrected"))
    per_ip = f.group_by("client.ip").agg(pl.len().alias("_n"), pl.col("known_ip").any().alias("_known"))
    pool = per_ip.filter((pl.col("_n") <= t.stuffing_max_per_ip) & ~pl.col("_known")).select("client.ip")
    c = f.join(pool, on="client.ip", how="semi").filter(external(pl.col("client.ip.label"))).sort("@timestamp")
    if c.height == 0:
        return []
    rate = _normal_rate(ctx, f.height - c.height)
    out = []
    for group in cluster_sources(source_profile(c), t.campaign_gap):
        g = c.filter(pl.col("client.ip").is_in(group))
        ipl = sort_ips(g.get_column("client.ip").unique().to_list())
        targets = sorted(g.get_column("account").unique().to_list())
        if len(ipl) < t.stuffing_min_ips or len(targets) < t.stuffing_min_accounts:
            continue
        first, last = span(g, "@timestamp", "web.ts")
        hours = max((last - first).total_seconds(), t.stuffing_window) / 3600
        expected = rate * hours
        if g.height < t.stuffing_rate_factor * expected:
            continue
        unknown = g.filter(~pl.col("account.known")).get_column("account").n_unique()
        uas = sorted(g.get_column("ua").drop_nulls().unique().to_list())
        nets = sorted(
            {x for x in g.get_column("client.ip.network").to_list() if x} if "client.ip.network" in g.columns else set()
        )
        out.append(
            Finding(
                detector=NAME,
                title=msg("stuffing.title", n_ips=len(ipl), accounts=len(targets)),
                techniques=["T1110.004"],
                basis="derived",
                reason=msg(
                    "stuffing.reason",
                    events=g.height,
                    accounts=len(targets),
                    unknown=unknown,
                    n_ips=len(ipl),
                    n_nets=len(nets),
                    n_uas=len(uas),
                    minutes=(last - first).total_seconds() / 60,
                    max_per_ip=t.stuffing_max_per_ip,
                    expected=round(expected, 2),
                    rate=round(rate, 3),
                    factor=t.stuffing_rate_factor,
                    min_ips=t.stuffing_min_ips,
                    min_accounts=t.stuffing_min_accounts,
                ),
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row", "web.row"),
                details={
                    "campaign_ips": ipl,
                    "targeted_accounts": targets,
                    "accounts_targeted": len(targets),
                    "unknown_accounts": unknown,
                    "attempts": g.height,
                    "networks": nets,
                    "user_agents": uas,
                    "baseline": {"population": {"failures_per_hour": round(rate, 3), "expected": round(expected, 2)}},
                },
            )
        )
    return out
