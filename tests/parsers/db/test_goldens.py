"""Every database fixture through the real engine: golden events, expected rejects, line accounting, .gz."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from forensics.schema import ACTIONS
from tests.golden import IDENTITY_FIELDS, check_golden, parse_file, rows
from tests.parsers.db.cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=str)
def test_golden(case: Case, tmp_path: Path, update_goldens: bool) -> None:
    events, rejects, manifest = parse_file(case.path, tmp_path, fmt=case.fmt, tz=case.tz, options=case.options)
    report = manifest["files"][0]
    accounted = report["lines_in_events"] + report["lines_blank"] + report["lines_meta"] + report["lines_rejected"]
    assert accounted == report["lines_read"], report
    assert report["reject_reasons"] == case.rejects
    assert dict(rejects.group_by("reason").len().iter_rows()) == case.rejects
    assert events.height > 0
    assert set(events.get_column("event.action").unique()) <= set(ACTIONS)
    assert set(events.get_column("event.outcome").unique()) <= {"success", "failure", "unknown"}
    assert set(events.get_column("event.category").unique()) == {"database"}
    assert events.get_column("db.system").null_count() == 0
    assert events.get_column("user.name").null_count() == events.height  # the DB account is db.user
    check_golden(case.golden, rows(events, drop=IDENTITY_FIELDS), update_goldens)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gzip_copy_gives_the_same_rows(case: Case, tmp_path: Path) -> None:
    plain, plain_rejects, _ = parse_file(case.path, tmp_path, fmt=case.fmt, tz=case.tz, options=case.options)
    gz = tmp_path / f"{case.fixture}.gz"
    gz.write_bytes(gzip.compress(case.path.read_bytes(), mtime=0))
    packed, packed_rejects, _ = parse_file(gz, tmp_path, fmt=case.fmt, tz=case.tz, options=case.options)
    assert rows(packed, drop=IDENTITY_FIELDS) == rows(plain, drop=IDENTITY_FIELDS)
    assert packed_rejects.get_column("reason").to_list() == plain_rejects.get_column("reason").to_list()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_small_chunks_change_nothing(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut into many chunks (state carried from chunk to chunk, parsed ahead), every fixture gives the same rows."""
    import forensics.intake.parsing as parsing_mod
    import forensics.intake.reader as reader_mod

    for sub in ("whole", "chunks"):
        (tmp_path / sub).mkdir()
    whole, whole_rejects, _ = parse_file(case.path, tmp_path / "whole", fmt=case.fmt, tz=case.tz, options=case.options)
    monkeypatch.setattr(reader_mod, "CHUNK_BYTES", 300)
    monkeypatch.setattr(parsing_mod, "PARSE_WORKERS", 3)
    chunked, rejects, _ = parse_file(case.path, tmp_path / "chunks", fmt=case.fmt, tz=case.tz, options=case.options)
    assert chunked.equals(whole)
    assert rejects.equals(whole_rejects)
