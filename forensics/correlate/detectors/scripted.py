"""Scripted clients: automation libraries, no screen size, metronomic cadence.

A web session is scripted when its user agent names an HTTP library or tool
(``SCRIPT_UA``), or when it has at least ``cadence_min_requests`` requests whose gaps have
a coefficient of variation at most ``cadence_max_cv`` (a person clicks irregularly; a loop
does not), or when its application login recorded no screen size (the browser script
that reports it never ran).  Only sessions that act for an account or come from outside
the internal networks are reported: monitoring probes and interface robots inside the
hospital are scripts too, and expected.  The signal (``scripted_client``) applies to
external sources only.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "scripted"
SCRIPT_UA = (
    r"(?i)python-requests|python-urllib|python/|aiohttp|httpx|curl/|wget/|go-http-client|java/|okhttp|"
    r"libwww-perl|powershell|sqlmap|nikto|nmap|scrapy|node-fetch|axios/|postmanruntime|httpie|ruby|guzzle|"
    r"apache-httpclient|headlesschrome|phantomjs|selenium"
)


def session_cadence(ctx: Context) -> pl.DataFrame:
    """Per candidate web session: requests, median gap, coefficient of variation, script UA, no-screen login.

    Candidates are chosen on the session table (cheap): sessions acting for an account or
    from outside.  Gaps are computed only for the sessions where cadence can matter: a
    scripting user agent, an external source, a login without screen size, or a very busy
    session (at least five times ``cadence_min_requests``).
    """
    t = ctx.thresholds
    ws = ctx.web_sessions
    noscreen = ctx.app.filter(pl.col("auth.no_screen") & pl.col("session.web").is_not_null()).get_column("session.web")
    label = pl.col("flags").list.eval(pl.element().filter(pl.element().is_in(list(LOCAL_LABELS)))).list.len() > 0
    per = ws.select(
        pl.col("session").alias("session.web"),
        pl.col("events").alias("requests"),
        pl.col("user_agents").list.first().alias("ua"),
        pl.col("ips").list.first().alias("ip"),
        "account",
        label.alias("_internal"),
        pl.col("first"),
        pl.col("last"),
    ).with_columns(
        pl.col("ua").fill_null("").str.contains(SCRIPT_UA).alias("ua_script"),
        pl.col("session.web").is_in(noscreen.implode()).alias("no_screen"),
    )
    per = per.filter(pl.col("account").is_not_null() | ~pl.col("_internal"))
    per = per.join(ctx.ip_info.select(pl.col("ip"), pl.col("ip.label").alias("label")), on="ip", how="left")
    busy = per.filter(
        (pl.col("requests") >= t.cadence_min_requests)
        & (
            pl.col("ua_script")
            | ~pl.col("_internal")
            | pl.col("no_screen")
            | (pl.col("requests") >= 5 * t.cadence_min_requests)
        )
    ).get_column("session.web")
    rows = ctx.web.filter(pl.col("session.web").is_in(busy.implode())).select("session.web", "@timestamp")
    gaps = (
        rows.group_by("session.web")
        .agg(pl.col("@timestamp").diff().dt.total_milliseconds().drop_nulls().cast(pl.Float64).alias("_g"))
        .select(
            "session.web",
            pl.col("_g").list.median().truediv(1000).alias("median_gap"),
            (pl.col("_g").list.std() / pl.col("_g").list.mean()).alias("cv"),
        )
    )
    per = per.join(gaps, on="session.web", how="left")
    metronomic = (pl.col("cv") <= t.cadence_max_cv).fill_null(False) & (pl.col("requests") >= t.cadence_min_requests)
    return per.with_columns(metronomic.alias("metronomic"))


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    if ctx.web.height == 0:
        return []
    t = ctx.thresholds
    per = session_cadence(ctx)
    hits = per.filter(pl.col("ua_script") | pl.col("metronomic") | pl.col("no_screen"))
    if hits.height == 0:
        return []
    hits = hits.with_columns(
        pl.coalesce(pl.col("account"), pl.concat_str([pl.lit("ip:"), pl.col("ip")])).alias("_actor")
    )
    out = []
    for (_actor, ua), g in sorted(hits.group_by(["_actor", "ua"]), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        sessions = sorted(g.get_column("session.web").to_list())
        reqs = ctx.web.filter(pl.col("session.web").is_in(sessions))
        if g.get_column("account").drop_nulls().len():
            reqs = reqs.filter(pl.col("account") == g.get_column("account").drop_nulls()[0])
        ipl = sort_ips(g.get_column("ip").drop_nulls().unique().to_list())
        external = not all((lab or "") in LOCAL_LABELS for lab in g.get_column("label").to_list())
        why = []
        if g.get_column("ua_script").any():
            why.append(msg("scripted.why.ua", ua=ua))
        if g.get_column("metronomic").any():
            med = g.get_column("median_gap").drop_nulls()
            cv = g.get_column("cv").drop_nulls()
            why.append(
                msg(
                    "scripted.why.cadence",
                    gap=med.median(),
                    cv=cv.min(),
                    max_cv=t.cadence_max_cv,
                    min_requests=t.cadence_min_requests,
                )
            )
        if g.get_column("no_screen").any():
            why.append(msg("scripted.why.no_screen"))
        first, last = span(reqs) if reqs.height else (g.get_column("first").min(), g.get_column("last").max())
        account = g.get_column("account").drop_nulls()
        acc = account[0] if account.len() else None
        out.append(
            Finding(
                detector=NAME,
                title=msg("scripted.title.account" if acc else "scripted.title", account=acc, ips=ipl),
                techniques=["T1119"] if g.get_column("metronomic").any() else [],
                basis="derived",
                reason=msg("scripted.reason", requests=reqs.height, sessions=len(sessions), ips=ipl, why=why),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=reqs.height,
                rows=rows(reqs.head(2000), "_row") + rows(reqs.tail(1), "_row"),
                sessions=sessions,
                signal="scripted_client" if acc and external else None,
                weight=SIGNAL_WEIGHTS["scripted_client"] if acc and external else None,
                details={"user_agent": ua, "external": external},
            )
        )
    return out
