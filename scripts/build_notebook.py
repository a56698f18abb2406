"""Run docs/notebooks/investigate.ipynb and commit its outputs, so a reader on a code host sees results.

    python scripts/build_notebook.py           # execute and rewrite the notebook with its outputs
    python scripts/build_notebook.py --check   # execute and fail if the committed outputs differ

Outputs are normalised before they are written or compared: the temporary output folder
becomes ``<OUT>``, the repository's path ``<REPO>``, and cell metadata carries no timing, so
the same code gives the same file on every machine.  tests/test_notebook.py runs the check.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebooks" / "investigate.ipynb"
_OUT = re.compile(r"[^\s'\"<>()\[\],]*forensics-notebook-[A-Za-z0-9_]+")
_ADDR = re.compile(r" at 0x[0-9a-f]+")


def _clean(text: str) -> str:
    text = _OUT.sub("<OUT>", text)
    text = text.replace(str(ROOT), "<REPO>")
    return _ADDR.sub(" at 0x…", text)


def _normalise_value(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_normalise_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_value(v) for k, v in value.items()}
    return value


def normalise(nb: Any) -> Any:
    """The notebook with volatile parts replaced: paths, object addresses, timing metadata."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = [nbformat.from_dict(_normalise_value(dict(o))) for o in cell.outputs]
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}  # the interpreter's version is not part of the result
    return nb


def execute(path: Path = NOTEBOOK) -> Any:
    """Run every cell (in the notebook's folder) and return the normalised notebook."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = nbclient.NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return normalise(nb)


def outputs(nb: Any) -> list[Any]:
    """What the check compares: each code cell's source, execution count and outputs."""
    return [
        (cell.source, cell.get("execution_count"), [dict(o) for o in cell.get("outputs", [])])
        for cell in nb.cells
        if cell.cell_type == "code"
    ]


def errors(nb: Any) -> list[Any]:
    return [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed outputs are not current")
    args = parser.parse_args(argv)
    fresh = execute()
    if errors(fresh):
        print("the notebook raised an error:", errors(fresh)[0].get("evalue"), file=sys.stderr)
        return 1
    if args.check:
        committed = nbformat.read(NOTEBOOK, as_version=4)
        if outputs(normalise(committed)) != outputs(fresh):
            print(f"{NOTEBOOK} outputs are not current: run python scripts/build_notebook.py", file=sys.stderr)
            return 1
        return 0
    nbformat.write(fresh, NOTEBOOK)
    print(f"written: {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
