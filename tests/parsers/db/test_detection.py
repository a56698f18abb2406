"""The detection matrix: every database fixture is detected as its own format and no other."""

from __future__ import annotations

import pytest

from forensics.intake.detect import MIN_SCORE, detect_file
from parsers.base import load_all
from tests.parsers.db.cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=str)
def test_detected_as_its_own_format_only(case: Case) -> None:
    detection = detect_file(case.path, dict(case.options))
    assert detection.parser == case.fmt, detection
    # a generic reader (syslog) may also read ISO-stamped lines; detection prefers the specific parser
    registry = load_all()
    others = [
        (name, score)
        for name, score in detection.candidates
        if name != case.fmt and score >= MIN_SCORE and not registry[name].generic
    ]
    assert others == [], detection


def test_an_inferred_prefix_is_shown_by_detect_and_in_the_manifest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from forensics.cli import app
    from forensics.intake.engine import ingest

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    log = evidence / "postgresql-2025-03-02.log"
    log.write_text(
        "2025-03-02 10:15:00 UTC::@:[3120]:LOG:  checkpoint starting: time\n"
        "2025-03-02 10:15:01 UTC:192.0.2.41(50712):ward_app@wards:[4711]:LOG:  connection authorized: user=ward_app "
        "database=wards\n",
        encoding="utf-8",
    )
    detection = detect_file(log)
    assert detection.parser == "postgresql.log"
    assert detection.inferred == {"log_line_prefix": "%t:%r:%u@%d:[%p]:"}
    out = CliRunner().invoke(app, ["detect", str(log)], env={"COLUMNS": "250"})
    assert out.exit_code == 0 and "log_line_prefix='%t:%r:%u@%d:[%p]:'" in out.output
    manifest = ingest(evidence, tmp_path / "out").manifest
    (entry,) = manifest["files"]
    assert entry["inferred"] == {"log_line_prefix": "%t:%r:%u@%d:[%p]:"}
