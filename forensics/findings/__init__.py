"""Findings and ``findings.json``: the contract the report, notebooks and other tools read.

* ``finding``: ``Finding``, what a detector concludes (with the event rows it rests on), and
  the strict check run on every write (``validate``, ``write_findings``);
* ``document``: the whole document as typed data (``Document``): ``to_json`` writes it,
  ``from_json``/``read_document`` read any version of it without raising and name what they
  could not read (``Document.problems``);
* ``vocabulary``: the contract's words, each defined once (``SCHEMA``, ``BASES``, ``VERDICTS``,
  ``LANGUAGES``); ``attack``: the one ATT&CK technique table;
* ``values``: how times, addresses and numbers are written.
"""

from __future__ import annotations

from forensics.findings.document import (
    AccountVerdict,
    Attack,
    BaselineRef,
    Bounds,
    CaseInfo,
    Document,
    EvidenceRef,
    ExfilComponent,
    Exfiltration,
    FindingRecord,
    SignalRef,
    Summary,
    Tool,
    load_json,
    read_document,
)
from forensics.findings.finding import Finding, FindingsError, read_findings, validate, write_findings
from forensics.findings.reading import Problem
from forensics.findings.values import jsonable, parse_time, parse_utc, sort_ips, utc_iso
from forensics.findings.vocabulary import BASES, LANGUAGES, SCHEMA, VERDICTS

__all__ = [
    "BASES",
    "LANGUAGES",
    "SCHEMA",
    "VERDICTS",
    "AccountVerdict",
    "Attack",
    "BaselineRef",
    "Bounds",
    "CaseInfo",
    "Document",
    "EvidenceRef",
    "ExfilComponent",
    "Exfiltration",
    "Finding",
    "FindingRecord",
    "FindingsError",
    "Problem",
    "SignalRef",
    "Summary",
    "Tool",
    "jsonable",
    "load_json",
    "parse_time",
    "parse_utc",
    "read_document",
    "read_findings",
    "sort_ips",
    "utc_iso",
    "validate",
    "write_findings",
]
