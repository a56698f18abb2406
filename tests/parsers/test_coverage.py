"""The coverage table of docs/formats.md has one entry per registered format, and says how each is detected."""

from __future__ import annotations

from forensics.docgen import formats_markdown
from forensics.intake.detect import MIN_SCORE
from parsers.base import get_parser, load_all
from parsers.coverage import COVERAGE, how_detected


def _formats() -> set[str]:
    return {name for name in load_all() if not name.startswith("test.")}


def test_every_registered_format_has_a_coverage_entry() -> None:
    missing = _formats() - set(COVERAGE)
    assert not missing, f"add these formats to parsers/coverage.py: {sorted(missing)}"


def test_no_entry_names_an_unknown_format() -> None:
    assert not set(COVERAGE) - _formats()


def test_entries_say_something() -> None:
    for name, entry in COVERAGE.items():
        assert len(entry.variants) > 20, name
        assert len(entry.not_read) > 10, name


def test_how_detected_follows_the_parser_class() -> None:
    assert how_detected(type(get_parser("nginx.access")), MIN_SCORE).startswith("never")
    assert "`#Fields:`" in how_detected(type(get_parser("iis.w3c")), MIN_SCORE)
    assert "catch-all" in how_detected(type(get_parser("syslog")), MIN_SCORE)
    assert "file name matches `users.tsv`" in how_detected(type(get_parser("mediboard.users")), MIN_SCORE)
    assert "` app/`" in how_detected(type(get_parser("aws.alb")), MIN_SCORE)


def test_formats_page_has_one_coverage_row_per_format() -> None:
    page = formats_markdown()
    table = page.split("## Coverage", 1)[1]
    for name in _formats():
        assert f"| `{name}` | " in table, name
    assert "(no coverage entry)" not in table
