"""Password spraying (T1110.003): many accounts, few tries each, from shared sources.

Rule: a client address that failed on at least ``spray_min_accounts`` distinct accounts
with at most ``spray_max_tries_per_account`` attempts per account on average, and that
had no successful login before (a shared office gateway with real users is not a
sprayer).  Failures that the account's own successful login from the same address
corrects within ``typo_correction_window`` are typos, not guesses, and do not count: a
shared ward desktop where many staff mistype and then log in is not a sprayer, while a
spray's guesses mostly stay failures.  Such addresses active within ``campaign_gap`` of
each other and sharing a user agent or a network are one campaign.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import Context
from forensics.correlate.detectors._attempts import attempts, cluster_sources, source_profile, with_corrected
from forensics.correlate.detectors._util import rows, span
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "spray"
ORDER = 10
TECHNIQUES: tuple[str, ...] = ("T1110.003",)
SIGNALS: dict[str, float] = {}
BASELINE = "population"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "spray.title": "Password spraying from {n_ips} address(es) against {accounts:num} accounts",
        "spray.reason": "{events:num} failed logins from {ips:ips} against {accounts:num} distinct accounts ({unknown:num} of them do not exist), at most {max_tries} per account: few passwords tried on many accounts, which stays under a per-account lockout. Rule: a source fails on at least {min_accounts} accounts with at most {max_per_account:g} attempts per account.",
    },
    "fr": {
        "spray.title": "Pulvérisation de mots de passe depuis {n_ips:num} {n_ips:plural:adresse|adresses} contre {accounts:num} comptes",
        "spray.reason": "{events:num} échecs de connexion depuis {ips:ips} contre {accounts:num} comptes distincts (dont {unknown:num} inexistants), au plus {max_tries:num} par compte : peu de mots de passe essayés sur de nombreux comptes, ce qui reste sous le seuil de verrouillage par compte. Règle : une source échoue sur au moins {min_accounts:num} comptes avec au plus {max_per_account:g} tentatives par compte.",
    },
}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    f = attempts(ctx).filter(pl.col("account").is_not_null())
    if f.height == 0:
        return []
    # a failure its owner corrects from the same address moments later is a typo, not a guess
    f = with_corrected(ctx, f, t.typo_correction_window).filter(~pl.col("corrected")).drop("corrected")
    if f.height == 0:
        return []
    prof = source_profile(f)
    sprayers = prof.filter(
        (pl.col("accounts") >= t.spray_min_accounts)
        & (pl.col("attempts") / pl.col("accounts") <= t.spray_max_tries_per_account)
        & ~pl.col("known_ip")
    )
    out = []
    for group in cluster_sources(sprayers, t.campaign_gap):
        g = f.filter(pl.col("client.ip").is_in(group))
        per_acc = g.group_by("account").len()
        targets = sorted(per_acc.get_column("account").to_list())
        unknown = g.filter(~pl.col("account.known")).get_column("account").n_unique()
        first, last = span(g, "@timestamp", "web.ts")
        uas = sorted(g.get_column("ua").drop_nulls().unique().to_list())
        ipl = sort_ips(group)
        max_tries = int(per_acc.get_column("len").max() or 0)
        out.append(
            Finding(
                detector=NAME,
                title=msg("spray.title", n_ips=len(ipl), accounts=len(targets)),
                techniques=["T1110.003"],
                basis="derived",
                reason=msg(
                    "spray.reason",
                    events=g.height,
                    ips=ipl,
                    accounts=len(targets),
                    unknown=unknown,
                    max_tries=max_tries,
                    min_accounts=t.spray_min_accounts,
                    max_per_account=t.spray_max_tries_per_account,
                ),
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row", "web.row"),
                accounts=[],
                details={
                    "campaign_ips": ipl,
                    "targeted_accounts": targets,
                    "accounts_targeted": len(targets),
                    "unknown_accounts": unknown,
                    "attempts": g.height,
                    "max_attempts_per_account": max_tries,
                    "user_agents": uas,
                },
            )
        )
    return out
