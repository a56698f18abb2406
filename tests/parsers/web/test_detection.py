"""Detection matrix: every web fixture is detected as its own format and as no other.

A fixture whose sidecar says ``"detect": null`` needs its ``log_format`` to be read (a
custom layout): detection must then refuse it rather than guess another parser.  nginx's
default ``combined`` is byte for byte Apache's, so ``apache.access`` claims it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from forensics.intake.detect import MIN_SCORE, detect_file
from forensics.intake.reader import records_from_text
from parsers.base import get_parser, load_all
from tests.parsers.web.fixtures import Case, cases

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_detected_as_itself_only(case: Case) -> None:
    detection = detect_file(case.path)
    assert detection.parser == case.detect, detection
    if case.detect is not None:
        # no other specific parser comes close (a generic reader such as syslog may also read
        # a syslog-borne HAProxy line, but detection always prefers the specific parser)
        registry = load_all()
        others = [s for name, s in detection.candidates if name != case.detect and not registry[name].generic]
        assert all(score < MIN_SCORE for score in others), detection.candidates


@pytest.mark.parametrize("case", [c for c in CASES if c.detect], ids=[c.id for c in CASES if c.detect])
def test_detection_through_gzip(case: Case, tmp_path: Path) -> None:
    gz = tmp_path / (case.path.name + ".gz")
    gz.write_bytes(gzip.compress(case.path.read_bytes(), mtime=0))
    assert detect_file(gz).parser == case.detect


def test_web_parsers_do_not_claim_each_other() -> None:
    """Each web parser parses (almost) none of the other web formats' lines."""
    registry = load_all()
    for case in CASES:
        text = case.path.read_bytes()
        for name in ("apache.access", "apache.error", "nginx.error", "iis.w3c", "haproxy.http"):
            if name in (case.parser, case.detect):
                continue
            parser = registry[name]()
            records = records_from_text(text, parser)
            assert parser.score(records, case.path.name) < MIN_SCORE, (name, case.id)


def test_nginx_access_is_not_detectable() -> None:
    assert get_parser("nginx.access").detectable is False
