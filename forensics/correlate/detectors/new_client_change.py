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

An account whose own history is thin (fewer than ``baseline_min_logins`` earlier logins: an
administrator who logs in once a week) cannot say what is new for it, so its peers decide,
and more is asked of the evidence: the network **and** the user agent must be ones none of
its peers had logged in with before, and the change must be used by another account, an
account it created or changed logging in later from that same outside network (the same
person holding two accounts).  Administration requests in the same session are not enough
then: an administrator's first sessions are administration.  An IT technician creating a
new hire's account from the office stays out twice over: the organisation's network is its
peers' network, and the new hire logs in from a ward.

The same browser from a new address (working from home, a new lease) does not qualify;
neither does an administrator's planned change from the usual desk.  Signal
``new_client_change`` (an access signal): the session that carries it is the attacker's,
and its first request is when someone else began to use the account.

What the changed account then did is independent evidence about the change: when an account
created or changed in that session, logging in from the same network, is itself found doing
what weighs at least ``corroboration_min_weight`` on its own evidence (bulk collection,
an anonymiser...), from an address of that network, a second finding says so on the changing
account (signal ``changed_account_misused``): a planned change gives a colleague an account
to work with, not one that is misused from the stranger's network hours later.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate.baselines import peer_groups
from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows
from forensics.correlate.detectors.persistence import changes
from forensics.finding_text import msg, word
from forensics.findings import Finding, sort_ips

NAME = "new_client_change"
ORDER = 125
TECHNIQUES: tuple[str, ...] = ("T1078", "T1098", "T1136.001")
SIGNALS: dict[str, float] = {"new_client_change": 0.8, "changed_account_misused": 0.5}
ACCESS_SIGNALS: tuple[str, ...] = ("new_client_change",)
BASELINE = "own_history+peers"
THRESHOLDS: dict[str, float] = {
    #: The weight a finding about the changed account must carry to corroborate the change.
    "corroboration_min_weight": 0.5,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "new_client_change.title": "{account} changed accounts from a client it never used ({ip:ip})",
        "new_client_change.reason": "At {login:time} {account} logged in from {ip:ip} ({ua:repr}): a network and a "
        "user agent it had not used in its {prior:num} earlier logins, on a network none of its {peers:num} peers "
        "({peer_basis:msg}) had logged in from. In that session it made {changes:num} account change(s) "
        "({what:list}), then used them: {use:msgs:; }. Rule: new network and user agent for the account, a network "
        "no peer used, an account or permission change in that session, and its use.",
        "new_client_change.reason_thin": "At {login:time} {account} logged in from {ip:ip} ({ua:repr}). Its own "
        "history is thin ({prior:num} earlier login(s), fewer than {min_logins:num}), so it was compared with its "
        "{peers:num} peers ({peer_basis:msg}): none of them had logged in from that network or with that user agent, "
        "and neither had {account}. In that session it made {changes:num} account change(s) ({what:list}), then "
        "they were used from the same network: {use:msgs:; }. Rule: with a thin history, a network and a user "
        "agent that neither the account nor its peers had used, an account or permission change in that session, "
        "and an account it created or changed logging in from the same network.",
        "new_client_change.misused.title": "{target}, changed by {account} from a client it never used, was then "
        "misused from the same network ({ips:ips})",
        "new_client_change.misused.reason": "{account} changed {target} in a session opened from {ip:ip}, a client "
        "neither it nor its peers had used. {target} then logged in from the same network, and its own "
        "evidence finds against it: {found:msgs:, } (weight {weight:g}, from {ips:ips}). A planned change gives a "
        "colleague an account to work with; here the account was misused from the network of the change. Rule: an "
        "account created or changed in that session, then found (weight at least {min_weight:g}) from that network.",
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
        "new_client_change.reason_thin": "À {login:time}, {account} s'est connecté depuis {ip:ip} ({ua:repr}). Son "
        "historique propre est mince ({prior:num} connexion(s) antérieure(s), moins de {min_logins:num}) ; il a donc "
        "été comparé à ses {peers:num} pairs ({peer_basis:msg}) : aucun ne s'était connecté depuis ce réseau ni avec "
        "cet agent utilisateur, pas plus que {account}. Dans cette session, il a fait {changes:num} modification(s) "
        "de comptes ({what:list}), utilisées ensuite depuis le même réseau : {use:msgs: ; }. Règle : avec un "
        "historique mince, un réseau et un agent utilisateur inconnus du compte et de ses pairs, une modification "
        "de compte ou de droits dans cette session, et un compte créé ou modifié qui se connecte depuis le même "
        "réseau.",
        "new_client_change.misused.title": "{target}, modifié par {account} depuis un client jamais utilisé, a "
        "ensuite été détourné depuis le même réseau ({ips:ips})",
        "new_client_change.misused.reason": "{account} a modifié {target} dans une session ouverte depuis {ip:ip}, un "
        "client que ni lui ni ses pairs n'avaient utilisé. {target} s'est ensuite connecté depuis le "
        "même réseau, et ses propres traces l'accusent : {found:msgs:, } (poids {weight:g}, depuis {ips:ips}). Une "
        "modification planifiée donne à un collègue un compte pour travailler ; ici, le compte a été détourné "
        "depuis le réseau de la modification. Règle : un compte créé ou modifié dans cette session, puis relevé "
        "(poids d'au moins {min_weight:g}) depuis ce réseau.",
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
        # too few logins of its own to say what is new for it: its peers decide, and more is asked
        thin = earlier.height < t.baseline_min_logins
        if lo["_net"] in set(earlier.get_column("_net").to_list()) or lo["ua"] in set(
            earlier.get_column("ua").drop_nulls().to_list()
        ):
            continue  # the owner's network or browser: a traveller, a new lease, a new desk
        group = groups.get(str(acc))
        peers = set(group.peers) if group else set()
        peer_before = lg.filter(pl.col("account").is_in(list(peers)) & (pl.col("@timestamp") < lo["@timestamp"]))
        if peer_before.filter(pl.col("_net") == lo["_net"]).height:
            continue  # a network accounts like it log in from
        if thin and (not lo["ua"] or peer_before.filter(pl.col("ua") == lo["ua"]).height):
            continue  # with a thin history, a browser its peers use may be the owner's new desk
        change_time = g.get_column("@timestamp").min()
        change_web = set(g.get_column("web.row").drop_nulls().to_list()) if "web.row" in g.columns else set()
        admin = ctx.web.filter(
            (pl.col("account.session") == sess)
            & (pl.col("@timestamp") > change_time)
            & pl.col("activity").cast(pl.String).str.starts_with("admin_")
            & ~pl.col("_row").is_in(list(change_web))
        )
        # with a thin history, only another account's use from the same network counts (see above)
        uses = [msg("new_client_change.use.admin", n=admin.height)] if admin.height and not thin else []
        use_rows = rows(admin, "_row") if not thin else []
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
        if thin and later.height == 0:
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
                    "new_client_change.reason_thin" if thin else "new_client_change.reason",
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
                    **({"min_logins": t.baseline_min_logins} if thin else {}),
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
                        "own_history": {"logins": earlier.height, "thin": thin},
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
        out += _misused(ctx, prior, out[-1], later, str(acc))
    return out


def _misused(ctx: Context, prior: list[Finding], change: Finding, later: pl.DataFrame, acc: str) -> list[Finding]:
    """The accounts changed in that session, found misused on their own evidence from its network."""
    t = ctx.thresholds
    out: list[Finding] = []
    for r in later.unique("account", keep="first", maintain_order=True).to_dicts():
        target = str(r["account"])
        if target == acc:
            continue  # the account's own later findings are not independent of its change
        ips = set(later.filter(pl.col("account") == target).get_column("client.ip").drop_nulls().to_list())
        found = [
            f
            for f in prior
            if f.account == target
            and f.signal
            and (f.weight or 0) >= t.corroboration_min_weight
            and set(f.ips) & ips
            and (f.first_seen is None or f.first_seen >= r["@timestamp"] - timedelta(seconds=ctx.tol))
        ]
        if not found:
            continue
        best = max(found, key=lambda f: float(f.weight or 0))
        hit = sort_ips(set(best.ips) & ips)
        out.append(
            Finding(
                detector=NAME,
                title=msg("new_client_change.misused.title", account=acc, target=target, ips=hit),
                techniques=list(change.techniques),
                basis="inferred",
                reason=msg(
                    "new_client_change.misused.reason",
                    account=acc,
                    target=target,
                    ip=change.ips[0] if change.ips else "",
                    found=[word("signal", f.signal) for f in sorted(found, key=lambda f: -float(f.weight or 0))],
                    weight=float(best.weight or 0),
                    ips=hit,
                    min_weight=t.corroboration_min_weight,
                ),
                account=acc,
                ips=list(change.ips),
                first_seen=change.first_seen,
                last_seen=max(x for x in (change.last_seen, best.last_seen, best.first_seen) if x is not None),
                event_count=change.event_count,
                rows=sorted(set(change.rows) | {int(r["_row"])}),
                sessions=list(change.sessions),
                signal="changed_account_misused",
                weight=SIGNALS["changed_account_misused"],
                details={
                    "baseline": change.details.get("baseline", {}),
                    "changed_account": target,
                    "corroborated_by": [f.detector for f in found],
                },
            )
        )
    return out
