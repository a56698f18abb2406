"""The README's main command on the shipped sample case, checked against its ground truth.

One run of ``forensics investigate`` (the CLI, as a user types it) feeds every test here;
the answers are compared with ``sample_evidence/ground_truth.json``, written by the
generator that made the evidence.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forensics.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_evidence"
TOLERANCE_S = 10.0  # the case's skew tolerance


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict, dict]:
    out = tmp_path_factory.mktemp("investigate") / "out"
    result = CliRunner().invoke(
        app, ["investigate", str(SAMPLE), "-o", str(out), "--config", str(SAMPLE / "case.toml"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    truth = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))
    return out, result.output, findings, truth


def _benign_accounts(truth: dict) -> set[str]:
    names: set[str] = set()
    for item in truth["benign_lookalikes"].values():
        names.update(a.strip() for a in item["account"].split(","))
        names.update(e["account"] for e in item.get("events", []))
    return names


def test_it_says_where_the_report_is(run: tuple[Path, str, dict, dict]) -> None:
    out, output, _, _ = run
    assert (out / "report.html").is_file() and (out / "report.html.sha256").is_file()
    assert "report.html" in output.strip().splitlines()[-1]


def test_the_compromised_account_is_ranked_first(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    assert findings["schema"] == "forensics.findings/1"
    first = findings["accounts"][0]
    assert first["account"] == truth["compromised_account"]
    assert first["verdict"] == "compromised"


def test_attacker_ips_found_and_no_benign_ip_among_them(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    found = set(findings["attacker_ips"])
    assert set(truth["attacker_ips"]) <= found
    assert not found & set(truth["benign_ips"])
    assert not found & set(truth["spoofed_ips"])  # the forged X-Forwarded-For value is not the attacker's address


def test_first_and_last_malicious_within_the_skew_tolerance(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    account = findings["accounts"][0]
    assert abs((_utc(account["first_malicious"]) - _utc(truth["first_malicious"])).total_seconds()) <= TOLERANCE_S
    assert abs((_utc(account["last_malicious"]) - _utc(truth["last_malicious"])).total_seconds()) <= TOLERANCE_S
    assert (
        abs((_utc(findings["attack"]["first_seen"]) - _utc(truth["first_attacker_event"])).total_seconds())
        <= TOLERANCE_S
    )


def test_exfiltration_bounds_contain_the_truth(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    rows = [
        e for e in findings["exfiltration"] if e.get("account") == truth["compromised_account"] and e.get("ip") is None
    ]
    assert rows, findings["exfiltration"]
    records = rows[0]["records"]
    assert records["low"] <= truth["exfiltration"]["distinct_patients"] <= records["high"]
    assert records["low"] <= records["estimate"] <= records["high"]


def test_the_backdoor_account_is_found(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    assert truth["backdoor_account"] in findings["created_accounts"]


def test_no_benign_look_alike_is_compromised(run: tuple[Path, str, dict, dict]) -> None:
    _, _, findings, truth = run
    compromised = {a["account"] for a in findings["accounts"] if a["verdict"] == "compromised"}
    assert not compromised & _benign_accounts(truth)


def test_benign_look_alikes_stay_normal(run: tuple[Path, str, dict, dict]) -> None:
    """B1..B4 (an export, a new home address, a nurse's typos and lockout, password expiry) are not intrusions."""
    _, _, findings, truth = run
    flagged = {a["account"]: a["verdict"] for a in findings["accounts"] if a["verdict"] != "normal"}
    assert not {name: flagged[name] for name in _benign_accounts(truth) if name in flagged}


def test_the_same_evidence_gives_the_same_answers(run: tuple[Path, str, dict, dict], tmp_path: Path) -> None:
    """A second run gives the same events, findings and manifest (but for when and where it ran)."""
    out, _, findings, _ = run
    again = tmp_path / "again"
    result = CliRunner().invoke(
        app, ["investigate", str(SAMPLE), "-o", str(again), "--config", str(SAMPLE / "case.toml"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((again / "findings.json").read_text(encoding="utf-8")) == findings

    def manifest(folder: Path) -> dict:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for key in ("started_at", "finished_at", "output", "command_line"):
            m.pop(key)
        return m

    assert manifest(again) == manifest(out)
    assert (again / "events.parquet").read_bytes() == (out / "events.parquet").read_bytes()
