"""How the report draws the ATT&CK phases: one colour and one marker shape per phase.

The technique table and the phases themselves are the findings' (``forensics.findings.attack``);
this module only styles them.
"""

from __future__ import annotations

from forensics.findings.attack import PHASES

#: Colour-blind-safe palette (Okabe-Ito) and a marker shape per phase, so that a black and
#: white print still tells the phases apart.
PHASE_STYLE: dict[str, tuple[str, str]] = {
    "credential_access": ("#E69F00", "circle"),
    "initial_access": ("#D55E00", "star"),
    "discovery": ("#56B4E9", "diamond"),
    "collection": ("#009E73", "square"),
    "exfiltration": ("#CC79A7", "triangle-up"),
    "persistence": ("#0072B2", "hexagram"),
    "command_and_control": ("#7F6A00", "cross"),
    "defense_evasion": ("#444444", "x"),
    "other": ("#999999", "circle-open"),
}


assert set(PHASE_STYLE) == set(PHASES), "every phase has a style"
