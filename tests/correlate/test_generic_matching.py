"""Application rows of a generic (mapped) audit trail are matched to web requests only on what both carry."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate import correlate
from tests.correlate.builder import CHROME, FIREFOX, PYREQ, Case, utc

AUDIT = "api01/audit/audit.jsonl"


def _audit(c: Case, ts, action: str, user: str, **fields) -> dict:
    return c._add(
        AUDIT,
        "jsonl",
        ts,
        **{"event.action": action, "event.outcome": "success", "event.category": "application", "user.name": user},
        **fields,
    )


def _run(c: Case, tmp_path):
    return correlate(c.write(tmp_path / "out"))


def _busy_web(c: Case, t) -> None:
    """Ordinary page requests of other people around ``t``, from several addresses."""
    for k, ip in enumerate(["198.51.100.20", "198.51.100.21", "10.20.1.5", "10.20.1.6"]):
        for s in range(-8, 9, 4):
            c.web(t + timedelta(seconds=s, milliseconds=10 * k), ip, "/app/dashboard", ua=CHROME, direct=True)


def test_a_row_with_nothing_to_compare_is_left_unlinked(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    _busy_web(c, t)
    # an API call and an export with no address, no parameters, no URL, no request id
    _audit(c, t, "api_call", "j.roux")
    _audit(c, t + timedelta(seconds=1), "export", "j.roux")
    r = _run(c, tmp_path)
    app = r.context.app
    assert app.get_column("web.row").null_count() == app.height
    assert r.links.filter(pl.col("kind") == "app_event_web").height == 0
    assert not [f for f in r.findings["findings"] if f["detector"] == "xff_spoof"]
    assert r.findings["attacker_ips"] == []
    # nobody's requests are given to j.roux
    assert r.context.web.get_column("account").null_count() == r.context.web.height


def test_request_id_links_exactly_and_says_so(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    _busy_web(c, t)
    w = c.web(
        t + timedelta(seconds=2), "198.51.100.30", "/api/v1/customers", "page=2&per_page=50", ua=PYREQ, direct=True
    )
    w["http.request.id"] = "req-7f3a"
    _audit(c, t + timedelta(seconds=2.4), "api_call", "svc.sync", **{"http.request.id": "req-7f3a", "object.count": 50})
    r = _run(c, tmp_path)
    link = r.links.filter(pl.col("kind") == "app_event_web").row(0, named=True)
    assert "same request id" in link["reason"]
    assert r.context.app.row(0, named=True)["client.ip"] == "198.51.100.30"


def test_url_alone_is_not_enough_when_several_clients_fit(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    c.web(t, "198.51.100.40", "/api/v1/customers", "page=1", ua=CHROME, direct=True)
    c.web(t + timedelta(seconds=1), "198.51.100.41", "/api/v1/customers", "page=1", ua=FIREFOX, direct=True)
    _audit(c, t + timedelta(seconds=0.5), "api_call", "a.martin", **{"url.path": "/api/v1/customers"})
    # one client only: the URL and the method tie it
    c.web(t + timedelta(minutes=5), "198.51.100.42", "/api/v1/invoices/17", ua=CHROME, direct=True)
    _audit(
        c,
        t + timedelta(minutes=5, seconds=0.3),
        "api_call",
        "b.durand",
        **{"url.path": "/api/v1/invoices/17", "http.request.method": "GET"},
    )
    r = _run(c, tmp_path)
    app = r.context.app.sort("@timestamp")
    assert app.row(0, named=True)["web.row"] is None
    second = app.row(1, named=True)
    assert second["client.ip"] == "198.51.100.42"
    link = r.links.filter(pl.col("kind") == "app_event_web").row(0, named=True)
    assert "same URL and method" in link["reason"]


def test_stored_address_must_agree(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    c.web(t, "198.51.100.50", "/api/v1/customers/4", ua=CHROME, direct=True)
    # the row says it came from another address: not that request
    _audit(c, t, "api_call", "c.blanc", **{"url.path": "/api/v1/customers/4", "source.ip": "198.51.100.99"})
    r = _run(c, tmp_path)
    assert r.context.app.row(0, named=True)["web.row"] is None
    assert not [f for f in r.findings["findings"] if f["detector"] == "xff_spoof"]


def test_mediboard_long_request_without_parameters_matches_nothing(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 12, 10, 5)
    _busy_web(c, t)
    c.long_request(t, "d.leroy", 1200, {}, 4.2)
    r = _run(c, tmp_path)
    assert r.links.filter(pl.col("kind") == "app_event_web").height == 0


def test_account_change_targets_reach_the_persistence_finding(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    c.web(t - timedelta(hours=2), "10.20.1.5", "/app/dashboard", ua=CHROME, direct=True)
    _audit(c, t, "account_created", "it.admin", **{"user.target.name": "svc.backup", "source.ip": "10.20.1.5"})
    _audit(
        c,
        t + timedelta(minutes=1),
        "account_created",
        "it.admin",
        **{"user.target.name": "apikey:reporting-2", "source.ip": "10.20.1.5"},
    )
    _audit(
        c,
        t + timedelta(minutes=2),
        "permission_changed",
        "it.admin",
        **{"user.target.name": "svc.backup", "user.changes.roles": ["admin"], "source.ip": "10.20.1.5"},
    )
    r = _run(c, tmp_path)
    (f,) = [f for f in r.findings["findings"] if f["detector"] == "persistence"]
    assert f["details"]["created_accounts"] == ["apikey:reporting-2", "svc.backup"]
    assert f["details"]["permission_changes"] == 1


def test_request_id_survives_a_clock_error_beyond_the_tolerance(tmp_path):
    c = Case()
    t = utc(2024, 10, 22, 10, 0, 0)
    w = c.web(t, "198.51.100.31", "/api/v1/customers/9", ua=PYREQ, direct=True)
    w["http.request.id"] = "req-9b1"
    # the application's clock is 40 s ahead: outside the 10 s tolerance, the id still names the request
    _audit(c, t + timedelta(seconds=40), "record_read", "svc.sync", **{"http.request.id": "req-9b1"})
    _audit(c, t + timedelta(seconds=40), "record_read", "svc.sync", **{"url.path": "/api/v1/customers/9"})
    r = _run(c, tmp_path)
    app = r.context.app.sort("_row")
    assert app.get_column("web.row").null_count() == 1  # the URL alone is bound by the tolerance
    assert "same request id" in r.links.filter(pl.col("kind") == "app_event_web").row(0, named=True)["reason"]
