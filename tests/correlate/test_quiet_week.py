"""A quiet week of the sample's kind of evidence (no attack at all) accuses nobody.

The simulator that writes ``sample_evidence/`` builds the week with its look-alikes (new
home addresses, typos and lockouts, password expiry, monitoring, nightly jobs) and the
attack on top; here the attack is left out (scripted on a throwaway copy of the
application so that none of its rows reach the tables), and the week goes through ingest
and correlation as a user's evidence would.
"""

from __future__ import annotations

import copy

import pytest

import forensics.simulate as simulate_pkg
import forensics.simulate.pipeline as sim_pipeline
from forensics.correlate import correlate
from forensics.intake.engine import ingest


@pytest.fixture(scope="module")
def quiet_week(tmp_path_factory: pytest.TempPathFactory) -> dict:
    evidence = tmp_path_factory.mktemp("quiet") / "evidence"
    real = sim_pipeline.build_attack

    def no_attack(clinic, patients, mb, seed):  # type: ignore[no-untyped-def]
        attack = real(clinic, patients, copy.deepcopy(mb), seed)
        attack.requests = []
        return attack

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim_pipeline, "build_attack", no_attack)
        # the ground truth describes the attack: there is none to describe
        mp.setattr(simulate_pkg, "build", lambda *a, **k: {})
        mp.setattr(simulate_pkg, "to_json", lambda truth: b"{}")
        simulate_pkg.simulate(evidence, scale=0.03, progress=lambda m: None)
    out = evidence.parent / "out"
    ingest(evidence, out, config=evidence / "case.toml")
    return correlate(out, evidence / "case.toml").findings


def test_nobody_is_compromised(quiet_week: dict) -> None:
    assert [a["account"] for a in quiet_week["accounts"] if a["verdict"] == "compromised"] == []
    assert quiet_week["attacker_ips"] == []
    assert quiet_week["created_accounts"] == []


def test_no_account_is_said_to_be_used_by_someone_else(quiet_week: dict) -> None:
    """No Valid Accounts (T1078) without evidence of use by someone else: a new address is not one."""
    t1078 = [
        (f["detector"], f["account"])
        for f in quiet_week["findings"]
        if any(t.startswith("T1078") for t in f["techniques"])
    ]
    assert t1078 == []


def test_at_most_a_few_accounts_are_suspicious(quiet_week: dict) -> None:
    suspicious = [a["account"] for a in quiet_week["accounts"] if a["verdict"] == "suspicious"]
    assert len(suspicious) <= 2, suspicious


def test_the_week_reads_as_tens_of_findings_with_every_observation_kept(quiet_week: dict) -> None:
    """Ordinary staff behaviour is grouped (new home addresses, reporting reads), never dropped."""
    top = quiet_week["findings"]
    members = [m for f in top for m in f.get("members", [])]
    assert len(top) <= 30
    assert members and all(m["evidence"] for m in members)
