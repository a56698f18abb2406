"""Helpers shared by the time tests: ingest a folder, compare with ``*.expected.json``."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics.config import CaseConfig, SourceConfig
from forensics.intake.engine import ingest

DATA = Path(__file__).resolve().parents[1] / "data" / "timing"


def iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    text = ts.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text[:-7] if text.endswith(".000000") else text) + "Z"


def run(
    files: dict[str, Path | str | bytes],
    tmp_path: Path,
    *,
    sources: tuple[SourceConfig, ...] = (),
    tz: str | None = None,
    **case: Any,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Ingest an evidence folder built from ``{relpath: fixture path or content}``."""
    evidence = tmp_path / "evidence"
    for rel, content in files.items():
        target = evidence / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_bytes(content.encode() if isinstance(content, str) else content)
    cfg = CaseConfig(sources=sources, **case)
    result = ingest(evidence, tmp_path / "out", config=cfg, tz=tz)
    return result.events, result.manifest


def time_flags(flags: list[str] | None) -> list[str]:
    """The flags the time path owns (parsers may add others)."""
    return [f for f in flags or [] if f.startswith(("dst_", "year_"))]


def check_expected(events: pl.DataFrame, expected: dict[str, Any], path_suffix: str | None = None) -> None:
    """Every line named in ``expected`` has that instant, those time flags and candidate instants."""
    for line, want in expected.items():
        sel = events.filter(pl.col("log.file.line") == int(line))
        if path_suffix is not None:
            sel = sel.filter(pl.col("log.file.path").str.ends_with(path_suffix))
        assert sel.height >= 1, f"line {line} of {path_suffix or 'the fixture'} has no event"
        row = sel.row(0, named=True)
        where = f"{path_suffix or ''}:{line} {row['time.original']!r}"
        assert iso(row["time.recorded"]) == want["recorded"], where
        assert time_flags(row["time.flags"]) == want["flags"], where
        assert iso(row["time.earliest"]) == want.get("earliest"), where
        assert iso(row["time.latest"]) == want.get("latest"), where


def expected(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))
