"""The detection scorecard at a small scale: the safety properties that must hold on both profiles.

The full table (every route x profile x 3 seeds, with its failing cells) is
``benchmarks/detection.py``; here generated cases run end to end (simulate, ingest,
correlate): on each profile, a quiet week and one week with several routes at once.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

from forensics.correlate import correlate
from forensics.intake.engine import ingest
from forensics.simulate import simulate
from forensics.simulate.generic import simulate_generic

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _scorecard():
    spec = importlib.util.spec_from_file_location("detection_scorecard", ROOT / "benchmarks" / "detection.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _case(tmp: pathlib.Path, scenarios: tuple[str, ...], seed: int = 11):
    ev = tmp / "ev"
    truth = simulate_generic(ev, scale=0.05, seed=seed, scenarios=scenarios)
    res = ingest(ev, tmp / "out", config=ev / "case.toml")
    corr = correlate(res.out_dir, ev / "case.toml")
    return truth, corr


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    return _case(tmp_path_factory.mktemp("quiet"), ("none",))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    return _case(
        tmp_path_factory.mktemp("attacked"),
        ("password_spraying", "session_hijacking", "backdoor_account", "insider"),
    )


def test_quiet_week_nobody_compromised_no_attacker(quiet) -> None:
    truth, corr = quiet
    run = _scorecard().score("generic", "none", 11, truth, corr.findings, corr.accounts.height)
    assert run.benign_compromised == 0
    assert corr.findings["attacker_ips"] == []
    assert corr.findings["created_accounts"] == []


def test_no_benign_account_compromised_and_no_innocent_address(attacked) -> None:
    truth, corr = attacked
    run = _scorecard().score("generic", "mixed", 11, truth, corr.findings, corr.accounts.height)
    assert run.benign_compromised == 0, run.notes
    bad = set(corr.findings["attacker_ips"]) & (set(truth["benign_ips"]) | set(truth["internal_ips"]))
    assert not bad
    assert not set(corr.findings["spoofed_ips"]) & set(truth["benign_ips"])


def test_no_forged_address_finding_from_generic_rows(attacked) -> None:
    _, corr = attacked
    assert not [f for f in corr.findings["findings"] if f["detector"] == "xff_spoof"]


def test_exfiltration_bounds_hold_where_an_estimate_is_given(attacked) -> None:
    truth, corr = attacked
    rows = {e["account"]: e["records"] for e in corr.findings["exfiltration"] if e["ip"] is None}
    checked = 0
    for acc, v in truth["accounts"].items():
        if v["records"] and acc in rows and v["route"] == "password_spraying":
            r = rows[acc]
            assert r["low"] <= v["records"] <= r["high"], (acc, r, v["records"])
            assert abs(r["estimate"] - v["records"]) <= 0.15 * v["records"]
            checked += 1
    assert checked == 1


def test_application_rows_link_on_request_ids(attacked) -> None:
    _, corr = attacked
    links = corr.links.filter(corr.links["kind"].is_in(["app_event_web", "app_login_web"]))
    assert links.height > 0
    assert links["reason"].str.contains("same request id").all()


# -- the Mediboard profile: the same routes, written as Mediboard, Apache and MariaDB record them


def _mediboard_case(tmp: pathlib.Path, scenarios: tuple[str, ...], seed: int = 11):
    ev = tmp / "ev"
    truth = simulate(ev, scale=0.01, seed=seed, progress=lambda _m: None, scenarios=scenarios)
    res = ingest(ev, tmp / "out", config=ev / "case.toml")
    corr = correlate(res.out_dir, ev / "case.toml")
    return truth, corr


@pytest.fixture(scope="module")
def mb_quiet(tmp_path_factory):
    return _mediboard_case(tmp_path_factory.mktemp("mb-quiet"), ("none",))


@pytest.fixture(scope="module")
def mb_attacked(tmp_path_factory):
    return _mediboard_case(
        tmp_path_factory.mktemp("mb-attacked"),
        ("password_spraying", "session_hijacking", "stolen_api_key", "backdoor_account", "insider"),
    )


def test_mediboard_quiet_week_accuses_nobody(mb_quiet) -> None:
    """With its look-alikes (new home addresses, a DHCP change, typos and a lockout, a data
    manager, the billing integration's token, IT creating a new hire), nobody is compromised
    and no account is said to be used by someone else."""
    truth, corr = mb_quiet
    assert truth["accounts"] == {} and truth["scenarios"] == ["none"]
    run = _scorecard().score("mediboard", "none", 11, truth, corr.findings, corr.accounts.height)
    assert run.benign_compromised == 0, run.notes
    assert run.quiet_ok, run.notes  # no T1078 on any account
    assert corr.findings["attacker_ips"] == []
    assert corr.findings["created_accounts"] == []


def test_mediboard_routes_no_benign_account_compromised_and_no_innocent_address(mb_attacked) -> None:
    truth, corr = mb_attacked
    run = _scorecard().score("mediboard", "mixed", 11, truth, corr.findings, corr.accounts.height)
    assert run.benign_compromised == 0, run.notes
    compromised = {a["account"] for a in corr.findings["accounts"] if a["verdict"] == "compromised"}
    assert compromised <= set(truth["accounts"])
    innocent = set(truth["benign_ips"]) | set(truth["internal_ips"])
    assert not set(corr.findings["attacker_ips"]) & innocent
    assert not set(corr.findings["spoofed_ips"]) & innocent
    # the look-alikes are not accused: the data manager, the DHCP change, the new hire
    looks = truth["benign_lookalikes"]
    for key in ("heavy_reader", "dhcp_change", "new_hire_created"):
        assert looks[key]["account"] not in compromised, key
