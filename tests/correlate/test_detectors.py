"""Detector rules at their thresholds, and the look-alikes each must leave alone."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from forensics.correlate import correlate
from tests.correlate import scenarios
from tests.correlate.builder import CHROME, FIREFOX, Case, config, utc
from tests.correlate.scenarios import STAFF, _session, background, staff_ip


def _run(c, tmp_path, **kw):
    return correlate(c.frame(), config(tmp_path), **kw)


def _detectors(r):
    return [f["detector"] for f in r.findings["findings"]]


def _spray(c: Case, n_accounts: int, ip: str = "203.0.113.50", start=None) -> None:
    t = start or utc(2024, 10, 24, 21, 0)
    for k in range(n_accounts):
        c.web(t, ip, method="POST", status=401)
        c.failed(t + timedelta(seconds=1), f"user{k:02d}", ip)
        t += timedelta(seconds=40)


def test_spray_threshold(tmp_path):
    c = Case()
    _spray(c, 9)
    assert "spray" not in _detectors(_run(c, tmp_path / "a"))
    c = Case()
    _spray(c, 12)
    r = _run(c, tmp_path / "b")
    spray = [f for f in r.findings["findings"] if f["detector"] == "spray"]
    assert len(spray) == 1 and spray[0]["techniques"] == ["T1110.003"]
    assert spray[0]["details"]["accounts_targeted"] == 12 and spray[0]["details"]["unknown_accounts"] == 12
    assert r.findings["attacker_ips"] == ["203.0.113.50"]


def test_spray_sources_rotating_through_a_range_are_one_campaign(tmp_path):
    c = Case()
    t = utc(2024, 10, 24, 21, 0)
    for _round in range(3):
        for k in range(40):
            ip = f"203.0.113.{10 + k % 4}"
            c.web(t, ip, method="POST", status=401, ua=CHROME)
            c.failed(t + timedelta(seconds=1), f"user{k:02d}", ip)
            t += timedelta(seconds=20)
    r = _run(c, tmp_path)
    spray = [f for f in r.findings["findings"] if f["detector"] == "spray"]
    assert len(spray) == 1 and len(spray[0]["ips"]) == 4
    assert spray[0]["event_count"] == 120


def test_brute_force_then_success_is_a_compromise(tmp_path):
    c = Case()
    background(c, range(2), accounts=STAFF[:3])
    t = utc(2024, 10, 23, 2, 0)
    for _ in range(14):
        c.web(t, "192.0.2.77", method="POST", status=401, ua=FIREFOX)
        c.failed(t + timedelta(seconds=1), "j.martin", "192.0.2.77", 1101)
        t += timedelta(seconds=30)
    c.web(t, "192.0.2.77", method="POST", ua=FIREFOX)
    c.login(t + timedelta(seconds=1), "j.martin", 1101, "sess-bf", "192.0.2.77", FIREFOX)
    r = _run(c, tmp_path)
    assert "T1110.001" in {t for f in r.findings["findings"] for t in f["techniques"]}
    top = r.findings["accounts"][0]
    assert (top["account"], top["verdict"]) == ("j.martin", "compromised")
    assert r.findings["attacker_ips"] == ["192.0.2.77"]


def test_owner_mistyping_on_their_desk_is_not_brute_force(tmp_path):
    c = Case()
    background(c, range(2), accounts=STAFF[:3])
    t = utc(2024, 10, 23, 7, 0)
    ip = staff_ip(1101)
    for _ in range(12):
        c.web(t, ip, method="POST", status=401)
        c.failed(t + timedelta(seconds=1), "j.martin", ip, 1101, reason="Auth-failed-combination")
        t += timedelta(seconds=45)
    _session(c, "j.martin", 1101, t + timedelta(minutes=5), 3, tag="ok")
    r = _run(c, tmp_path)
    assert "brute_force" not in _detectors(r)
    assert r.verdicts.get("j.martin", "normal") == "normal"


def _typos_then_login(c: Case, ip: str, ua: str, *, colleague_first: bool = True) -> None:
    """l.moreau fails 5 times and is locked out at ``ip``, the helpdesk unlocks her, she logs in there."""
    if colleague_first:  # a colleague logged in at that desk the day before
        t = utc(2024, 10, 23, 18, 0)
        c.web(t, ip, method="POST", ua=CHROME)
        c.login(t + timedelta(seconds=1), "a.petit", 1105, "sess-ward", ip, CHROME)
    t = utc(2024, 10, 24, 5, 2)
    for k in range(6):
        c.web(t + timedelta(seconds=25 * k), ip, method="POST", status=401, ua=ua)
        reason = "Auth-failed-combination" if k < 5 else "Auth-failed-locked"
        c.failed(t + timedelta(seconds=25 * k + 1), "l.moreau", ip, 1106, reason=reason)
    c.user_log(t + timedelta(minutes=19), "it.admin", 1115, "record_update", "CUser", 1106, staff_ip(1115))
    _session(c, "l.moreau", 1106, t + timedelta(minutes=21), 4, ip=ip, ua=ua, tag="typo")


def test_owner_locked_out_on_a_shared_ward_desk_is_normal(tmp_path):
    c = Case()
    background(c, range(3), accounts=STAFF[4:6])
    _typos_then_login(c, "10.20.6.70", CHROME)
    r = _run(c, tmp_path)
    assert not set(_detectors(r)) & {"success_after_failures", "brute_force", "spray", "stuffing"}
    assert r.verdicts.get("l.moreau", "normal") == "normal"
    assert r.findings["attacker_ips"] == []


@pytest.mark.parametrize(
    ("ip", "ua", "colleague_first", "why"),
    [
        ("198.51.100.90", CHROME, False, "external address"),
        ("10.20.6.70", FIREFOX, True, "browser the account never used"),
        ("10.20.77.7", CHROME, False, "internal address where nobody had logged in"),
    ],
)
def test_failures_then_success_from_an_unfamiliar_source_is_suspicious(tmp_path, ip, ua, colleague_first, why):
    c = Case()
    background(c, range(3), accounts=STAFF[4:6])
    _typos_then_login(c, ip, ua, colleague_first=colleague_first)
    r = _run(c, tmp_path)
    found = [f for f in r.findings["findings"] if f["detector"] == "success_after_failures"]
    assert len(found) == 1, why
    assert found[0]["account"] == "l.moreau" and found[0]["signal"] == "success_after_failures"
    assert found[0]["ips"] == [ip]
    assert r.verdicts["l.moreau"] == "suspicious", why


@pytest.mark.parametrize("which", ["B1", "B2", "B3", "B4", "scheduled export"])
def test_each_lookalike_alone_is_not_compromised(tmp_path, which):
    c = Case(seed=21)
    background(c, range(5))
    kinds = scenarios.lookalikes(c)
    r = _run(c, tmp_path)
    for account, kind in kinds.items():
        if kind == which:
            assert r.verdicts.get(account, "normal") != "compromised", account
    assert r.findings["attacker_ips"] == []


def test_monitoring_probe_and_interface_robot_are_not_reported(tmp_path):
    c = Case()
    background(c, range(1), accounts=STAFF[:2])
    scenarios.probe(c, utc(2024, 10, 21, 0, 0), 24, every=60)
    scenarios.hl7_bot(c, range(1))
    r = _run(c, tmp_path)
    assert not r.findings["findings"]
    assert r.findings["accounts"] == []


def test_external_script_is_reported(tmp_path):
    c = Case()
    t = utc(2024, 10, 21, 3, 0)
    for k in range(40):
        c.web(
            t + timedelta(seconds=2 * k), "192.0.2.9", "/mediboard/index.php", "m=dPcabinet&tab=vw_a", ua="curl/8.4.0"
        )
    r = _run(c, tmp_path)
    f = [x for x in r.findings["findings"] if x["detector"] == "scripted"]
    assert len(f) == 1 and "T1119" in f[0]["techniques"] and f[0]["account"] is None
    assert "coefficient of variation" in f[0]["reason"] and "curl/8.4.0" in f[0]["reason"]


def test_administrator_at_their_desk_is_not_reconnaissance(tmp_path):
    c = Case()
    background(c, range(3), accounts=[("it.admin", 1115)])
    r = _run(c, tmp_path)
    assert "recon" not in _detectors(r)


def test_account_creation_by_an_administrator_is_listed_without_weight(tmp_path):
    c = Case()
    background(c, range(3), accounts=[("it.admin", 1115)])
    t = utc(2024, 10, 23, 9, 0)
    ip = staff_ip(1115)
    _session(c, "it.admin", 1115, t, 2, tag="hr")
    c.web(t + timedelta(minutes=10), ip, method="POST")
    c.user_log(t + timedelta(minutes=10, seconds=1), "it.admin", 1115, "account_created", "CUser", 1500, ip)
    c.users_row(1500, "new.nurse")
    r = _run(c, tmp_path)
    p = [f for f in r.findings["findings"] if f["detector"] == "persistence"]
    assert len(p) == 1 and p[0]["basis"] == "observed" and p[0]["signal"] is None
    assert "new.nurse" in p[0]["title"]
    assert r.findings["created_accounts"] == []
    assert r.verdicts.get("it.admin", "normal") == "normal"


def test_coverage_gap(tmp_path):
    c = Case()
    t = utc(2024, 10, 21, 0, 0)
    for h in range(48):
        if h in (30, 31):
            continue
        for m in (5, 35):
            c.web(t + timedelta(hours=h, minutes=m), "10.20.1.5", query="m=dPcabinet&tab=vw_a")
    r = _run(c, tmp_path)
    gaps = [f for f in r.findings["findings"] if f["detector"] == "coverage"]
    assert len(gaps) == 1
    g = gaps[0]
    assert g["details"]["missing_hours"] == 2 and g["details"]["gap_start"] == "2024-10-22T06:00:00Z"
    assert [e["line"] for e in g["evidence"]] == [60, 61]
    assert r.coverage.filter(pl.col("source") == "app01/apache2/access.log").height == 46


def test_a_shared_ward_desk_where_staff_mistype_then_log_in_is_not_a_spray(tmp_path):
    """Twelve people mistype once on one internal desk, each then logs in there: typos, not guesses.

    The desk's first event is a failure, so it is not 'known' before its failures; only the
    owners' own corrections tell the typos from a spray's guesses.
    """
    c = Case()
    desk = "10.20.10.11"
    t = utc(2024, 10, 27, 7, 0)
    for k in range(12):
        user, uid = f"nurse{k:02d}", 2000 + k
        c.web(t, desk, method="POST", status=401)
        c.failed(t + timedelta(seconds=1), user, desk, uid=uid)
        c.login(t + timedelta(seconds=30), user, uid, f"sess{k:02d}", desk)
        t += timedelta(minutes=7)
    r = _run(c, tmp_path)
    assert "spray" not in _detectors(r)
    assert r.findings["attacker_ips"] == []
    assert not [a for a in r.findings["accounts"] if a["verdict"] == "compromised"]


def test_a_spray_with_a_few_guessed_passwords_is_still_a_spray(tmp_path):
    """A spray's guesses mostly stay failures; the two that worked do not hide the other twelve."""
    c = Case()
    _spray(c, 12)
    t = utc(2024, 10, 24, 22, 0)
    for k, (user, uid) in enumerate([("j.martin", 1101), ("c.durand", 1102)]):
        c.failed(t, user, "203.0.113.50", uid=uid)
        c.login(t + timedelta(seconds=20), user, uid, f"spray{k}", "203.0.113.50")
        t += timedelta(minutes=2)
    r = _run(c, tmp_path)
    spray = [f for f in r.findings["findings"] if f["detector"] == "spray"]
    assert len(spray) == 1 and spray[0]["details"]["accounts_targeted"] == 12
    assert r.findings["attacker_ips"] == ["203.0.113.50"]


def _admin_views(c: Case, user: str, uid: int, start, ip: str, ua: str = CHROME) -> None:
    """A login then the administration views an administrator opens (accounts, rights, logins)."""
    c.web(start, ip, method="POST", status=200, ua=ua)
    c.login(start + timedelta(seconds=1), user, uid, f"sess-{user}-{start:%m%d%H%M}", ip, ua)
    t = start
    for tab in ("vw_edit_users", "edit_perms", "vw_user_authentication", "vw_list_medical_access"):
        t += timedelta(seconds=40)
        c.web(t, ip, query=f"m=admin&tab={tab}", ua=ua, nbytes=30000)


def test_administration_views_the_account_opens_every_day_are_not_reconnaissance(tmp_path):
    # own history: the administrator opens these views at the desk every day; through a VPN in
    # the evening (an unusual context) the same views are still the job, not discovery
    c = Case()
    background(c, range(3), accounts=STAFF[:3])
    for day in (21, 22, 23):
        _admin_views(c, "it.admin", 1115, utc(2024, 10, day, 9, 0), staff_ip(1115))
    _admin_views(c, "it.admin", 1115, utc(2024, 10, 23, 21, 0), "203.0.113.45")
    r = _run(c, tmp_path)
    assert "recon" not in _detectors(r)


def test_administration_views_new_to_the_account_through_a_vpn_are_reconnaissance(tmp_path):
    c = Case()
    background(c, range(3), accounts=STAFF[:3])
    user, uid = STAFF[0]
    _admin_views(c, user, uid, utc(2024, 10, 23, 21, 0), "203.0.113.45")
    r = _run(c, tmp_path)
    found = [f for f in r.findings["findings"] if f["detector"] == "recon"]
    assert len(found) == 1 and found[0]["account"] == user


def _exports(c: Case, user: str, uid: int, start, n: int = 6) -> None:
    """A login at the desk, then ``n`` CSV exports of one month each."""
    ip = staff_ip(uid)
    c.web(start, ip, method="POST", status=200, ua=CHROME)
    c.login(start + timedelta(seconds=1), user, uid, f"sess-{user}-{start:%m%d%H%M}x", ip, CHROME)
    t = start
    for k in range(n):
        t += timedelta(seconds=50 + 7 * k)
        q = f"m=dPpatients&raw=ajax_export_patients_csv&date_min=2024-0{k + 1}-01&date_max=2024-0{k + 1}-28"
        c.web(t, ip, query=q, ua=CHROME, nbytes=400_000)


def test_exports_every_peer_makes_are_the_job_not_collection(tmp_path):
    # peers: a team whose members all export a few months of lists is doing its job
    c = Case()
    background(c, range(3), accounts=STAFF[:6])
    for k, (user, uid) in enumerate(STAFF[:6]):
        _exports(c, user, uid, utc(2024, 10, 22, 14, 5 * k))
    r = _run(c, tmp_path)
    assert not [f for f in r.findings["findings"] if f["detector"] == "bulk" and "export" in f["title"].lower()]


def test_exports_no_peer_makes_are_reported(tmp_path):
    c = Case()
    background(c, range(3), accounts=STAFF[:6])
    user, uid = STAFF[0]
    _exports(c, user, uid, utc(2024, 10, 22, 14, 0))
    r = _run(c, tmp_path)
    found = [f for f in r.findings["findings"] if f["detector"] == "bulk" and f["account"] == user]
    assert found and "T1213" in found[0]["techniques"]
