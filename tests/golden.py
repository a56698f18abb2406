"""Golden-file helpers: parse a fixture through the real engine and compare with ``*.golden.jsonl``.

Run ``pytest --update-goldens`` to rewrite goldens; review the diff like code.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics.config import CaseConfig, SourceConfig
from forensics.intake.engine import ingest

#: Fields that depend on the file's bytes or name, not on what the parser understood.
IDENTITY_FIELDS = ("log.file.path", "log.file.sha256", "event.id", "log.source", "host.name")


def parse_file(
    path: Path,
    tmp_path: Path,
    *,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    tz: str | None = None,
    trusted_proxies: tuple[str, ...] = (),
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Ingest one file alone (copied into a fresh evidence folder) and return events, rejects, manifest."""
    evidence = tmp_path / f"evidence-{path.name}"
    evidence.mkdir()
    shutil.copy(path, evidence / path.name)
    source = SourceConfig(path="**", format=fmt, timezone=tz, options=dict(options or {}))
    cfg = CaseConfig(sources=(source,), trusted_proxies=trusted_proxies)
    result = ingest(evidence, tmp_path / f"out-{path.name}", config=cfg)
    return result.events, result.rejects, result.manifest


def rows(events: pl.DataFrame, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Events as JSON-ready dicts without nulls/empty lists, in canonical order."""
    out = []
    for row in events.drop([c for c in drop if c in events.columns]).to_dicts():
        clean = {}
        for k, v in row.items():
            if v is None or v == []:
                continue
            if isinstance(v, datetime):
                v = v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            clean[k] = v
        out.append(clean)
    return out


def check_golden(golden: Path, actual: list[dict[str, Any]], update: bool) -> None:
    """Compare ``actual`` with the golden JSONL (or rewrite it when ``update``)."""
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in actual)
    if update or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        return
    expected = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines() if line.strip()]
    got = [json.loads(line) for line in text.splitlines()]
    assert len(got) == len(expected), f"{golden.name}: {len(got)} events, golden has {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"{golden.name}: event {i} differs:\n got {g}\nwant {e}"
