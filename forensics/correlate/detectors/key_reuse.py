"""An API key or token used from a second client while its usual client keeps using it (T1550.001).

Requests made with a key or a token carry no login and no application session: the
credential itself is the session.  What tells that *someone else* holds it is the same as
for a replayed session cookie (``concurrent_use``): a client the credential's owner had not
used takes turns with the owner's usual client.

Which requests were made with a key: those tied to no application session, and those tied
to a session the application opened for the key itself (its authentication method is a key,
token or OAuth grant, the way an audit trail that writes one stateless row per key and day
records API calls; a password sent with each call, ``basic``, is not alternate
authentication material).  Such a trail may keep only the day's first address: the usual
client's calls later that day then belong to no account at all.  They still count as the
usual client using the key again when they come from the same address and user agent and
make the same kind of requests it made with the key on earlier days.

Rule, per account, over its requests made with a key:

* the **usual client** is the network + user agent the account's key was used from first,
  on earlier days of the evidence (own history);
* a **new client** comes from a network the account had never used (the organisation's
  own networks count as one) that no other account used before either (its peers), with
  another user agent;
* the usual client is used again after the new one appeared, within
  ``key_reuse_max_gap`` of it: the integration did not move (an integration moving to a
  new server stops calling from the old one when the new one starts).

Signal ``credential_reuse`` (an access signal): it shows use of the credential by a client
that was not its owner's.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import in_time_order, pair_code, rows
from forensics.correlate.prepare import KEY_METHODS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "key_reuse"
ORDER = 56
TECHNIQUES: tuple[str, ...] = ("T1550.001", "T1078")
SIGNALS: dict[str, float] = {"credential_reuse": 0.8}
ACCESS_SIGNALS: tuple[str, ...] = ("credential_reuse",)
BASELINE = "own_history+peers"
THRESHOLDS: dict[str, float] = {
    #: The usual client must be used again at most this long after the new client appeared.
    "key_reuse_max_gap": 8 * 3600.0,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "key_reuse.title": "Credential of {account} used from a second client ({ip:ip})",
        "key_reuse.reason": "{account} made {n:num} requests without a login (a key or token) from {ip:ip} ({ua:repr}) "
        "between {first:time} and {last:time}, a network that neither {account} ({days:num} earlier day(s) of use "
        "from {usual:ip}, {usual_ua:repr}) nor any other account had used; the usual client kept using the "
        "credential, again at {again:time}. An integration moving to a new server stops calling from the old one; "
        "here both used it in turn. Rule: new network and user agent, the usual client used again within "
        "{max_gap:g} h.",
    },
    "fr": {
        "key_reuse.title": "Identifiant de {account} utilisé depuis un second client ({ip:ip})",
        "key_reuse.reason": "{account} a fait {n:num} requêtes sans connexion (clé ou jeton) depuis {ip:ip} "
        "({ua:repr}) entre {first:time} et {last:time}, un réseau que ni {account} ({days:num} jour(s) d'utilisation "
        "antérieurs depuis {usual:ip}, {usual_ua:repr}) ni aucun autre compte n'avait utilisé ; le client habituel a "
        "continué à s'en servir, encore à {again:time}. Une intégration qui change de serveur cesse d'appeler depuis "
        "l'ancien ; ici les deux l'ont utilisé tour à tour. Règle : nouveaux réseau et agent utilisateur, client "
        "habituel réutilisé dans les {max_gap:g} h.",
    },
}


def _net(web: pl.DataFrame) -> pl.Expr:
    label = pl.col("ip.label").fill_null("") if "ip.label" in web.columns else pl.lit("")
    network = pl.col("ip.network") if "ip.network" in web.columns else pl.lit(None, dtype=pl.String)
    return (
        pl.when(label.is_in(list(LOCAL_LABELS))).then(pl.lit("internal")).otherwise(pl.coalesce(network, "source.ip"))
    )


def _key_sessions(ctx: Context) -> list[str]:
    """Application sessions opened by a key or token rather than by a login."""
    s = ctx.app_sessions
    if s.height == 0 or not {"session", "auth_method"} <= set(s.columns):
        return []
    found = s.filter(pl.col("auth_method").str.to_lowercase().is_in(list(KEY_METHODS)).fill_null(False))
    return found.get_column("session").to_list()


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    web = ctx.web
    if web.height == 0 or not {"account", "account.session", "user_agent.original"} <= set(web.columns):
        return []
    activity = pl.col("activity").cast(pl.String) if "activity" in web.columns else pl.lit(None, dtype=pl.String)
    # lazily: each frame below reads only these columns of the requests it keeps, and the
    # requests of every account (millions) are aggregated without being copied out first
    every = (
        web.lazy()
        .filter(pl.col("source.ip").is_not_null())
        .select(
            "_row",
            "@timestamp",
            "account",
            "account.session",
            pl.col("source.ip").alias("ip"),
            pl.col("user_agent.original").fill_null("").alias("ua"),
            _net(web).alias("net"),
            activity.fill_null("").alias("activity"),
        )
    )
    allreq = every.filter(pl.col("account").is_not_null())
    # requests no account could be given (no login, no session): the usual client's later calls of a day
    nobody = every.filter(pl.col("account").is_null() & (pl.col("activity") != "login_failed")).collect()
    by_key = pl.col("account.session").is_null() | pl.col("account.session").is_in(_key_sessions(ctx))
    # a client is a network and a user agent: a code per distinct pair, not a new string per request
    keyed = in_time_order(allreq.filter(by_key).with_columns(pair_code("net", "ua").alias("client")).collect())
    if keyed.height == 0:
        return []
    # when each network was first used, by this account and by any account (peers)
    first_by_acc = allreq.group_by("account", "net").agg(pl.col("@timestamp").min().alias("_acc_first")).collect()
    first_any = allreq.group_by("net").agg(pl.col("@timestamp").min().alias("_any_first")).collect()
    out: list[Finding] = []
    for (acc,), g in sorted(keyed.partition_by("account", as_dict=True).items(), key=lambda kv: str(kv[0][0])):
        clients = g.group_by("client").agg(
            pl.col("@timestamp").min().alias("first"),
            pl.col("@timestamp").max().alias("last"),
            pl.col("net").first(),
            pl.col("ua").first(),
            pl.col("ip").first(),
            pl.col("@timestamp").dt.date().n_unique().alias("days"),
        )
        if clients.height < 2:
            continue
        # ties on the first time are broken by the client's text (the codes have no order)
        usual = clients.sort("first", "net", "ua").row(0, named=True)
        new = (
            clients.filter(
                # own history: the usual client was used on an earlier day than the new one
                (pl.col("first").dt.date() > usual["first"].date())
                & (pl.col("net") != usual["net"])
                & (pl.col("ua") != usual["ua"])
            )
            .join(first_by_acc.filter(pl.col("account") == acc).drop("account"), on="net", how="left")
            .join(first_any, on="net", how="left")
            # never used by the account nor by any other account before this client appeared
            .filter((pl.col("_acc_first") >= pl.col("first")) & (pl.col("_any_first") >= pl.col("first")))
        )
        if new.height == 0:
            continue  # no client new to the account and to everyone: nothing to set against the usual one
        usual_rows = g.filter(pl.col("client") == usual["client"])
        # the usual client's calls that no account could be given: same address, user agent, kind of request
        unclaimed = nobody.filter(
            (pl.col("ip") == usual["ip"])
            & (pl.col("ua") == usual["ua"])
            & pl.col("activity").is_in(usual_rows.get_column("activity").unique().to_list())
        ).select(usual_rows.drop("client").columns)
        usual_calls = pl.concat([usual_rows.drop("client"), unclaimed]).sort("@timestamp", "_row")
        for c in new.sort("first", "net", "ua").to_dicts():
            # the usual client keeps using the credential after the new one appeared
            again = usual_calls.filter(
                (pl.col("@timestamp") > c["first"])
                & ((pl.col("@timestamp") - c["first"]).dt.total_seconds() <= t.key_reuse_max_gap)
            )
            before = usual_calls.filter(pl.col("@timestamp") < c["first"])
            if again.height == 0 or before.height == 0:
                continue
            mine = g.filter(pl.col("client") == c["client"])
            ipl = sort_ips(mine.get_column("ip").unique().to_list())
            usual_days = before.get_column("@timestamp").dt.date().n_unique()
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("key_reuse.title", account=acc, ip=c["ip"]),
                    techniques=["T1550.001", "T1078"],
                    basis="derived",
                    reason=msg(
                        "key_reuse.reason",
                        account=acc,
                        n=mine.height,
                        ip=c["ip"],
                        ua=c["ua"],
                        first=c["first"],
                        last=c["last"],
                        days=usual_days,
                        usual=usual["ip"],
                        usual_ua=usual["ua"],
                        again=again.get_column("@timestamp").min(),
                        max_gap=t.key_reuse_max_gap / 3600,
                    ),
                    account=str(acc),
                    ips=ipl,
                    first_seen=c["first"],
                    last_seen=c["last"],
                    event_count=mine.height,
                    rows=rows(mine, "_row") + rows(again.head(1), "_row"),
                    signal="credential_reuse",
                    weight=SIGNALS["credential_reuse"],
                    details={
                        "baseline": {
                            "own_history": {"usual_client": usual["ip"], "days": usual_days},
                            "peers": {"basis": "population", "network_used_before": False},
                        },
                        "network": c["net"],
                        "usual_used_again": again.get_column("@timestamp").min(),
                        # the application's log gave that call to no account (one row per key and day)
                        "usual_again_unattributed": again.row(0, named=True)["account"] is None,
                    },
                )
            )
    return out
