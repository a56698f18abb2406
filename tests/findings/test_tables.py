"""One ATT&CK table and one definition of each word of the contract."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from forensics.correlate.detectors import MODULES
from forensics.finding_text import catalogue
from forensics.findings.attack import PHASES, TECHNIQUES, phase_of, tactic
from forensics.findings.vocabulary import LANGUAGES
from forensics.report.attack import PHASE_STYLE
from forensics.report.i18n import CATALOGUES

ROOT = Path(__file__).resolve().parent.parent.parent
OWNERS = {
    "BASES": "forensics/findings/vocabulary.py",
    "VERDICTS": "forensics/findings/vocabulary.py",
    "LANGUAGES": "forensics/findings/vocabulary.py",
    "TACTICS": None,  # merged into the technique table
}
TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")


def _sources() -> list[Path]:
    return sorted(p for d in ("forensics", "parsers") for p in (ROOT / d).rglob("*.py"))


def _assigned(tree: ast.Module) -> list[tuple[str, ast.expr | None]]:
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            out += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.append((node.target.id, node.value))
    return out


def test_every_technique_a_detector_declares_is_in_the_table() -> None:
    declared = {t: m.NAME for m in MODULES for t in getattr(m, "TECHNIQUES", ())}
    assert declared, "the detectors declare techniques"
    missing = sorted(t for t in declared if t not in TECHNIQUES)
    assert not missing, f"techniques declared by detectors but not in forensics/findings/attack.py: {missing}"


def test_every_technique_correlation_can_write_is_in_the_table() -> None:
    written = set()
    for path in (ROOT / "forensics" / "correlate").rglob("*.py"):
        written |= set(re.findall(r"[\"'](T\d{4}(?:\.\d{3})?)[\"']", path.read_text(encoding="utf-8")))
    assert {"T1110.003", "T1090.002"} <= written
    assert not sorted(written - set(TECHNIQUES))


def test_the_table_is_the_only_one() -> None:
    """No other module maps technique ids to tactics (the report once kept its own copy)."""
    tables = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            values = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if any(TECHNIQUE_ID.match(k) for k in keys) and any(v in PHASES for v in values):
                tables.append(path.relative_to(ROOT).as_posix())
    assert tables == ["forensics/findings/attack.py"]


def test_the_table_is_consistent() -> None:
    assert all(TECHNIQUE_ID.match(t) for t in TECHNIQUES)
    assert set(TECHNIQUES.values()) <= set(PHASES)
    assert set(PHASE_STYLE) == set(PHASES)
    assert phase_of("T1110.002") == "credential_access" and phase_of("T1234") == "other"
    assert tactic(["T9999", "T1098"]) == "persistence" and tactic([]) is None


def test_each_enumeration_is_defined_once() -> None:
    found: dict[str, list[str]] = {name: [] for name in OWNERS}
    for path in _sources():
        for name, _ in _assigned(ast.parse(path.read_text(encoding="utf-8"))):
            if name in found:
                found[name].append(path.relative_to(ROOT).as_posix())
    for name, owner in OWNERS.items():
        assert found[name] == ([owner] if owner else []), f"{name} is defined in {found[name]}"
    # the contract's name is written once too
    named = [p.relative_to(ROOT).as_posix() for p in _sources() if '"forensics.findings/' in p.read_text("utf-8")]
    assert named == ["forensics/findings/vocabulary.py"]


def test_every_language_has_its_catalogues() -> None:
    assert set(CATALOGUES) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert catalogue(lang)
