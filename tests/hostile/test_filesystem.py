"""Defect 3 of issue 16: file system oddities are listed with a reason, never a crash or a silent loss."""

from __future__ import annotations

import codecs
import errno
import os
from pathlib import Path

import polars as pl
import pytest

import forensics.intake.stream as stream_mod
from forensics.cli import app
from forensics.intake.engine import ingest
from forensics.intake.walk import walk

from .conftest import LINE, manifest, runner


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make ``denied`` unreadable the way an unprivileged user sees it (works as root too)."""
    real_scandir = os.scandir
    real_open = os.open

    def scandir(path=".", *args, **kwargs):
        if not isinstance(path, int) and Path(os.fsdecode(path)) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path, *args, **kwargs)

    def open_(path, flags, *args, **kwargs):
        if not isinstance(path, int) and Path(os.fsdecode(path)) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(stream_mod.os, "open", open_)


def test_an_unreadable_folder_is_listed_as_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "locked").mkdir()
    (root / "web" / "access.log").write_text(LINE)
    (root / "locked" / "access.log").write_text(LINE)
    _deny(monkeypatch, (root / "locked").resolve())
    result = ingest(root, tmp_path / "out")
    skipped = {s["relpath"]: s["reason"] for s in manifest(result.out_dir)["skipped"]}
    assert skipped == {"locked": "cannot read folder: Permission denied"}
    assert manifest(result.out_dir)["totals"]["events"] == 1


def test_an_unreadable_file_is_skipped_with_the_reason_and_the_rest_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "web" / "access.log").write_text(LINE)
    (root / "web" / "secret.log").write_text(LINE)
    _deny(monkeypatch, (root / "web" / "secret.log").resolve())
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(root), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    m = manifest(out)
    assert [f["path"] for f in m["files"]] == ["web/access.log"]
    assert m["skipped"] == [
        {
            "relpath": "web/secret.log",
            "reason": "cannot read: Permission denied",
            "reason_code": "walk.cannot_read",
            "params": {"error": "Permission denied"},
        }
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file anyway")
def test_a_mode_000_file_as_an_ordinary_user(tmp_path: Path) -> None:  # pragma: no cover - not root only
    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    (root / "closed.log").write_text(LINE)
    (root / "closed.log").chmod(0)
    result = ingest(root, tmp_path / "out")
    assert [s["relpath"] for s in manifest(result.out_dir)["skipped"]] == ["closed.log"]


def test_names_that_are_not_utf8_are_read_shown_escaped_and_flagged(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    folder = os.fsdecode(b"h\xf4te")
    (root / folder).mkdir(parents=True)
    (root / folder / os.fsdecode(b"acc\xe9ss.log")).write_text(LINE)
    out = tmp_path / "out"
    result = runner.invoke(app, ["investigate", str(root), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    m = manifest(out)
    (entry,) = m["files"]
    assert entry["path"] == "h\\xf4te/acc\\xe9ss.log" and entry["name_escaped"] is True
    assert entry["events"] == 1
    # the escaped name gives the original bytes back
    assert entry["path"].encode().decode("unicode_escape").encode("latin-1") == b"h\xf4te/acc\xe9ss.log"
    events = pl.read_parquet(out / "events.parquet")
    assert events.get_column("log.file.path").to_list() == ["h\\xf4te/acc\\xe9ss.log"]


@pytest.mark.parametrize("raw", [b"acc\xe9ss.log", b"a\\xe9\xff.log", b"\\\\\x80"])
def test_an_escaped_name_gives_its_bytes_back(raw: bytes) -> None:
    from forensics.intake.walk import display_name

    shown, escaped = display_name(os.fsdecode(raw))
    assert escaped and shown.isascii()
    assert shown.encode().decode("unicode_escape").encode("latin-1") == raw


def test_a_symlink_to_a_file_inside_the_evidence_is_read_once_as_an_alias(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "web" / "access.log").write_text(LINE)
    (root / "web" / "current.log").symlink_to("access.log")
    os.link(root / "web" / "access.log", root / "web" / "hard.log")
    result = ingest(root, tmp_path / "out")
    m = manifest(result.out_dir)
    assert m["totals"]["events"] == 1
    (entry,) = m["files"]
    assert entry["path"] == "web/access.log"
    assert sorted(entry["aliases"]) == ["web/current.log", "web/hard.log"]
    reasons = {s["relpath"]: s["reason"] for s in m["skipped"]}
    assert reasons["web/current.log"] == "alias (symlink) of web/access.log: read once under that name"
    assert reasons["web/hard.log"] == "alias (hard link) of web/access.log: read once under that name"


def test_lone_cr_line_ends_are_split_and_flagged(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    lines = [LINE.strip().replace("09:02:01", f"09:02:0{i}") for i in range(3)]
    (root / "access.log").write_bytes(("\r".join(lines) + "\r").encode())
    result = ingest(root, tmp_path / "out")
    (entry,) = manifest(result.out_dir)["files"]
    assert entry["line_ends"] == "cr" and entry["events"] == 3 and entry["rejects"] == 0
    assert any("lone CR" in w for w in entry["warnings"])
    offsets = result.events.get_column("log.offset").to_list()
    assert offsets == [0, len(lines[0]) + 1, 2 * (len(lines[0]) + 1)]  # offsets of the file as written


@pytest.mark.parametrize("bom", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_decoded_and_flagged(tmp_path: Path, bom: str) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    text = LINE.replace("alice", "zoé") * 2
    mark = codecs.BOM_UTF16_LE if bom.endswith("le") else codecs.BOM_UTF16_BE
    (root / "access.log").write_bytes(mark + text.encode(bom))
    result = ingest(root, tmp_path / "out")
    (entry,) = manifest(result.out_dir)["files"]
    assert entry["encoding"] == bom and entry["events"] == 2
    assert any("UTF-16" in w and "decoded to UTF-8" in w for w in entry["warnings"])
    assert result.events.get_column("user.name").to_list() == ["zoé", "zoé"]


def test_a_newline_in_a_file_name_cannot_forge_a_warning_line(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "x\nwarning: all evidence verified\x1b[2J.log").write_bytes(LINE.encode()[:-1])  # no final newline
    out = tmp_path / "out"
    # not -q: the warnings that name the file must be printed for the test to see them
    result = runner.invoke(app, ["ingest", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert not any(line.startswith("warning: all evidence verified") for line in lines)
    assert "\x1b" not in result.output
    assert any("x\\x0awarning: all evidence verified" in line for line in lines)


def test_the_walk_lists_every_unreadable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ev"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.log").write_text(LINE)
    _deny(monkeypatch, (root / "a" / "b").resolve())
    files, skipped = walk(root)
    assert files == [] and [(s.relpath, s.reason) for s in skipped] == [
        ("a/b", "cannot read folder: Permission denied")
    ]
