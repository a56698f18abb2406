"""Credential stuffing (T1110.004): leaked pairs replayed from a pool of addresses.

Rule: within any ``stuffing_window`` (sliding every quarter of it), failures from external
addresses that each made at most ``stuffing_max_per_ip`` attempts and had no successful
login before add up to at least ``stuffing_min_attempts`` attempts from at least
``stuffing_min_ips`` addresses on at least ``stuffing_min_accounts`` accounts.  Such
windows that touch are one campaign.  Failures that the source explains as an expired
password are left out (a Monday morning after a password-expiry date looks like this).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate.context import Context
from forensics.correlate.detectors._attempts import attempts, external
from forensics.correlate.detectors._util import rows, span
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "stuffing"
ORDER = 30
TECHNIQUES: tuple[str, ...] = ("T1110.004",)
SIGNALS: dict[str, float] = {}
BASELINE = "population"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "stuffing.title": "Credential stuffing from {n_ips:num} addresses against {accounts:num} accounts",
        "stuffing.reason": "{events:num} failed logins on {accounts:num} accounts ({unknown:num} do not exist) from {n_ips:num} external addresses that each tried at most {max_per_ip} times and never logged in before: a pool of addresses replaying user/password pairs. Rule: at least {min_attempts} such attempts from {min_ips} addresses on {min_accounts} accounts within {minutes:g} minutes.",
    },
    "fr": {
        "stuffing.title": "Bourrage d'identifiants depuis {n_ips:num} adresses contre {accounts:num} comptes",
        "stuffing.reason": "{events:num} échecs de connexion sur {accounts:num} comptes (dont {unknown:num} inexistants) depuis {n_ips:num} adresses externes qui ont chacune essayé au plus {max_per_ip:num} fois et ne s'étaient jamais connectées : un ensemble d'adresses qui rejoue des couples identifiant/mot de passe. Règle : au moins {min_attempts:num} tentatives de ce type depuis {min_ips:num} adresses sur {min_accounts:num} comptes en {minutes:g} minutes.",
    },
}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    f = attempts(ctx).filter(pl.col("account").is_not_null())
    if f.height == 0:
        return []
    f = f.filter(~pl.col("event.reason").fill_null("").str.to_lowercase().str.contains("expir"))
    per_ip = f.group_by("client.ip").agg(pl.len().alias("_n"), pl.col("known_ip").any().alias("_known"))
    pool = per_ip.filter((pl.col("_n") <= t.stuffing_max_per_ip) & ~pl.col("_known")).select("client.ip")
    c = f.join(pool, on="client.ip", how="semi").filter(external(pl.col("client.ip.label"))).sort("@timestamp")
    if c.height < t.stuffing_min_attempts:
        return []
    period = int(t.stuffing_window)
    win = c.group_by_dynamic(
        "@timestamp", every=f"{max(period // 4, 1)}s", period=f"{period}s", closed="both", start_by="datapoint"
    ).agg(
        pl.len().alias("attempts"),
        pl.col("client.ip").n_unique().alias("ips"),
        pl.col("account").n_unique().alias("accounts"),
    )
    hot = win.filter(
        (pl.col("attempts") >= t.stuffing_min_attempts)
        & (pl.col("ips") >= t.stuffing_min_ips)
        & (pl.col("accounts") >= t.stuffing_min_accounts)
    )
    if hot.height == 0:
        return []
    spans: list[list] = []
    for start in hot.get_column("@timestamp").to_list():
        end = start + timedelta(seconds=period)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out = []
    for start, end in spans:
        g = c.filter((pl.col("@timestamp") >= start) & (pl.col("@timestamp") <= end))
        ipl = sort_ips(g.get_column("client.ip").unique().to_list())
        targets = sorted(g.get_column("account").unique().to_list())
        unknown = g.filter(~pl.col("account.known")).get_column("account").n_unique()
        first, last = span(g, "@timestamp", "web.ts")
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
                    max_per_ip=t.stuffing_max_per_ip,
                    min_attempts=t.stuffing_min_attempts,
                    min_ips=t.stuffing_min_ips,
                    min_accounts=t.stuffing_min_accounts,
                    minutes=period / 60,
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
                },
            )
        )
    return out
