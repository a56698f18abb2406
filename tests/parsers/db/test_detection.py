"""The detection matrix: every database fixture is detected as its own format and no other."""

from __future__ import annotations

import pytest

from forensics.detect import MIN_SCORE, detect_file
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
