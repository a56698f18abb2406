"""Defect 6 (access times) and deliverable 2 (every line accounted for, every skip explained) of issue 16."""

from __future__ import annotations

import errno
import gzip
import os
from pathlib import Path

import pytest

import forensics.intake.stream as stream_mod
from forensics.intake.engine import ingest

from .conftest import LINE, manifest

pytestmark = pytest.mark.skipif(not getattr(os, "O_NOATIME", 0), reason="no O_NOATIME on this platform")


def test_reading_the_evidence_leaves_access_times_as_they_were(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    log = root / "access.log"
    log.write_text(LINE * 3)
    st = log.stat()
    old = st.st_mtime - 86_400  # older than the mtime: a relatime mount would update it on read
    os.utime(log, (old, st.st_mtime))
    result = ingest(root, tmp_path / "out")
    assert log.stat().st_atime == old
    m = manifest(result.out_dir)
    assert m["files"][0]["noatime"] is True
    assert m["evidence_access"] == {
        "read_only": True,
        "o_noatime": "all",
        "o_noatime_files": 1,
        "o_noatime_available": True,
    }


def test_when_the_system_refuses_o_noatime_the_file_is_read_and_the_manifest_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    real = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & os.O_NOATIME:  # what a user who does not own the file gets
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(stream_mod.os, "open", refuse)
    result = ingest(root, tmp_path / "out")
    m = manifest(result.out_dir)
    assert m["totals"]["events"] == 1
    assert m["files"][0]["noatime"] is False and m["evidence_access"]["o_noatime"] == "none"


def test_every_file_balances_and_the_totals_prove_it(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / "web" / "access.log").write_text(LINE + "\n   \n" + "garbage line\n" + LINE)
    (root / "web" / "access.log.1.gz").write_bytes(gzip.compress((LINE * 2).encode(), mtime=0))
    (root / "notes" / "todo.txt").write_text("call the provider\nask for the backups\nno\n")
    os.mkfifo(root / "notes" / "pipe")
    result = ingest(root, tmp_path / "out")
    m = manifest(result.out_dir)
    for f in m["files"]:
        parts = f["lines_in_events"] + f["lines_blank"] + f["lines_meta"] + f["lines_rejected"]
        assert f["lines_read"] == parts + f["lines_unrecognised"] == f["lines_accounted"]
        assert f["balanced"] is True
    todo = next(f for f in m["files"] if f["path"] == "notes/todo.txt")
    assert todo["detection"] == "unrecognised" and todo["lines_unrecognised"] == 3
    t = m["totals"]
    assert t["balanced"] is True
    assert t["lines_read"] == 5 + 2 + 3 == t["lines_accounted"]
    assert (t["lines_in_events"], t["lines_blank"], t["lines_rejected"], t["lines_unrecognised"]) == (4, 2, 1, 3)
    assert m["skipped"] == [
        {"relpath": "notes/pipe", "reason": "FIFO skipped (never opened)", "reason_code": "walk.fifo", "params": {}}
    ]
    assert all(s["reason"] for s in m["skipped"])
