"""Account administration from a client the owner never used, then its use (T1098, T1136.001, T1078).

A person who phished or bought an account's password logs in from their own machine: a
network the account never used, with a user agent it never used.  That alone is what a
traveller with a new laptop looks like too, and it is only ``unusual_access``.  What the
owner of an account does not do from a stranger's client is change who may do what, then
use it at once:

* a session opened by a login from a client new to the account on **both** counts
  (network, the organisation's own networks counting as one, and user agent) once the account
  has ``baseline_min_logins`` earlier logins (own history), on a network none of its peers
  had logged in from before (peers: ``baselines.peer_groups``);
* in that session the account creates an account or changes permissions or a password
  (the audit trail says so; a change the trail wrote without a session id, as Mediboard's
  ``user_log`` does, is in the session the same account opened from the same address);
* and the change is used: the same session goes on with administration requests after it,
  or an account it created or changed logs in later from the same network.

The same browser from a new address (working from home, a new lease) does not qualify;
neither does an administrator's planned change from the usual desk.  Signal
``new_client_change`` (an access signal): the session that carries it is the attacker's,
and its first request is when someone else began to use the account.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate.baselines import peer_groups
from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows
from forensics.correlate.detectors.persistence import changes
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "new_client_change"
ORDER = 125
TECHNIQUES: tuple[str, ...] = ("T1078", "T1098", "T1136.001")
SIGNALS: dict[str, float] = {"new_client_change": 0.8}
ACCESS_SIGNALS: tuple[str, ...] = ("new_client_change",)
BASELINE = "own_history+peers"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "new_client_change.title": "{account} changed accounts from a client it never used ({ip:ip})",
        "new_client_change.reason": "At {login:time} {account} logged in from {ip:ip} ({ua:repr}): a network and a "
        "user agent it had not used in its {prior:num} earlier logins, on a network none of its {peers:num} peers "
        "({peer_basis:msg}) had logged in from. In that session it made {changes:num} account change(s) "
        "({what:list}), then used them: {use:msgs:; }. Rule: new network and user agent for the account, a network "
        "no peer used, an account or permission change in that session, and its use.",
        "new_client_change.use.admin": "{n:num} administration request(s) in the same session after the change",
        "new_client_change.use.login": "{target} logged in from {ip:ip} at {time:time}",
    },
    "fr": {
        "new_client_change.title": "{account} a modifié des comptes depuis un client jamais utilisé ({ip:ip})",
        "new_client_change.reason": "À {login:time}, {account} s'est connecté depuis {ip:ip} ({ua:repr}) : un réseau "
        "et un agent utilisateur absents de ses {prior:num} connexions antérieures, sur un réseau d'où aucun de ses "
        "{peers:num} pairs ({peer_basis:msg}) ne s'était connecté. Dans cette session, il a fait {changes:num} "
        "modification(s) de comptes ({what:list}), puis s'en est servi : {use:msgs: ; }. Règle : réseau et agent "
        "utilisateur nouveaux pour le compte, réseau inconnu des pairs, modification de compte ou de droits dans "
        "cette session, et son usage.",
        "new_client_change.use.admin": "{n:num} requête(s) d'administration dans la même session après la modification",
        "new_client_change.use.login": "{target} s'est connecté depuis {ip:ip} à {time:time}",
    },
}


def _net() -> pl.Expr:
    return (
        pl.when(pl.col("client.ip.label").fill_null("").is_in(list(LOCAL_LABELS)))
        .then(pl.lit("internal"))
        .otherwise(pl.coalesce(pl.col("client.ip.network"), pl.col("client.ip")))
    )


def _in_login_session(ch: pl.DataFrame, lg: pl.DataFrame, app: pl.DataFrame, tol: float) -> pl.DataFrame:
    """Give a change the audit trail wrote without a session id the session it was made in.

    Some change histories (Mediboard's ``user_log``) name the actor and the client address
    but no session.  The change then belongs to the latest session that same account opened
    by a login from that same address before it, if that session was still going (its last
    event, within the clock tolerance, is not before the change).  A change by another
    account, from another address, or after that session ended stays without one.
    """
    need = {"client.ip", "@timestamp", "account", "session.app"}
    if not need <= set(ch.columns) or ch.get_column("session.app").null_count() == 0:
        return ch
    ends = (
        app.filter(pl.col("session.app").is_not_null())
        .group_by("session.app")
        .agg(pl.col("@timestamp").max().alias("_send"))
    )
    opened = (
        lg.filter(pl.col("client.ip").is_not_null() & pl.col("session.app").is_not_null())
        .select("account", "client.ip", pl.col("@timestamp").alias("_lts"), pl.col("session.app").alias("_lsess"))
        .join(ends, left_on="_lsess", right_on="session.app", how="left")
        .sort("_lts")
    )
    missing = ch.with_row_index("_ci").filter(
        pl.col("session.app").is_null() & pl.col("client.ip").is_not_null() & pl.col("account").is_not_null()
    )
    if missing.height == 0 or opened.height == 0:
        return ch
    found = (
        missing.select("_ci", "account", "client.ip", "@timestamp")
        .sort("@timestamp")
        .join_asof(
            opened,
            left_on="@timestamp",
            right_on="_lts",
            by=["account", "client.ip"],
            strategy="backward",
            check_sortedness=False,  # both sides sorted on time just above
        )
        .filter(pl.col("_lsess").is_not_null() & (pl.col("@timestamp") <= pl.col("_send") + timedelta(seconds=tol)))
        .select("_ci", "_lsess")
    )
    out = ch.with_row_index("_ci").join(found, on="_ci", how="left", maintain_order="left")
    return out.with_columns(pl.coalesce("session.app", "_lsess").alias("session.app")).drop("_ci", "_lsess")


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    ch = changes(ctx)
    if ch.height == 0 or "session.app" not in ch.columns:
        return []
    lg = ctx.logins()
    if lg.height == 0 or "session.app" not in lg.columns:
        return []
    ch = _in_login_session(ch, lg, ctx.app, ctx.tol)
    ch = ch.filter(pl.col("account").is_not_null() & pl.col("session.app").is_not_null())
    if ch.height == 0:
        return []
    if not {"account.session", "activity"} <= set(ctx.web.columns):
        return []
    lg = lg.with_columns(_net().alias("_net")).sort("@timestamp", "_row")
    groups = peer_groups(ctx)
    out: list[Finding] = []
    for (acc, sess), g in sorted(
        ch.partition_by(["account", "session.app"], as_dict=True).items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))
    ):
        login = lg.filter((pl.col("account") == acc) & (pl.col("session.app") == sess))
        if login.height == 0:
            continue
        lo = login.row(0, named=True)
        earlier = lg.filter((pl.col("account") == acc) & (pl.col("@timestamp") < lo["@timestamp"]))
        if earlier.height < t.baseline_min_logins:
            continue  # no history, no novelty
        if lo["_net"] in set(earlier.get_column("_net").to_list()) or lo["ua"] in set(
            earlier.get_column("ua").drop_nulls().to_list()
        ):
            continue  # the owner's network or browser: a traveller, a new lease, a new desk
        group = groups.get(str(acc))
        peers = set(group.peers) if group else set()
        peer_used = lg.filter(
            pl.col("account").is_in(list(peers))
            & (pl.col("_net") == lo["_net"])
            & (pl.col("@timestamp") < lo["@timestamp"])
        )
        if peer_used.height:
            continue  # a network accounts like it log in from
        change_time = g.get_column("@timestamp").min()
        change_web = set(g.get_column("web.row").drop_nulls().to_list()) if "web.row" in g.columns else set()
        admin = ctx.web.filter(
            (pl.col("account.session") == sess)
            & (pl.col("@timestamp") > change_time)
            & pl.col("activity").cast(pl.String).str.starts_with("admin_")
            & ~pl.col("_row").is_in(list(change_web))
        )
        uses = [msg("new_client_change.use.admin", n=admin.height)] if admin.height else []
        use_rows = rows(admin, "_row")
        targets = {x for x in g.get_column("target").drop_nulls().to_list()}
        later = lg.filter(
            pl.col("account").is_in(list(targets))
            & (pl.col("_net") == lo["_net"])
            & (pl.col("@timestamp") > change_time)
            & (pl.col("@timestamp") <= change_time + timedelta(seconds=t.campaign_success_window))
        )
        for r in later.unique("account", keep="first", maintain_order=True).to_dicts():
            uses.append(
                msg("new_client_change.use.login", target=r["account"], ip=r["client.ip"], time=r["@timestamp"])
            )
            use_rows.append(int(r["_row"]))
        if not uses:
            continue
        what = sorted({f"{c}: {x}" if x else c for c, x in g.select("change", "target").iter_rows()})
        ipl = sort_ips([lo["client.ip"]] if lo["client.ip"] else [])
        last = max(
            [g.get_column("@timestamp").max()] + ([admin.get_column("@timestamp").max()] if admin.height else [])
        )
        out.append(
            Finding(
                detector=NAME,
                title=msg("new_client_change.title", account=acc, ip=lo["client.ip"]),
                techniques=["T1078", "T1098"]
                + (["T1136.001"] if "created" in g.get_column("change").to_list() else []),
                basis="derived",
                reason=msg(
                    "new_client_change.reason",
                    account=acc,
                    login=lo["@timestamp"],
                    ip=lo["client.ip"],
                    ua=lo["ua"] or "",
                    prior=earlier.height,
                    peers=len(peers),
                    peer_basis=msg(f"baseline.peers.{group.basis if group else 'population'}"),
                    changes=g.height,
                    what=what,
                    use=uses,
                ),
                account=str(acc),
                ips=ipl,
                first_seen=lo["@timestamp"],
                last_seen=last,
                event_count=1 + g.height + len(use_rows),
                rows=sorted({int(lo["_row"]), *rows(g, "_row", "web.row"), *use_rows}),
                sessions=[str(sess)],
                signal="new_client_change",
                weight=SIGNALS["new_client_change"],
                details={
                    "baseline": {
                        "own_history": {"logins": earlier.height},
                        "peers": group.describe() if group else {"basis": "population", "accounts": 0},
                    },
                    "session": str(sess),
                    "network": lo["_net"],
                    "created_accounts": sorted(
                        {x for c, x in g.select("change", "target").iter_rows() if c == "created" and x}
                    ),
                },
            )
        )
    return out
