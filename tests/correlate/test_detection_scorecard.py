"""The detection scorecard at a small scale: the safety properties that must hold on the generic profile.

The full table (every route x profile x 3 seeds, with its failing cells) is
``benchmarks/detection.py``; here two generated cases run end to end (simulate, ingest,
correlate): a quiet week, and one week with several routes at once.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

from forensics.correlate import correlate
from forensics.intake.engine import ingest
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
