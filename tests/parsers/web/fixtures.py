"""The web fixtures: ``tests/data/web/<parser>/<case>.log`` with an optional sidecar.

The folder names the parser (``apache_access`` -> ``apache.access``).  A sidecar
``<case>.log.options.json`` may give ``format``, ``options`` (source keys such as
``log_format``), ``tz``, ``trusted_proxies`` and ``detect`` (what format detection must
return for the bare file: the folder's parser by default, ``null`` when the file needs
its config to be read).  Goldens sit beside: ``<case>.log.golden.jsonl`` (events) and
``<case>.log.rejects.golden.jsonl`` (rejects with their reasons).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from tests.golden import IDENTITY_FIELDS, parse_file

DATA = Path(__file__).resolve().parents[2] / "data" / "web"


@dataclass(frozen=True)
class Case:
    """One fixture file and how to read it."""

    path: Path
    parser: str
    options: dict[str, Any] = field(default_factory=dict)
    tz: str | None = "Europe/Paris"
    trusted_proxies: tuple[str, ...] = ()
    detect: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    def parse(self, tmp_path: Path, path: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
        return parse_file(
            path or self.path,
            tmp_path,
            fmt=self.parser,
            options=self.options,
            tz=self.tz,
            trusted_proxies=self.trusted_proxies,
        )


def cases(parser_dir: str | None = None) -> list[Case]:
    """Every fixture (of one parser folder when given), sorted."""
    folders = [DATA / parser_dir] if parser_dir else sorted(p for p in DATA.iterdir() if p.is_dir())
    out = []
    for folder in folders:
        parser = folder.name.replace("_", ".", 1)
        for log in sorted(folder.glob("*.log")):
            side = log.with_name(log.name + ".options.json")
            spec = json.loads(side.read_text(encoding="utf-8")) if side.exists() else {}
            out.append(
                Case(
                    path=log,
                    parser=spec.get("format", parser),
                    options=spec.get("options", {}),
                    tz=spec.get("tz", "Europe/Paris"),
                    trusted_proxies=tuple(spec.get("trusted_proxies", ())),
                    detect=spec.get("detect", parser),
                )
            )
    return out


def reject_rows(rejects: pl.DataFrame) -> list[dict[str, Any]]:
    """Rejects as JSON-ready dicts, without the file identity."""
    keep = ["log.file.line", "log.file.lines", "log.offset", "reason", "event.original"]
    return rejects.sort("log.file.line").select(keep).to_dicts()


__all__ = ["DATA", "IDENTITY_FIELDS", "Case", "cases", "reject_rows"]
