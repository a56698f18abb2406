"""Routes to an account on the generic profile, and their look-alikes, end to end.

Each case is simulated (``forensics.simulate.generic``), ingested and correlated as an
investigator would.  The principles under test:

* a key used from a client its owner's key never used, while the usual client keeps using
  it, is use by someone else (``key_reuse``); an integration that moved is not;
* account changes made in a session opened from a client the account and its peers never
  used, then used, are use by someone else (``new_client_change``); an administrator's
  planned change from the usual desk, or from home with the usual browser, is not;
* created accounts are those made after the compromise began, never a new hire created
  before;
* a stuffing campaign is many accounts from many addresses sharing a network or user agent,
  far above the normal failure rate;
* the window of a suspicious account starts with the session that carries its behaviour,
  and the exfiltration estimate counts the attacker's (or the anomalous session's) reads,
  not the owner's own;
* a manager's long listing from the usual desk and browser is not enough to be suspicious.
"""

from __future__ import annotations

import pathlib
from datetime import datetime

import pytest

from forensics.correlate import correlate
from forensics.intake.engine import ingest
from forensics.simulate.generic import scenarios as routes
from forensics.simulate.generic import simulate_generic
from forensics.simulate.generic.model import ATTACK_UAS, T0
from forensics.simulate.generic.traffic import admin_change, admin_list, list_page, login, logout

SEED = 11


def _case(tmp: pathlib.Path, *scenarios: str):
    ev = tmp / "ev"
    truth = simulate_generic(ev, scale=0.05, seed=SEED, scenarios=scenarios)
    res = ingest(ev, tmp / "out", config=ev / "case.toml")
    return truth, correlate(res.out_dir, ev / "case.toml").findings


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _account(doc: dict, name: str) -> dict:
    return next((a for a in doc["accounts"] if a["account"] == name), {"verdict": "normal", "first_malicious": None})


def _by(doc: dict, detector: str) -> list[dict]:
    return [f for f in doc["findings"] if f["detector"] == detector] + [
        m for f in doc["findings"] for m in f.get("members", []) if m["detector"] == detector
    ]


def _victim(truth: dict) -> tuple[str, dict]:
    return next(iter(truth["accounts"].items()))


def _first_error(doc: dict, name: str, truth_first: str) -> float:
    got = _account(doc, name)["first_malicious"]
    assert got, f"{name} has no first_malicious"
    return abs((_ts(got) - _ts(truth_first)).total_seconds())


def _exfil(doc: dict, name: str) -> dict:
    return next(e["records"] for e in doc["exfiltration"] if e["account"] == name and e["ip"] is None)


@pytest.fixture(scope="module")
def stolen_key(tmp_path_factory):
    return _case(tmp_path_factory.mktemp("key"), "stolen_api_key")


@pytest.fixture(scope="module")
def escalation(tmp_path_factory):
    return _case(tmp_path_factory.mktemp("escalation"), "privilege_escalation")


@pytest.fixture(scope="module")
def backdoor(tmp_path_factory):
    return _case(tmp_path_factory.mktemp("backdoor"), "backdoor_account")


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    return _case(tmp_path_factory.mktemp("quiet"), "none")


def test_a_key_used_from_a_second_client_is_use_by_someone_else(stolen_key) -> None:
    truth, doc = stolen_key
    name, v = _victim(truth)
    acc = _account(doc, name)
    assert acc["verdict"] == "compromised"
    assert [f["signal"] for f in _by(doc, "key_reuse")] == ["credential_reuse"]
    assert set(doc["attacker_ips"]) == set(truth["attacker_ips"])
    assert _first_error(doc, name, v["first_malicious"]) <= 10
    r = _exfil(doc, name)
    assert r["low"] <= v["records"] <= r["high"]


def test_escalation_from_a_never_used_client_is_use_by_someone_else(escalation) -> None:
    truth, doc = escalation
    name, v = _victim(truth)
    assert _account(doc, name)["verdict"] == "compromised"
    found = _by(doc, "new_client_change")
    assert len(found) == 1 and found[0]["account"] == name and "T1078" in found[0]["techniques"]
    assert set(doc["attacker_ips"]) == set(truth["attacker_ips"])
    assert _first_error(doc, name, v["first_malicious"]) <= 10


def test_backdoor_creator_and_created_accounts_but_not_the_new_hire(backdoor) -> None:
    truth, doc = backdoor
    creator = next(a for a, v in truth["accounts"].items() if v["records"] == 0)
    assert _account(doc, creator)["verdict"] == "compromised"
    assert set(truth["backdoor_accounts"]) <= set(doc["created_accounts"])
    # the administrator created a new hire two days before, from the office: not a backdoor
    assert "new.hire" not in doc["created_accounts"]
    assert _account(doc, "new.hire")["verdict"] == "normal"
    assert _first_error(doc, creator, truth["accounts"][creator]["first_malicious"]) <= 10
    assert set(doc["attacker_ips"]) == set(truth["attacker_ips"])
    # the planned change and the attacker's are two findings; only the attacker's weighs
    changes = [f for f in _by(doc, "persistence") if f["account"] == creator]
    planned = [f for f in changes if "new.hire" in f["title"]]
    assert planned and all(f["signal"] is None for f in planned)


def test_planned_administration_is_not_use_by_someone_else(quiet) -> None:
    _, doc = quiet
    assert _by(doc, "new_client_change") == []
    assert _by(doc, "key_reuse") == []
    assert doc["created_accounts"] == []


def test_a_long_listing_from_the_usual_desk_is_not_suspicious(quiet) -> None:
    _, doc = quiet
    assert not [a for a in doc["accounts"] if a["verdict"] != "normal"], [
        (a["account"], a["verdict"], a["reasons"]) for a in doc["accounts"][:3]
    ]
    # the manager's monthly listing is still reported, with a weight that does not accuse alone
    pages = [f for f in _by(doc, "bulk") if f["account"]]
    assert pages and all(f["weight"] < 0.4 for f in pages)


def test_stuffing_campaign_found_against_the_normal_failure_rate(tmp_path) -> None:
    truth, doc = _case(tmp_path, "credential_stuffing")
    name, v = _victim(truth)
    found = _by(doc, "stuffing")
    assert len(found) == 1
    assert set(found[0]["ips"]) == set(truth["attacker_ips"])
    assert _account(doc, name)["verdict"] == "compromised"
    r = _exfil(doc, name)
    assert r["low"] <= v["records"] <= r["high"]


def test_insider_window_starts_with_the_reading_session(tmp_path) -> None:
    truth, doc = _case(tmp_path, "insider")
    name, v = _victim(truth)
    assert _account(doc, name)["verdict"] == "suspicious"
    assert _first_error(doc, name, v["first_malicious"]) <= 10
    r = _exfil(doc, name)
    assert r["low"] <= v["records"] <= r["high"]
    assert abs(r["estimate"] - v["records"]) <= 0.15 * v["records"]


def test_concurrent_use_counts_the_attacker_reads_only(tmp_path) -> None:
    truth, doc = _case(tmp_path, "concurrent_use")
    name, v = _victim(truth)
    assert _account(doc, name)["verdict"] == "compromised"
    r = _exfil(doc, name)
    assert r["low"] <= v["records"] <= r["high"]
    assert abs(r["estimate"] - v["records"]) <= 0.15 * v["records"]


def _integration_moves(w) -> None:
    """The partner integration moves to a new server after its last call from the old one."""
    u = w.user("svc.erp-sync")
    for day in (5, 6):
        for q in range(6 * 4, 22 * 4):
            t = T0 + day * 86400 + q * 900 + w.rng.uniform(0, 20)
            list_page(w, t, u.name, "198.51.100.99", "erp-connector/4.0 (Java/21.0.5)", None, 0, 50)


def _admin_from_home(w) -> None:
    """The administrator, at home with the usual browser, creates an account and lists the users."""
    a = w.people("admin")[0]
    sid = w.sid()
    t = T0 + 3 * 86400 + 20 * 3600
    login(w, t, a.name, "198.51.100.240", a.ua, sid=sid)
    admin_change(w, t + 40, a.name, "198.51.100.240", a.ua, sid, "user.create", "temp.clerk")
    admin_list(w, t + 70, a.name, "198.51.100.240", a.ua, sid)
    logout(w, t + 100, a.name, "198.51.100.240", a.ua, sid)


def _admin_new_laptop_no_use(w) -> None:
    """A new laptop at a new address: a password change, nothing done with it."""
    a = w.people("admin")[0]
    sid = w.sid()
    t = T0 + 3 * 86400 + 19 * 3600
    login(w, t, a.name, "198.51.100.241", ATTACK_UAS[1], sid=sid)
    admin_change(w, t + 40, a.name, "198.51.100.241", ATTACK_UAS[1], sid, "user.password.update", a.name)
    logout(w, t + 100, a.name, "198.51.100.241", ATTACK_UAS[1], sid)


@pytest.mark.parametrize(
    ("name", "scenario", "account"),
    [
        ("integration_moves", _integration_moves, "svc.erp-sync"),
        ("admin_from_home", _admin_from_home, None),
        ("admin_new_laptop", _admin_new_laptop_no_use, None),
    ],
)
def test_look_alikes_stay_benign(tmp_path, monkeypatch, name, scenario, account) -> None:
    monkeypatch.setitem(routes.SCENARIOS, name, scenario)
    from forensics.simulate import generic

    monkeypatch.setitem(generic.SCENARIOS, name, scenario)
    _, doc = _case(tmp_path, name)
    assert _by(doc, "key_reuse") == [] and _by(doc, "new_client_change") == []
    assert not [a for a in doc["accounts"] if a["verdict"] == "compromised"]
    assert doc["attacker_ips"] == [] and doc["created_accounts"] == []
    if account:
        assert _account(doc, account)["verdict"] == "normal"
