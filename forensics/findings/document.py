"""``findings.json`` as typed data: the one definition of the contract.

Correlation builds a ``Document`` and writes ``Document.to_json()``; the report, the notebook
API (``forensics.case``) and other readers get one from ``Document.from_json`` (or
``read_document``), which never raises: what it cannot read becomes a default plus a
``Problem`` (a JSON path and a reason) in ``Document.problems``, so one bad field cannot hide
the rest.  Keys this version does not know (a newer document's) are kept in each object's
``extra`` and written back after the known ones, so reading and writing loses nothing.

Times are aware UTC datetimes here and ``...Z`` strings in the file; numbers stay as written;
texts stay as written (display code escapes them).  Keys a newer version added are written
whenever the object has them; those marked *optional* are written only when set (``None``
means absent), which is how documents without them (older ones, other tools) read back the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from forensics.findings.reading import Message, Problem, Reader, at, extra
from forensics.findings.values import jsonable, utc_iso
from forensics.findings.vocabulary import BASES, SCHEMA, SCHEMA_PREFIX, VERDICTS


def _with(out: dict[str, Any], key: str, value: Any) -> None:
    """Set an optional key: written only when it has a value."""
    if value is not None:
        out[key] = value


@dataclass
class Bounds:
    """A count with its bounds (``low <= estimate <= high`` when the document is sound)."""

    estimate: int | None
    low: int | None
    high: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("estimate", "low", "high")

    def to_json(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> Bounds:
        b = cls(
            estimate=r.integer(data, "estimate", path, required=True),
            low=r.integer(data, "low", path, required=True),
            high=r.integer(data, "high", path, required=True),
            extra=extra(data, cls.KEYS),
        )
        low, estimate, high = b.low, b.estimate, b.high
        if low is not None and estimate is not None and high is not None and not low <= estimate <= high:
            r.note(path, "the estimate is not within its bounds")
        return b

    @classmethod
    def read(cls, data: dict[str, Any], key: str, r: Reader, path: str, required: bool = False) -> Bounds | None:
        """The bounds under ``key``: None when absent; unknown figures (one problem) when not an object."""
        held = r.child(data, key, path, required=required)
        if held is None:
            return cls(None, None, None) if data.get(key) is not None or required else None
        return cls.from_json(held, r, at(path, key))


@dataclass
class EvidenceRef:
    """One log line a finding rests on: file and line (what a reader opens), and the event."""

    file: str
    line: int
    event_id: str | None = None
    dataset: str | None = None
    time: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("file", "line", "event_id", "dataset", "time")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "event_id": self.event_id,
            "dataset": self.dataset,
            "time": utc_iso(self.time),
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> EvidenceRef | None:
        """None (and a problem) when the line cannot be cited: no file or no line number."""
        file = r.text(data, "file", path)
        line = r.integer(data, "line", path)
        if not file or line is None:
            r.note(path, "has no file or line: it cannot be cited")
            return None
        return cls(
            file=file,
            line=line,
            event_id=r.opt_text(data, "event_id", path),
            dataset=r.opt_text(data, "dataset", path),
            time=r.time(data, "time", path),
            extra=extra(data, cls.KEYS),
        )


def _evidence(data: dict[str, Any], r: Reader, path: str, required: bool = True) -> list[EvidenceRef]:
    refs = [EvidenceRef.from_json(row, r, where) for row, where in r.rows(data, "evidence", path, required=required)]
    return [e for e in refs if e is not None]


@dataclass
class FindingRecord:
    """One finding as the document lists it (a group lists its members under ``members``)."""

    id: str
    title: str
    techniques: list[str]
    basis: str
    account: str | None
    ips: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    event_count: int | None
    evidence: list[EvidenceRef]
    detector: str | None = None
    tactic: str | None = None
    reason: str | None = None
    accounts: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    signal: str | None = None
    weight: float | None = None
    confidence: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: the title's and the reason's message (code + parameters), by key (optional)
    messages: dict[str, Message] = field(default_factory=dict)
    #: lines the finding rests on in all; ``evidence`` cites a selection of them
    evidence_total: int | None = None
    #: the findings a group stands for (optional: groups only)
    members: list[FindingRecord] | None = None
    #: older documents: several reasons instead of one (optional)
    reasons: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = (
        "id", "title", "techniques", "basis", "account", "ips", "first_seen", "last_seen", "event_count", "evidence",
        "detector", "tactic", "reason", "accounts", "sessions", "signal", "weight", "confidence", "details",
        "messages", "evidence_total", "members", "reasons",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "techniques": list(self.techniques),
            "basis": self.basis,
            "account": self.account,
            "ips": list(self.ips),
            "first_seen": utc_iso(self.first_seen),
            "last_seen": utc_iso(self.last_seen),
            "event_count": self.event_count,
        }
        _with(out, "reasons", self.reasons)
        out["evidence"] = [e.to_json() for e in self.evidence]
        out.update(
            {
                "detector": self.detector,
                "tactic": self.tactic,
                "reason": self.reason,
                "accounts": list(self.accounts),
                "sessions": list(self.sessions),
                "signal": self.signal,
                "weight": self.weight,
                "confidence": self.confidence,
                "details": self.details,
            }
        )
        if self.messages:
            out["messages"] = dict(self.messages)
        out["evidence_total"] = self.evidence_total
        if self.members is not None:
            out["members"] = [m.to_json() for m in self.members]
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> FindingRecord:
        basis = r.text(data, "basis", path, required=True)
        if basis and basis not in BASES:
            r.note(at(path, "basis"), f"{basis!r} is not one of {', '.join(BASES)}")
        messages: dict[str, Message] = {}
        held = r.child(data, "messages", path) or {}
        for key in held:
            value = r.message(held, key, at(path, "messages"))
            if value is not None:
                messages[key] = value
        evidence = _evidence(data, r, path)
        if not evidence and "evidence" in data:
            r.note(at(path, "evidence"), "no evidence line is referenced")
        members = None
        if data.get("members") is not None:
            members = [cls.from_json(row, r, where) for row, where in r.rows(data, "members", path)]
        return cls(
            id=r.text(data, "id", path, required=True),
            title=r.text(data, "title", path, required=True),
            techniques=r.texts(data, "techniques", path, required=True),
            basis=basis,
            account=r.opt_text(data, "account", path),
            ips=r.texts(data, "ips", path),
            first_seen=r.time(data, "first_seen", path),
            last_seen=r.time(data, "last_seen", path),
            event_count=r.integer(data, "event_count", path),
            evidence=evidence,
            detector=r.opt_text(data, "detector", path),
            tactic=r.opt_text(data, "tactic", path),
            reason=r.opt_text(data, "reason", path),
            accounts=r.texts(data, "accounts", path),
            sessions=r.texts(data, "sessions", path),
            signal=r.opt_text(data, "signal", path),
            weight=r.number(data, "weight", path),
            confidence=r.number(data, "confidence", path),
            details=r.mapping(data, "details", path) or {},
            messages=messages,
            evidence_total=r.integer(data, "evidence_total", path),
            members=members,
            reasons=r.opt_texts(data, "reasons", path),
            extra=extra(data, cls.KEYS),
        )

    def walk(self) -> list[FindingRecord]:
        """This finding and its members."""
        return [self, *(self.members or [])]


@dataclass
class SignalRef:
    """One signal behind a verdict: its weight and the finding (and group member) carrying it."""

    signal: str
    weight: float | None
    finding: str | None
    member: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("signal", "weight", "finding", "member")

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "weight": self.weight,
            "finding": self.finding,
            "member": self.member,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> SignalRef:
        return cls(
            signal=r.text(data, "signal", path, required=True),
            weight=r.number(data, "weight", path),
            finding=r.opt_text(data, "finding", path),
            member=r.opt_text(data, "member", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class BaselineRef:
    """What the finding behind a signal was compared with (the kind, and the figures when recorded)."""

    signal: str
    finding: str | None
    baseline: str | None
    compared_with: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("signal", "finding", "baseline", "compared_with")

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "finding": self.finding,
            "baseline": self.baseline,
            "compared_with": self.compared_with,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> BaselineRef:
        return cls(
            signal=r.text(data, "signal", path, required=True),
            finding=r.opt_text(data, "finding", path),
            baseline=r.opt_text(data, "baseline", path),
            compared_with=r.opt_text(data, "compared_with", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class AccountVerdict:
    """An account the correlator judged: verdict, score, malicious period, and why."""

    account: str
    verdict: str
    score: float | None
    first_malicious: datetime | None
    last_malicious: datetime | None
    source_ips: list[str]
    reasons: list[str]
    #: one message per reason, same order (None where a message could not be read)
    reason_messages: list[Message | None] = field(default_factory=list)
    signals: list[SignalRef] = field(default_factory=list)
    baselines: list[BaselineRef] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    requested: bool = False
    created_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = (
        "account", "verdict", "score", "first_malicious", "last_malicious", "source_ips", "reasons",
        "reason_messages", "signals", "baselines", "findings", "requested", "created_by",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "verdict": self.verdict,
            "score": self.score,
            "first_malicious": utc_iso(self.first_malicious),
            "last_malicious": utc_iso(self.last_malicious),
            "source_ips": list(self.source_ips),
            "reasons": list(self.reasons),
            "reason_messages": list(self.reason_messages),
            "signals": [s.to_json() for s in self.signals],
            "baselines": [b.to_json() for b in self.baselines],
            "findings": list(self.findings),
            "requested": self.requested,
            "created_by": self.created_by,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> AccountVerdict:
        verdict = r.text(data, "verdict", path, "normal", required=True)
        if verdict not in VERDICTS:
            r.note(at(path, "verdict"), f"{verdict!r} is not one of {', '.join(VERDICTS)}")
        score = r.number(data, "score", path, required=True)
        if score is not None and not 0 <= score <= 1:
            r.note(at(path, "score"), f"{score} is outside 0..1")
        return cls(
            account=r.text(data, "account", path, required=True),
            verdict=verdict,
            score=score,
            first_malicious=r.time(data, "first_malicious", path),
            last_malicious=r.time(data, "last_malicious", path),
            source_ips=r.texts(data, "source_ips", path),
            reasons=r.texts(data, "reasons", path),
            reason_messages=r.messages(data, "reason_messages", path),
            signals=[SignalRef.from_json(row, r, where) for row, where in r.rows(data, "signals", path)],
            baselines=[BaselineRef.from_json(row, r, where) for row, where in r.rows(data, "baselines", path)],
            findings=r.texts(data, "findings", path),
            requested=r.boolean(data, "requested", path),
            created_by=r.opt_text(data, "created_by", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class ExfilComponent:
    """One method's share of an exfiltration estimate, with its bounds and the lines it rests on."""

    method: str
    basis: str
    records: Bounds
    requests: int | None
    bytes: int | None
    description: str
    evidence: list[EvidenceRef]
    description_message: Message | None = None  # optional
    reached_end_of_table: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = (
        "method", "basis", "records", "requests", "bytes", "description", "description_message",
        "reached_end_of_table", "evidence",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "basis": self.basis,
            "records": self.records.to_json(),
            "requests": self.requests,
            "bytes": self.bytes,
            "description": self.description,
        }
        _with(out, "description_message", self.description_message)
        out["reached_end_of_table"] = self.reached_end_of_table
        out["evidence"] = [e.to_json() for e in self.evidence]
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> ExfilComponent:
        return cls(
            method=r.text(data, "method", path, required=True),
            basis=r.text(data, "basis", path),
            records=Bounds.read(data, "records", r, path, required=True) or Bounds(None, None, None),
            requests=r.integer(data, "requests", path),
            bytes=r.integer(data, "bytes", path),
            description=r.text(data, "description", path),
            evidence=_evidence(data, r, path, required=False),
            description_message=r.message(data, "description_message", path),
            reached_end_of_table=r.boolean(data, "reached_end_of_table", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class Exfiltration:
    """Records taken by one account (``ip`` None: from every address) or from one address, with bounds."""

    account: str | None
    ip: str | None
    records: Bounds
    distinct_objects: int | None
    bytes: int | None
    first_seen: datetime | None
    last_seen: datetime | None
    method: str
    method_message: Message | None = None  # optional
    #: rows sent in all, repeats included (optional)
    rows_transferred: Bounds | None = None
    requests: int | None = None  # optional
    components: list[ExfilComponent] | None = None  # optional
    #: older documents: what was taken and the findings behind it (optional)
    categories: list[str] | None = None
    findings: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = (
        "account", "ip", "records", "distinct_objects", "bytes", "first_seen", "last_seen", "method",
        "method_message", "rows_transferred", "requests", "components", "categories", "findings",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "account": self.account,
            "ip": self.ip,
            "records": self.records.to_json(),
            "distinct_objects": self.distinct_objects,
            "bytes": self.bytes,
            "first_seen": utc_iso(self.first_seen),
            "last_seen": utc_iso(self.last_seen),
            "method": self.method,
        }
        _with(out, "categories", self.categories)
        _with(out, "findings", self.findings)
        _with(out, "method_message", self.method_message)
        _with(out, "rows_transferred", self.rows_transferred.to_json() if self.rows_transferred else None)
        _with(out, "requests", self.requests)
        if self.components is not None:
            out["components"] = [c.to_json() for c in self.components]
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> Exfiltration:
        components = None
        if data.get("components") is not None:
            components = [ExfilComponent.from_json(row, r, where) for row, where in r.rows(data, "components", path)]
        return cls(
            account=r.opt_text(data, "account", path),
            ip=r.opt_text(data, "ip", path),
            records=Bounds.read(data, "records", r, path, required=True) or Bounds(None, None, None),
            distinct_objects=r.integer(data, "distinct_objects", path),
            bytes=r.integer(data, "bytes", path),
            first_seen=r.time(data, "first_seen", path),
            last_seen=r.time(data, "last_seen", path),
            method=r.text(data, "method", path, required=True),
            method_message=r.message(data, "method_message", path),
            rows_transferred=Bounds.read(data, "rows_transferred", r, path),
            requests=r.integer(data, "requests", path),
            components=components,
            categories=r.opt_texts(data, "categories", path),
            findings=r.opt_texts(data, "findings", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class Tool:
    name: str
    version: str
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("name", "version")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> Tool:
        return cls(r.text(data, "name", path), r.text(data, "version", path), extra(data, cls.KEYS))


@dataclass
class CaseInfo:
    """The case as correlation saw it: its name, zone, config, tolerance, the accounts asked about."""

    name: str | None
    timezone: str | None
    config_sha256: str | None
    skew_tolerance: float | None
    accounts_requested: list[str] = field(default_factory=list)
    application_profile: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("name", "timezone", "config_sha256", "skew_tolerance", "accounts_requested", "application_profile")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timezone": self.timezone,
            "config_sha256": self.config_sha256,
            "skew_tolerance": self.skew_tolerance,
            "accounts_requested": list(self.accounts_requested),
            "application_profile": self.application_profile,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> CaseInfo:
        return cls(
            name=r.opt_text(data, "name", path),
            timezone=r.opt_text(data, "timezone", path),
            config_sha256=r.opt_text(data, "config_sha256", path),
            skew_tolerance=r.number(data, "skew_tolerance", path),
            accounts_requested=r.texts(data, "accounts_requested", path),
            application_profile=r.opt_text(data, "application_profile", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class Attack:
    """The attack's span: first and last attacker event, and on what the span rests."""

    first_seen: datetime | None = None
    last_seen: datetime | None = None
    basis: str | None = None
    dwell_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("first_seen", "last_seen", "basis", "dwell_seconds")

    def to_json(self) -> dict[str, Any]:
        return {
            "first_seen": utc_iso(self.first_seen),
            "last_seen": utc_iso(self.last_seen),
            "basis": self.basis,
            "dwell_seconds": self.dwell_seconds,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> Attack:
        return cls(
            first_seen=r.time(data, "first_seen", path),
            last_seen=r.time(data, "last_seen", path),
            basis=r.opt_text(data, "basis", path),
            dwell_seconds=r.number(data, "dwell_seconds", path),
            extra=extra(data, cls.KEYS),
        )


@dataclass
class Summary:
    """What correlation worked on: events, requests, sessions and links counted."""

    events: int | None = None
    events_without_time: int | None = None
    web_requests: int | None = None
    web_requests_logged_twice: int | None = None
    application_events: int | None = None
    database_events: int | None = None
    web_sessions: int | None = None
    application_sessions: int | None = None
    database_sessions: int | None = None
    links: int | None = None
    web_requests_attributed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = (
        "events", "events_without_time", "web_requests", "web_requests_logged_twice", "application_events",
        "database_events", "web_sessions", "application_sessions", "database_sessions", "links",
        "web_requests_attributed",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.KEYS}, **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any], r: Reader, path: str) -> Summary:
        return cls(**{k: r.integer(data, k, path) for k in cls.KEYS}, extra=extra(data, cls.KEYS))


@dataclass
class Document:
    """The whole ``findings.json``: what correlation concluded, and on what."""

    attack: Attack = field(default_factory=Attack)
    accounts: list[AccountVerdict] = field(default_factory=list)
    attacker_ips: list[str] = field(default_factory=list)
    created_accounts: list[str] = field(default_factory=list)
    findings: list[FindingRecord] = field(default_factory=list)
    exfiltration: list[Exfiltration] = field(default_factory=list)
    #: what limits the conclusions, in words
    warnings: list[str] = field(default_factory=list)
    #: addresses the attacker claimed without using them (a forged X-Forwarded-For)
    spoofed_ips: list[str] = field(default_factory=list)
    schema: str = SCHEMA
    #: the run id of the ingest the findings were made from (optional)
    run_id: str | None = None
    tool: Tool | None = None  # optional
    case: CaseInfo | None = None  # optional
    summary: Summary | None = None  # optional
    thresholds: dict[str, Any] | None = None  # optional
    signal_weights: dict[str, Any] | None = None  # optional
    #: older documents and other tools (optional)
    uncertainties: list[str] | None = None
    command_line: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: what ``from_json`` could not read (never written)
    problems: list[Problem] = field(default_factory=list, compare=False)

    KEYS = (
        "schema", "run_id", "tool", "case", "command_line", "attack", "accounts", "warnings", "attacker_ips",
        "spoofed_ips", "created_accounts", "findings", "exfiltration", "uncertainties", "summary", "thresholds",
        "signal_weights",
    )  # fmt: skip

    # -- writing ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The document as JSON values, keys in the contract's order (what ``findings.json`` holds)."""
        out: dict[str, Any] = {"schema": self.schema}
        _with(out, "run_id", self.run_id)
        _with(out, "tool", self.tool.to_json() if self.tool else None)
        _with(out, "case", self.case.to_json() if self.case else None)
        _with(out, "command_line", self.command_line)
        out["attack"] = self.attack.to_json()
        out["accounts"] = [a.to_json() for a in self.accounts]
        out["warnings"] = list(self.warnings)
        out["attacker_ips"] = list(self.attacker_ips)
        out["spoofed_ips"] = list(self.spoofed_ips)
        out["created_accounts"] = list(self.created_accounts)
        out["findings"] = [f.to_json() for f in self.findings]
        out["exfiltration"] = [e.to_json() for e in self.exfiltration]
        _with(out, "uncertainties", self.uncertainties)
        _with(out, "summary", self.summary.to_json() if self.summary else None)
        _with(out, "thresholds", self.thresholds)
        _with(out, "signal_weights", self.signal_weights)
        out.update(self.extra)
        return jsonable(out)

    def dumps(self) -> str:
        """The file's text: UTF-8 JSON, two-space indent, keys in the contract's order."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    # -- reading ------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Any) -> Document:
        """Read what can be read of ``data``; ``problems`` names the rest. Never raises."""
        r = Reader()
        if not isinstance(data, dict):
            r.note("", "the document is not a JSON object")
        top = data if isinstance(data, dict) else {}
        schema = r.text(top, "schema", "", required=True)
        if schema and not schema.startswith(SCHEMA_PREFIX):
            r.note("schema", f"unexpected schema {schema!r} (expected {SCHEMA})")
        tool, case, summary = r.child(top, "tool", ""), r.child(top, "case", ""), r.child(top, "summary", "")
        command_line = top.get("command_line")
        if command_line is not None and not isinstance(command_line, list):
            r.note("command_line", "is not a list")
        doc = cls(
            schema=schema,
            run_id=r.opt_text(top, "run_id", ""),
            tool=Tool.from_json(tool, r, "tool") if tool is not None else None,
            case=CaseInfo.from_json(case, r, "case") if case is not None else None,
            command_line=[str(c) for c in command_line] if isinstance(command_line, list) else None,
            attack=Attack.from_json(r.child(top, "attack", "", required=True) or {}, r, "attack"),
            accounts=[AccountVerdict.from_json(row, r, w) for row, w in r.rows(top, "accounts", "", required=True)],
            warnings=r.texts(top, "warnings", ""),
            attacker_ips=r.texts(top, "attacker_ips", "", required=True),
            spoofed_ips=r.texts(top, "spoofed_ips", ""),
            created_accounts=r.texts(top, "created_accounts", "", required=True),
            findings=[FindingRecord.from_json(row, r, w) for row, w in r.rows(top, "findings", "", required=True)],
            exfiltration=[
                Exfiltration.from_json(row, r, w) for row, w in r.rows(top, "exfiltration", "", required=True)
            ],
            uncertainties=r.opt_texts(top, "uncertainties", ""),
            summary=Summary.from_json(summary, r, "summary") if summary is not None else None,
            thresholds=r.mapping(top, "thresholds", ""),
            signal_weights=r.mapping(top, "signal_weights", ""),
            extra=extra(top, cls.KEYS),
        )
        doc._check_references(r)
        doc.problems = r.problems
        return doc

    def _check_references(self, r: Reader) -> None:
        """Ids an account cites that the document does not hold (a cut list, a hand edit)."""
        ids = {f.id for f in self.findings}
        members = {m.id for f in self.findings for m in f.members or []}
        for i, a in enumerate(self.accounts):
            where = at("accounts", i)
            for fid in a.findings:
                if fid not in ids:
                    r.note(at(where, "findings"), f"names {fid!r}, which the document does not hold")
            for k, s in enumerate(a.signals):
                if s.finding is not None and s.finding not in ids:
                    r.note(at(at(where, "signals"), k), f"names {s.finding!r}, which the document does not hold")
                elif s.member is not None and s.member not in members:
                    r.note(at(at(where, "signals"), k), f"names {s.member!r}, which the document does not hold")

    # -- views --------------------------------------------------------------------------------
    def account(self, name: str) -> AccountVerdict | None:
        return next((a for a in self.accounts if a.account == name), None)

    def by_id(self) -> dict[str, FindingRecord]:
        """Every finding and group member by its id."""
        return {f.id: f for top in self.findings for f in top.walk()}

    @property
    def verdicts(self) -> dict[str, str]:
        return {a.account: a.verdict for a in self.accounts}


def load_json(path: Path | str) -> Any:
    """The JSON value in ``path``; ValueError (naming the file) when it is not JSON at all."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name} is not valid JSON: {exc}") from exc


def read_document(path: Path | str) -> Document:
    """``findings.json`` read tolerantly: a file that is not JSON gives an empty document whose
    problem says so (the caller decides whether that is fatal)."""
    try:
        data = load_json(path)
    except ValueError as exc:
        doc = Document(schema="")
        doc.problems = [Problem("", str(exc))]
        return doc
    return Document.from_json(data)


__all__ = [
    "AccountVerdict",
    "Attack",
    "BaselineRef",
    "Bounds",
    "CaseInfo",
    "Document",
    "EvidenceRef",
    "ExfilComponent",
    "Exfiltration",
    "FindingRecord",
    "SignalRef",
    "Summary",
    "Tool",
    "load_json",
    "read_document",
]
