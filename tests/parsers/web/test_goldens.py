"""Goldens for every web fixture (events and rejects), ``.gz`` equivalence and accounting."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from forensics.schema import EVENT_SCHEMA
from tests.golden import IDENTITY_FIELDS, check_golden, rows
from tests.parsers.web.fixtures import Case, cases, reject_rows

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    events, rejects, manifest = case.parse(tmp_path)
    report = manifest["files"][0]
    assert report["parser"] == case.parser
    assert not [w for w in report["warnings"] if "accounting mismatch" in w]
    # every physical line is in an event, a meta record, a blank line or a reject
    assert (
        report["lines_in_events"] + report["lines_meta"] + report["lines_blank"] + report["lines_rejected"]
        == (report["lines_read"])
    )
    assert events.schema == EVENT_SCHEMA
    assert events.height > 0
    check_golden(
        case.path.with_name(case.path.name + ".golden.jsonl"), rows(events, drop=IDENTITY_FIELDS), update_goldens
    )
    check_golden(case.path.with_name(case.path.name + ".rejects.golden.jsonl"), reject_rows(rejects), update_goldens)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gzip_copy_gives_the_same_rows(case: Case, tmp_path: Path) -> None:
    events, rejects, _ = case.parse(tmp_path)
    gz = tmp_path / (case.path.name + ".gz")
    gz.write_bytes(gzip.compress(case.path.read_bytes(), mtime=0))
    events_gz, rejects_gz, _ = case.parse(tmp_path, gz)
    assert rows(events_gz, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)
    assert reject_rows(rejects_gz) == reject_rows(rejects)


def test_every_parser_has_fixtures() -> None:
    from parsers.base import load_all

    web = {name for name in load_all() if name.split(".")[0] in {"apache", "nginx", "iis", "haproxy"}}
    assert web == {"apache.access", "apache.error", "nginx.access", "nginx.error", "iis.w3c", "haproxy.http"}
    covered = {c.parser for c in CASES}
    assert web <= covered


def test_web_parsers_document_themselves() -> None:
    from parsers.base import load_all

    for name, cls in load_all().items():
        if name.split(".")[0] in {"apache", "nginx", "iis", "haproxy"}:
            assert "Reference: http" in (cls.__doc__ or ""), name
            assert cls.description() and len(cls.description()) < 100, name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_small_chunks_parsed_side_by_side_change_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut into many chunks and parsed several at a time, every fixture gives the same rows."""
    import forensics.intake.parsing as parsing_mod
    import forensics.intake.reader as reader_mod

    (tmp_path / "whole").mkdir()
    (tmp_path / "chunks").mkdir()
    whole_events, whole_rejects, _ = case.parse(tmp_path / "whole")
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 300)
    monkeypatch.setattr(parsing_mod, "PARSE_WORKERS", 3)
    events, rejects, _ = case.parse(tmp_path / "chunks")
    assert events.equals(whole_events)
    assert rejects.equals(whole_rejects)
