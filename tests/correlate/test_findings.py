"""The findings.json contract: times, validation, round trip."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from forensics.findings import (
    SCHEMA,
    EvidenceRef,
    Finding,
    FindingsError,
    read_findings,
    utc_iso,
    validate,
    write_findings,
)


def _doc():
    return {
        "schema": SCHEMA,
        "attack": {"first_seen": "2024-10-24T21:02:00Z", "last_seen": "2024-10-27T03:05:40Z"},
        "accounts": [
            {
                "account": "adm.interop",
                "verdict": "compromised",
                "score": 0.97,
                "first_malicious": "2024-10-25T01:12:41Z",
                "last_malicious": "2024-10-27T03:05:40Z",
                "source_ips": ["203.0.113.14"],
                "reasons": ["x"],
            },
            {
                "account": "h.benard",
                "verdict": "normal",
                "score": 0.35,
                "first_malicious": None,
                "last_malicious": None,
                "source_ips": [],
                "reasons": [],
            },
        ],
        "attacker_ips": ["203.0.113.10"],
        "created_accounts": ["support.xtrem"],
        "findings": [
            {
                "id": "F-001",
                "title": "t",
                "techniques": ["T1110.003"],
                "basis": "observed",
                "account": None,
                "ips": [],
                "first_seen": "2024-10-24T21:02:00Z",
                "last_seen": "2024-10-24T21:02:00Z",
                "event_count": 1,
                "evidence": [{"file": "a.log", "line": 3}],
            }
        ],
        "exfiltration": [
            {
                "account": "adm.interop",
                "ip": None,
                "records": {"estimate": 5, "low": 4, "high": 6},
                "distinct_objects": 5,
                "bytes": 10,
                "first_seen": None,
                "last_seen": None,
                "method": "m",
            }
        ],
    }


def test_utc_iso():
    assert utc_iso(datetime(2024, 10, 24, 21, 2, tzinfo=UTC)) == "2024-10-24T21:02:00Z"
    assert utc_iso(datetime(2024, 10, 24, 21, 2, 0, 500000, tzinfo=UTC)) == "2024-10-24T21:02:00.500000Z"
    assert utc_iso(None) is None


def test_valid_document_round_trips(tmp_path):
    doc = _doc()
    validate(doc)
    path = write_findings(doc, tmp_path / "findings.json")
    assert read_findings(path) == doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="other"), "schema"),
        (lambda d: d["attack"].update(first_seen="2024-10-24 21:02:00"), "UTC"),
        (lambda d: d["accounts"][0].update(verdict="owned"), "verdict"),
        (lambda d: d["accounts"][1].update(score=0.99), "sorted"),
        (lambda d: d["accounts"][0].pop("reasons"), "reasons"),
        (lambda d: d["findings"][0].update(basis="guess"), "basis"),
        (lambda d: d["findings"][0].update(evidence=[]), "evidence"),
        (lambda d: d["exfiltration"][0]["records"].update(estimate=9), "bounds"),
        (lambda d: d.pop("created_accounts"), "created_accounts"),
    ],
)
def test_contract_violations_are_caught(mutate, message):
    doc = copy.deepcopy(_doc())
    mutate(doc)
    with pytest.raises(FindingsError, match=message):
        validate(doc)


def test_finding_basis_is_checked():
    with pytest.raises(ValueError):
        Finding(detector="x", title="t", techniques=[], basis="maybe", reason="r")
    f = Finding(
        detector="x",
        title="t",
        techniques=["T1136.001"],
        basis="observed",
        reason="r",
        ips=["10.0.0.2", "9.9.9.9", "10.0.0.10"],
    )
    j = f.record([EvidenceRef("a", 1)]).to_json()
    assert j["tactic"] == "persistence"
    assert j["ips"] == ["9.9.9.9", "10.0.0.2", "10.0.0.10"]
