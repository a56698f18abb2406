"""MITRE ATT&CK: the one table of techniques and the phase (tactic) each belongs to.

Detectors declare the techniques they emit, ``findings.json`` writes each finding's
``tactic`` from this table, and the report groups findings into the phases an investigator
narrates, in kill-chain order.  A technique the table does not know falls back to its parent
(``T1110.002`` -> ``T1110``), then to ``other``.  Names live in the report's ``i18n.py``
(``tech.<id>``) so both languages carry them; the reference address is written as text, never
as a link (see docs/report.md).
"""

from __future__ import annotations

import re

#: Phases in the order an intrusion unfolds; the first six are the ones the issue names.
PHASES: tuple[str, ...] = (
    "credential_access",
    "initial_access",
    "discovery",
    "collection",
    "exfiltration",
    "persistence",
    "command_and_control",
    "defense_evasion",
    "other",
)

#: technique id -> phase.  Each has a name in both languages in the report's catalogue, and every
#: technique a detector declares is here (tests/test_findings_model.py and
#: tests/report/test_i18n.py check both).
TECHNIQUES: dict[str, str] = {
    "T1110": "credential_access",
    "T1110.001": "credential_access",
    "T1110.002": "credential_access",
    "T1110.003": "credential_access",
    "T1110.004": "credential_access",
    "T1078": "initial_access",
    "T1078.001": "initial_access",
    "T1078.003": "initial_access",
    "T1078.004": "initial_access",
    "T1133": "initial_access",
    "T1190": "initial_access",
    "T1087": "discovery",
    "T1087.001": "discovery",
    "T1069": "discovery",
    "T1082": "discovery",
    "T1083": "discovery",
    "T1213": "collection",
    "T1119": "collection",
    "T1005": "collection",
    "T1530": "collection",
    "T1074": "collection",
    "T1030": "exfiltration",
    "T1020": "exfiltration",
    "T1041": "exfiltration",
    "T1048": "exfiltration",
    "T1567": "exfiltration",
    "T1136": "persistence",
    "T1136.001": "persistence",
    "T1098": "persistence",
    "T1090": "command_and_control",
    "T1090.002": "command_and_control",
    "T1090.003": "command_and_control",
    "T1071.001": "command_and_control",
    "T1036": "defense_evasion",
    "T1070": "defense_evasion",
    "T1562": "defense_evasion",
    "T1550.004": "defense_evasion",
    "T1550.001": "defense_evasion",
    "T1185": "collection",
}

_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")


def valid_id(technique: str) -> bool:
    """An ATT&CK enterprise technique id (``T1110`` or ``T1110.003``)."""
    return bool(_ID.match(technique))


def known(technique: str) -> bool:
    return technique in TECHNIQUES


def tactic(techniques: list[str]) -> str | None:
    """The tactic ``findings.json`` writes for a finding: that of its first catalogued technique."""
    for t in techniques:
        if t in TECHNIQUES:
            return TECHNIQUES[t]
    return None


def phase_of(technique: str) -> str:
    """The phase of a technique, via its parent when the sub-technique is not catalogued."""
    if technique in TECHNIQUES:
        return TECHNIQUES[technique]
    parent = technique.split(".", 1)[0]
    return TECHNIQUES.get(parent, "other")


def primary_phase(techniques: list[str]) -> str | None:
    """The phase a finding is drawn in: that of its first technique (the detector's main one)."""
    return phase_of(techniques[0]) if techniques else None


def reference(technique: str) -> str | None:
    """The ATT&CK page of a technique, as text without a scheme (nothing to click or load)."""
    if not valid_id(technique):
        return None
    return "attack.mitre.org/techniques/" + technique.replace(".", "/")
