"""A password guessed slowly under a lockout, then used; and the look-alikes it must leave alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from forensics.correlate import correlate
from tests.correlate.builder import CHROME, FIREFOX, Case, config, utc
from tests.correlate.scenarios import STAFF, _session, background, staff_ip

GUESSER = "198.51.100.66"
HOME = "198.51.100.90"


def _run(c: Case, tmp_path):
    return correlate(c.frame(), config(tmp_path))


def _detectors(r) -> list[str]:
    return [f["detector"] for f in r.findings["findings"]]


def _paced_failures(c: Case, account: str, uid: int, ip: str, ua: str, hours: int, per_hour: int) -> datetime:
    """``per_hour`` failures in a burst at the top of each hour: never five within the lockout's reach."""
    t = utc(2024, 10, 23, 0, 0)
    for h in range(hours):
        for k in range(per_hour):
            ts = t + timedelta(hours=h, seconds=40 * k)
            c.web(ts, ip, method="POST", status=401, ua=ua)
            c.failed(ts + timedelta(seconds=1), account, ip, uid)
    return t + timedelta(hours=hours - 1, seconds=40 * per_hour)


def test_guess_paced_under_a_lockout_then_a_login_is_a_compromise(tmp_path):
    c = Case()
    background(c, range(2), accounts=STAFF[:3])
    end = _paced_failures(c, "j.martin", 1101, GUESSER, FIREFOX, hours=6, per_hour=4)
    c.web(end, GUESSER, method="POST", ua=FIREFOX)
    c.login(end + timedelta(seconds=1), "j.martin", 1101, "sess-slow", GUESSER, FIREFOX)
    r = _run(c, tmp_path)
    slow = [f for f in r.findings["findings"] if f["detector"] == "brute_force"]
    assert len(slow) == 1 and slow[0]["details"]["paced"] and slow[0]["event_count"] == 24
    assert slow[0]["techniques"] == ["T1110.001"]
    saf = [f for f in r.findings["findings"] if f["detector"] == "success_after_failures"]
    assert saf and "T1078" in saf[0]["techniques"]
    top = r.findings["accounts"][0]
    assert (top["account"], top["verdict"]) == ("j.martin", "compromised")
    assert r.findings["attacker_ips"] == [GUESSER]


def test_same_paced_failures_without_a_login_are_not_an_access(tmp_path):
    c = Case()
    background(c, range(2), accounts=STAFF[:3])
    _paced_failures(c, "j.martin", 1101, GUESSER, FIREFOX, hours=6, per_hour=4)
    r = _run(c, tmp_path)
    assert "brute_force" not in _detectors(r)
    assert r.verdicts.get("j.martin", "normal") != "compromised"


def test_owner_typos_spread_over_a_day_on_their_desk_stay_typos(tmp_path):
    c = Case()
    background(c, range(3), accounts=STAFF[:3])
    ip = staff_ip(1101)
    t = utc(2024, 10, 25, 8, 0)
    for h in range(8):  # a typo or two every hour, each corrected on the spot
        for k in range(3):
            ts = t + timedelta(hours=h, seconds=20 * k)
            c.web(ts, ip, method="POST", status=401, ua=CHROME)
            c.failed(ts + timedelta(seconds=1), "j.martin", ip, 1101)
        _session(c, "j.martin", 1101, t + timedelta(hours=h, minutes=2), 2, tag=f"typo{h}")
    r = _run(c, tmp_path)
    assert "brute_force" not in _detectors(r)
    assert r.verdicts.get("j.martin", "normal") != "compromised"
    assert r.findings["attacker_ips"] == []


def test_forgotten_password_at_a_new_home_address_reset_then_login_is_not_an_attack(tmp_path):
    c = Case()
    background(c, range(3), accounts=STAFF[4:6])
    t = utc(2024, 10, 24, 20, 0)
    n = 0
    for h in range(4):  # tries again every hour all evening, locked out each time
        for k in range(4):
            ts = t + timedelta(hours=h, seconds=30 * k)
            c.web(ts, HOME, method="POST", status=401, ua=CHROME)
            c.failed(ts + timedelta(seconds=1), "l.moreau", HOME, 1106)
            n += 1
    reset = t + timedelta(hours=3, minutes=30)
    c.user_log(reset, "l.moreau", 1106, "password_changed", "CUser", 1106, HOME)
    _session(c, "l.moreau", 1106, reset + timedelta(minutes=1), 3, ip=HOME, ua=CHROME, tag="home")
    r = _run(c, tmp_path)
    assert n == 16
    assert "brute_force" not in _detectors(r)
    assert r.verdicts.get("l.moreau", "normal") != "compromised"
    assert "T1078" not in {t for f in r.findings["findings"] if f.get("account") == "l.moreau" for t in f["techniques"]}
    assert r.findings["attacker_ips"] == []
