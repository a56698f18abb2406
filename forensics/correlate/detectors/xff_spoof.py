"""A forged X-Forwarded-For: the client claims an address the proxy did not see.

The reverse proxy (a trusted proxy of the case config) records the real peer; anything to
the left of it in X-Forwarded-For was written by the client.  Mediboard stores the
*first* value, so its audit trail repeats the lie.  Requests tagged
``xff_spoof_candidate`` at ingest, and application rows whose stored address was matched
to a request through that first value, are grouped per (account, claimed address).  When
the claimed address is inside the case's internal networks and the real client is not,
the client is impersonating an internal workstation: signal ``spoofed_identity``.  Other
mismatches (a home router's private address in a legitimate chain) are reported with
little weight.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import INTERNAL_LABELS, LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "xff_spoof"
ORDER = 80
TECHNIQUES: tuple[str, ...] = ()
SIGNALS: dict[str, float] = {"spoofed_identity": 0.6, "xff_mismatch": 0.05}
ACCESS_SIGNALS: tuple[str, ...] = ("spoofed_identity",)
BASELINE = "observed"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "xff.title": "Forged X-Forwarded-For {claim:ip}{internal:msg}{actor:msg} from {clients:ips:3}",
        "xff.internal": " (internal)",
        "xff.as": " as {account}",
        "xff.reason": "{events:num} events carry X-Forwarded-For {claim:ip} first while the trusted proxy saw {clients:ips}{stored:msg}{verdict:msg}",
        "xff.stored": "; {rows:num} application rows stored the forged {claim:ip}",
        "xff.strong": "; the claimed address is an internal workstation and the real client is outside: the client impersonated it (the application's stored address is not the attacker's).",
        "xff.weak": "; the first value was written by the client (or a proxy it used) and is not trusted.",
    },
    "fr": {
        "xff.title": "En-tête X-Forwarded-For falsifié {claim:ip}{internal:msg}{actor:msg} depuis {clients:ips:3}",
        "xff.internal": " (adresse interne)",
        "xff.as": " sous {account}",
        "xff.reason": "{events:num} événements portent en premier l'en-tête X-Forwarded-For {claim:ip} alors que le proxy de confiance a vu {clients:ips}{stored:msg}{verdict:msg}",
        "xff.stored": " ; {rows:num} lignes de l'application ont enregistré l'adresse falsifiée {claim:ip}",
        "xff.strong": " ; l'adresse revendiquée est un poste interne et le vrai client est à l'extérieur : le client s'est fait passer pour ce poste (l'adresse enregistrée par l'application n'est pas celle de l'attaquant).",
        "xff.weak": " ; la première valeur a été écrite par le client (ou par un proxy qu'il utilisait) et n'est pas fiable.",
    },
}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    web = ctx.web.filter(pl.col("xff_spoof")).select(
        "_row",
        "@timestamp",
        pl.col("network.forwarded_first").alias("claim"),
        pl.col("source.ip").alias("client"),
        pl.col("ip.label").alias("client_label"),
        "account",
    )
    app = ctx.app.filter(
        (pl.col("client.basis") == "proxy_observed") & (pl.col("source.ip") != pl.col("client.ip"))
    ).select("_row", "@timestamp", pl.col("source.ip").alias("claim"), pl.col("client.ip").alias("client"), "account")
    app = ctx.with_ip_labels(app, "client").rename({"client.label": "client_label"}).drop("client.network")
    allx = pl.concat([web, app.select(web.columns)])
    if allx.height == 0:
        return []
    allx = ctx.with_ip_labels(allx, "claim")
    out = []
    for k in allx.select("account", "claim").unique().sort("account", "claim", nulls_last=True).to_dicts():
        acc, claim = k["account"], k["claim"]
        g = allx.filter(pl.col("account").eq_missing(acc) & (pl.col("claim") == claim))
        clients = sort_ips(g.get_column("client").unique().to_list())
        claim_internal = (g.get_column("claim.label")[0] or "") in INTERNAL_LABELS
        clients_internal = all((x or "") in LOCAL_LABELS for x in g.get_column("client_label").to_list())
        strong = claim_internal and not clients_internal
        first, last = span(g)
        app_rows = g.join(app.select("_row"), on="_row", how="semi").height
        out.append(
            Finding(
                detector=NAME,
                title=msg(
                    "xff.title",
                    claim=claim,
                    internal=msg("xff.internal") if claim_internal else "",
                    actor=msg("xff.as", account=acc) if acc else "",
                    clients=clients,
                ),
                techniques=[],
                basis="derived",
                reason=msg(
                    "xff.reason",
                    events=g.height,
                    claim=claim,
                    clients=clients,
                    stored=msg("xff.stored", rows=app_rows, claim=claim) if app_rows else "",
                    verdict=msg("xff.strong" if strong else "xff.weak"),
                ),
                account=acc,
                ips=clients,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                signal=("spoofed_identity" if strong else "xff_mismatch") if acc else None,
                weight=SIGNAL_WEIGHTS["spoofed_identity" if strong else "xff_mismatch"] if acc else None,
                details={"claimed_ip": claim, "claimed_internal": claim_internal, "proxy_observed": clients},
            )
        )
    return out
