"""One account used from two clients at once: a replayed session, or a second user (T1078).

What tells that *someone else* used an account is not a new address (the owner at home has
one too) but two clients working at the same time, one of which the owner was not using:

* **session replay** (T1550.004, T1185): requests of one application session come from two
  clients (network + user agent) that take turns: the first client is used again after the
  second one appeared.  A new DHCP lease or a Wi-Fi roam changes the address once and the old
  one is not used again; a phone moving between networks keeps its user agent.  So the two
  clients must differ in network *and* user agent, or (same user agent) switch back and forth
  at least ``replay_min_switches`` times.  Signal ``session_replay``.
* **concurrent use**: two web sessions of the account, from different networks (the
  organisation's own networks count as one) and different user agents, overlap for at least
  ``concurrent_min_overlap`` seconds with at least ``concurrent_min_requests`` requests each
  inside the overlap, and the later one comes from a network the account had never used
  before it (its own history).  Signal ``concurrent_use``.

Both are access signals: they show use by a client that was not the owner's, which is what
Valid Accounts (T1078) means here.
"""

from __future__ import annotations

import itertools

import polars as pl

from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import in_time_order, pair_code, rows
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "concurrent_use"
ORDER = 55
TECHNIQUES: tuple[str, ...] = ("T1078", "T1550.004", "T1185")
SIGNALS: dict[str, float] = {"session_replay": 0.8, "concurrent_use": 0.6}
ACCESS_SIGNALS: tuple[str, ...] = ("session_replay", "concurrent_use")
BASELINE = "own_history"
THRESHOLDS: dict[str, float] = {
    #: Same user agent on both clients: this many switches between them make a replay.
    "replay_min_switches": 4,
    #: Two sessions overlap for at least this many seconds...
    "concurrent_min_overlap": 300.0,
    #: ...with at least this many requests of each inside the overlap.
    "concurrent_min_requests": 3,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "concurrent.replay.title": "Session of {account} replayed from a second client ({ip:ip})",
        "concurrent.replay.reason": "Application session {session} of {account} was used from {clients:num} clients "
        "taking turns between {first:time} and {last:time}: {a:ip} ({a_ua:repr}) and {b:ip} ({b_ua:repr}), "
        "{switches:num} switches between them. A new lease or a roam changes the address once; here the first "
        "client kept working after the second appeared. Rule: two clients of one session, different networks and "
        "user agents, or at least {min_switches:num} switches.",
        "concurrent.use.title": "{account} used from {ip:ip} while in use from {other:ip}",
        "concurrent.use.reason": "Between {first:time} and {last:time} {account} worked from two clients at once: "
        "{a:ip} ({a_ua:repr}, {a_n:num} requests in the overlap) and {b:ip} ({b_ua:repr}, {b_n:num} requests), on "
        "different networks; the account had never been used from the network of {b:ip} before. Rule: overlap of at "
        "least {min_overlap:g} s with at least {min_requests:num} requests each, different networks and user agents.",
    },
    "fr": {
        "concurrent.replay.title": "Session de {account} rejouée depuis un second client ({ip:ip})",
        "concurrent.replay.reason": "La session applicative {session} de {account} a été utilisée depuis "
        "{clients:num} clients en alternance entre {first:time} et {last:time} : {a:ip} ({a_ua:repr}) et {b:ip} "
        "({b_ua:repr}), {switches:num} alternances. Un nouveau bail ou un changement de borne change l'adresse une "
        "fois ; ici le premier client a continué après l'apparition du second. Règle : deux clients d'une même "
        "session, réseaux et agents utilisateurs différents, ou au moins {min_switches:num} alternances.",
        "concurrent.use.title": "{account} utilisé depuis {ip:ip} pendant son utilisation depuis {other:ip}",
        "concurrent.use.reason": "Entre {first:time} et {last:time}, {account} a travaillé depuis deux clients à la "
        "fois : {a:ip} ({a_ua:repr}, {a_n:num} requêtes pendant le chevauchement) et {b:ip} ({b_ua:repr}, {b_n:num} "
        "requêtes), sur des réseaux différents ; le compte n'avait jamais été utilisé depuis le réseau de {b:ip}. "
        "Règle : chevauchement d'au moins {min_overlap:g} s avec au moins {min_requests:num} requêtes de chaque "
        "côté, réseaux et agents utilisateurs différents.",
    },
}


def _requests(ctx: Context) -> pl.DataFrame:
    """Attributed web requests with their client (network + user agent), in time order.

    What is read per account or per session (the first address of a session, its requests in
    a window) needs the requests of each in time order, which the time order of the whole
    frame gives; sorting them by account first as well gathered every column again.
    """
    web = ctx.web
    need = {"account", "source.ip", "user_agent.original", "session.web"}
    if web.height == 0 or not need <= set(web.columns):
        return pl.DataFrame()
    label = pl.col("ip.label").fill_null("") if "ip.label" in web.columns else pl.lit("")
    network = pl.col("ip.network") if "ip.network" in web.columns else pl.lit(None, dtype=pl.String)
    # lazily: the filter then reads only the selected columns, not every column of the web frame
    req = (
        web.lazy()
        .filter(pl.col("account").is_not_null() & pl.col("source.ip").is_not_null())
        .select(
            "_row",
            "@timestamp",
            "account",
            pl.col("account.session") if "account.session" in web.columns else pl.lit(None).alias("account.session"),
            "session.web",
            pl.col("source.ip").alias("ip"),
            pl.col("user_agent.original").fill_null("").alias("ua"),
            pl.when(label.is_in(list(LOCAL_LABELS)))
            .then(pl.lit("internal"))
            .otherwise(pl.coalesce(network, pl.col("source.ip")))
            .alias("net"),
        )
        .collect()
    )
    return in_time_order(req)


def _replays(ctx: Context, req: pl.DataFrame) -> list[Finding]:
    t = ctx.thresholds
    # a client is a network and a user agent: a code per distinct pair, not a new string per
    # request; clients are counted on the three columns that say it, not on a copy of the requests
    s = req.lazy().filter(pl.col("account.session").is_not_null())
    client = pair_code("net", "ua").alias("client")
    per = (
        s.select("account", "account.session", client)
        .group_by("account", "account.session")
        .agg(pl.col("client").n_unique().alias("_k"))
        .collect()
    )
    cand = per.filter(pl.col("_k") >= 2).select("account", "account.session")
    if cand.height == 0:
        return []
    # one pass over the candidate sessions only (most sessions have a single client)
    parts = (
        s.join(cand.lazy(), on=["account", "account.session"], how="semi")
        .with_columns(client)
        .collect()
        .partition_by(["account", "account.session"], as_dict=True)
    )
    out: list[Finding] = []
    for (acc, sess), g in sorted(parts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        g = g.sort("@timestamp", "_row")
        clients = g.get_column("client").to_list()
        first_client = clients[0]
        second_at = next(i for i, c in enumerate(clients) if c != first_client)
        if first_client not in clients[second_at:]:
            continue  # the first client stopped when the second began: a move, not two users
        switches = sum(1 for a, b in itertools.pairwise(clients) if a != b)
        a = g.row(0, named=True)
        b = g.row(second_at, named=True)
        if a["net"] == b["net"]:
            continue
        if a["ua"] == b["ua"] and switches < t.replay_min_switches:
            continue
        first, last = g.get_column("@timestamp").min(), g.get_column("@timestamp").max()
        out.append(
            Finding(
                detector=NAME,
                title=msg("concurrent.replay.title", account=acc, ip=b["ip"]),
                techniques=["T1550.004", "T1185", "T1078"],
                basis="derived",
                reason=msg(
                    "concurrent.replay.reason",
                    account=acc,
                    session=sess,
                    clients=len(set(clients)),
                    first=first,
                    last=last,
                    a=a["ip"],
                    a_ua=a["ua"],
                    b=b["ip"],
                    b_ua=b["ua"],
                    switches=switches,
                    min_switches=t.replay_min_switches,
                ),
                account=acc,
                ips=sort_ips(set(g.filter(pl.col("client") != first_client).get_column("ip").to_list())),
                first_seen=b["@timestamp"],
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                signal="session_replay",
                weight=SIGNALS["session_replay"],
                details={
                    "baseline": {"own_history": "the client that opened the session"},
                    "session": sess,
                    "switches": switches,
                    "clients": sorted({f"{n}|{u}" for n, u in g.select("net", "ua").iter_rows()}),
                },
            )
        )
    return out


def _concurrent(ctx: Context, req: pl.DataFrame) -> list[Finding]:
    t = ctx.thresholds
    sess = req.group_by("account", "session.web").agg(
        pl.col("@timestamp").min().alias("first"),
        pl.col("@timestamp").max().alias("last"),
        pl.col("ip").first(),
        pl.col("ua").first(),
        pl.col("net").first(),
    )
    pairs = (
        sess.join(sess, on="account", suffix="_b")
        .filter(
            (pl.col("first") <= pl.col("first_b"))
            & (pl.col("session.web") != pl.col("session.web_b"))
            & (pl.col("net") != pl.col("net_b"))
            & (pl.col("ua") != pl.col("ua_b"))
        )
        .with_columns((pl.min_horizontal("last", "last_b") - pl.col("first_b")).dt.total_seconds().alias("_overlap"))
        .filter(pl.col("_overlap") >= t.concurrent_min_overlap)
    )
    if pairs.height == 0:
        return []
    # own history: the network of the later session must be new for the account
    first_net = req.group_by("account", "net").agg(pl.col("@timestamp").min().alias("_net_first"))
    pairs = pairs.join(first_net.rename({"net": "net_b"}), on=["account", "net_b"], how="left").filter(
        pl.col("_net_first") >= pl.col("first_b")
    )
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for p in pairs.sort("account", "first_b").to_dicts():
        key = (p["account"], p["session.web_b"])
        if key in seen:
            continue
        lo, hi = p["first_b"], min(p["last"], p["last_b"])
        window = req.filter(
            (pl.col("account") == p["account"]) & (pl.col("@timestamp") >= lo) & (pl.col("@timestamp") <= hi)
        )
        a = window.filter(pl.col("session.web") == p["session.web"])
        b = window.filter(pl.col("session.web") == p["session.web_b"])
        if a.height < t.concurrent_min_requests or b.height < t.concurrent_min_requests:
            continue
        seen.add(key)
        out.append(
            Finding(
                detector=NAME,
                title=msg("concurrent.use.title", account=p["account"], ip=p["ip_b"], other=p["ip"]),
                techniques=["T1078"],
                basis="derived",
                reason=msg(
                    "concurrent.use.reason",
                    account=p["account"],
                    first=lo,
                    last=hi,
                    a=p["ip"],
                    a_ua=p["ua"],
                    a_n=a.height,
                    b=p["ip_b"],
                    b_ua=p["ua_b"],
                    b_n=b.height,
                    min_overlap=t.concurrent_min_overlap,
                    min_requests=t.concurrent_min_requests,
                ),
                account=p["account"],
                ips=[p["ip_b"]],
                first_seen=lo,
                last_seen=hi,
                event_count=a.height + b.height,
                rows=rows(a, "_row") + rows(b, "_row"),
                signal="concurrent_use",
                weight=SIGNALS["concurrent_use"],
                details={
                    "baseline": {"own_history": "networks the account used before", "network": p["net_b"]},
                    "sessions": [p["session.web"], p["session.web_b"]],
                },
            )
        )
    return out


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    req = _requests(ctx)
    if req.height == 0:
        return []
    return _replays(ctx, req) + _concurrent(ctx, req)
