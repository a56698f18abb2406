"""Who owns an output folder: the run id, the lock, atomic writes and stale outputs.

Every output folder belongs to one run.  A run id is the SHA-256 of what decides the
outputs (the SHA-256 of every evidence file with its path, the case config's hash, the
options that change events, and the tool version), so the same inputs give the same id on
every machine and two different runs never share one.  It is stamped in every file a run
writes: ``"run_id"`` in the JSON files, ``forensics.run_id`` in the key-value metadata of
every Parquet file, and a ``<meta name="forensics-run-id">`` in the report.

A command that would leave outputs of two runs side by side refuses unless told
``force``: then it removes those stale files, names each on stderr, and removes nothing
else (only the file names listed in ``RUN_FILES``, never a folder, never an unknown file).

Each output is written to a hidden temporary name in the same folder and renamed over the
final name, so an interrupted run never leaves a half-written file under a final name; and
a lock file (``.forensics.lock``, ``flock``) keeps two runs out of one folder at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

#: The Parquet key-value metadata key that holds the run id.
PARQUET_KEY = "forensics.run_id"
#: The report's meta element name.
HTML_META = "forensics-run-id"
#: Files a run writes into its output folder (and the only files ``force`` may remove).
RUN_FILES = (
    "events.parquet",
    "rejects.parquet",
    "manifest.json",
    "findings.json",
    "sessions.parquet",
    "links.parquet",
    "finding_events.parquet",
    "accounts.parquet",
    "coverage.parquet",
    "attribution.parquet",
    "report.html",
    "report.html.sha256",
)
#: Exports written by ``forensics export`` into OUT by default: they follow events.parquet.
EXPORT_FILES = ("events.jsonl", "events.csv", "events.timesketch.csv")
LOCK_NAME = ".forensics.lock"

_META_RE = re.compile(rb'<meta name="' + HTML_META.encode() + rb'" content="([0-9a-f]{1,64})"')


class OutputError(RuntimeError):
    """The output folder cannot take this run (a file, in use, or holding another run's outputs)."""


def run_id(
    files: Iterable[tuple[str, str]], config_sha256: str | None, options: Mapping[str, Any], version: str
) -> str:
    """The run id: 16 hex digits of a SHA-256 over (path, SHA-256) pairs, config hash, options, version."""
    doc = {
        "files": sorted([p, h] for p, h in files),
        "config": config_sha256,
        "options": {k: options[k] for k in sorted(options)},
        "version": version,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


def parquet_metadata(rid: str | None) -> dict[str, str] | None:
    """The key-value metadata to pass to ``write_parquet``/``sink_parquet`` (None without a run id)."""
    return {PARQUET_KEY: rid} if rid else None


def read_run_id(path: Path) -> str | None:
    """The run id stamped in one output file, or None when it carries none (or cannot be read)."""
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet_metadata(path).get(PARQUET_KEY)
        if path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            return doc.get("run_id") if isinstance(doc, dict) else None
        if path.suffix == ".html":
            with path.open("rb") as fh:
                m = _META_RE.search(fh.read(8192))
            return m.group(1).decode() if m else None
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    return None


def run_ids(out: Path, names: Iterable[str] = RUN_FILES) -> dict[str, str | None]:
    """Run id of every run output present in ``out`` (``.sha256`` sidecars follow their file)."""
    found: dict[str, str | None] = {}
    for name in names:
        path = out / name
        if path.is_file() and not name.endswith(".sha256"):
            found[name] = read_run_id(path)
    return found


def stale_outputs(out: Path, rid: str, keep: Iterable[str] = ()) -> list[str]:
    """Names of files in ``out`` that belong to a run other than ``rid`` (or to no known run).

    ``keep`` names outputs this command will not rewrite but that may stay (they carry
    ``rid``).  Exports carry no run id: they are stale when manifest.json is.
    """
    if not out.is_dir():
        return []
    stale = [name for name, found in run_ids(out).items() if found != rid]
    sidecar = out / "report.html.sha256"
    if sidecar.is_file() and ("report.html" in stale or not (out / "report.html").is_file()):
        stale.append(sidecar.name)
    manifest_ok = (out / "manifest.json").is_file() and "manifest.json" not in stale
    if not manifest_ok:
        stale += [name for name in EXPORT_FILES if (out / name).is_file()]
    return sorted(set(stale) - set(keep))


def clear_stale(out: Path, rid: str, *, force: bool, say: Any = None) -> list[str]:
    """Refuse (``OutputError``) or, with ``force``, remove the outputs of another run; return their names."""
    stale = stale_outputs(out, rid)
    if not stale:
        return []
    if not force:
        raise OutputError(
            f"{out} holds outputs of another run ({', '.join(stale)}); choose another output folder, "
            "or pass --force to remove those files first"
        )
    for name in stale:
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
        elif path.is_symlink():
            path.unlink()  # the link itself, never what it points to
        if say is not None:
            say(f"removed {name} (output of another run)")
    return stale


def check_output_folder(out: Path) -> None:
    """An OUT that exists and is not a folder is a clear error before any work starts."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"the output path {out} exists and is not a folder")


_HELD: dict[Path, int] = {}


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock (re-entrant within one process); ``OutputError`` if another run holds it."""
    out = Path(out)
    check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    if key in _HELD:
        yield
        return
    fd = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputError(
            f"another run is writing into {out}; wait for it to finish or choose another folder"
        ) from None
    _HELD[key] = fd
    try:
        yield
    finally:
        del _HELD[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def temporary(target: Path) -> Path:
    """The hidden temporary name ``target`` is written under before ``commit`` renames it (same suffix)."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")


def commit(tmp: Path, target: Path) -> Path:
    """Rename a finished temporary file over its final name (atomic within one file system)."""
    os.replace(tmp, target)
    return target


@contextlib.contextmanager
def atomic(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success rename it over ``target``, on failure remove it."""
    target = Path(target)
    tmp = temporary(target)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    commit(tmp, target)


def write_text(target: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: Path, doc: Any) -> Path:
    """Write a JSON document (indented, UTF-8, final newline) atomically."""
    return write_text(target, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


__all__ = [
    "EXPORT_FILES",
    "PARQUET_KEY",
    "RUN_FILES",
    "OutputError",
    "atomic",
    "check_output_folder",
    "clear_stale",
    "commit",
    "locked",
    "parquet_metadata",
    "read_run_id",
    "run_id",
    "run_ids",
    "stale_outputs",
    "temporary",
    "write_json",
    "write_text",
]
