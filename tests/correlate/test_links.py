"""Cross-source links: forged address reconciliation, parameters, overlap, continuation, attribution."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate import correlate
from tests.correlate.builder import CHROME, FIREFOX, PYREQ, Case, config, utc


def _run(c, tmp_path, **kw):
    return correlate(c.frame(), config(tmp_path), **kw)


def test_forged_forwarded_address_is_reconciled(tmp_path):
    c = Case()
    t = utc(2024, 10, 26, 23, 58, 10)
    c.login(
        t + timedelta(seconds=2), "adm.interop", 1042, "stateless1", "10.20.3.47", PYREQ, method="basic", screen=None
    )
    for k in range(5):
        c.web(
            t + timedelta(seconds=2 * k),
            "203.0.113.201",
            "/mediboard/api/dossierpatient/patients",
            f"offset={100 * k}&limit=100",
            ua=PYREQ,
            xff="10.20.3.47, 203.0.113.201",
        )
    c.session_end(t + timedelta(seconds=9), "adm.interop", 1042, "stateless1", "10.20.3.47", PYREQ)
    r = _run(c, tmp_path)
    app = r.context.app.filter(pl.col("event.action") == "login").row(0, named=True)
    assert app["source.ip"] == "10.20.3.47"
    assert app["client.ip"] == "203.0.113.201" and app["client.basis"] == "proxy_observed"
    link = r.links.filter(pl.col("kind") == "app_login_web").row(0, named=True)
    assert "the application stored 10.20.3.47, the first X-Forwarded-For value" in link["reason"]
    assert link["account"] == "adm.interop"
    web = r.context.web
    assert web.get_column("account").to_list() == ["adm.interop"] * 5
    assert r.findings["spoofed_ips"] == ["10.20.3.47"]
    assert "10.20.3.47" not in r.findings["attacker_ips"]


def test_unmatched_application_address_stays_forgeable(tmp_path):
    c = Case()
    c.login(utc(2024, 10, 21, 8, 0), "a.petit", 1105, "s1", "10.20.1.5", CHROME)
    r = _run(c, tmp_path)
    app = r.context.app.row(0, named=True)
    assert app["client.ip"] == "10.20.1.5" and app["client.basis"] == "application"


def test_long_request_matched_by_parameters(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 12, 10, 5)
    q = "m=dPpatients&raw=ajax_export_patients_csv&date_min=2024-09-01&date_max=2024-09-30&patient_id="
    c.web(
        t - timedelta(seconds=3),
        "10.20.5.12",
        query="m=dPpatients&raw=ajax_export_patients_csv&date_min=2024-08-01&date_max=2024-08-31&patient_id=",
    )
    c.web(t, "10.20.5.12", query=q, nbytes=1_000_000, duration=14)
    c.long_request(
        t + timedelta(seconds=2),
        "m.lefevre",
        1104,
        {"m": "dPpatients", "raw": "ajax_export_patients_csv", "date_min": "2024-09-01", "date_max": "2024-09-30"},
        14,
    )
    r = _run(c, tmp_path)
    link = r.links.filter(pl.col("kind") == "app_event_web").row(0, named=True)
    web = r.context.web.sort("@timestamp")
    assert link["right_row"] == web.get_column("_row")[1]
    assert "same request parameters" in link["reason"]
    # a long request that names its user attributes a web session no login explains
    assert web.get_column("account").to_list() == ["m.lefevre", "m.lefevre"]


def test_overlap_links_a_session_no_event_explains(tmp_path):
    c = Case()
    t = utc(2024, 10, 21, 8, 0)
    c.web(t, "10.20.1.5", method="POST", ua=CHROME)
    c.login(t + timedelta(seconds=1), "a.petit", 1105, "s1", "10.20.1.5", CHROME)
    c.web(t + timedelta(minutes=1), "10.20.1.5", query="m=dPcabinet&tab=edit_planning", ua=CHROME)
    # 40 minutes of silence: a new web session, same desk and browser, application session still open
    for k in range(3):
        c.web(t + timedelta(minutes=41 + k), "10.20.1.5", query="m=dPcabinet&tab=edit_planning", ua=CHROME)
    c.session_end(t + timedelta(minutes=60), "a.petit", 1105, "s1", "10.20.1.5", CHROME)
    # another browser on the same desk is not linked
    c.web(t + timedelta(minutes=42), "10.20.1.5", query="m=dPcabinet&tab=edit_planning", ua=FIREFOX)
    r = _run(c, tmp_path)
    web = r.context.web.sort("@timestamp")
    assert web.filter(pl.col("user_agent.original") == CHROME).get_column("account").to_list() == ["a.petit"] * 5
    assert web.filter(pl.col("user_agent.original") == FIREFOX).get_column("account").to_list() == [None]
    overlap = r.links.filter(pl.col("kind") == "app_session_web")
    assert overlap.height == 1 and "times overlap" in overlap.get_column("reason")[0]


def test_continuation_after_a_circuit_change(tmp_path):
    c = Case()
    t = utc(2024, 10, 26, 23, 58, 10)
    # the application keeps the first address of the day; the client changes address mid-way
    c.login(
        t + timedelta(seconds=1), "adm.interop", 1042, "stateless1", "203.0.113.201", PYREQ, method="basic", screen=None
    )
    for k in range(10):
        c.web(t + timedelta(seconds=2 * k), "203.0.113.201", f"/mediboard/api/dossierpatient/patients/{k}", ua=PYREQ)
    for k in range(10, 20):
        c.web(t + timedelta(seconds=2 * k), "203.0.113.202", f"/mediboard/api/dossierpatient/patients/{k}", ua=PYREQ)
    r = _run(c, tmp_path)
    cont = r.links.filter(pl.col("kind") == "web_continuation")
    assert cont.height == 1
    assert "continues web session" in cont.get_column("reason")[0]
    assert r.context.web.get_column("account").to_list() == ["adm.interop"] * 20


def test_failed_login_attempts_belong_to_nobody(tmp_path):
    c = Case()
    t = utc(2024, 10, 21, 8, 0)
    c.web(t, "203.0.113.14", method="POST", status=401, ua=CHROME)
    c.failed(t + timedelta(seconds=1), "x.y", "203.0.113.14")
    c.web(t + timedelta(seconds=30), "203.0.113.14", method="POST", ua=CHROME)
    c.login(t + timedelta(seconds=31), "adm.interop", 1042, "s2", "203.0.113.14", CHROME, screen=None)
    c.web(t + timedelta(seconds=60), "203.0.113.14", method="POST", status=401, ua=CHROME)
    c.web(t + timedelta(seconds=65), "203.0.113.14", query="m=admin&tab=vw_edit_users", ua=CHROME)
    r = _run(c, tmp_path)
    web = r.context.web.sort("@timestamp")
    assert web.get_column("account").to_list() == [None, "adm.interop", None, "adm.interop"]


def test_missing_trusted_proxy_is_called_out():
    from forensics.config import CaseConfig

    c = Case()
    t = utc(2024, 10, 21, 8, 0)
    for k in range(10):
        # the proxy was not declared: every request seems to come from it
        c.web(t + timedelta(seconds=k), "10.10.0.5", query="m=dPcabinet&tab=vw_a", xff=f"10.20.1.{k}")
    r = correlate(c.frame(), CaseConfig())
    assert any("trusted_proxies" in w and "10.10.0.5" in w for w in r.findings["warnings"])


def test_shared_desk_two_open_sessions_the_later_login_takes_the_requests(tmp_path):
    """Two application sessions open on one ward desk (same address and browser) both cover a
    later web session: the requests go to the later login, the same way on every run."""
    c = Case()
    desk = "10.20.1.13"
    for user, uid, login, end in (
        ("b.fernandez", 1120, utc(2024, 10, 21, 3, 19), utc(2024, 10, 21, 6, 28)),
        ("n.colin", 1121, utc(2024, 10, 21, 4, 31), utc(2024, 10, 21, 8, 47)),
    ):
        c.web(login, desk, method="POST", ua=CHROME)
        c.login(login + timedelta(seconds=1), user, uid, f"s-{user}", desk, CHROME)
        c.session_end(end, user, uid, f"s-{user}", desk, CHROME)
    t = utc(2024, 10, 21, 5, 7)
    for k in range(40):
        c.web(t + timedelta(seconds=45 * k), desk, query="m=soins&tab=vw_bilan", ua=CHROME)
    for _ in range(3):
        r = _run(c, tmp_path)
        web = r.context.web.filter(pl.col("@timestamp") >= t)
        assert web.get_column("account").unique().to_list() == ["n.colin"]


def test_matching_a_slice_of_events_at_a_time_gives_the_same_matches(tmp_path, monkeypatch):
    """Events are matched in slices against the requests of each slice's time span: any slice
    size, and requests out of time order, give the matches of one pass over every event."""
    from forensics.correlate import links
    from tests.correlate import scenarios

    ctx = correlate(scenarios.attack_case().frame(), config(tmp_path)).context
    assert ctx is not None
    app, web = ctx.app, ctx.web
    whole = links.match_app_to_web(app, web, tol=10.0)
    assert whole.height > 100  # logins, changes, exports and API calls of the attack and the staff
    for size in (1, 7, 64):
        monkeypatch.setattr(links, "MATCH_SLICE", size)
        assert links.match_app_to_web(app, web, tol=10.0).equals(whole)
        shuffled = web.sample(fraction=1.0, shuffle=True, seed=size)
        assert links.match_app_to_web(app, shuffled, tol=10.0).equals(whole)


def test_the_login_form_fetched_before_logging_in_is_nobodys(tmp_path):
    """The account's use starts at the request that logged in, not at the form fetched before it
    (within the clock tolerance, but sent by nobody logged in yet)."""
    c = Case()
    t = utc(2024, 10, 21, 22, 0)
    c.web(t - timedelta(seconds=8), "203.0.113.14", ua=CHROME)  # the login form
    c.web(t, "203.0.113.14", method="POST", ua=CHROME)
    c.login(t + timedelta(seconds=1), "a.petit", 1105, "s1", "203.0.113.14", CHROME)
    c.web(t + timedelta(seconds=5), "203.0.113.14", query="m=dPcabinet&tab=edit_planning", ua=CHROME)
    r = _run(c, tmp_path)
    assert r.links.filter(pl.col("kind") == "app_login_web").height == 1
    web = r.context.web.sort("@timestamp")
    assert web.get_column("account").to_list() == [None, "a.petit", "a.petit"]


def _app_event(row: int, at, path: str, stored: str | None) -> dict:
    return {
        "_row": row,
        "@timestamp": at,
        "event.action": "record_read",
        "source.ip": stored,
        "user_agent.original": CHROME,
        "account": "a.petit",
        "labels": None,
        "request.query": None,
        "url.path": path,
        "http.request.method": "GET",
    }


def _web_request(row: int, at, client: str, path: str) -> dict:
    return {
        "_row": row,
        "@timestamp": at,
        "source.ip": client,
        "network.forwarded_first": None,
        "user_agent.original": CHROME,
        "session.web": f"W{row:06d}",
        "activity": "page",
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "url.path": path,
    }


def test_a_row_only_a_url_ties_to_requests_of_several_clients_stays_unlinked():
    """The rival rule: an event matched by URL alone goes to no one when requests of two clients
    fit as well; alone, the one client's request is its match; an event matched by its client
    address keeps its match whatever else fits its URL."""
    from forensics.correlate import links

    t = utc(2024, 10, 21, 9, 0)
    app = pl.DataFrame(
        [
            _app_event(1, t, "/contested", None),  # two clients' requests to it
            _app_event(2, t + timedelta(minutes=5), "/alone", None),  # one client's
            _app_event(3, t + timedelta(minutes=10), "/contested", "10.20.1.7"),  # its client's
        ],
        schema_overrides={"source.ip": pl.String, "labels": pl.String, "request.query": pl.String},
    )
    web = pl.DataFrame(
        [
            _web_request(10, t + timedelta(seconds=1), "10.20.1.5", "/contested"),
            _web_request(11, t + timedelta(seconds=1), "10.20.1.6", "/contested"),
            _web_request(12, t + timedelta(minutes=5, seconds=1), "10.20.1.5", "/alone"),
            _web_request(13, t + timedelta(minutes=10, seconds=1), "10.20.1.7", "/contested"),
            _web_request(14, t + timedelta(minutes=10, seconds=1), "10.20.1.8", "/contested"),
        ],
        schema_overrides={"network.forwarded_first": pl.String},
    )
    m = links.match_app_to_web(app, web, tol=10.0)
    got = {r["app_row"]: (r["web_row"], r["ip_match"]) for r in m.iter_rows(named=True)}
    assert got == {2: (12, "url"), 3: (13, "client")}
