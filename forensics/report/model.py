"""``findings.json`` (the issue 7 contract) read into plain dataclasses, defensively.

The file is written by another tool and may be damaged or hostile: a wrong type becomes a
default plus a note in ``Findings.problems`` (shown in the report's limitations), never an
exception, so a bad field cannot hide the rest of the report.  Strings are kept as written;
display code escapes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_PREFIX = "forensics.findings/"
BASES = ("observed", "derived", "inferred")
VERDICTS = ("compromised", "suspicious", "normal")


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


class _Reader:
    """Typed getters that record a problem instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def text(self, obj: dict[str, Any], key: str, where: str, default: str = "") -> str:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problems.append(f"{where}: {key} is not a string")
            return str(value)
        return value

    def opt_text(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        return self.text(obj, key, where)

    def texts(self, obj: dict[str, Any], key: str, where: str) -> list[str]:
        value = obj.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.problems.append(f"{where}: {key} is not a list")
            return []
        return [v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in value if v is not None]

    def opt_texts(self, obj: dict[str, Any], key: str, where: str) -> list[str]:
        """A text field as a one-item list (empty when absent)."""
        value = self.opt_text(obj, key, where)
        return [value] if value else []

    def integer(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{where}: {key} is not a number")
            return None
        return int(value)

    def number(self, obj: dict[str, Any], key: str, where: str) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.append(f"{where}: {key} is not a number")
            return None
        return float(value)

    def time(self, obj: dict[str, Any], key: str, where: str) -> datetime | None:
        value = obj.get(key)
        if value is None:
            return None
        parsed = parse_time(value)
        if parsed is None:
            self.problems.append(f"{where}: {key} is not an ISO 8601 time")
        return parsed

    def table(self, obj: Any, where: str) -> dict[str, Any]:
        if isinstance(obj, dict):
            return obj
        self.problems.append(f"{where} is not an object")
        return {}

    def rows(self, obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(f"{where}: {key} is not a list")
            return []
        return [self.table(v, f"{where} {key}[{i}]") for i, v in enumerate(value)]


def _message(value: object) -> dict[str, Any] | None:
    """A ``{"code", "params"}`` message as written, or None (the report checks it when rendering)."""
    if isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("params"), dict):
        return value
    return None


def _messages(value: object) -> list[Any]:
    return [_message(v) for v in value] if isinstance(value, list) else []


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string (``Z`` or offset; naive means UTC) as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _evidence(r: _Reader, rows: list[dict[str, Any]], where: str) -> list[Evidence]:
    out = []
    for i, row in enumerate(rows):
        file = r.text(row, "file", f"{where} evidence[{i}]")
        line = r.integer(row, "line", f"{where} evidence[{i}]")
        if not file or line is None:
            r.problems.append(f"{where} evidence[{i}] has no file or line")
            continue
        out.append(Evidence(file, line))
    return out


def read_findings(path: Path) -> Findings:
    """Parse ``findings.json``; raises ValueError only when it is not JSON at all."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name} is not valid JSON: {exc}") from exc
    return findings_from_dict(data)


def findings_from_dict(data: Any) -> Findings:
    r = _Reader()
    top = r.table(data, "findings.json")
    schema = r.text(top, "schema", "findings.json")
    if not schema.startswith(SCHEMA_PREFIX):
        r.problems.append(f"findings.json: unexpected schema {schema!r} (expected {SCHEMA_PREFIX}1)")
    attack = r.table(top.get("attack") or {}, "findings.json attack")
    accounts = []
    for i, row in enumerate(r.rows(top, "accounts", "findings.json")):
        where = f"accounts[{i}]"
        verdict = r.text(row, "verdict", where, "normal")
        if verdict not in VERDICTS:
            r.problems.append(f"{where}: unknown verdict {verdict!r}")
        accounts.append(
            Account(
                account=r.text(row, "account", where),
                verdict=verdict,
                score=r.number(row, "score", where),
                first_malicious=r.time(row, "first_malicious", where),
                last_malicious=r.time(row, "last_malicious", where),
                source_ips=r.texts(row, "source_ips", where),
                reasons=r.texts(row, "reasons", where),
                reason_msgs=_messages(row.get("reason_messages")),
            )
        )
    findings = []
    for i, row in enumerate(r.rows(top, "findings", "findings.json")):
        fid = r.text(row, "id", f"findings[{i}]") or f"#{i + 1}"
        where = f"finding {fid}"
        basis = r.text(row, "basis", where, "unknown")
        if basis not in BASES:
            r.problems.append(f"{where}: unknown basis {basis!r}")
            basis = "unknown"
        reasons = r.opt_texts(row, "reason", where) + r.texts(row, "reasons", where)
        for key in ("reasoning", "description"):
            if isinstance(row.get(key), str):
                reasons.append(row[key])
        evidence = _evidence(r, r.rows(row, "evidence", where), where)
        messages = row.get("messages") if isinstance(row.get("messages"), dict) else {}
        if not evidence:
            r.problems.append(f"{where}: no evidence line is referenced")
        findings.append(
            Finding(
                id=fid,
                title=r.text(row, "title", where),
                techniques=r.texts(row, "techniques", where),
                basis=basis,
                account=r.opt_text(row, "account", where),
                ips=r.texts(row, "ips", where),
                first_seen=r.time(row, "first_seen", where),
                last_seen=r.time(row, "last_seen", where),
                event_count=r.integer(row, "event_count", where),
                evidence=evidence,
                reasons=reasons,
                title_msg=_message(messages.get("title")),
                reason_msg=_message(messages.get("reason")) if "reason" in row else None,
                detector=r.opt_text(row, "detector", where),
                evidence_total=r.integer(row, "evidence_total", where),
            )
        )
    exfil = []
    for i, row in enumerate(r.rows(top, "exfiltration", "findings.json")):
        where = f"exfiltration[{i}]"
        records = r.table(row.get("records") or {}, f"{where} records")
        transferred = r.table(row.get("rows_transferred") or {}, f"{where} rows_transferred")
        exfil.append(
            Exfil(
                account=r.opt_text(row, "account", where),
                ip=r.opt_text(row, "ip", where),
                estimate=r.integer(records, "estimate", where),
                low=r.integer(records, "low", where),
                high=r.integer(records, "high", where),
                distinct_objects=r.integer(row, "distinct_objects", where),
                bytes=r.integer(row, "bytes", where),
                first_seen=r.time(row, "first_seen", where),
                last_seen=r.time(row, "last_seen", where),
                method=r.text(row, "method", where),
                categories=r.texts(row, "categories", where),
                findings=r.texts(row, "findings", where),
                method_msg=_message(row.get("method_message")),
                rows=r.integer(transferred, "estimate", where),
                rows_low=r.integer(transferred, "low", where),
                rows_high=r.integer(transferred, "high", where),
            )
        )
    command_line = top.get("command_line")
    return Findings(
        schema=schema,
        first_seen=r.time(attack, "first_seen", "attack"),
        last_seen=r.time(attack, "last_seen", "attack"),
        accounts=accounts,
        attacker_ips=r.texts(top, "attacker_ips", "findings.json"),
        created_accounts=r.texts(top, "created_accounts", "findings.json"),
        findings=findings,
        exfiltration=exfil,
        uncertainties=r.texts(top, "uncertainties", "findings.json"),
        command_line=[str(c) for c in command_line] if isinstance(command_line, list) else None,
        problems=r.problems,
        spoofed_ips=r.texts(top, "spoofed_ips", "findings.json"),
    )
