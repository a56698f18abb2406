"""The words of the findings contract, each defined once.

The correlator writes them, the strict check and the tolerant reader check them, the report
translates them (``basis.<b>``, ``verdict.<v>`` in its catalogue): a new word starts here.
"""

from __future__ import annotations

#: The contract's name and major version (``findings.json`` ``schema``): keys are added, never renamed.
SCHEMA = "forensics.findings/1"
SCHEMA_PREFIX = "forensics.findings/"

#: On what footing a finding stands: a log line says it, it is computed from lines, or judged.
BASES: tuple[str, ...] = ("observed", "derived", "inferred")

#: What the correlator concluded about an account, most serious first.
VERDICTS: tuple[str, ...] = ("compromised", "suspicious", "normal")

#: The languages finding texts and the report are written in.
LANGUAGES: tuple[str, ...] = ("en", "fr")


def verdict_rank(verdict: str) -> int:
    """Most serious first (an unknown verdict after every known one)."""
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


__all__ = ["BASES", "LANGUAGES", "SCHEMA", "SCHEMA_PREFIX", "VERDICTS", "verdict_rank"]
