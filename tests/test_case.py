"""The notebook API: ``forensics.investigate``/``load``/``Case`` over output folders, and the layer rules."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import typer

import forensics
from forensics.case import Case, NotAnOutputFolder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_evidence"


def test_load_opens_an_output_folder_from_str_or_path(sample_case: Path) -> None:
    case = forensics.load(str(sample_case))
    assert isinstance(case, forensics.Case)
    assert Case(sample_case).run_id == Case(str(sample_case)).run_id == case.manifest["run_id"]
    assert case.events.height == case.manifest["totals"]["events"]
    assert not case.nothing_read


def test_load_given_evidence_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotAnOutputFolder, match="looks like evidence"):
        forensics.load(SAMPLE)
    with pytest.raises(NotAnOutputFolder, match="not an output folder"):
        forensics.load(tmp_path)


def test_account_covers_every_event_the_correlation_attributed(sample_case: Path) -> None:
    case = forensics.load(sample_case)
    name = "adm.interop"
    view = case.account(name)
    ips = set(view.ips.get_column("source.ip").drop_nulls().to_list())
    exfil_ips = {row["ip"] for row in case.findings["exfiltration"] if row["account"] == name and row.get("ip")}
    assert exfil_ips and exfil_ips <= ips  # the addresses of its exfiltration requests
    attributed = case.attribution.filter(pl.col("account") == name).get_column("row").n_unique()
    named = case.scan().filter(pl.col("user.name") == name).select(pl.len()).collect().item()
    assert view.events.height >= max(attributed, named) > 0
    assert view.verdict["verdict"] == "compromised"


def test_an_unknown_account_raises_keyerror_with_close_matches(sample_case: Path) -> None:
    case = forensics.load(sample_case)
    with pytest.raises(KeyError, match=r"did you mean adm\.interop"):
        case.account("adm.interopp")
    with pytest.raises(KeyError, match="no account 'nobody'"):
        case.account("nobody")


def test_links_and_sessions_are_frames(sample_case: Path) -> None:
    case = forensics.load(sample_case)
    assert case.links.height > 0 and {"kind", "reason", "confidence"} <= set(case.links.columns)
    assert case.sessions.height > 0


def test_the_package_face_lists_what_it_offers_with_docstrings() -> None:
    listed = dir(forensics)
    for name in ("investigate", "load", "Case", "EVENT_SCHEMA", "ExitCode", "Options", "__version__"):
        assert name in listed and name in forensics.__all__
    for name in forensics.__all__:
        value = getattr(forensics, name)
        if callable(value):
            assert inspect.getdoc(value), f"forensics.{name} has no docstring"
    case_public = [n for n in dir(Case) if not n.startswith("_")]
    assert {"events", "links", "sessions", "account", "findings", "report", "timeline", "run_id"} <= set(case_public)
    for name in case_public:
        assert inspect.getdoc(getattr(Case, name)), f"Case.{name} has no docstring"


def test_investigate_mirrors_the_command_options_one_to_one() -> None:
    from forensics.cli import app

    command = typer.main.get_command(app)
    cli = {p.name for p in command.commands["investigate"].params}  # type: ignore[attr-defined]
    api = set(inspect.signature(forensics.investigate).parameters) - {"progress"}
    assert cli == api


def test_investigate_takes_the_memory_budget_and_a_window(tmp_path: Path) -> None:
    small = ROOT / "tests" / "data" / "evidence_small"
    case = forensics.investigate(small, out=tmp_path / "out", memory=0, since="2024-10-23", quiet=True)
    assert case.manifest["window"]["since"]["zone_source"] == "assumed"
    assert (tmp_path / "out" / "report.html").is_file()
    with pytest.raises(forensics.UsageError, match="--lang"):
        forensics.investigate(small, out=tmp_path / "other", lang="de")
    assert not (tmp_path / "other").exists()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_correlation_never_imports_the_report_and_no_module_imports_the_package_face() -> None:
    for path in (ROOT / "forensics" / "correlate").rglob("*.py"):
        assert not any(n.startswith("forensics.report") for n in _imports(path)), path
    for path in (ROOT / "forensics").rglob("*.py"):
        if path.name == "__init__.py" and path.parent.name == "forensics":
            continue
        assert "forensics.__version__" not in _imports(path), path
    code = "import sys, forensics.correlate; print(any(m.startswith('forensics.report') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


def test_case_reads_and_never_runs_anything() -> None:
    imported = _imports(ROOT / "forensics" / "case.py")
    assert not any(n.startswith(("forensics.intake", "forensics.correlate", "forensics.app")) for n in imported)


def test_manifest_is_json_with_the_run_id_first(sample_case: Path) -> None:
    doc = json.loads((sample_case / "manifest.json").read_text())
    assert list(doc)[:2] == ["schema", "run_id"]
