"""Output folders built once per test session: the sample slice, a hostile case, a bare ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forensics.intake.engine import ingest
from forensics.report import Report, build_report
from tests.report import casegen, hostile

DATA = Path(__file__).resolve().parents[1] / "data"
FINDINGS = DATA / "report" / "findings.json"
GENERATED_AT = "2024-10-29T09:00:00+01:00"


@pytest.fixture(scope="session")
def case_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ingest of the sample slice with the hand-written findings.json beside it."""
    root = tmp_path_factory.mktemp("case")
    evidence, config = casegen.write_case(root)
    out = root / "out"
    ingest(
        evidence,
        out,
        config=config,
        command_line=["forensics", "ingest", "evidence", "-o", "out", "--config", "case.toml"],
    )
    shutil.copy(FINDINGS, out / "findings.json")
    return out


@pytest.fixture(scope="session")
def report_en(case_out: Path) -> Report:
    return build_report(case_out, lang="en", generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def report_fr(case_out: Path) -> Report:
    return build_report(case_out, lang="fr", generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.write(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def hostile_report(hostile_out: Path) -> Report:
    return build_report(hostile_out, lang="en", generated_at=GENERATED_AT, title=hostile.TITLE)


@pytest.fixture(scope="session")
def small_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example evidence, ingested, without correlation results."""
    out = tmp_path_factory.mktemp("small") / "out"
    evidence = DATA / "evidence_small"
    ingest(evidence, out, config=evidence / "case.toml", command_line=["forensics", "ingest", "evidence_small"])
    return out
