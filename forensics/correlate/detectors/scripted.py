"""Scripted clients: automation libraries, no screen size, metronomic cadence.

A web session is scripted when its user agent names an HTTP library or tool
(``SCRIPT_UA``), or when it has at least ``cadence_min_requests`` requests whose gaps have
a coefficient of variation at most ``cadence_max_cv`` (a person clicks irregularly; a loop
does not), or when its application login recorded no screen size (the browser script
that reports it never ran).  Only sessions that act for an account or come from outside
the internal networks are reported: monitoring probes and interface robots inside the
hospital are scripts too, and expected.  The signal (``scripted_client``) applies to
external sources only.

The technique follows what the automated requests do, not the rhythm alone (a loop that
tries passwords has the same steady beat as one that downloads records):

* at least half are login attempts (``LOGIN_ACTIVITIES``) and some failed: credential
  access, the ``T1110`` sub-technique of a credential-attack finding from the same
  addresses over the same time (spraying, stuffing, guessing), else ``T1110``;
* more than half read data (``READ_ACTIVITIES``, GET answered below 400): T1119
  (Automated Collection);
* otherwise no technique (the finding stays a signal).

The technique needs the rhythm (metronomic cadence) or a script's user agent over at least
``cadence_min_requests`` requests of that kind: a nightly job that fetches five files is a
script, not a collection.  A login without a screen size alone names no technique.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from forensics.apps.activity import DATA_ACTIVITIES
from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import by_detector, rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "scripted"
ORDER = 60
TECHNIQUES: tuple[str, ...] = ("T1110", "T1110.001", "T1110.003", "T1110.004", "T1119")
SIGNALS: dict[str, float] = {"scripted_client": 0.2}
BASELINE = "own_history+population"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "scripted.title": "Scripted client from {ips:ips:3}",
        "scripted.title.account": "Scripted client as {account} from {ips:ips:3}",
        "scripted.reason": "{requests:num} request(s) in {sessions} session(s) from {ips:ips}: {why:msgs:; }.",
        "scripted.why.ua": "its user agent {ua:repr} is an HTTP library or tool",
        "scripted.why.own_browser": "the user agent is the browser this account had logged in with before: a person paging at a steady pace looks like this, so it does not weigh on the account",
        "scripted.why.cadence": "a request every {gap:dec:1} s with a coefficient of variation of {cv:dec:2} (at most {max_cv:g} over at least {min_requests} requests)",
        "scripted.why.no_screen": "its application login recorded no screen size",
        "scripted.why.logins": "{attempts:num} of its {requests:num} requests are login attempts ({failed:num} failed): the script tries credentials",
        "scripted.why.reads": "{reads:num} of its {requests:num} requests read data (records, exports, API, pages): the script collects data",
    },
    "fr": {
        "scripted.title": "Client automatisé depuis {ips:ips:3}",
        "scripted.title.account": "Client automatisé sous {account} depuis {ips:ips:3}",
        "scripted.reason": "{requests:num} {requests:plural:requête|requêtes} en {sessions:num} {sessions:plural:session|sessions} depuis {ips:ips} : {why:msgs: ; }.",
        "scripted.why.ua": "son agent utilisateur {ua:repr} est une bibliothèque ou un outil HTTP",
        "scripted.why.own_browser": "l'agent utilisateur est le navigateur avec lequel ce compte s'était déjà connecté : une personne qui parcourt une liste à pas régulier y ressemble, cela ne pèse donc pas sur le compte",
        "scripted.why.cadence": "une requête toutes les {gap:dec:1} s avec un coefficient de variation de {cv:dec:2} (au plus {max_cv:g} sur au moins {min_requests:num} requêtes)",
        "scripted.why.no_screen": "sa connexion à l'application n'a enregistré aucune taille d'écran",
        "scripted.why.logins": "{attempts:num} de ses {requests:num} requêtes sont des tentatives de connexion ({failed:num} en échec) : le script essaie des identifiants",
        "scripted.why.reads": "{reads:num} de ses {requests:num} requêtes lisent des données (dossiers, exports, API, pages) : le script collecte des données",
    },
}
SCRIPT_UA = (
    r"(?i)python-requests|python-urllib|python/|aiohttp|httpx|curl/|wget/|go-http-client|java/|okhttp|"
    r"libwww-perl|powershell|sqlmap|nikto|nmap|scrapy|node-fetch|axios/|postmanruntime|httpie|ruby|guzzle|"
    r"apache-httpclient|headlesschrome|phantomjs|selenium"
)

#: Requests that try credentials: a login, a failed login form (401/403), a form POST (its
#: body, which would tell a login from another form, is not logged).
LOGIN_ACTIVITIES = ("login", "login_failed", "form_post")
#: Requests that read application data: records, exports, API lists and records, searches, views.
READ_ACTIVITIES = (*DATA_ACTIVITIES, "patient_search", "api_other", "page")
#: Detectors whose findings name the credential attack (their T1110 sub-technique is reused).
CREDENTIAL_DETECTORS = ("spray", "stuffing", "brute_force", "success_after_failures")


#: The columns ``purpose`` reads.
PURPOSE_COLUMNS = ("activity", "http.request.method", "http.response.status_code")


def purpose(reqs: pl.DataFrame) -> dict[str, int | str | None]:
    """What a session's requests do: ``credential``, ``collection`` or None, with the counts that say so.

    Static files and health checks are left out of the count (a browser script fetches them
    too).  Credential access needs at least one failed login: a steady loop of successful
    logins (an interface robot logging in on every call) is not an attack on passwords.
    """
    act = pl.col("activity").cast(pl.String)
    counts = reqs.filter(~act.is_in(["static", "status"]).fill_null(True)).select(
        pl.len().alias("requests"),
        act.is_in(LOGIN_ACTIVITIES).sum().alias("attempts"),
        (act == "login_failed").sum().alias("failed"),
        (
            act.is_in(READ_ACTIVITIES)
            & pl.col("http.request.method").fill_null("GET").is_in(["GET", "HEAD"])
            & (pl.col("http.response.status_code").fill_null(200) < 400)
        )
        .sum()
        .alias("reads"),
    )
    c = {k: int(v or 0) for k, v in counts.row(0, named=True).items()}
    kind = None
    if c["requests"] and c["failed"] and 2 * c["attempts"] >= c["requests"]:
        kind = "credential"
    elif c["requests"] and 2 * c["reads"] > c["requests"]:
        kind = "collection"
    return {"purpose": kind, **c}


def credential_techniques(
    prior: list[Finding], ips: list[str], first: datetime | None, last: datetime | None
) -> list[str]:
    """The T1110 techniques of the credential-attack findings from these addresses in this window."""
    out: list[str] = []
    for f in by_detector(prior, *CREDENTIAL_DETECTORS):
        if not set(f.ips) & set(ips):
            continue
        if first is not None and last is not None and f.first_seen is not None and f.last_seen is not None:
            if f.last_seen < first or f.first_seen > last:
                continue
        out += [x for x in f.techniques if x.split(".")[0] == "T1110" and x not in out]
    specific = [x for x in out if "." in x]
    return sorted(specific) or ["T1110"]


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
    rows = (
        ctx.web.lazy().filter(pl.col("session.web").is_in(busy.implode())).select("session.web", "@timestamp").collect()
    )
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


def _browsers_before(ctx: Context, account: str, before: datetime) -> set[str]:
    """User agents the account logged in with before ``before`` (its own history)."""
    lg = ctx.logins()
    if lg.height == 0:
        return set()
    return set(
        lg.filter((pl.col("account") == account) & (pl.col("@timestamp") < before))
        .get_column("ua")
        .drop_nulls()
        .to_list()
    )


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
    # only the columns read below: the sessions of a script can hold a large share of the
    # requests, and filtering every column of the web frame copied them all
    read = ("session.web", "_row", "@timestamp", "request.start", "account", *PURPOSE_COLUMNS)
    web = ctx.web.select([c for c in read if c in ctx.web.columns])
    out = []
    for (_actor, ua), g in sorted(hits.group_by(["_actor", "ua"]), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        sessions = sorted(g.get_column("session.web").to_list())
        reqs = web.filter(pl.col("session.web").is_in(sessions))
        # what the sessions do is read on all their requests (the rhythm was measured on them)
        does = purpose(reqs)
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
        rhythm = bool(g.get_column("metronomic").any())
        script = bool(g.get_column("ua_script").any())
        # own history: a steady pace from the browser the account had logged in with before is a
        # person paging through a list, not a script posing as a browser (which would be new)
        own_browser = bool(
            acc
            and not script
            and not g.get_column("no_screen").any()
            and ua
            and ua in _browsers_before(ctx, str(acc), g.get_column("first").min())
        )
        if own_browser:
            why.append(msg("scripted.why.own_browser"))
        techniques: list[str] = []
        if does["purpose"] == "credential":
            why.append(msg("scripted.why.logins", **{k: does[k] for k in ("attempts", "requests", "failed")}))
            if rhythm or (script and does["attempts"] >= t.cadence_min_requests):
                techniques = credential_techniques(prior, ipl, first, last)
        elif does["purpose"] == "collection":
            why.append(msg("scripted.why.reads", reads=does["reads"], requests=does["requests"]))
            if rhythm or (script and does["reads"] >= t.cadence_min_requests):
                techniques = ["T1119"]
        out.append(
            Finding(
                detector=NAME,
                title=msg("scripted.title.account" if acc else "scripted.title", account=acc, ips=ipl),
                techniques=techniques,
                basis="derived",
                reason=msg("scripted.reason", requests=reqs.height, sessions=len(sessions), ips=ipl, why=why),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=reqs.height,
                rows=rows(reqs.head(2000), "_row") + rows(reqs.tail(1), "_row"),
                sessions=sessions,
                signal="scripted_client" if acc and external and not own_browser else None,
                weight=SIGNAL_WEIGHTS["scripted_client"] if acc and external and not own_browser else None,
                details={
                    "user_agent": ua,
                    "external": external,
                    "automated": rhythm or script,
                    "purpose": does["purpose"],
                    "login_attempts": does["attempts"],
                    "data_reads": does["reads"],
                },
            )
        )
    return out
