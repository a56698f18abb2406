"""The ``correlate`` and ``investigate`` commands (checked through the files they write)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from forensics.cli import app
from forensics.findings import read_findings
from tests.correlate import scenarios

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_correlate_command(tmp_path):
    out = scenarios.stuffing_case().write(tmp_path / "out", tmp_path / "case")
    res = runner.invoke(app, ["correlate", str(out), "--account", "h.benard"])
    assert res.exit_code == 0, res.output
    assert "j.martin" in res.output and "compromised" in res.output
    assert f"findings: {out / 'findings.json'}" in res.output
    doc = read_findings(out / "findings.json")
    assert doc["accounts"][0]["account"] == "j.martin"
    assert any(a["account"] == "h.benard" and a["requested"] for a in doc["accounts"])
    for name in ("sessions.parquet", "links.parquet", "finding_events.parquet", "accounts.parquet", "coverage.parquet"):
        assert (out / name).is_file()


def test_correlate_without_an_ingest_fails_clearly(tmp_path):
    res = runner.invoke(app, ["correlate", str(tmp_path)])
    assert res.exit_code == 3  # an output folder to read that cannot be read
    assert "run `forensics ingest` first" in res.output


def test_investigate_command(tmp_path):
    evidence = ROOT / "tests" / "data" / "evidence_small"
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["investigate", str(evidence), "-o", str(out), "--config", str(evidence / "case.toml"), "-q"]
    )
    assert res.exit_code == 0, res.output
    last_two = res.output.rstrip().splitlines()[-2:]
    assert last_two == [f"outputs are in {out}", f"report: {out / 'report.html'}"]
    doc = read_findings(out / "findings.json")
    assert doc["summary"]["web_requests"] > 0
    assert (out / "events.parquet").is_file() and (out / "sessions.parquet").is_file()
