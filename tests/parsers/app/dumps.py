"""Helpers for the Mediboard dump tests: ingest a whole dump folder (siblings resolve each other)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from forensics.config import CaseConfig, SourceConfig
from forensics.intake.engine import ingest
from tests.golden import IDENTITY_FIELDS, rows

DATA = Path(__file__).resolve().parents[2] / "data" / "app"
GOLDEN_SUFFIX = ".golden.jsonl"


def inputs(folder: Path) -> list[Path]:
    """The dump files of a fixture folder (goldens excluded)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(GOLDEN_SUFFIX))


def ingest_folder(
    folder: Path, tmp_path: Path, *, fmt: str | None = None, options: dict[str, Any] | None = None, gz: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Ingest a copy of ``folder`` (gzipped file by file when ``gz``) in the Europe/Paris zone."""
    evidence = tmp_path / f"evidence-{folder.name}{'-gz' if gz else ''}"
    evidence.mkdir()
    for path in inputs(folder):
        if gz:
            (evidence / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes(), mtime=0))
        else:
            shutil.copy(path, evidence / path.name)
    sources = (SourceConfig(path="**", format=fmt, options=dict(options or {})),) if (fmt or options) else ()
    cfg = CaseConfig(timezone="Europe/Paris", sources=sources)
    result = ingest(evidence, tmp_path / f"out-{evidence.name}", config=cfg)
    return result.events, result.rejects, result.manifest


def file_rows(events: pl.DataFrame, name: str) -> list[dict[str, Any]]:
    """Golden rows of the events of one file (``name``, with or without ``.gz``)."""
    picked = events.filter(pl.col("log.file.path").is_in([name, f"{name}.gz"]))
    return rows(picked, drop=IDENTITY_FIELDS)
