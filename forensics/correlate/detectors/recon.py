"""Administrative reconnaissance (T1087 account discovery, T1069 permission discovery).

A web session that opens at least ``recon_min_views`` distinct views among account lists
and editors, permission editors, the audit trails themselves and system information, in
an unusual context: from an anonymiser or hosting network, from an address that had
never logged in to that account before the session, or (no account) from outside the
internal networks.  Administrators browsing these views from their usual workstation are
doing their job and are not reported.  Only views that are unusual for the account count
(``_novel_views``): not the ones it opened in an earlier session (own history), nor those at
least ``peer_common_share`` of its peers opened (peers).  Signal ``reconnaissance``.
"""

from __future__ import annotations

import polars as pl

from forensics.apps.activity import RECON_ACTIVITIES
from forensics.correlate.baselines import peer_groups, peer_share, users_of
from forensics.correlate.context import FLAGGED_LABELS, LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "recon"
ORDER = 90
TECHNIQUES: tuple[str, ...] = ("T1087", "T1069")
SIGNALS: dict[str, float] = {"reconnaissance": 0.3}
BASELINE = "own_history+peers+population"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "recon.title": "Administrative reconnaissance from {ips:ips:3}",
        "recon.title.account": "Administrative reconnaissance as {account} from {ips:ips:3}",
        "recon.reason": "{requests:num} requests to {views} account, permission and audit views ({names:list:6}) in {sessions} session(s), {context:msgs: and }. Rule: at least {min_views} distinct such views in one session, in an unusual context.",
        "recon.ctx.anonymiser": "from an anonymiser/hosting network",
        "recon.ctx.new_ip": "from an address that had not logged in to {account} before",
        "recon.ctx.outside": "from outside the internal networks",
    },
    "fr": {
        "recon.title": "Reconnaissance administrative depuis {ips:ips:3}",
        "recon.title.account": "Reconnaissance administrative sous {account} depuis {ips:ips:3}",
        "recon.reason": "{requests:num} requêtes vers {views:num} vues de comptes, de droits et d'audit ({names:list:6}) en {sessions:num} {sessions:plural:session|sessions}, {context:msgs: et }. Règle : au moins {min_views:num} vues distinctes de ce type dans une session, dans un contexte inhabituel.",
        "recon.ctx.anonymiser": "depuis un anonymiseur ou un réseau d'hébergement",
        "recon.ctx.new_ip": "depuis une adresse qui ne s'était jamais connectée à {account}",
        "recon.ctx.outside": "depuis l'extérieur des réseaux internes",
    },
}


def _novel_views(ctx: Context, views: pl.DataFrame) -> pl.DataFrame:
    """The administrative views that are unusual for the account that opened them.

    Own history: a view the account had opened in an earlier session is its routine.
    Peers: a view that at least ``peer_common_share`` of its peers opened is what accounts
    like it do (every clerk of a portal may open the user list).  Views opened with no
    account (from outside) all count: there is nobody to compare with.
    """
    t = ctx.thresholds
    v = views.with_columns(pl.coalesce(pl.col("activity.view"), pl.col("activity").cast(pl.String)).alias("_view"))
    acc = v.filter(pl.col("account").is_not_null())
    if acc.height == 0:
        return v.drop("_view")
    sess_first = v.group_by("session.web").agg(pl.col("@timestamp").min().alias("_sfirst"))
    # own history: the account's first session with this view, and when it began
    first_use = (
        acc.join(sess_first, on="session.web")
        .sort("_sfirst", "session.web")
        .group_by("account", "_view", maintain_order=True)
        .agg(pl.col("session.web").first().alias("_own_session"), pl.col("_sfirst").first().alias("_own_first"))
    )
    v = v.join(sess_first, on="session.web").join(first_use, on=["account", "_view"], how="left")
    routine = (
        pl.col("account").is_not_null()
        & (pl.col("_own_session") != pl.col("session.web"))
        & (pl.col("_own_first") < pl.col("_sfirst"))
    ).fill_null(False)
    v = v.filter(~routine)
    groups = peer_groups(ctx)
    usage = users_of(acc, "_view")
    keep = []
    for a, view in v.select("account", "_view").unique().iter_rows():
        group = groups.get(a) if a is not None else None
        common = group is not None and peer_share(group, usage.get(view, set()) - {a}) >= t.peer_common_share
        keep.append((a, view, not common))
    ok = pl.DataFrame(keep, schema={"account": pl.String, "_view": pl.String, "_ok": pl.Boolean}, orient="row")
    v = v.join(ok, on=["account", "_view"], how="left", nulls_equal=True).filter(pl.col("_ok").fill_null(True))
    return v.drop("_view", "_sfirst", "_own_session", "_own_first", "_ok")


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    views = ctx.web.filter(pl.col("activity").is_in(list(RECON_ACTIVITIES)))
    if views.height == 0:
        return []
    views = _novel_views(ctx, views)
    if views.height == 0:
        return []
    per = views.group_by("session.web").agg(
        pl.col("activity.view").n_unique().alias("_views"),
        pl.col("account").drop_nulls().mode().first().alias("account"),
        pl.col("source.ip").first().alias("ip"),
        pl.col("ip.label").first().alias("label"),
        pl.col("@timestamp").min().alias("_first"),
    )
    per = per.filter(pl.col("_views") >= t.recon_min_views)
    if per.height == 0:
        return []
    known = ctx.first_success_by_account_ip().rename({"client.ip": "ip"})
    per = per.join(known, on=["account", "ip"], how="left")
    new_ip = pl.col("account").is_not_null() & ~(
        pl.col("_first_ok") < pl.col("_first") - pl.duration(seconds=int(ctx.tol))
    ).fill_null(False)
    unusual = (
        pl.col("label").fill_null("").is_in(list(FLAGGED_LABELS))
        | new_ip
        | (pl.col("account").is_null() & ~pl.col("label").fill_null("").is_in(list(LOCAL_LABELS)))
    )
    per = per.filter(unusual).with_columns(new_ip.alias("_new_ip"))
    out = []
    for acc in sorted(per.get_column("account").unique().to_list(), key=lambda a: (a is None, a or "")):
        p = per.filter(pl.col("account").eq_missing(acc))
        sessions = sorted(p.get_column("session.web").to_list())
        g = views.filter(pl.col("session.web").is_in(sessions))
        ipl = sort_ips(p.get_column("ip").unique().to_list())
        kinds = sorted(set(g.get_column("activity").to_list()))
        techniques = sorted({RECON_ACTIVITIES[k] for k in kinds if RECON_ACTIVITIES.get(k)})
        names = sorted(set(g.get_column("activity.view").drop_nulls().to_list()))
        context = []
        if p.get_column("label").fill_null("").is_in(list(FLAGGED_LABELS)).any():
            context.append(msg("recon.ctx.anonymiser"))
        if p.get_column("_new_ip").any():
            context.append(msg("recon.ctx.new_ip", account=acc))
        if acc is None:
            context.append(msg("recon.ctx.outside"))
        first, last = span(g)
        out.append(
            Finding(
                detector=NAME,
                title=msg("recon.title.account" if acc else "recon.title", account=acc, ips=ipl),
                techniques=techniques,
                basis="derived",
                reason=msg(
                    "recon.reason",
                    requests=g.height,
                    views=len(names),
                    names=names,
                    sessions=len(sessions),
                    context=context,
                    min_views=t.recon_min_views,
                ),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                sessions=sessions,
                signal="reconnaissance" if acc else None,
                weight=SIGNAL_WEIGHTS["reconnaissance"] if acc else None,
                details={"views": names, "activities": kinds},
            )
        )
    return out
