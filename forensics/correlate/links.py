"""Links across sources, each with a reason in words and a confidence.

1. **Application event -> web request** (``match_app_to_web``).  An application row (a
   login, a failed login, an account creation, a long request) happened inside one web
   request.  Candidates are requests within ``skew_tolerance`` seconds of it whose
   *proxy-observed* client is the address the application stored, or whose first
   X-Forwarded-For value is (Mediboard stores the first X-Forwarded-For value, which the
   client can forge): the second case is how a forged address is reconciled with the real
   one.  Long-request rows carry no address but their GET parameters; they match the
   request with the same parameters.  The best candidate wins (consistent status, same user
   agent, client match over forwarded match, smallest time difference).
2. **Application session <-> web session** (``link_sessions``): through the matched login
   (or any matched event) of the session, or, for a web session with no matched event,
   by address (client or forwarded claim) + identical user agent + overlapping time.
3. **Web session -> web session** (continuation): an unattributed web session with the same
   user agent that starts within ``continuation_max_gap`` of an attributed one and while its
   application session is still open (a Tor circuit change, a new DHCP lease).
4. **Web request -> account** (``attribute_requests``): a request belongs to the account of
   the application session linked to its web session, from the login (minus the tolerance)
   to the session end (plus the tolerance); failed login attempts belong to no one.

Web <-> database links are in ``dblinks``.
"""

from __future__ import annotations

import polars as pl

from forensics.apps.mediboard import label_activity
from forensics.correlate.frames import rows_of
from forensics.correlate.thresholds import DEFAULT, Thresholds

LINK_SCHEMA = pl.Schema(
    {
        "kind": pl.String,
        "left": pl.String,
        "right": pl.String,
        "account": pl.String,
        "time": pl.Datetime("us", "UTC"),
        "left_row": pl.Int64,
        "right_row": pl.Int64,
        "confidence": pl.Float64,
        "reason": pl.String,
    }
)

MATCH_ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "session_end",
    "account_created",
    "permission_changed",
    "password_changed",
    "record_create",
    "record_update",
    "record_delete",
    "privilege_use",
)
PARAM_ACTIONS = ("export", "api_call")

_US = 1_000_000


def _fmt(ts: pl.Expr) -> pl.Expr:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bucket(ts: pl.Expr, width_s: float) -> pl.Expr:
    return (ts.dt.epoch("us") // int(width_s * _US)).cast(pl.Int64)


def _params_query() -> pl.Expr:
    """The parameters of a long request as a query string (``request.query``, filled by the application profile)."""
    return pl.col("request.query")


def match_app_to_web(
    app: pl.DataFrame, web: pl.DataFrame, thresholds: Thresholds = DEFAULT, tol: float = 10.0
) -> pl.DataFrame:
    """Best web request for each application event; one row per matched event.

    Needs (app): ``_row``, ``@timestamp``, ``event.action``, ``source.ip``,
    ``user_agent.original``, ``account``, ``request.query``.  Needs (web): ``_row``, ``@timestamp``,
    ``source.ip``, ``network.forwarded_first``, ``user_agent.original``, ``session.web``,
    ``activity`` columns.  Returns ``app_row``, ``web_row``, ``session.web``, ``client.ip``,
    ``ip_match`` (client, forwarded_first, params), ``ua_match``, ``dt``, ``confidence``, ``reason``.
    """
    empty = pl.DataFrame(
        schema={
            "app_row": pl.Int64,
            "web_row": pl.Int64,
            "session.web": pl.String,
            "client.ip": pl.String,
            "ip_match": pl.String,
            "ua_match": pl.Boolean,
            "dt": pl.Float64,
            "confidence": pl.Float64,
            "reason": pl.String,
        }
    )
    if app.height == 0 or web.height == 0:
        return empty
    width = max(2 * tol, 1.0)
    tol_us = int(tol * _US)
    ev = app.filter(pl.col("event.action").is_in(MATCH_ACTIONS + PARAM_ACTIONS)).select(
        pl.col("_row").alias("app_row"),
        pl.col("@timestamp").alias("_at"),
        pl.col("event.action").alias("_action"),
        pl.col("source.ip").alias("_stored"),
        pl.col("user_agent.original").alias("_aua"),
        pl.col("account").alias("_account"),
        pl.when(pl.col("event.action").is_in(PARAM_ACTIONS)).then(_params_query()).alias("_q"),
        pl.col("event.duration").alias("_adur"),
    )
    if ev.height == 0:
        return empty
    # buckets of width 2*tol: the window [t - tol, t + tol] touches at most two of them
    early = _bucket(pl.col("_at") - pl.duration(microseconds=tol_us), width)
    ev = ev.with_columns(pl.concat_list([early, early + 1]).alias("_b")).explode("_b")
    # narrow candidates: what scoring needs; the rest is fetched for the winners only
    cand = web.select(
        pl.col("_row").alias("web_row"),
        pl.col("@timestamp").alias("_wt"),
        pl.col("source.ip").alias("client.ip"),
        pl.col("network.forwarded_first").alias("_fwd"),
        pl.col("user_agent.original").alias("_wua"),
        pl.col("http.request.method").alias("_method"),
        pl.col("http.response.status_code").alias("_status"),
        "activity",
        _bucket(pl.col("@timestamp"), width).alias("_b"),
    )
    if cand.height == 0:
        return empty
    by_ip = ev.filter(pl.col("_stored").is_not_null())
    j_client = by_ip.join(cand, left_on=["_b", "_stored"], right_on=["_b", "client.ip"], how="inner").with_columns(
        pl.col("_stored").alias("client.ip"), pl.lit("client").alias("ip_match")
    )
    j_fwd = by_ip.join(
        cand.filter(pl.col("_fwd").is_not_null() & (pl.col("_fwd") != pl.col("client.ip"))),
        left_on=["_b", "_stored"],
        right_on=["_b", "_fwd"],
        how="inner",
    ).with_columns(pl.col("_stored").alias("_fwd"), pl.lit("forwarded_first").alias("ip_match"))
    # long-request rows: same parameters, no address
    params = ev.filter(pl.col("_q").is_not_null())
    j_params = None
    if params.height:
        labelled = label_activity(
            params.with_columns(
                pl.lit("/index.php").alias("url.path"),
                pl.col("_q").alias("url.query"),
                pl.lit("GET").alias("http.request.method"),
                pl.lit(200, dtype=pl.Int32).alias("http.response.status_code"),
            )
        )
        labelled = labelled.select(
            pl.exclude(
                [
                    "url.path",
                    "url.query",
                    "http.request.method",
                    "http.response.status_code",
                    "activity.module",
                    "activity.object",
                    "export.all",
                ]
            )
        ).rename(
            {
                "activity": "_pact",
                "activity.view": "_pview",
                "export.date_min": "_pmin",
                "export.date_max": "_pmax",
                "api.offset": "_poff",
                "api.limit": "_plim",
            }
        )
        pcand = web.select(
            pl.col("_row").alias("web_row"),
            pl.col("@timestamp").alias("_wt"),
            pl.col("source.ip").alias("client.ip"),
            pl.col("network.forwarded_first").alias("_fwd"),
            pl.col("user_agent.original").alias("_wua"),
            pl.col("http.request.method").alias("_method"),
            pl.col("http.response.status_code").alias("_status"),
            "activity",
            "activity.view",
            "export.date_min",
            "export.date_max",
            "api.offset",
            "api.limit",
            _bucket(pl.col("@timestamp"), width).alias("_b"),
        ).join(labelled.select(pl.col("_b").unique()), on="_b", how="semi")
        jp = labelled.join(pcand, on="_b", how="inner")
        same = (
            (pl.col("_pact") == pl.col("activity"))
            & (
                (pl.col("_pview") == pl.col("activity.view"))
                | pl.col("_pview").is_null()
                | pl.col("activity.view").is_null()
            )
            & ((pl.col("_pmin") == pl.col("export.date_min")) | pl.col("_pmin").is_null())
            & ((pl.col("_pmax") == pl.col("export.date_max")) | pl.col("_pmax").is_null())
            & ((pl.col("_poff") == pl.col("api.offset")) | pl.col("_poff").is_null())
            & ((pl.col("_plim") == pl.col("api.limit")) | pl.col("_plim").is_null())
        )
        j_params = (
            jp.filter(same.fill_null(False))
            .drop(["_pact", "_pview", "_pmin", "_pmax", "_poff", "_plim"])
            .with_columns(pl.lit("params").alias("ip_match"))
        )
    parts = [j_client, j_fwd] + ([j_params] if j_params is not None else [])
    cols = [
        "app_row",
        "_at",
        "_action",
        "_stored",
        "_aua",
        "_account",
        "web_row",
        "_wt",
        "client.ip",
        "_fwd",
        "_wua",
        "_method",
        "_status",
        "activity",
        "ip_match",
    ]
    m = pl.concat([p.select(cols) for p in parts], how="vertical_relaxed")
    m = m.with_columns(((pl.col("_wt") - pl.col("_at")).dt.total_microseconds()).alias("_dtus"))
    m = m.filter(pl.col("_dtus").abs() <= tol_us).unique(["app_row", "web_row", "ip_match"])
    if m.height == 0:
        return empty
    failed = pl.col("_status").is_in([401, 403]) | (pl.col("activity") == "login_failed")
    status_ok = (
        pl.when(pl.col("_action") == "login_failed")
        .then(failed)
        .when(pl.col("_action") == "login")
        .then(~failed & (pl.col("_status") < 400))
        .when(
            pl.col("_action").is_in(
                [
                    "account_created",
                    "permission_changed",
                    "password_changed",
                    "record_create",
                    "record_update",
                    "record_delete",
                ]
            )
        )
        .then(pl.col("_method") == "POST")
        .otherwise(pl.lit(True))
        .fill_null(False)
    )
    ua_match = (pl.col("_aua") == pl.col("_wua")).fill_null(False)
    score = (
        status_ok.cast(pl.Float64) * 4
        + ua_match.cast(pl.Float64) * 2
        + (pl.col("ip_match") == "client").cast(pl.Float64)
        + (pl.col("ip_match") == "params").cast(pl.Float64) * 2
        - pl.col("_dtus").abs().cast(pl.Float64) / max(tol_us, 1)
    )
    m = m.with_columns(status_ok.alias("_ok"), ua_match.alias("ua_match"), score.alias("_score"))
    best = (
        m.sort(["app_row", "_score", "web_row"], descending=[False, True, False])
        .group_by("app_row", maintain_order=True)
        .first()
    )
    more = rows_of(web, best.get_column("web_row"), ["session.web", "url.path"]).rename(
        {"_row": "web_row", "url.path": "_path"}
    )
    best = best.join(more, on="web_row", how="left")
    conf = (
        pl.lit(0.55)
        + pl.when(pl.col("_ok")).then(0.2).otherwise(0.0)
        + pl.when(pl.col("ua_match")).then(0.15).otherwise(0.0)
        + pl.when(pl.col("ip_match") == "client")
        .then(0.09)
        .when(pl.col("ip_match") == "params")
        .then(0.1)
        .otherwise(0.0)
    ).clip(0, 0.99)
    dt_s = pl.col("_dtus").cast(pl.Float64) / _US
    reason = pl.concat_str(
        [
            pl.col("_action"),
            pl.lit(" of "),
            pl.col("_account").fill_null("?"),
            pl.lit(" at "),
            _fmt(pl.col("_at")),
            pl.lit(" matches "),
            pl.col("_method").fill_null("?"),
            pl.lit(" "),
            pl.col("_path").fill_null("?"),
            pl.lit(" -> "),
            pl.col("_status").cast(pl.String).fill_null("?"),
            pl.lit(" at "),
            _fmt(pl.col("_wt")),
            pl.lit(" ("),
            pl.when(dt_s >= 0).then(pl.lit("+")).otherwise(pl.lit("")),
            dt_s.round(1).cast(pl.String),
            pl.lit(" s) from "),
            pl.col("client.ip").fill_null("?"),
            pl.when(pl.col("ip_match") == "forwarded_first")
            .then(
                pl.concat_str(
                    [
                        pl.lit("; the application stored "),
                        pl.col("_stored"),
                        pl.lit(", the first X-Forwarded-For value, which the client controls"),
                    ]
                )
            )
            .when(pl.col("ip_match") == "params")
            .then(pl.lit("; same request parameters"))
            .otherwise(pl.lit("")),
            pl.when(pl.col("ua_match")).then(pl.lit("; same user agent")).otherwise(pl.lit("")),
        ]
    )
    return best.select(
        "app_row",
        "web_row",
        "session.web",
        "client.ip",
        "ip_match",
        "ua_match",
        dt_s.alias("dt"),
        conf.alias("confidence"),
        reason.alias("reason"),
    ).sort("app_row")


def reconcile_app(app: pl.DataFrame, matches: pl.DataFrame, web_available: bool) -> pl.DataFrame:
    """Add ``client.ip``, ``client.basis``, ``session.web`` and ``web.row`` to application events.

    ``client.ip`` is the proxy-observed client of the matched request when there is one.
    Otherwise it is the address the source stored: for operating-system logins that is the
    TCP peer (``observed``); for the application it is a forgeable header value
    (``application``), kept but never trusted alone.
    """
    m = matches.select(
        pl.col("app_row").alias("_row"),
        pl.col("client.ip").alias("_mip"),
        pl.col("session.web"),
        pl.col("web_row").alias("web.row"),
        pl.col("ua_match").alias("_uam"),
    )
    out = app.drop([c for c in ("session.web", "web.row", "client.ip", "client.basis") if c in app.columns])
    out = out.join(m, on="_row", how="left", maintain_order="left")
    basis = (
        pl.when(pl.col("_mip").is_not_null())
        .then(pl.lit("proxy_observed"))
        .when(pl.col("source.ip").is_null())
        .then(None)
        .when((pl.col("realm") == "system") | ~pl.col("ip_from_application"))
        .then(pl.lit("observed"))
        .otherwise(pl.lit("application"))
    )
    return out.with_columns(
        pl.coalesce(pl.col("_mip"), pl.col("source.ip")).alias("client.ip"),
        basis.alias("client.basis"),
    ).drop("_mip", "_uam")


def link_sessions(
    app: pl.DataFrame,
    app_sess: pl.DataFrame,
    web_sess: pl.DataFrame,
    matches: pl.DataFrame,
    thresholds: Thresholds = DEFAULT,
    tol: float = 10.0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Links (app event/session <-> web session, continuation) and attribution intervals.

    Returns ``(links, intervals)``; intervals have ``session.web``, ``start``, ``end``,
    ``account``, ``session.app``, ``account.confidence``, ``account.reason``.
    """
    tol_d = pl.duration(microseconds=int(tol * _US))
    iv_schema = {
        "session.web": pl.String,
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "account": pl.String,
        "session.app": pl.String,
        "account.confidence": pl.Float64,
        "account.reason": pl.String,
    }
    links: list[pl.DataFrame] = []
    intervals: list[pl.DataFrame] = []
    if web_sess.height == 0:
        return pl.DataFrame(schema=LINK_SCHEMA), pl.DataFrame(schema=iv_schema)
    ws = web_sess.select(
        pl.col("session").alias("session.web"),
        pl.col("first").alias("_wf"),
        pl.col("last").alias("_wl"),
        pl.col("ips").list.first().alias("_wip"),
        pl.col("forwarded_ips").alias("_wfwd"),
        pl.col("user_agents").list.first().alias("_wua"),
    )
    asx = app_sess.filter(pl.col("kind") == "app").select(
        pl.col("session").alias("session.app"),
        pl.col("account"),
        pl.col("first").alias("_af"),
        pl.col("last").alias("_al"),
        pl.col("ips").alias("_aips"),
        pl.col("user_agents").alias("_auas"),
        pl.col("flags").list.contains("end_unknown").alias("_open"),
    )
    # 1. event-level links from matches
    if matches.height:
        ev = matches.join(
            app.select(
                pl.col("_row").alias("app_row"),
                "@timestamp",
                "event.action",
                "account",
                "session.app",
            ),
            on="app_row",
            how="left",
        )
        links.append(
            ev.select(
                pl.when(pl.col("event.action").is_in(["login", "logout", "session_end"]))
                .then(pl.lit("app_login_web"))
                .otherwise(pl.lit("app_event_web"))
                .alias("kind"),
                pl.coalesce(
                    pl.col("session.app"), pl.concat_str([pl.lit("row:"), pl.col("app_row").cast(pl.String)])
                ).alias("left"),
                pl.col("session.web").alias("right"),
                "account",
                pl.col("@timestamp").alias("time"),
                pl.col("app_row").alias("left_row"),
                pl.col("web_row").alias("right_row"),
                "confidence",
                "reason",
            )
        )
        # session-level attribution through matched events of application sessions
        ev_sess = (
            ev.filter(pl.col("session.app").is_not_null() & (pl.col("event.action") != "login_failed"))
            .group_by("session.app", "session.web")
            .agg(
                pl.col("confidence").max().alias("account.confidence"),
                pl.col("reason")
                .sort_by("confidence", "reason", descending=[True, False])
                .first()
                .alias("account.reason"),
            )
        )
        ev_iv = ev_sess.join(asx, on="session.app", how="inner").join(ws, on="session.web", how="inner")
        intervals.append(_interval(ev_iv, tol_d))
        # a long request that names its user attributes a web session no login explains
        orphan = ev.filter(
            pl.col("session.app").is_null()
            & pl.col("account").is_not_null()
            & (pl.col("event.action") != "login_failed")
        )
        if orphan.height:
            o = (
                orphan.group_by("session.web")
                .agg(
                    pl.col("account").mode().sort().first(),
                    (pl.col("confidence").max() * 0.8).alias("account.confidence"),
                    pl.col("reason")
                    .sort_by("confidence", "reason", descending=[True, False])
                    .first()
                    .alias("account.reason"),
                )
                .join(ws, on="session.web", how="inner")
            )
            intervals.append(
                o.select(
                    "session.web",
                    pl.col("_wf").alias("start"),
                    pl.col("_wl").alias("end"),
                    "account",
                    pl.lit(None, dtype=pl.String).alias("session.app"),
                    "account.confidence",
                    pl.concat_str([pl.lit("application event names the user: "), pl.col("account.reason")]).alias(
                        "account.reason"
                    ),
                )
            )
    linked_pairs = pl.concat([i.select("session.web", "session.app") for i in intervals]) if intervals else None
    # 2. overlap: address (client or forwarded claim) + user agent + time, for web sessions
    #    that no matched event explains
    if asx.height:
        ws_free = ws
        if linked_pairs is not None:
            ws_free = ws.join(linked_pairs.select("session.web").unique(), on="session.web", how="anti")
        a_ip = asx.explode("_aips").rename({"_aips": "_aip"}).drop_nulls("_aip")
        by_client = a_ip.join(ws_free, left_on="_aip", right_on="_wip", how="inner").with_columns(
            pl.col("_aip").alias("_wip"), pl.lit("client").alias("_how")
        )
        w_fwd = ws_free.explode("_wfwd").drop_nulls("_wfwd").filter(pl.col("_wfwd") != pl.col("_wip"))
        by_fwd = a_ip.join(w_fwd, left_on="_aip", right_on="_wfwd", how="inner").with_columns(
            pl.lit("forwarded_first").alias("_how")
        )
        cols = [
            "session.app",
            "account",
            "_af",
            "_al",
            "_aip",
            "_auas",
            "_open",
            "session.web",
            "_wf",
            "_wl",
            "_wip",
            "_wua",
            "_how",
        ]
        ov = pl.concat([by_client.select(cols), by_fwd.select(cols)])
        ua_ok = pl.col("_auas").list.len().eq(0) | pl.col("_auas").list.contains(pl.col("_wua"))
        end = (
            pl.when(pl.col("_open"))
            .then(pl.col("_al") + pl.duration(seconds=int(thresholds.app_session_default)))
            .otherwise(pl.col("_al"))
        )
        ov = ov.filter(ua_ok & (pl.col("_wf") <= end + tol_d) & (pl.col("_wl") >= pl.col("_af") - tol_d))
        if linked_pairs is not None:
            ov = ov.join(linked_pairs, on=["session.web", "session.app"], how="anti")
        if ov.height:
            has_ua = pl.col("_auas").list.len() > 0
            conf = (
                pl.lit(0.5)
                + pl.when(has_ua).then(0.2).otherwise(0.0)
                + pl.when(pl.col("_how") == "client").then(0.1).otherwise(0.0)
            )
            reason = pl.concat_str(
                [
                    pl.lit("application session of "),
                    pl.col("account").fill_null("?"),
                    pl.lit(" ("),
                    _fmt(pl.col("_af")),
                    pl.lit(" to "),
                    _fmt(pl.col("_al")),
                    pl.lit(") stored "),
                    pl.col("_aip"),
                    pl.when(pl.col("_how") == "client")
                    .then(pl.lit(", the web client's address"))
                    .otherwise(
                        pl.concat_str([pl.lit(", the forged X-Forwarded-For claim of client "), pl.col("_wip")])
                    ),
                    pl.when(has_ua).then(pl.lit("; same user agent")).otherwise(pl.lit("; no user agent to compare")),
                    pl.lit("; times overlap"),
                ]
            )
            ov = ov.with_columns(conf.alias("account.confidence"), reason.alias("account.reason"))
            ov = ov.sort(["account.confidence", "_aip"], descending=[True, False]).unique(
                ["session.web", "session.app"], keep="first"
            )
            links.append(_session_links(ov, "app_session_web", "session.app", "session.web", "_wf"))
            intervals.append(_interval(ov, tol_d))
    iv = pl.concat([i.select(list(iv_schema)) for i in intervals]) if intervals else pl.DataFrame(schema=iv_schema)
    # 3. continuation of an attributed session by an unattributed one (same user agent)
    cont = _continuations(ws, iv, asx, thresholds, tol_d)
    if cont.height:
        links.append(_session_links(cont, "web_continuation", "_prev", "session.web", "start"))
        iv = pl.concat([iv, cont.select(list(iv_schema))])
    link_frame = (
        pl.concat([x.select([pl.col(c).cast(t) for c, t in LINK_SCHEMA.items()]) for x in links])
        if links
        else pl.DataFrame(schema=LINK_SCHEMA)
    )
    return link_frame.sort("time", "kind", "left", "right", nulls_last=True), iv.sort("session.web", "start")


def _session_links(df: pl.DataFrame, kind: str, left: str, right: str, time: str) -> pl.DataFrame:
    """Links between two whole sessions (no event rows), with the attribution's confidence and reason."""
    return df.select(
        pl.lit(kind).alias("kind"),
        pl.col(left).alias("left"),
        pl.col(right).alias("right"),
        "account",
        pl.col(time).alias("time"),
        pl.lit(None, dtype=pl.Int64).alias("left_row"),
        pl.lit(None, dtype=pl.Int64).alias("right_row"),
        pl.col("account.confidence").alias("confidence"),
        pl.col("account.reason").alias("reason"),
    )


def _interval(pairs: pl.DataFrame, tol_d: pl.Expr) -> pl.DataFrame:
    """Clip a web session to the span of its application session (login - tol .. end + tol)."""
    start = pl.max_horizontal(pl.col("_wf"), pl.col("_af") - tol_d)
    end = (
        pl.when(pl.col("_open")).then(pl.col("_wl")).otherwise(pl.min_horizontal(pl.col("_wl"), pl.col("_al") + tol_d))
    )
    return pairs.select(
        "session.web",
        start.alias("start"),
        end.alias("end"),
        "account",
        "session.app",
        "account.confidence",
        "account.reason",
    ).filter(pl.col("start") <= pl.col("end"))


def _continuations(
    ws: pl.DataFrame, iv: pl.DataFrame, asx: pl.DataFrame, thresholds: Thresholds, tol_d: pl.Expr
) -> pl.DataFrame:
    out_schema = {
        "session.web": pl.String,
        "_prev": pl.String,
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "account": pl.String,
        "session.app": pl.String,
        "account.confidence": pl.Float64,
        "account.reason": pl.String,
    }
    if iv.height == 0:
        return pl.DataFrame(schema=out_schema)
    gap = pl.duration(microseconds=int(thresholds.continuation_max_gap * _US))
    attributed = (
        iv.filter(pl.col("session.app").is_not_null())
        .join(ws, on="session.web")
        .join(asx.select("session.app", "_al", "_open"), on="session.app", how="left")
        .select(
            pl.col("session.web").alias("_prev"),
            "account",
            "session.app",
            pl.col("account.confidence").alias("_pc"),
            pl.col("_wl").alias("_pl"),
            pl.col("_wua"),
            pl.col("_wip").alias("_pip"),
            pl.col("_al"),
            pl.col("_open"),
        )
    )
    free = ws.join(iv.select("session.web").unique(), on="session.web", how="anti").drop_nulls("_wua")
    if attributed.height == 0 or free.height == 0:
        return pl.DataFrame(schema=out_schema)
    c = free.join(attributed, on="_wua", how="inner")
    open_ok = pl.col("_open") | (pl.col("_wf") <= pl.col("_al") + tol_d)
    c = c.filter(
        (pl.col("_wf") >= pl.col("_pl"))
        & (pl.col("_wf") <= pl.col("_pl") + gap)
        & open_ok
        & (pl.col("_wip") != pl.col("_pip"))
    )
    if c.height == 0:
        return pl.DataFrame(schema=out_schema)
    c = c.sort(["session.web", "_pl", "session.app"], descending=[False, True, True]).unique(
        "session.web", keep="first"
    )
    end = (
        pl.when(pl.col("_open")).then(pl.col("_wl")).otherwise(pl.min_horizontal(pl.col("_wl"), pl.col("_al") + tol_d))
    )
    reason = pl.concat_str(
        [
            pl.lit("continues web session "),
            pl.col("_prev"),
            pl.lit(" of "),
            pl.col("account").fill_null("?"),
            pl.lit(": same user agent, starts "),
            ((pl.col("_wf") - pl.col("_pl")).dt.total_milliseconds().cast(pl.Float64) / 1000).round(1).cast(pl.String),
            pl.lit(" s after it stopped, from "),
            pl.col("_wip").fill_null("?"),
            pl.lit(" instead of "),
            pl.col("_pip").fill_null("?"),
            pl.lit(", while application session "),
            pl.col("session.app"),
            pl.lit(" is open"),
        ]
    )
    return c.select(
        "session.web",
        "_prev",
        pl.col("_wf").alias("start"),
        end.alias("end"),
        "account",
        "session.app",
        (pl.col("_pc") * 0.75).alias("account.confidence"),
        reason.alias("account.reason"),
    ).filter(pl.col("start") <= pl.col("end"))


def attribute_requests(web: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Add ``account``, ``account.session`` (application session) and ``account.confidence`` to web requests.

    Same rows, same order.  The latest interval starting at or before a request wins (a new
    login on the same client takes over); failed login attempts are nobody's.  Intervals that
    start together (two application sessions open on one shared desk both cover a web session
    that began after both logins) are ordered by confidence, then by application session,
    numbered in login order: the later login wins, the same way on every run.
    """
    cols = ("account", "account.session", "account.confidence")
    base = web.drop([c for c in cols if c in web.columns])
    if intervals.height == 0 or web.height == 0:
        return base.with_columns(
            pl.lit(None, dtype=pl.String).alias("account"),
            pl.lit(None, dtype=pl.String).alias("account.session"),
            pl.lit(None, dtype=pl.Float64).alias("account.confidence"),
        )
    iv = intervals.sort("start", "account.confidence", "session.app", "account", maintain_order=True).select(
        "session.web",
        pl.col("start").alias("_s"),
        pl.col("end").alias("_e"),
        pl.col("account").alias("_acc"),
        pl.col("session.app").alias("_sa"),
        pl.col("account.confidence").alias("_conf"),
    )
    in_order = base.get_column("@timestamp").is_sorted()
    left = base if in_order else base.with_row_index("_i").sort("@timestamp", "_i")
    out = left.join_asof(
        iv, left_on="@timestamp", right_on="_s", by="session.web", strategy="backward", check_sortedness=False
    )
    out = out.with_columns(
        pl.when(pl.col("_e").is_not_null() & (pl.col("@timestamp") <= pl.col("_e"))).then(pl.col(c)).alias(c)
        for c in ("_acc", "_sa", "_conf")
    ).drop("_s", "_e")
    if not in_order:
        out = out.sort("_i").drop("_i")
    failed = pl.col("activity") == "login_failed" if "activity" in out.columns else pl.lit(False)
    return out.with_columns(
        pl.when(~failed).then(pl.col("_acc")).alias("account"),
        pl.when(~failed).then(pl.col("_sa")).alias("account.session"),
        pl.when(~failed).then(pl.col("_conf")).alias("account.confidence"),
    ).drop("_acc", "_sa", "_conf")
