"""Large database reads tied back to the web request and the account that caused them.

A read is large when it returned at least ``db_min_rows`` rows, listed at least
``db_min_in_list`` ids in an ``IN (...)`` on a patient table, or ran an unbounded
``SELECT *`` on one.  Reads tied to web requests (see ``dblinks``) are reported per
account (signal ``large_db_reads``); reads tied to nothing are reported per database host,
since the shared database account cannot name anyone.  The signal needs at least
``db_min_reads`` tied reads (a single export is routine) and ``db_peer_factor`` times the
median of its peers (accounts that use the same functions): large reads every peer causes
are how the application works.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.baselines import peer_groups
from forensics.correlate.context import Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.frames import rows_of
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import DBLINK_HOW, Msg, msg
from forensics.findings import Finding, sort_ips

NAME = "db_reads"
ORDER = 110
TECHNIQUES: tuple[str, ...] = ("T1213",)
SIGNALS: dict[str, float] = {"large_db_reads": 0.2}
BASELINE = "peers+population"
THRESHOLDS: dict[str, float] = {
    #: The account's tied large reads weigh only from this many times its peers' median.
    "db_peer_factor": 3.0,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "db_reads.title": "{reads:num} large database reads tied to requests of {account}",
        "db_reads.title.unattributed": "{reads:num} large database reads tied to unattributed requests",
        "db_reads.reason": "{reads:num} large reads on patient tables on {hosts:list} ({rows:num} rows returned where logged) ran during web requests of {account}; tied by {how:msgs:, }.",
        "db_reads.reason.unattributed": "{reads:num} large reads on patient tables on {hosts:list} ({rows:num} rows returned where logged) ran during web requests from {ips:ips}; tied by {how:msgs:, }.",
        "db_reads.untied.title": "{reads:num} large database reads on {host} not tied to any web request",
        "db_reads.untied.reason": "{reads:num} large reads on patient tables on {host} ({rows:num} rows returned where logged) ran while no matching web request was being served (reports, batch jobs, or web logs missing). The shared database account cannot name the person.",
    },
    "fr": {
        "db_reads.title": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base liées aux requêtes de {account}",
        "db_reads.title.unattributed": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base liées à des requêtes non attribuées",
        "db_reads.reason": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de patients sur {hosts:list} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu pendant des requêtes web de {account} ; rapprochement par {how:msgs:, }.",
        "db_reads.reason.unattributed": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de patients sur {hosts:list} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu pendant des requêtes web venant de {ips:ips} ; rapprochement par {how:msgs:, }.",
        "db_reads.untied.title": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base sur {host} sans requête web correspondante",
        "db_reads.untied.reason": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de patients sur {host} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu sans requête web correspondante en cours (éditions, traitements par lots, ou journaux web manquants). Le compte partagé de la base ne permet pas de nommer la personne.",
    },
}


def _how(values: list[str]) -> list[Msg | str]:
    """How each read was tied to a request, as messages (unknown wordings kept as written)."""
    return [Msg(DBLINK_HOW[v]) if v in DBLINK_HOW else v for v in values]


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    if ctx.db.height == 0 or "db.large" not in ctx.db.columns:
        return []
    large = ctx.db.filter(pl.col("db.large") & (pl.col("event.action") == "db_query"))
    if large.height == 0:
        return []
    links = ctx.db_links.select("db_row", "web_row", "how", "confidence")
    who = rows_of(ctx.web, links.get_column("web_row"), ["account", "source.ip"]).rename(
        {"_row": "web_row", "source.ip": "client"}
    )
    tied = (
        links.join(who, on="web_row", how="left")
        .sort(["confidence", "web_row"], descending=[True, False])
        .unique("db_row", keep="first")
    )
    large = large.join(tied, left_on="_row", right_on="db_row", how="left")
    out = []
    linked = large.filter(pl.col("web_row").is_not_null())
    counts = dict(linked.filter(pl.col("account").is_not_null()).group_by("account").len().iter_rows())
    groups = peer_groups(ctx)
    for acc in sorted(linked.get_column("account").unique().to_list(), key=lambda a: (a is None, a or "")):
        g = linked.filter(pl.col("account").eq_missing(acc))
        first, last = span(g)
        # peers: accounts that use the application alike; an export every one of them runs
        # causes large reads for all of them and says nothing about this one
        group = groups.get(acc) if acc else None
        peer_counts = [counts.get(p, 0) for p in (group.peers if group else ())]
        peer_med = float(sorted(peer_counts)[len(peer_counts) // 2]) if peer_counts else None
        weighs = bool(
            acc
            and g.height >= ctx.thresholds.db_min_reads
            and (peer_med is None or g.height >= ctx.thresholds.db_peer_factor * max(peer_med, 1.0))
        )
        rows_ret = int(g.get_column("db.rows_returned").sum() or 0)
        hosts = sorted(g.get_column("host.name").drop_nulls().unique().to_list())
        out.append(
            Finding(
                detector=NAME,
                title=msg("db_reads.title" if acc else "db_reads.title.unattributed", reads=g.height, account=acc),
                techniques=["T1213"],
                basis="derived",
                reason=msg(
                    "db_reads.reason" if acc else "db_reads.reason.unattributed",
                    reads=g.height,
                    hosts=hosts,
                    rows=rows_ret,
                    account=acc,
                    ips=sort_ips(g.get_column("client").unique().to_list()),
                    how=_how(sorted(set(g.get_column("how").to_list()))),
                ),
                account=acc,
                ips=sort_ips(g.get_column("client").drop_nulls().unique().to_list()),
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row", "web_row"),
                signal="large_db_reads" if weighs else None,
                weight=SIGNAL_WEIGHTS["large_db_reads"] if weighs else None,
                details={
                    "rows_returned": rows_ret,
                    "hosts": hosts,
                    "baseline": {
                        "peers": (group.describe() if group else {"basis": "population", "accounts": 0})
                        | {"median_reads": peer_med},
                    },
                },
            )
        )
    free = large.filter(pl.col("web_row").is_null())
    for host in sorted(free.get_column("host.name").fill_null("?").unique().to_list()):
        g = free.filter(pl.col("host.name").fill_null("?") == host)
        first, last = span(g)
        rows_ret = int(g.get_column("db.rows_returned").sum() or 0)
        out.append(
            Finding(
                detector=NAME,
                title=msg("db_reads.untied.title", reads=g.height, host=host),
                techniques=[],
                basis="derived",
                reason=msg("db_reads.untied.reason", reads=g.height, host=host, rows=rows_ret),
                ips=sort_ips(g.get_column("source.ip").drop_nulls().unique().to_list()),
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g.sort("@timestamp").head(500), "_row"),
                details={"rows_returned": rows_ret, "host": host},
            )
        )
    return out
