"""The report's view of ``findings.json``: what the sections show, built from the typed document.

Reading is ``forensics.findings.Document.from_json``'s job: the file may be damaged, older or
hostile, and a wrong type becomes a default plus a named problem (shown in the report's
limitations), never an exception, so a bad field cannot hide the rest of the report.  This
module only shapes the document for display (several reasons per finding, ``unknown`` for a
basis the contract does not know, one message per text) and translates it.  Strings are kept
as written; display code escapes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from forensics.findings import BASES, Document, FindingRecord, load_json


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    techniques: list[str]
    basis: str  # observed / derived / inferred / unknown
    account: str | None
    ips: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    event_count: int | None
    evidence: list[Evidence]
    reasons: list[str]
    #: the title's and the first reason's message (code + parameters), when findings.json has them
    title_msg: dict[str, Any] | None = None
    reason_msg: dict[str, Any] | None = None
    #: the detector that wrote it, when findings.json says (display grouping only)
    detector: str | None = None
    #: lines the finding rests on in all (``evidence`` lists a selection), when stated
    evidence_total: int | None = None

    @property
    def kind(self) -> str:
        """What kind of signal this is, for grouping alike findings: the title's code, else the detector."""
        if self.title_msg is not None:
            return str(self.title_msg.get("code"))
        return self.detector or ""

    @property
    def window(self) -> float:
        if self.first_seen and self.last_seen:
            return (self.last_seen - self.first_seen).total_seconds()
        return float("inf")


@dataclass(frozen=True)
class Account:
    account: str
    verdict: str
    score: float | None
    first_malicious: datetime | None
    last_malicious: datetime | None
    source_ips: list[str]
    reasons: list[str]
    #: one message per reason (same order), when findings.json has them
    reason_msgs: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Exfil:
    account: str | None
    ip: str | None
    estimate: int | None
    low: int | None
    high: int | None
    distinct_objects: int | None
    bytes: int | None
    first_seen: datetime | None
    last_seen: datetime | None
    method: str
    categories: list[str]
    findings: list[str]
    method_msg: dict[str, Any] | None = None
    #: rows sent in all, repeats included (``rows_transferred``), when findings.json states them
    rows: int | None = None
    rows_low: int | None = None
    rows_high: int | None = None


@dataclass
class Findings:
    schema: str
    first_seen: datetime | None
    last_seen: datetime | None
    accounts: list[Account]
    attacker_ips: list[str]
    created_accounts: list[str]
    findings: list[Finding]
    exfiltration: list[Exfil]
    uncertainties: list[str]
    command_line: list[str] | None
    problems: list[str] = field(default_factory=list)
    #: addresses the attacker claimed without using them (a forged X-Forwarded-For)
    spoofed_ips: list[str] = field(default_factory=list)

    @property
    def compromised(self) -> list[Account]:
        return [a for a in self.accounts if a.verdict == "compromised"]

    @property
    def suspicious(self) -> list[Account]:
        return [a for a in self.accounts if a.verdict == "suspicious"]

    def by_id(self) -> dict[str, Finding]:
        return {f.id: f for f in self.findings}

    def localized(self, text: Callable[[object, str], str]) -> Findings:
        """A copy whose titles, reasons and methods are rendered by ``text(message, english)``.

        Texts without a message (an older correlator, another tool) stay as written.
        """
        findings = []
        for f in self.findings:
            reasons = list(f.reasons)
            if f.reason_msg is not None and reasons:
                reasons[0] = text(f.reason_msg, reasons[0])
            findings.append(replace(f, title=text(f.title_msg, f.title), reasons=reasons))
        accounts = []
        for a in self.accounts:
            msgs = a.reason_msgs if len(a.reason_msgs) == len(a.reasons) else [None] * len(a.reasons)
            accounts.append(replace(a, reasons=[text(m, r) for m, r in zip(msgs, a.reasons, strict=True)]))
        exfil = [replace(e, method=text(e.method_msg, e.method)) for e in self.exfiltration]
        return replace(self, findings=findings, accounts=accounts, exfiltration=exfil)


def _finding(f: FindingRecord, i: int) -> Finding:
    reasons = ([f.reason] if f.reason else []) + list(f.reasons or [])
    # still older documents explained a finding under these names
    reasons += [f.extra[k] for k in ("reasoning", "description") if isinstance(f.extra.get(k), str)]
    return Finding(
        id=f.id or f"#{i + 1}",
        title=f.title,
        techniques=list(f.techniques),
        basis=f.basis if f.basis in BASES else "unknown",
        account=f.account,
        ips=list(f.ips),
        first_seen=f.first_seen,
        last_seen=f.last_seen,
        event_count=f.event_count,
        evidence=[Evidence(e.file, e.line) for e in f.evidence],
        reasons=reasons,
        title_msg=f.messages.get("title"),
        reason_msg=f.messages.get("reason") if f.reason is not None else None,
        detector=f.detector,
        evidence_total=f.evidence_total,
    )


def from_document(doc: Document) -> Findings:
    """The report's view of a findings document (its problems included)."""
    accounts = [
        Account(
            account=a.account,
            verdict=a.verdict,
            score=None if a.score is None else float(a.score),
            first_malicious=a.first_malicious,
            last_malicious=a.last_malicious,
            source_ips=list(a.source_ips),
            reasons=list(a.reasons),
            reason_msgs=list(a.reason_messages),
        )
        for a in doc.accounts
    ]
    exfil = [
        Exfil(
            account=e.account,
            ip=e.ip,
            estimate=e.records.estimate,
            low=e.records.low,
            high=e.records.high,
            distinct_objects=e.distinct_objects,
            bytes=e.bytes,
            first_seen=e.first_seen,
            last_seen=e.last_seen,
            method=e.method,
            categories=list(e.categories or []),
            findings=list(e.findings or []),
            method_msg=e.method_message,
            rows=e.rows_transferred.estimate if e.rows_transferred else None,
            rows_low=e.rows_transferred.low if e.rows_transferred else None,
            rows_high=e.rows_transferred.high if e.rows_transferred else None,
        )
        for e in doc.exfiltration
    ]
    return Findings(
        schema=doc.schema,
        first_seen=doc.attack.first_seen,
        last_seen=doc.attack.last_seen,
        accounts=accounts,
        attacker_ips=list(doc.attacker_ips),
        created_accounts=list(doc.created_accounts),
        findings=[_finding(f, i) for i, f in enumerate(doc.findings)],
        exfiltration=exfil,
        uncertainties=list(doc.uncertainties or []),
        command_line=doc.command_line,
        problems=[str(p) for p in doc.problems],
        spoofed_ips=list(doc.spoofed_ips),
    )


def read_findings(path: Path) -> Findings:
    """Read ``findings.json``; raises ValueError only when it is not JSON at all."""
    return from_document(Document.from_json(load_json(path)))


def findings_from_dict(data: Any) -> Findings:
    return from_document(Document.from_json(data))
