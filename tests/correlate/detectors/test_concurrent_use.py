"""concurrent_use: one account worked from two clients at once (replayed session, second user)."""

from __future__ import annotations

from datetime import timedelta

from forensics.correlate import correlate
from tests.correlate.builder import CHROME, FIREFOX, Case, config, utc
from tests.correlate.scenarios import APP_SKEW, STAFF, background, staff_ip

USER, UID = STAFF[0]
DESK = staff_ip(UID)


def _findings(c: Case, tmp_path):
    r = correlate(c.frame(), config(tmp_path))
    return r, [f for f in r.findings["findings"] if f["detector"] == "concurrent_use"]


def _cookie_session(c: Case, start, clients, n: int = 40, sid: str = "sess-cookie") -> None:
    """A login at the desk, then ``n`` requests carrying the session cookie from ``clients`` in turn."""
    c.web(start, DESK, method="POST", ua=CHROME)["session.id"] = sid
    c.login(start + APP_SKEW, USER, UID, sid, DESK, CHROME)
    t = start
    for k in range(n):
        t += timedelta(seconds=45)
        ip, ua = clients(k)
        c.web(t, ip, query="m=dPpatients&tab=vw_idx_patients", ua=ua)["session.id"] = sid
    c.session_end(t + APP_SKEW, USER, UID, sid, DESK, CHROME)


def test_a_session_replayed_from_a_second_client_is_use_by_someone_else(tmp_path):
    c = Case(seed=31)
    background(c, range(3))
    # the owner keeps working at the desk while an outside client replays the cookie
    _cookie_session(c, utc(2024, 10, 24, 9, 0), lambda k: (DESK, CHROME) if k % 3 else ("203.0.113.77", FIREFOX))
    r, found = _findings(c, tmp_path)
    assert len(found) == 1, found
    f = found[0]
    assert f["account"] == USER and f["signal"] == "session_replay"
    assert {"T1078", "T1550.004", "T1185"} <= set(f["techniques"])
    assert f["ips"] == ["203.0.113.77"]
    assert r.verdicts[USER] in ("suspicious", "compromised")


def test_a_new_lease_mid_session_is_not_a_replay(tmp_path):
    """DHCP or roaming: the address changes once, the old one is not used again, same browser."""
    c = Case(seed=32)
    background(c, range(3))
    _cookie_session(
        c, utc(2024, 10, 24, 9, 0), lambda k: ("198.51.100.20", CHROME) if k < 20 else ("192.0.2.80", CHROME)
    )
    r, found = _findings(c, tmp_path)
    assert found == []
    assert not any("T1078" in f["techniques"] for f in r.findings["findings"] if f["account"] == USER)


def test_a_second_login_from_elsewhere_while_the_owner_works_is_concurrent_use(tmp_path):
    c = Case(seed=33)
    background(c, range(3))
    t0 = utc(2024, 10, 24, 9, 0)
    for who, ip, ua, sid, shift in (
        (USER, DESK, CHROME, "s-owner", 0),
        (USER, "203.0.113.88", FIREFOX, "s-other", 120),
    ):
        start = t0 + timedelta(seconds=shift)
        c.web(start, ip, method="POST", ua=ua)
        c.login(start + APP_SKEW, who, UID, sid, ip, ua)
        t = start
        for _ in range(30):
            t += timedelta(seconds=40)
            c.web(t, ip, query="m=dPpatients&tab=vw_idx_patients", ua=ua)
        c.session_end(t + APP_SKEW, who, UID, sid, ip, ua)
    _, found = _findings(c, tmp_path)
    assert [f["signal"] for f in found] == ["concurrent_use"], found
    assert found[0]["ips"] == ["203.0.113.88"] and found[0]["techniques"] == ["T1078"]
    assert found[0]["details"]["baseline"]["own_history"]
