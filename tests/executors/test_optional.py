"""Dask is optional: the default path never imports it, and asking for it without it says what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forensics.app import ExitCode
from forensics.cli import app

ROOT = Path(__file__).resolve().parents[2]
LINE = '192.0.2.10 - alice [25/Oct/2024:10:00:00 +0200] "GET /index.php HTTP/1.1" 200 512 "-" "curl/8.0"\n'


def _evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence" / "web01"
    root.mkdir(parents=True)
    (root / "access.log").write_text(LINE * 3, encoding="utf-8")
    return tmp_path / "evidence"


def test_default_path_never_imports_dask(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path)
    code = (
        "import sys\n"
        "import forensics, forensics.cli, forensics.app, forensics.intake.engine, forensics.executors, forensics.dataset\n"
        f"forensics.intake.engine.ingest({str(evidence)!r}, {str(tmp_path / 'out')!r}, layout='both')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("command", ["ingest", "investigate"])
def test_executor_dask_without_dask_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # a None entry in sys.modules is how Python spells "not importable"
    monkeypatch.setitem(sys.modules, "distributed", None)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [command, str(_evidence(tmp_path)), "-o", str(out), "--executor", "dask"])
    assert result.exit_code == ExitCode.USAGE
    assert "pip install 'forensic-timeline[dask]'" in result.output
    assert not out.exists()  # refused before any work


def test_unknown_executor_and_layout_are_usage_errors(tmp_path: Path) -> None:
    evidence = str(_evidence(tmp_path))
    for extra in (["--executor", "spark"], ["--layout", "flat"], ["--scheduler", "tcp://192.0.2.1:8786"]):
        result = CliRunner().invoke(app, ["ingest", evidence, "-o", str(tmp_path / "out"), *extra])
        assert result.exit_code == ExitCode.USAGE, (extra, result.output)


def test_correlate_executor_dask_without_dask_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(app, ["correlate", str(tmp_path / "out"), "--executor", "dask"])
    assert result.exit_code == ExitCode.USAGE
    assert "pip install 'forensic-timeline[dask]'" in result.output
