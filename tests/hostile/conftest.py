"""Shared pieces of the hostile-evidence suite: one access-log line and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

#: One combined access-log line (the ``L`` of issue 16).
LINE = '203.0.113.9 - alice [22/Oct/2024:09:02:01 +0200] "GET /index.php HTTP/1.1" 200 5 "-" "curl/8"\n'

runner = CliRunner()


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to prove nothing changed)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
