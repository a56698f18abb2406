"""session_reads: records opened one by one in one session, against the account's usual day and its peers'."""

from __future__ import annotations

from datetime import datetime, timedelta

from forensics.correlate import correlate
from tests.correlate.builder import CHROME, FIREFOX, Case, config, utc
from tests.correlate.scenarios import APP_SKEW, STAFF, background, staff_ip

USER, UID = STAFF[3]
DESK = staff_ip(UID)
ATTACKER = "203.0.113.80"


def _reader(c: Case, user: str, uid: int, start, records: list[int], ip: str, ua: str, sid: str):
    """A login, then one record page after another, every few seconds."""
    c.web(start, ip, method="POST", ua=ua)
    c.login(start + APP_SKEW, user, uid, sid, ip, ua)
    t = start
    for pid in records:
        t += timedelta(seconds=2 + c.rng.random() * 2)
        c.web(t, ip, query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}", ua=ua, nbytes=80_000)
        c.record_read(t + APP_SKEW, user, uid, "CPatient", pid)
    c.session_end(t + APP_SKEW, user, uid, sid, ip, ua)
    return start + timedelta(seconds=2)


def _found(c: Case, tmp_path):
    r = correlate(c.frame(), config(tmp_path))
    return r, [f for f in r.findings["findings"] if f["detector"] == "session_reads"]


def test_a_second_client_reading_far_beyond_the_accounts_day_is_found_and_makes_concurrent_use_compromised(tmp_path):
    """The owner works at the desk; someone with the password opens 300 records from elsewhere."""
    c = Case(seed=41)
    background(c, range(4))
    t0 = utc(2024, 10, 24, 9, 0)
    c.web(t0, DESK, method="POST", ua=CHROME)
    c.login(t0 + APP_SKEW, USER, UID, "s-owner", DESK, CHROME)
    t = t0
    for k in range(40):
        t += timedelta(seconds=40)
        c.web(t, DESK, query=f"m=dPpatients&tab=vw_full_patients&patient_id={9000 + k % 7}", ua=CHROME)
    c.session_end(t + APP_SKEW, USER, UID, "s-owner", DESK, CHROME)
    first = _reader(c, USER, UID, t0 + timedelta(minutes=5), list(range(20_000, 20_300)), ATTACKER, FIREFOX, "s-x")
    r, found = _found(c, tmp_path)
    assert len(found) == 1, found
    f = found[0]
    assert f["account"] == USER and f["ips"] == [ATTACKER] and f["weight"] == 0.5
    assert f["details"]["distinct_records"] == 300
    base = f["details"]["baseline"]
    assert base["own_history"]["days"] >= 2 and base["own_history"]["median"] < 30
    assert abs((datetime.fromisoformat(f["first_seen"].replace("Z", "+00:00")) - first).total_seconds()) < 5
    assert r.verdicts[USER] == "compromised"
    assert ATTACKER in r.findings["attacker_ips"] and DESK not in r.findings["attacker_ips"]
    exfil = next(e for e in r.findings["exfiltration"] if e["account"] == USER and e["ip"] is None)
    assert exfil["records"]["low"] <= 300 <= exfil["records"]["high"]
    assert exfil["records"]["estimate"] == 300  # the owner's own reads of that morning are not the attacker's


def test_a_data_manager_who_reads_as_much_every_day_is_not_found(tmp_path):
    c = Case(seed=42)
    background(c, range(4))
    for d in range(4):
        start = utc(2024, 10, 21, 13, 0) + timedelta(days=d)
        ids = list(range(30_000 + 1000 * d, 30_000 + 1000 * d + 150))
        _reader(c, USER, UID, start, ids, DESK, CHROME, f"s-dm-{d}")
    r, found = _found(c, tmp_path)
    assert found == []
    assert r.verdicts.get(USER, "normal") == "normal"


def test_an_account_without_history_is_judged_by_its_peers_and_weighs_little(tmp_path):
    """A new hire's first day: no usual day of its own, so the peers alone cannot make it suspicious."""
    c = Case(seed=43)
    background(c, range(4))
    _reader(c, "n.nouveau", 1190, utc(2024, 10, 24, 8, 0), list(range(40_000, 40_200)), "10.20.90.12", CHROME, "s-new")
    r, found = _found(c, tmp_path)
    assert len(found) == 1 and found[0]["weight"] == 0.25, found
    assert r.verdicts.get("n.nouveau", "normal") == "normal"


def test_a_day_far_above_the_usual_starts_with_the_session_that_read_it_not_the_night_shift(tmp_path):
    """Local days run from midnight: the owner's ordinary session just after midnight is not the insider's reading."""
    c = Case(seed=44)
    background(c, range(4))
    # 00:30 local (22:30 UTC the day before): a few ordinary reads
    _reader(c, USER, UID, utc(2024, 10, 24, 22, 30), [9001, 9002, 9003, 9004, 9005], DESK, CHROME, "s-night")
    first = _reader(c, USER, UID, utc(2024, 10, 25, 12, 0), list(range(50_000, 50_600)), DESK, CHROME, "s-day")
    r, _ = _found(c, tmp_path)
    volume = [f for f in r.findings["findings"] if f["detector"] == "bulk" and f["account"] == USER]
    assert volume, [f["title"] for f in r.findings["findings"]]
    for f in volume:
        assert datetime.fromisoformat(f["first_seen"].replace("Z", "+00:00")) >= first - timedelta(seconds=5), f
    acc = next(a for a in r.findings["accounts"] if a["account"] == USER)
    assert acc["verdict"] == "suspicious"
    assert abs((datetime.fromisoformat(acc["first_malicious"].replace("Z", "+00:00")) - first).total_seconds()) < 5
    exfil = next(e for e in r.findings["exfiltration"] if e["account"] == USER and e["ip"] is None)
    assert exfil["records"]["estimate"] == 600
