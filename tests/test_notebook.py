"""The docs notebook runs from top to bottom, and its committed outputs are the ones it gives today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebooks" / "investigate.ipynb"


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebook", ROOT / "scripts" / "build_notebook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_notebook_runs_and_its_committed_outputs_are_current() -> None:
    build = _builder()
    committed = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert code and all(c.get("outputs") for c in code), "commit the notebook with its outputs"
    fresh = build.execute(NOTEBOOK)
    assert not build.errors(fresh), build.errors(fresh)
    assert build.outputs(build.normalise(committed)) == build.outputs(fresh), (
        "the committed outputs are stale: run python scripts/build_notebook.py"
    )
    assert "rapport.html" in fresh.cells[-1]["outputs"][0]["data"]["text/plain"]
