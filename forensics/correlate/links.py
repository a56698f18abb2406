"""Links across sources, each with a reason in words and a confidence.

1. **Application event -> web request** (``match_app_to_web``).  An application row (a
   login, a failed login, an account creation, an API call) happened inside one web
   request.  A candidate request is one that shares what both rows actually carry: the
   request id, the session id, the address the application stored as the *proxy-observed*
   client or as the first X-Forwarded-For value (Mediboard stores the first value, which the
   client can forge: the second case is how a forged address is reconciled with the real
   one), the GET parameters of a Mediboard long-request row that stored some, or the URL
   path, within ``skew_tolerance`` seconds.  Whatever both carry must agree; a row that only
   a URL or its parameters tie to requests of several clients stays unlinked.  The best
   candidate wins (request id, consistent status, same user agent, client match over
   forwarded match, smallest time difference) and the reason names what matched.
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

from forensics.correlate.frames import rows_of
from forensics.correlate.prepare import API_METHODS
from forensics.correlate.thresholds import DEFAULT, Thresholds
from parsers.app.common import tag_column

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
    "record_read",
    "privilege_use",
)
PARAM_ACTIONS = ("export", "api_call")

_US = 1_000_000
#: Application events matched at a time (``match_app_to_web``): bounds the candidate pairs held.
MATCH_SLICE = 50_000
#: Free web sessions paired at a time with the sessions they may continue (``_continuations``).
CONTINUATION_SLICE = 2_000


def _fmt(ts: pl.Expr) -> pl.Expr:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bucket(ts: pl.Expr, width_s: float) -> pl.Expr:
    return (ts.dt.epoch("us") // int(width_s * _US)).cast(pl.Int64)


def _params_query() -> pl.Expr:
    """The parameters of a long request as a query string (``request.query``, filled by the application profile)."""
    return pl.col("request.query")


#: Evidence a match may rest on, strongest first (``ip_match`` names the first one present).
EVIDENCE = ("request_id", "session", "client", "forwarded_first", "params", "url")
#: Evidence that names one request (or one client) by itself; the others need no rival.
UNIQUE_EVIDENCE = ("request_id", "session", "client", "forwarded_first")


def _app_params(app: pl.DataFrame) -> pl.Expr:
    """The GET parameters a long-request row stored, as a query string; null when it stored none.

    Only rows that carry parameters can be matched by them: an empty parameter set would match
    any page request of the window.
    """
    q = _params_query()
    return pl.when(pl.col("event.action").is_in(PARAM_ACTIONS) & (q.str.len_chars() > 0)).then(q)


def _opt(df: pl.DataFrame, name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
    """A column of ``df`` when present, else typed nulls (frames built by hand may lack it)."""
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=dtype)


def _empty_matches() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "app_row": pl.Int64,
            "web_row": pl.Int64,
            "session.web": pl.String,
            "client.ip": pl.String,
            "ip_match": pl.String,
            "evidence": pl.List(pl.String),
            "ua_match": pl.Boolean,
            "dt": pl.Float64,
            "confidence": pl.Float64,
            "reason": pl.String,
        }
    )


def _param_candidates(params: pl.DataFrame, web: pl.DataFrame, width: float) -> pl.DataFrame | None:
    """(app_row, web_row) pairs whose long-request parameters (as the profile labelled them) equal the request's."""
    if params.height == 0:
        return None
    # what the stored parameters mean was labelled by the application profile (request.*)
    labelled = params.select(
        "app_row",
        "_b",
        pl.col("_pact"),
        pl.col("_pview"),
        pl.col("_pmin"),
        pl.col("_pmax"),
        pl.col("_poff"),
        pl.col("_plim"),
    ).filter(pl.col("_pact").is_not_null())
    if labelled.height == 0:
        return None
    pcand = web.select(
        pl.col("_row").alias("web_row"),
        pl.col("activity").cast(pl.String).alias("_wact"),
        "activity.view",
        "export.date_min",
        "export.date_max",
        "api.offset",
        "api.limit",
        _bucket(pl.col("@timestamp"), width).alias("_b"),
    ).join(labelled.select(pl.col("_b").unique()), on="_b", how="semi")
    jp = labelled.join(pcand, on="_b", how="inner")
    same = (
        (pl.col("_pact") == pl.col("_wact"))
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
    return jp.filter(same.fill_null(False)).select("app_row", "web_row", pl.lit(True).alias("_same_params"))


def match_app_to_web(
    app: pl.DataFrame, web: pl.DataFrame, thresholds: Thresholds = DEFAULT, tol: float = 10.0
) -> pl.DataFrame:
    """Best web request for each application event; one row per matched event.

    A pair is a candidate only on what both rows actually carry: the same request id, the
    same session id, the address the application stored being the request's client (or its
    first X-Forwarded-For value), the same long-request parameters (Mediboard rows that
    stored some), or the same URL path, within ``tol`` seconds (the clocks' measured
    uncertainty; a shared request id is believed up to an hour apart).  Anything both carry must
    agree: a stored address that is neither the client nor its forwarded claim, another path,
    another method, another request id or session id rules the pair out.  A row matched only
    by URL or parameters stays unlinked when requests from more than one client fit equally:
    it is not given to the nearest stranger.

    Needs (app): ``_row``, ``@timestamp``, ``event.action``, ``source.ip``,
    ``user_agent.original``, ``account``, ``labels``; optional ``session.id``,
    ``http.request.id``, ``url.path``, ``http.request.method``.  Needs (web): ``_row``,
    ``@timestamp``, ``source.ip``, ``network.forwarded_first``, ``user_agent.original``,
    ``session.web``, ``activity`` columns; optional ``session.id``, ``http.request.id``.
    Returns ``app_row``, ``web_row``, ``session.web``, ``client.ip``, ``ip_match`` (the
    strongest evidence: request_id, session, client, forwarded_first, params, url),
    ``evidence`` (all of it), ``ua_match``, ``dt``, ``confidence``, ``reason``.
    """
    empty = _empty_matches()
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
        _app_params(app).alias("_q"),
        _opt(app, "session.id").alias("_asid"),
        _opt(app, "http.request.id").alias("_arid"),
        _opt(app, "url.path").alias("_apath"),
        _opt(app, "http.request.method").str.to_uppercase().alias("_amethod"),
        _opt(app, "request.activity").alias("_pact"),
        _opt(app, "request.view").alias("_pview"),
        _opt(app, "request.date_min").alias("_pmin"),
        _opt(app, "request.date_max").alias("_pmax"),
        _opt(app, "request.offset", pl.Int64()).alias("_poff"),
        _opt(app, "request.limit", pl.Int64()).alias("_plim"),
    )
    if ev.height == 0:
        return empty
    cand = web.select(
        pl.col("_row").alias("web_row"),
        pl.col("source.ip").alias("_client"),
        pl.col("network.forwarded_first").alias("_fwd"),
        _opt(web, "session.id").alias("_wsid"),
        _opt(web, "http.request.id").alias("_wrid"),
        pl.col("url.path").alias("_wpath"),
        _bucket(pl.col("@timestamp"), width).alias("_b"),
    )
    buckets = cand.get_column("_b")
    in_order = buckets.is_sorted()
    # each event's best request depends on its own candidates only: events are matched a slice
    # at a time, against the requests of the slice's time span, so that the candidate pairs
    # (one per request of the same client in the window: millions in a large case) never
    # exist all at once
    parts = []
    for start in range(0, ev.height, MATCH_SLICE):
        part = ev.slice(start, MATCH_SLICE)
        first = part.select(_bucket(pl.col("_at").min() - pl.duration(microseconds=tol_us), width)).item()
        last = part.select(_bucket(pl.col("_at").max() - pl.duration(microseconds=tol_us), width) + 1).item()
        if first is None or last is None:
            near, near_web = cand, web
        elif in_order:
            lo = int(buckets.search_sorted(first, side="left"))
            hi = int(buckets.search_sorted(last, side="right"))
            near, near_web = cand.slice(lo, hi - lo), web.slice(lo, hi - lo)
        else:
            keep = buckets.is_between(first, last)
            near, near_web = cand.filter(keep), web.filter(keep)
        found = _match_slice(part, web, cand, near, near_web, thresholds, tol)
        if found.height:
            parts.append(found)
    return _described(pl.concat(parts).sort("app_row")) if parts else empty


def _match_slice(
    ev: pl.DataFrame,
    web: pl.DataFrame,
    cand: pl.DataFrame,
    near: pl.DataFrame,
    near_web: pl.DataFrame,
    thresholds: Thresholds,
    tol: float,
) -> pl.DataFrame:
    """``match_app_to_web`` for some application events: ``cand`` is every request's keys,
    ``near`` (rows of ``near_web``) the requests in the events' time span."""
    empty = _empty_matches()
    width = max(2 * tol, 1.0)
    tol_us = int(tol * _US)
    # buckets of width 2*tol: the window [t - tol, t + tol] touches at most two of them
    early = _bucket(pl.col("_at") - pl.duration(microseconds=tol_us), width)
    # each event twice, once per bucket, with only what the candidate joins read (not the
    # user agent, account and times); the pairs they make are deduplicated and ranked, so
    # their order does not matter
    keys = ev.select(*_JOIN_KEYS, early.alias("_b"))
    evb = pl.concat([keys, keys.with_columns(pl.col("_b") + 1)])
    pairs: list[pl.DataFrame] = []
    rid = ev.filter(pl.col("_arid").is_not_null()).select("app_row", "_arid")
    if rid.height:
        # a shared request id is believed up to an hour apart: every request is a candidate
        pairs.append(rid.join(cand, left_on="_arid", right_on="_wrid").select("app_row", "web_row"))
    cand = near
    sid = evb.filter(pl.col("_asid").is_not_null()).select("app_row", "_b", "_asid")
    if sid.height and cand.get_column("_wsid").null_count() < cand.height:
        pairs.append(sid.join(cand, left_on=["_b", "_asid"], right_on=["_b", "_wsid"]).select("app_row", "web_row"))
    by_ip = evb.filter(pl.col("_stored").is_not_null()).select("app_row", "_b", "_stored")
    if by_ip.height:
        pairs.append(
            by_ip.join(cand, left_on=["_b", "_stored"], right_on=["_b", "_client"]).select("app_row", "web_row")
        )
        fwd = cand.filter(pl.col("_fwd").is_not_null() & (pl.col("_fwd") != pl.col("_client")))
        pairs.append(by_ip.join(fwd, left_on=["_b", "_stored"], right_on=["_b", "_fwd"]).select("app_row", "web_row"))
    # rows with nothing more specific: the URL they name
    by_path = evb.filter(
        pl.col("_apath").is_not_null()
        & pl.col("_arid").is_null()
        & pl.col("_asid").is_null()
        & pl.col("_stored").is_null()
    ).select("app_row", "_b", "_apath")
    if by_path.height:
        pairs.append(
            by_path.join(cand, left_on=["_b", "_apath"], right_on=["_b", "_wpath"]).select("app_row", "web_row")
        )
    same_params = _param_candidates(evb.filter(pl.col("_q").is_not_null()), near_web, width)
    if same_params is not None:
        pairs.append(same_params.select("app_row", "web_row"))
    pairs = [p for p in pairs if p.height]
    if not pairs:
        return empty
    m = pl.concat(pairs).unique()
    # only the candidate requests are read (binary search on the row number)
    needed = ["@timestamp", "source.ip", "network.forwarded_first", "user_agent.original", "http.request.method"]
    needed += ["http.response.status_code", "activity", "url.path"]
    needed += [c for c in ("session.id", "http.request.id") if c in web.columns]
    cands = rows_of(web, m.get_column("web_row"), needed)
    web_side = cands.select(
        pl.col("_row").alias("web_row"),
        pl.col("@timestamp").alias("_wt"),
        pl.col("source.ip").alias("client.ip"),
        pl.col("network.forwarded_first").alias("_fwd"),
        pl.col("user_agent.original").alias("_wua"),
        pl.col("http.request.method").alias("_method"),
        pl.col("http.response.status_code").alias("_status"),
        "activity",
        _opt(cands, "session.id").alias("_wsid"),
        _opt(cands, "http.request.id").alias("_wrid"),
        pl.col("url.path").alias("_wpath"),
    )
    m = m.join(ev.drop(_PARAM_KEYS), on="app_row").join(web_side, on="web_row")
    if same_params is not None:
        m = m.join(same_params.unique(["app_row", "web_row"]), on=["app_row", "web_row"], how="left")
    else:
        m = m.with_columns(pl.lit(None, dtype=pl.Boolean).alias("_same_params"))
    m = m.with_columns(((pl.col("_wt") - pl.col("_at")).dt.total_microseconds()).alias("_dtus"))

    def both(a: str, b: str) -> pl.Expr:
        return pl.col(a).is_not_null() & pl.col(b).is_not_null()

    same_rid = both("_arid", "_wrid") & (pl.col("_arid") == pl.col("_wrid"))
    same_sid = both("_asid", "_wsid") & (pl.col("_asid") == pl.col("_wsid"))
    same_client = pl.col("_stored").is_not_null() & (pl.col("_stored") == pl.col("client.ip"))
    same_fwd = pl.col("_stored").is_not_null() & ~same_client.fill_null(False) & (pl.col("_stored") == pl.col("_fwd"))
    same_path = both("_apath", "_wpath") & (pl.col("_apath") == pl.col("_wpath"))
    same_method = both("_amethod", "_method") & (pl.col("_amethod") == pl.col("_method"))
    m = m.with_columns(
        same_rid.fill_null(False).alias("_e_rid"),
        same_sid.fill_null(False).alias("_e_sid"),
        same_client.fill_null(False).alias("_e_client"),
        same_fwd.fill_null(False).alias("_e_fwd"),
        pl.col("_same_params").fill_null(False).alias("_e_params"),
        same_path.fill_null(False).alias("_e_url"),
        same_method.fill_null(False).alias("_e_method"),
    )
    # what both carry must agree; time within the tolerance
    conflict = (
        (both("_arid", "_wrid") & ~pl.col("_e_rid"))
        | (both("_asid", "_wsid") & ~pl.col("_e_sid"))
        | (pl.col("_stored").is_not_null() & ~pl.col("_e_client") & ~pl.col("_e_fwd"))
        | (both("_apath", "_wpath") & ~pl.col("_e_url"))
        | (both("_amethod", "_method") & ~pl.col("_e_method"))
    ).fill_null(False)
    # a shared request id names the request whatever the clocks say (within an hour: ids of a
    # weak generator may repeat over days); anything else must fall within the tolerance
    in_time = (pl.col("_dtus").abs() <= tol_us) | (pl.col("_e_rid") & (pl.col("_dtus").abs() <= 3600 * _US))
    m = m.filter(~conflict & in_time)
    if m.height == 0:
        return empty
    how = (
        pl.when(pl.col("_e_rid"))
        .then(pl.lit("request_id"))
        .when(pl.col("_e_sid"))
        .then(pl.lit("session"))
        .when(pl.col("_e_client"))
        .then(pl.lit("client"))
        .when(pl.col("_e_fwd"))
        .then(pl.lit("forwarded_first"))
        .when(pl.col("_e_params"))
        .then(pl.lit("params"))
        .otherwise(pl.lit("url"))
    )
    m = m.with_columns(how.alias("ip_match"))
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
        .then(pl.col("_method").is_in(["POST", "PUT", "PATCH", "DELETE"]))
        .otherwise(pl.lit(True))
        .fill_null(False)
    )
    ua_match = (pl.col("_aua") == pl.col("_wua")).fill_null(False)
    score = (
        status_ok.cast(pl.Float64) * 4
        + pl.col("_e_rid").cast(pl.Float64) * 8
        + pl.col("_e_sid").cast(pl.Float64) * 3
        + ua_match.cast(pl.Float64) * 2
        + pl.col("_e_client").cast(pl.Float64)
        + pl.col("_e_params").cast(pl.Float64) * 2
        + pl.col("_e_url").cast(pl.Float64) * 2
        + pl.col("_e_method").cast(pl.Float64) * 0.5
        - pl.col("_dtus").abs().cast(pl.Float64) / max(tol_us, 1)
    )
    m = m.with_columns(status_ok.alias("_ok"), ua_match.alias("ua_match"), score.alias("_score"))
    # a row matched only by URL or parameters, with several clients fitting as well: nobody's
    weak = ~pl.col("ip_match").is_in(list(UNIQUE_EVIDENCE))
    top = pl.col("_score").max().over("app_row")
    rivals = pl.col("client.ip").filter(pl.col("_score") >= top - 1.0).n_unique().over("app_row")
    # only the events with a weak candidate can lose one: the clients fitting as well are
    # counted for them alone (a window over every candidate pair was a fifth of the matching)
    contested = m.filter(weak).get_column("app_row").unique()
    if contested.len():
        inside = pl.col("app_row").is_in(contested.implode())
        kept = m.filter(inside).filter(~(weak & (rivals > 1)))
        m = pl.concat([m.filter(~inside), kept])
    if m.height == 0:
        return empty
    # each event's best candidate: the order is found on the three keys alone, and only the
    # first row of each event is gathered (sorting every candidate's columns cost more)
    order = m.select(
        pl.arg_sort_by(["app_row", "_score", "web_row"], descending=[False, True, False]).alias("_i")
    ).to_series()
    first = m.select(pl.col("app_row").gather(order).is_first_distinct()).to_series()
    best = m[order.filter(first)]
    more = rows_of(web, best.get_column("web_row"), ["session.web", "url.path"]).rename(
        {"_row": "web_row", "url.path": "_path"}
    )
    return best.join(more, on="web_row", how="left").select(_BEST)


#: The columns of an application event the candidate joins read (``_match_slice``), and
#: those only the long-request parameters' test reads.
_PARAM_KEYS = ("_q", "_pact", "_pview", "_pmin", "_pmax", "_poff", "_plim")
_JOIN_KEYS = ("app_row", "_asid", "_stored", "_apath", "_arid", *_PARAM_KEYS)

#: What ``_match_slice`` keeps of an event's best candidate for ``_described``.
_BEST = (
    "app_row", "web_row", "session.web", "client.ip", "ip_match", "ua_match", "_ok", "_dtus", "_action", "_account",
    "_at", "_method", "_path", "_status", "_wt", "_stored", "_e_rid", "_e_sid", "_e_client", "_e_fwd", "_e_params",
    "_e_url", "_e_method",
)  # fmt: skip


def _described(best: pl.DataFrame) -> pl.DataFrame:
    """The matches as ``match_app_to_web`` returns them: evidence, confidence and reason in words.

    Computed once over every slice's matches: polars divides a one-row column exactly and a
    longer one by the reciprocal, so a slice of one row would differ in the last bit.
    """
    conf = (
        pl.lit(0.55)
        + pl.when(pl.col("_ok")).then(0.2).otherwise(0.0)
        + pl.when(pl.col("ua_match")).then(0.15).otherwise(0.0)
        + pl.when(pl.col("_e_rid"))
        .then(0.2)
        .when(pl.col("_e_sid") | pl.col("_e_params"))
        .then(0.1)
        .when(pl.col("_e_client"))
        .then(0.09)
        .when(pl.col("ip_match") == "url")
        .then(-0.1)
        .otherwise(0.0)
    ).clip(0, 0.99)
    dt_s = pl.col("_dtus").cast(pl.Float64) / _US
    evidence = tag_column(
        best,
        {
            "request_id": pl.col("_e_rid"),
            "session": pl.col("_e_sid"),
            "client": pl.col("_e_client"),
            "forwarded_first": pl.col("_e_fwd"),
            "params": pl.col("_e_params"),
            "url": pl.col("_e_url"),
            "method": pl.col("_e_method"),
            "user_agent": pl.col("ua_match"),
        },
    )
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
            pl.when(pl.col("_e_fwd"))
            .then(
                pl.concat_str(
                    [
                        pl.lit("; the application stored "),
                        pl.col("_stored"),
                        pl.lit(", the first X-Forwarded-For value, which the client controls"),
                    ]
                )
            )
            .otherwise(pl.lit("")),
            pl.when(pl.col("_e_params")).then(pl.lit("; same request parameters")).otherwise(pl.lit("")),
            pl.when(pl.col("_e_client")).then(pl.lit("; the address the application stored")).otherwise(pl.lit("")),
            pl.when(pl.col("_e_rid")).then(pl.lit("; same request id")).otherwise(pl.lit("")),
            pl.when(pl.col("_e_sid")).then(pl.lit("; same session id")).otherwise(pl.lit("")),
            pl.when(pl.col("_e_url") & pl.col("_e_method"))
            .then(pl.lit("; same URL and method"))
            .when(pl.col("_e_url"))
            .then(pl.lit("; same URL"))
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
        evidence.alias("evidence"),
        "ua_match",
        dt_s.alias("dt"),
        conf.alias("confidence"),
        reason.alias("reason"),
    )


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
                *(["auth.method"] if "auth.method" in app.columns else []),
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
        _per_request_auth = (
            pl.col("auth.method").is_in(API_METHODS).fill_null(False)  # lower-cased by prepare_app
            if "auth.method" in ev.columns
            else pl.lit(False)
        )
        ev_sess = (
            ev.filter(pl.col("session.app").is_not_null() & (pl.col("event.action") != "login_failed"))
            .group_by("session.app", "session.web")
            .agg(
                pl.col("confidence").max().alias("account.confidence"),
                pl.col("reason")
                .sort_by("confidence", "reason", descending=[True, False])
                .first()
                .alias("account.reason"),
                # the web request the login itself was (web clock): what the client sent before
                # it (fetching the login form) was sent by nobody logged in yet; not for methods
                # that authenticate every request (Basic, a key), where the row is one of many
                pl.when((pl.col("event.action") == "login") & ~_per_request_auth)
                .then(pl.col("@timestamp") + pl.duration(microseconds=(pl.col("dt") * _US).round(0).cast(pl.Int64)))
                .min()
                .alias("_lw"),
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
    """Clip a web session to the span of its application session (login - tol .. end + tol).

    When the login was matched to its own web request (``_lw``), the span starts at that
    request: the requests the same client sent before it (the login form) were anonymous, and
    dating the account's use from them would put its first use seconds too early.
    """
    login = pl.col("_lw") if "_lw" in pairs.columns else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    start = pl.max_horizontal(pl.col("_wf"), pl.coalesce(login, pl.col("_af") - tol_d))
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
    c = _continuation_pairs(free, attributed, gap, tol_d)
    if c.height == 0:
        return pl.DataFrame(schema=out_schema)
    # the latest to stop wins; two that stopped together, the later application session, then
    # the later web session (ids are numbered in time order), whatever order the pairs came in
    c = c.sort(["session.web", "_pl", "session.app", "_prev"], descending=[False, True, True, True]).unique(
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


def _continuation_pairs(free: pl.DataFrame, attributed: pl.DataFrame, gap: pl.Expr, tol_d: pl.Expr) -> pl.DataFrame:
    """Every (free web session, attributed one) pair that may continue it: same user agent, the
    free one starting from the other's end to ``gap`` after, from another address, while the
    application session is open.

    A case has few user agents, so joining on the user agent alone paired most free sessions
    with most attributed ones (about 1.4 GB of pairs at 10 M events, all but a few dropped by
    the time test). The free sessions are taken a slice at a time, in start order, and joined
    with the attributed sessions that ended within the slice's span (``gap`` before its first
    start to its last): a pair the time test keeps always falls in that span, so the pairs
    kept are the same, in another order (the caller sorts them).
    """
    open_ok = pl.col("_open") | (pl.col("_wf") <= pl.col("_al") + tol_d)
    keep = (
        (pl.col("_wf") >= pl.col("_pl"))
        & (pl.col("_wf") <= pl.col("_pl") + gap)
        & open_ok
        & (pl.col("_wip") != pl.col("_pip"))
    )
    # a null time fails the time test: such sessions never pair
    free = free.drop_nulls("_wf").sort("_wf")
    attributed = attributed.drop_nulls("_pl").sort("_pl")
    ends = attributed.get_column("_pl")
    parts = []
    for start in range(0, free.height, CONTINUATION_SLICE):
        part = free.slice(start, CONTINUATION_SLICE)
        lo = part.select(pl.col("_wf").first() - gap).item()
        hi = part.get_column("_wf").last()
        a = int(ends.search_sorted(lo, side="left"))
        b = int(ends.search_sorted(hi, side="right"))
        if b > a:
            parts.append(part.join(attributed.slice(a, b - a), on="_wua", how="inner").filter(keep))
    if not parts:
        return free.clear().join(attributed.clear(), on="_wua", how="inner")
    return pl.concat(parts)


def _still_open(out: pl.DataFrame, iv: pl.DataFrame) -> pl.DataFrame:
    """Requests after the latest login's session ended go to an earlier session still open.

    Two sessions of one account on one client (the same desk and browser): when the later
    one is closed, the requests that follow belong to the earlier one, which was never
    closed, not to nobody.  Among the sessions open at the request, the latest login wins.
    """
    lost = out.with_row_index("_k").filter(
        pl.col("_acc").is_null() & pl.col("session.web").is_in(iv.get_column("session.web").unique().to_list())
    )
    if lost.height == 0:
        return out
    cand = (
        lost.select("_k", "@timestamp", "session.web")
        .join(iv, on="session.web")
        .filter(
            (pl.col("_s") <= pl.col("@timestamp")) & pl.col("_e").is_not_null() & (pl.col("@timestamp") <= pl.col("_e"))
        )
        .sort("_k", "_s", "_conf", "_sa", "_acc")
        .group_by("_k", maintain_order=True)
        .last()
        .select("_k", pl.col("_acc").alias("_acc2"), pl.col("_sa").alias("_sa2"), pl.col("_conf").alias("_conf2"))
    )
    if cand.height == 0:
        return out
    return (
        out.with_row_index("_k")
        .join(cand, on="_k", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_acc", "_acc2").alias("_acc"),
            pl.coalesce("_sa", "_sa2").alias("_sa"),
            pl.coalesce("_conf", "_conf2").alias("_conf"),
        )
        .drop("_k", "_acc2", "_sa2", "_conf2")
    )


def attribute_matched(web: pl.DataFrame, app: pl.DataFrame) -> pl.DataFrame:
    """A request matched to an application row of a known session belongs to that session.

    The application wrote which session served the request (its audit row, tied to the
    request by ``app_event_web``); when two sessions of one account share a client (the same
    desk and browser), that beats the latest-login rule.  Same rows, same order.
    """
    need = {"web.row", "session.app", "account"}
    if web.height == 0 or not need <= set(app.columns) or "account.session" not in web.columns:
        return web
    m = (
        app.filter(
            pl.col("web.row").is_not_null() & pl.col("session.app").is_not_null() & pl.col("account").is_not_null()
        )
        .group_by("web.row")
        .agg(pl.col("session.app").first().alias("_sa"), pl.col("account").first().alias("_acc"), pl.len().alias("_n"))
        .filter(pl.col("_n") == 1)
        .select(pl.col("web.row").alias("_row"), "_sa", "_acc")
    )
    if m.height == 0:
        return web
    out = web.join(m, on="_row", how="left", maintain_order="left")
    # only between sessions of the same account: who the request belongs to is not changed
    same = pl.col("_acc").is_not_null() & (pl.col("_acc") == pl.col("account"))
    return out.with_columns(
        pl.when(same).then(pl.col("_sa")).otherwise(pl.col("account.session")).alias("account.session")
    ).drop("_sa", "_acc")


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
    out = _still_open(out, iv)
    if not in_order:
        out = out.sort("_i").drop("_i")
    failed = pl.col("activity") == "login_failed" if "activity" in out.columns else pl.lit(False)
    return out.with_columns(
        pl.when(~failed).then(pl.col("_acc")).alias("account"),
        pl.when(~failed).then(pl.col("_sa")).alias("account.session"),
        pl.when(~failed).then(pl.col("_conf")).alias("account.confidence"),
    ).drop("_acc", "_sa", "_conf")
