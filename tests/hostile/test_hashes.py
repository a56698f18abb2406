"""Hashed before and after: a file that changes while it is read is caught and said."""

from __future__ import annotations

import hashlib
from pathlib import Path

from forensics.intake.engine import ingest

from .conftest import LINE, manifest


def test_a_file_changed_during_the_run_is_flagged(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    log = root / "access.log"
    log.write_text(LINE * 2)
    before = hashlib.sha256(log.read_bytes()).hexdigest()
    touched: list[bool] = []

    def progress(done: int, total: int, item: str) -> None:
        if not touched:  # someone appends to the log while the tool reads it
            with log.open("a") as fh:
                fh.write(LINE)
            touched.append(True)

    result = ingest(root, tmp_path / "out", progress=progress)
    (entry,) = manifest(result.out_dir)["files"]
    assert entry["sha256_before"] == before
    assert entry["sha256_after"] == hashlib.sha256(log.read_bytes()).hexdigest() != before
    assert entry["unchanged"] is False
    assert any("SHA-256 before and after differ" in w for w in entry["warnings"])


def test_an_untouched_file_has_equal_hashes_before_and_after(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    digest = hashlib.sha256(LINE.encode()).hexdigest()
    (entry,) = manifest(ingest(root, tmp_path / "out").out_dir)["files"]
    assert entry["sha256_before"] == entry["sha256_after"] == digest and entry["unchanged"] is True
