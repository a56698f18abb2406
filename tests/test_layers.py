"""Layer rules: who may import whom (docs/architecture.md draws the same picture).

Checked on the source text (every ``import``, including those inside functions), so a lazy
import cannot slip a dependency past the rule:

* parsers know only their log and the schema: never correlation, the report, the command
  line, the front door or the intake, and they never open a file (the engine hands them the
  records of the files they need, ``Parser.references``);
* the schema imports nothing of ours, nor does the catalogue of ingest messages
  (``forensics/ingest_messages.py``), which the intake, time handling and the report all read;
* time handling (``forensics/time``) imports the schema and the ingest messages only;
* correlation never imports the report, the command line or the front door;
* the report reads output folders and the findings model: never correlation, the intake or parsers;
* the findings model (``forensics/findings/``) is what both sides share: it imports neither of
  them, nor the intake, the parsers or the front door;
* the executors (``forensics/executors/``) run the intake's per-file parse, here or on Dask:
  never correlation, the report, the findings model, application profiles or the front door;
  and nothing but the intake (and the front door) asks for an executor;
* the event dataset (``forensics/dataset.py``) writes and reads the event table's two forms:
  it knows the schema and the output folder, never the intake, the executors or what reads it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

INTAKE = ("forensics.intake",)
FRONT = ("forensics.cli", "forensics.app", "forensics.case")
EXECUTORS = ("forensics.executors",)
DATASET = ("forensics.dataset",)

RULES: dict[str, tuple[str, ...]] = {
    "parsers": ("forensics.correlate", "forensics.report", "forensics.apps", *FRONT, *INTAKE, *EXECUTORS, *DATASET),
    "forensics/schema.py": ("forensics", "parsers"),
    # the ingest messages are read by the intake, time handling and the report alike
    "forensics/ingest_messages.py": ("forensics", "parsers"),
    "forensics/time": (
        "forensics.intake",
        "forensics.correlate",
        "forensics.report",
        "forensics.apps",
        "parsers",
        *FRONT,
        *EXECUTORS,
        *DATASET,
    ),
    # correlation reads schema columns and reaches an application only through its profile
    # (forensics.apps.profile_for), never one application's module
    "forensics/correlate": (
        "forensics.report",
        "forensics.apps.mediboard",
        "forensics.apps.generic",
        *FRONT,
        *EXECUTORS,
    ),
    "forensics/report": ("forensics.correlate", "parsers", *FRONT, *INTAKE, *EXECUTORS),
    "forensics/findings": (
        "forensics.correlate",
        "forensics.report",
        "forensics.apps",
        "parsers",
        *FRONT,
        *INTAKE,
        *EXECUTORS,
        *DATASET,
    ),
    "forensics/executors": ("forensics.correlate", "forensics.report", "forensics.findings", "forensics.apps", *FRONT),
    "forensics/dataset.py": (
        "forensics.intake",
        "forensics.correlate",
        "forensics.report",
        "forensics.findings",
        "parsers",
        *FRONT,
        *EXECUTORS,
    ),
}


#: Breaks known and not yet mended, each with why; a new break fails, and so does a mended one
#: still listed here (so the list only shrinks).
KNOWN: dict[tuple[str, str], str] = {}

#: What opening a file looks like: a parser gets records, and the files it needs beside the one
#: it reads through ``Parser.references`` (the engine walks, hashes and counts them).
FILE_MODULES = ("os", "pathlib", "gzip", "bz2", "lzma", "zipfile", "tarfile", "shutil", "tempfile", "glob")
FILE_CALLS = ("open", "read_bytes", "read_text", "iterdir", "scandir", "listdir", "glob", "rglob")


def imported(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _breaks(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    where = ROOT / layer
    files = [where] if where.is_file() else sorted(where.rglob("*.py"))
    assert files, f"{layer} has no Python file"
    found = {(f.relative_to(ROOT).as_posix(), m) for f in files for m in imported(f) if _breaks(m, RULES[layer])}
    broken = sorted(found - set(KNOWN))
    assert not broken, "layer rule broken:\n" + "\n".join(f"{f} imports {m}" for f, m in broken)


def test_known_breaks_are_still_there() -> None:
    """A mended break leaves the list: KNOWN must not excuse a future one."""
    for path, module in KNOWN:
        assert module in imported(ROOT / path), f"{path} no longer imports {module}: remove it from KNOWN"


def file_access(path: Path) -> list[str]:
    """Imports of file-system modules and calls that open or list files in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [f"imports {m}" for m in sorted(imported(path)) if m.split(".")[0] in FILE_MODULES]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in FILE_CALLS:
                found.append(f"calls {name}() on line {node.lineno}")
    return found


def test_parsers_never_open_files() -> None:
    """Every file read is the engine's: walked, hashed, counted in the manifest (``Parser.references``)."""
    found = [
        f"{f.relative_to(ROOT).as_posix()} {what}"
        for f in sorted((ROOT / "parsers").rglob("*.py"))
        for what in file_access(f)
    ]
    assert not found, "a parser touches files itself:\n" + "\n".join(found)


def test_the_file_checker_sees_an_open(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from pathlib import Path\n\ndef f(p):\n    return Path(p).parent.iterdir()\n")
    assert file_access(probe) == ["imports pathlib", "calls iterdir() on line 4"]


def test_the_rule_checker_sees_a_lazy_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from forensics.report import write_report\n    return write_report\n")
    assert _breaks("forensics.report", RULES["forensics/correlate"])
    assert "forensics.report" in imported(probe)
