"""Detection matrix: every fixture of the app and system parsers is detected as its own format only."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from forensics.intake.detect import MIN_SCORE, detect_file
from parsers.base import load_all

DATA = Path(__file__).resolve().parents[2] / "data"


def _fixtures() -> list[tuple[Path, str | None]]:
    out: list[tuple[Path, str | None]] = []
    for folder in ("mediboard_outfile", "mediboard_batch", "mediboard_versions"):
        for path in sorted((DATA / "app" / folder).glob("*.tsv")):
            out.append((path, "mediboard." + path.name.removesuffix(".tsv")))
    out.append((DATA / "app" / "application.log", "mediboard.applog"))
    for name in ("auth.log", "rfc5424.log", "secure"):
        out.append((DATA / "system" / name, "syslog"))
    # chosen by the case config only, never detected
    out.append((DATA / "app" / "audit.jsonl", None))
    out.append((DATA / "app" / "audit.csv", None))
    return out


FIXTURES = _fixtures()
OURS = {name for name, cls in load_all().items() if cls.__module__.startswith(("parsers.app.", "parsers.system."))}


@pytest.mark.parametrize(("path", "expected"), FIXTURES, ids=[f"{p.parent.name}/{p.name}" for p, _ in FIXTURES])
def test_detected_as_its_own_format_only(path: Path, expected: str | None, tmp_path: Path) -> None:
    for candidate in (path, _gz(path, tmp_path)):
        detection = detect_file(candidate)
        assert detection.parser == expected, (candidate.name, detection)
        others = [(name, score) for name, score in detection.candidates if name != expected and score >= MIN_SCORE]
        assert not others, (candidate.name, others)


def test_other_areas_fixtures_are_not_claimed() -> None:
    """Our parsers do not claim the web fixtures (and the generic ones never auto-detect)."""
    for path in sorted((DATA / "evidence_small").rglob("*")):
        if not path.is_file() or path.suffix == ".toml":
            continue
        detection = detect_file(path)
        claimed = [(n, s) for n, s in detection.candidates if n in OURS and s >= MIN_SCORE]
        assert not claimed, (path.name, claimed)


def test_a_mostly_broken_dump_is_not_guessed() -> None:
    detection = detect_file(DATA / "app" / "mediboard_rejects" / "user_authentication_error.tsv")
    assert detection.parser is None and detection.score < MIN_SCORE


def test_generic_parsers_are_config_only() -> None:
    registry = load_all()
    assert not registry["jsonl"].detectable and not registry["csv"].detectable


def _gz(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / f"{path.name}.gz"
    out.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
    return out
