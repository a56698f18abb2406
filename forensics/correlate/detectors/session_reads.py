"""Records opened one by one in a single session, far beyond the account's usual day and its peers'.

Paging through lists and opening records all day is some people's job (a data manager, an
archivist): a count of records says nothing until it is set against what the account does on
its other days and what accounts like it do in a day.  This rule looks at the records a
session opened one at a time (record pages and API record calls, distinct ids) and reports a
session that opened at least ``api_min_details`` records, and at least ``volume_factor``
times both:

* the account's **usual day** (median records of its other days in the evidence), and
* its **peers' usual day** (``baselines.peer_groups``: accounts that use the same functions,
  else every account).

A whole day is the baseline, not a median session: an account that reads 150 records a day
in small bursts has a usual day of 150, whatever its bursts.  With fewer than
``session_reads_min_days`` other days of its own, the account's habits are unknown and the
peers alone decide: the finding then weighs ``listing_weak_weight`` (worth a look, not
enough to call the account suspicious on its own).  A session that a ``bulk`` finding of the
same account already carries (an API enumeration, a day far above its volume baseline) is
not reported again.  Signal ``bulk_collection`` (the strongest finding of a signal counts
once).
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.baselines import peer_groups
from forensics.correlate.context import Context
from forensics.correlate.detectors._util import by_detector, rows, span
from forensics.correlate.detectors.bulk import automated_sessions, exfiltration
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "session_reads"
ORDER = 101
TECHNIQUES: tuple[str, ...] = ("T1213", "T1041", "T1020")
SIGNALS: dict[str, float] = {"bulk_collection": 0.5}
BASELINE = "own_history+peers"
THRESHOLDS: dict[str, float] = {
    #: The account's own usual day needs at least this many other days with records opened.
    "session_reads_min_days": 2,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "session_reads.title": "{account} opened {records:num} records one by one in one session from {ips:ips:3}",
        "session_reads.reason": "Session {session} of {account} opened {records:num} distinct records one at a time "
        "between {first:time} and {last:time} ({requests:num} requests). {own:msg} {peers:msg} Rule: at least "
        "{min_records:num} records in one session and {factor:g} times both the account's usual day and its peers'.",
        "session_reads.own": "Its usual day is {median:dec:1} records (median of {days:num} other days), "
        "{ratio:dec:0} times less.",
        "session_reads.own.thin": "It has {days:num} other day(s) of records in the evidence, too few to know its "
        "habits: the peers alone judge, and the finding weighs {weight:g}.",
        "session_reads.peers": "Its {n:num} peers ({basis:msg}) open {median:dec:1} records on a usual day.",
    },
    "fr": {
        "session_reads.title": "{account} a ouvert {records:num} dossiers un par un dans une même session depuis "
        "{ips:ips:3}",
        "session_reads.reason": "La session {session} de {account} a ouvert {records:num} dossiers distincts un à un "
        "entre {first:time} et {last:time} ({requests:num} requêtes). {own:msg} {peers:msg} Règle : au moins "
        "{min_records:num} dossiers dans une session et {factor:g} fois la journée habituelle du compte comme celle "
        "de ses pairs.",
        "session_reads.own": "Sa journée habituelle est de {median:dec:1} dossiers (médiane de {days:num} autres "
        "journées), {ratio:dec:0} fois moins.",
        "session_reads.own.thin": "Il n'a que {days:num} autre(s) journée(s) de lectures dans les traces, trop peu "
        "pour connaître ses habitudes : les pairs seuls jugent, et le constat pèse {weight:g}.",
        "session_reads.peers": "Ses {n:num} pairs ({basis:msg}) ouvrent {median:dec:1} dossiers dans une journée "
        "habituelle.",
    },
}

READ_ACTIVITIES = ("patient_view", "api_detail")


def record_reads(ctx: Context) -> pl.DataFrame:
    """Successful one-record requests attributed to an account, with their local ``_day``."""
    need = {"account", "activity", "activity.object", "session.web", "http.response.status_code"}
    web = ctx.web
    if web.height == 0 or not need <= set(web.columns):
        return pl.DataFrame()
    cols = [
        "_row",
        "@timestamp",
        "account",
        "source.ip",
        "session.web",
        "activity.object",
        "http.response.status_code",
    ]
    cols += [c for c in ("account.session", "ip.label", "http.response.bytes") if c in web.columns]
    return (
        web.filter(
            pl.col("activity").is_in(list(READ_ACTIVITIES))
            & pl.col("account").is_not_null()
            & pl.col("activity.object").is_not_null()
            & (pl.col("http.response.status_code") < 400)
        )
        .select(cols)
        .with_columns(
            pl.col("@timestamp").dt.convert_time_zone(ctx.zone_name).dt.date().alias("_day"),
            # the application session when the request was matched to one (two sessions of one
            # account on one desk share a web session), else the web session
            pl.coalesce(
                pl.col("account.session") if "account.session" in cols else pl.lit(None, dtype=pl.String),
                pl.col("session.web"),
            ).alias("_session"),
        )
    )


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    reads = record_reads(ctx)
    if reads.height == 0:
        return []
    per_session = (
        reads.group_by("account", "_session")
        .agg(pl.col("activity.object").n_unique().alias("_n"), pl.col("_day").min())
        .filter(pl.col("_n") >= t.api_min_details)
    )
    if per_session.height == 0:
        return []
    days = reads.group_by("account", "_day").agg(pl.col("activity.object").n_unique().alias("_n"))
    groups = peer_groups(ctx)
    everyone = days.get_column("account").unique().to_list()
    automated = automated_sessions(prior)
    reported: dict[str, set[str]] = {}
    for f in by_detector(prior, "bulk"):
        if f.account and f.signal == "bulk_collection":
            reported.setdefault(f.account, set()).update(f.sessions)
    out: list[Finding] = []
    # the baselines depend on the account (and its day) only, not on the session: computed
    # once each (a case has thousands of candidate sessions and a few hundred accounts)
    own_days: dict[tuple[str, object], pl.Series] = {}
    peer_days: dict[str, tuple[list[str], str, float | None]] = {}
    for acc, sess, n, day in per_session.sort("account", "_session").iter_rows():
        if (acc, day) not in own_days:
            own_days[acc, day] = days.filter((pl.col("account") == acc) & (pl.col("_day") != day)).get_column("_n")
        own = own_days[acc, day]
        own_med = float(own.median()) if own.len() >= t.session_reads_min_days else None  # type: ignore[arg-type]
        if acc not in peer_days:
            group = groups.get(acc)
            members = list(group.peers) if group is not None else [a for a in everyone if a != acc]
            pv = days.filter(pl.col("account").is_in(members)).get_column("_n")
            median = float(pv.median()) if pv.len() else None  # type: ignore[arg-type]
            peer_days[acc] = (members, group.basis if group is not None else "population", median)
        peers, basis, peer_med = peer_days[acc]
        if own_med is not None and n < t.volume_factor * max(own_med, 1.0):
            continue  # the account's own days are like this
        if peer_med is not None and n < t.volume_factor * max(peer_med, 1.0):
            continue  # accounts like it read as much in a day
        if own_med is None and peer_med is None:
            continue
        weight = SIGNALS["bulk_collection"] if own_med is not None else float(t.listing_weak_weight)
        g = reads.filter((pl.col("account") == acc) & (pl.col("_session") == sess)).sort("@timestamp", "_row")
        web_sessions = set(g.get_column("session.web").drop_nulls().to_list())
        if web_sessions & reported.get(acc, set()):
            continue  # already a bulk-collection finding of this account (an enumeration, a day's volume)
        first, last = span(g)
        ips = sort_ips(g.get_column("source.ip").drop_nulls().unique().to_list())
        own_text = (
            msg("session_reads.own", median=own_med, days=own.len(), ratio=n / max(own_med, 1.0))
            if own_med is not None
            else msg("session_reads.own.thin", days=own.len(), weight=weight)
        )
        peers_text = (
            msg("session_reads.peers", n=len(peers), basis=msg(f"baseline.peers.{basis}"), median=peer_med)
            if peer_med is not None
            else ""
        )
        reason = msg(
            "session_reads.reason",
            session=sess,
            account=acc,
            records=n,
            first=first,
            last=last,
            requests=g.height,
            own=own_text,
            peers=peers_text,
            min_records=t.api_min_details,
            factor=t.volume_factor,
        )
        techniques = ["T1213"]
        out_tech, out_notes, out_details = exfiltration(g, automated)
        techniques += out_tech
        if out_notes:
            reason = msg("bulk.exfil.reason", reason=reason, notes=out_notes)
        details: dict = {
            "distinct_records": n,
            "baseline": {
                "volume": n,
                "own_history": {"days": own.len(), "median": own_med},
                "peers": {"basis": basis, "accounts": len(peers), "median": peer_med},
            },
        }
        if "account.session" in g.columns:
            details["app_sessions"] = sorted(g.get_column("account.session").drop_nulls().unique().to_list())
        if out_details:
            details["exfiltration"] = out_details
        out.append(
            Finding(
                detector=NAME,
                title=msg("session_reads.title", account=acc, records=n, ips=ips),
                techniques=techniques,
                basis="derived",
                reason=reason,
                account=acc,
                ips=ips,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                sessions=sorted(g.get_column("session.web").drop_nulls().unique().to_list()),
                signal="bulk_collection",
                weight=weight,
                details=details,
            )
        )
    return out
