"""Findings and ``findings.json``: the contract other tools (the report, notebooks, CI) read.

A finding is one conclusion with everything needed to defend it: what (title, ATT&CK
technique ids), on what footing (``basis``: ``observed`` when a log line says it,
``derived`` when it is computed from lines, ``inferred`` when it is a judgement), who and
from where, when, how many events, why (``reason``, in words), and the evidence lines
(file + line).  Key names of the document are a contract: add keys, never rename them.

Detectors give ``title`` and ``reason`` as ``finding_text.Msg`` (a code plus parameters):
the document keeps the English text under ``title``/``reason`` and the messages under
``messages`` so that a report can render them in its reader's language.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics.finding_text import Msg, render

SCHEMA = "forensics.findings/1"
BASES = ("observed", "derived", "inferred")
VERDICTS = ("compromised", "suspicious", "normal")

#: ATT&CK tactic of each technique we emit (the report colours phases with it).
TACTICS: dict[str, str] = {
    "T1110": "credential_access",
    "T1110.001": "credential_access",
    "T1110.003": "credential_access",
    "T1110.004": "credential_access",
    "T1078": "initial_access",
    "T1078.003": "initial_access",
    "T1087": "discovery",
    "T1069": "discovery",
    "T1213": "collection",
    "T1119": "collection",
    "T1030": "exfiltration",
    "T1020": "exfiltration",
    "T1041": "exfiltration",
    "T1136.001": "persistence",
    "T1098": "persistence",
    "T1550.004": "defense_evasion",
    "T1550.001": "defense_evasion",
    "T1185": "collection",
    "T1090.002": "command_and_control",
    "T1090.003": "command_and_control",
    "T1071.001": "command_and_control",
}


def utc_iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z``; fractions of a second only when there are some."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def parse_utc(text: str | None) -> datetime | None:
    """The inverse of ``utc_iso`` (aware datetime in UTC)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Finding:
    """One conclusion of a detector, with the evidence rows it rests on.

    ``rows`` are row numbers in the event frame (``_row``); the pipeline turns them into
    ``evidence`` (file + line) when the document is written.
    """

    detector: str
    title: str | Msg
    techniques: list[str]
    basis: str
    reason: str | Msg
    account: str | None = None
    ips: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    event_count: int = 0
    rows: list[int] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    signal: str | None = None  # the account signal this finding supports (see thresholds.SIGNAL_WEIGHTS)
    weight: float | None = None
    confidence: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    title_msg: Msg | None = None
    reason_msg: Msg | None = None

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}, not {self.basis!r}")
        # a message is kept as given and its English text becomes the title/reason
        if isinstance(self.title, Msg):
            self.title_msg, self.title = self.title, render(self.title)
        if isinstance(self.reason, Msg):
            self.reason_msg, self.reason = self.reason, render(self.reason)

    def add_reason(self, extra: Msg) -> None:
        """Append a sentence to the reason, in its text and in its message."""
        self.reason = f"{self.reason} {render(extra)}"
        if self.reason_msg is not None:
            self.reason_msg = Msg("_seq", {"items": [self.reason_msg, extra]})

    @property
    def tactic(self) -> str | None:
        for t in self.techniques:
            if t in TACTICS:
                return TACTICS[t]
        return None

    def to_json(self, evidence: list[dict[str, Any]]) -> dict[str, Any]:
        """The findings.json shape (contract keys first)."""
        return {
            "id": self.id,
            "title": self.title,
            "techniques": list(self.techniques),
            "basis": self.basis,
            "account": self.account,
            "ips": sorted(set(self.ips), key=_ip_sort_key),
            "first_seen": utc_iso(self.first_seen),
            "last_seen": utc_iso(self.last_seen),
            "event_count": int(self.event_count),
            "evidence": evidence,
            "detector": self.detector,
            "tactic": self.tactic,
            "reason": self.reason,
            "accounts": sorted(set(self.accounts)),
            "sessions": list(self.sessions),
            "signal": self.signal,
            "weight": self.weight,
            "confidence": self.confidence,
            "details": _jsonable(self.details),
            **self.messages_json(),
        }

    def messages_json(self) -> dict[str, Any]:
        """``{"messages": {"title": {code, params}, "reason": ...}}`` when the texts have codes."""
        out = {}
        if self.title_msg is not None:
            out["title"] = self.title_msg.to_json()
        if self.reason_msg is not None:
            out["reason"] = self.reason_msg.to_json()
        return {"messages": out} if out else {}


def _ip_sort_key(ip: str) -> tuple[int, Any]:
    import ipaddress

    try:
        addr = ipaddress.ip_address(ip)
        return (addr.version, int(addr))
    except ValueError:
        return (9, ip)


def sort_ips(ips: Any) -> list[str]:
    """Distinct addresses in numeric order (IPv4 first), nulls dropped."""
    return sorted({i for i in ips if i}, key=_ip_sort_key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value


def jsonable(value: Any) -> Any:
    """Datetimes to ``...Z`` strings, sets to sorted lists, NaN to null: safe for json.dumps."""
    return _jsonable(value)


class FindingsError(ValueError):
    """A findings document that breaks the contract."""


def validate(doc: dict[str, Any]) -> None:
    """Raise FindingsError when ``doc`` does not follow the findings.json contract."""

    def need(obj: dict[str, Any], key: str, where: str) -> Any:
        if key not in obj:
            raise FindingsError(f"{where}: missing key {key!r}")
        return obj[key]

    def check_time(value: Any, where: str) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.endswith("Z"):
            raise FindingsError(f"{where}: {value!r} is not a UTC time ending in Z")
        try:
            parse_utc(value)
        except ValueError as exc:
            raise FindingsError(f"{where}: {value!r} is not ISO 8601") from exc

    if need(doc, "schema", "findings") != SCHEMA:
        raise FindingsError(f"findings: schema must be {SCHEMA!r}")
    attack = need(doc, "attack", "findings")
    check_time(need(attack, "first_seen", "attack"), "attack.first_seen")
    check_time(need(attack, "last_seen", "attack"), "attack.last_seen")
    accounts = need(doc, "accounts", "findings")
    last_score = math.inf
    for i, acc in enumerate(accounts):
        where = f"accounts[{i}]"
        for key in ("account", "verdict", "score", "first_malicious", "last_malicious", "source_ips", "reasons"):
            need(acc, key, where)
        if acc["verdict"] not in VERDICTS:
            raise FindingsError(f"{where}: verdict {acc['verdict']!r} is not one of {VERDICTS}")
        if not 0 <= acc["score"] <= 1:
            raise FindingsError(f"{where}: score {acc['score']} is outside 0..1")
        if acc["score"] > last_score:
            raise FindingsError(f"{where}: accounts are not sorted most suspicious first")
        last_score = acc["score"]
        check_time(acc["first_malicious"], f"{where}.first_malicious")
        check_time(acc["last_malicious"], f"{where}.last_malicious")
    for key in ("attacker_ips", "created_accounts"):
        if not isinstance(need(doc, key, "findings"), list):
            raise FindingsError(f"findings: {key} must be a list")
    for i, f in enumerate(need(doc, "findings", "findings")):
        where = f"findings[{i}]"
        for key in (
            "id",
            "title",
            "techniques",
            "basis",
            "account",
            "ips",
            "first_seen",
            "last_seen",
            "event_count",
            "evidence",
        ):
            need(f, key, where)
        if f["basis"] not in BASES:
            raise FindingsError(f"{where}: basis {f['basis']!r} is not one of {BASES}")
        check_time(f["first_seen"], f"{where}.first_seen")
        check_time(f["last_seen"], f"{where}.last_seen")
        if not f["evidence"]:
            raise FindingsError(f"{where}: a finding must reference evidence lines")
        for ev in f["evidence"]:
            need(ev, "file", f"{where}.evidence")
            need(ev, "line", f"{where}.evidence")
    for i, e in enumerate(need(doc, "exfiltration", "findings")):
        where = f"exfiltration[{i}]"
        for key in ("account", "ip", "records", "distinct_objects", "bytes", "first_seen", "last_seen", "method"):
            need(e, key, where)
        rec = e["records"]
        for key in ("estimate", "low", "high"):
            need(rec, key, f"{where}.records")
        if not rec["low"] <= rec["estimate"] <= rec["high"]:
            raise FindingsError(f"{where}: records estimate is not within its bounds")


def write_findings(doc: dict[str, Any], path: Path | str) -> Path:
    """Validate and write ``findings.json`` (UTF-8, sorted as built, stable across runs)."""
    validate(doc)
    path = Path(path)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_findings(path: Path | str) -> dict[str, Any]:
    """Read and validate ``findings.json``."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    validate(doc)
    return doc


__all__ = [
    "BASES",
    "SCHEMA",
    "TACTICS",
    "VERDICTS",
    "Finding",
    "FindingsError",
    "jsonable",
    "parse_utc",
    "read_findings",
    "sort_ips",
    "utc_iso",
    "validate",
    "write_findings",
]
