"""mediboard.applog (Monolog application.log): golden, .gz, multi-line records, hostile text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.golden import IDENTITY_FIELDS, check_golden, parse_file, rows

DATA = Path(__file__).resolve().parents[2] / "data" / "app"


def test_golden_and_gz(tmp_path: Path, update_goldens: bool) -> None:
    src = DATA / "application.log"
    events, rejects, manifest = parse_file(src, tmp_path, tz="Europe/Paris")
    report = manifest["files"][0]
    assert report["parser"] == "mediboard.applog"
    assert report["lines_read"] == report["lines_in_events"] + report["lines_rejected"]
    check_golden(DATA / "application.log.golden.jsonl", rows(events, drop=IDENTITY_FIELDS), update_goldens)
    gz = tmp_path / "application.log.gz"
    gz.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    events_gz, _, _ = parse_file(gz, tmp_path, tz="Europe/Paris")
    assert rows(events_gz, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)
    reasons = dict(zip(rejects.get_column("log.file.line").to_list(), rejects.get_column("reason").to_list()))
    assert reasons == {1: "continuation line without a record start", 12: "unreadable time"}


def test_fields(tmp_path: Path) -> None:
    events, _, _ = parse_file(DATA / "application.log", tmp_path, tz="Europe/Paris")
    by_line = {r["log.file.line"]: r for r in events.to_dicts()}
    first = by_line[2]
    assert (first["user.id"], first["destination.ip"], first["session.id"]) == ("1042", "10.10.1.21", "e3a9c0f1d2b34c5")
    assert "session_id_truncated" in first["tags"]
    assert json.loads(first["labels"])["context"] == {"m": "dPpatients", "raw": "ajax_export_patients_csv"}
    error = by_line[3]
    assert error["log.file.lines"] == 4 and error["event.action"] == "server_error"
    assert error["message"] == "PHP Fatal error:  Allowed memory size of 1073741824 bytes exhausted [...]"
    assert "#1 {main}" in error["event.original"]
    assert by_line[7]["labels"] is None and by_line[7]["event.action"] == "log_message"
    offset = by_line[8]
    assert offset["time.zone_source"] == "record" and offset["time.zone"] == "+01:00"
    hostile = by_line[9]
    assert hostile["message"].startswith('Login "<script>alert(1)</script>" \x1b[31mred')
    assert hostile["user.id"] is None
    quoting = by_line[10]  # the first " [context:" splits: the rest of the message is kept as text
    assert json.loads(quoting["labels"])["context"] == 'oops] itself [context:{"a":1}'
    broken = json.loads(by_line[11]["labels"])
    assert broken == {"context": '{"a":', "extra": "not json"}


def test_small_chunks_give_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Multi-line records cut by chunk boundaries read the same."""
    import forensics.intake.reader

    events, _, _ = parse_file(DATA / "application.log", tmp_path, tz="Europe/Paris")
    monkeypatch.setattr(forensics.intake.reader, "CHUNK_BYTES", 50)
    small = tmp_path / "small"
    small.mkdir()
    events_small, _, _ = parse_file(DATA / "application.log", small, tz="Europe/Paris")
    assert rows(events_small, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)
