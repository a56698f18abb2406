"""Connections through Tor, VPNs, proxies or hosting networks (T1090), from the case's ip_context.

Every web request and application event whose proxy-observed client address falls in a
network the ip_context file labels ``tor``, ``vpn``, ``proxy`` or ``hosting``.  One finding
per (account, label).  The label is the investigator's own knowledge (basis
``derived``: a lookup, not a log statement).  Signal ``anonymiser_tor`` (Tor) or
``anonymiser_proxy`` (the others) for the account.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.ipcontext import ANONYMISERS
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg, word
from forensics.findings import Finding, sort_ips

NAME = "anonymisers"
ORDER = 70
TECHNIQUES: tuple[str, ...] = ("T1090.003", "T1090.002")
SIGNALS: dict[str, float] = {"anonymiser_tor": 0.7, "anonymiser_proxy": 0.4}
ACCESS_SIGNALS: tuple[str, ...] = ("anonymiser_tor",)
BASELINE = "observed"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "anon.title": "Traffic through {label:msg}",
        "anon.title.account": "Use of {account} through {label:msg}",
        "anon.reason": "{events:num} events came from {ips:ips}, which the case's ip_context file labels {kind:msg}{notes:msg}.",
        "anon.reason.account": "{events:num} events as {account} came from {ips:ips}, which the case's ip_context file labels {kind:msg}{notes:msg}.",
        "anon.notes": " ({notes:join:; })",
        "anon.words.tor": "Tor exit nodes",
        "anon.words.vpn": "VPN endpoints",
        "anon.words.proxy": "proxies",
        "anon.words.hosting": "hosting networks",
        "anon.kind.tor": "tor",
        "anon.kind.vpn": "vpn",
        "anon.kind.proxy": "proxy",
        "anon.kind.hosting": "hosting",
    },
    "fr": {
        "anon.title": "Trafic passé par {label:msg}",
        "anon.title.account": "Utilisation de {account} par {label:msg}",
        "anon.reason": "{events:num} événements provenaient de {ips:ips}, que le fichier ip_context de l'affaire classe en {kind:msg}{notes:msg}.",
        "anon.reason.account": "{events:num} événements au nom de {account} provenaient de {ips:ips}, que le fichier ip_context de l'affaire classe en {kind:msg}{notes:msg}.",
        "anon.notes": " ({notes:join: ; })",
        "anon.words.tor": "des nœuds de sortie Tor",
        "anon.words.vpn": "des points d'accès VPN",
        "anon.words.proxy": "des proxys",
        "anon.words.hosting": "des réseaux d'hébergement",
        "anon.kind.tor": "Tor",
        "anon.kind.vpn": "VPN",
        "anon.kind.proxy": "proxy",
        "anon.kind.hosting": "hébergement",
    },
}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    web = ctx.web.filter(pl.col("ip.label").is_in(list(FLAGGED_LABELS))).select(
        "_row", "@timestamp", pl.col("source.ip").alias("ip"), pl.col("ip.label").alias("label"), "account", "ip.note"
    )
    app = ctx.with_ip_labels(ctx.app.filter(pl.col("web.row").is_null()), "client.ip")
    app = app.filter(pl.col("client.ip.label").is_in(list(FLAGGED_LABELS))).select(
        "_row",
        "@timestamp",
        pl.col("client.ip").alias("ip"),
        pl.col("client.ip.label").alias("label"),
        "account",
        pl.lit(None, dtype=pl.String).alias("ip.note"),
    )
    allx = pl.concat([web, app])
    if allx.height == 0:
        return []
    out = []
    keys = allx.select("account", "label").unique().sort("account", "label", nulls_last=True).to_dicts()
    for k in keys:
        acc, label = k["account"], k["label"]
        g = allx.filter((pl.col("label") == label) & (pl.col("account").eq_missing(acc)))
        ipl = sort_ips(g.get_column("ip").unique().to_list())
        notes = sorted({x for x in g.get_column("ip.note").drop_nulls().to_list() if x})
        first, last = span(g)
        signal = ("anonymiser_tor" if label == "tor" else "anonymiser_proxy") if acc else None
        out.append(
            Finding(
                detector=NAME,
                title=msg("anon.title.account" if acc else "anon.title", account=acc, label=word("anon.words", label)),
                techniques=[ANONYMISERS[label]],
                basis="derived",
                reason=msg(
                    "anon.reason.account" if acc else "anon.reason",
                    events=g.height,
                    account=acc,
                    ips=ipl,
                    kind=word("anon.kind", label),
                    notes=msg("anon.notes", notes=notes) if notes else "",
                ),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                signal=signal,
                weight=SIGNAL_WEIGHTS[signal] if signal else None,
                details={"label": label},
            )
        )
    return out
