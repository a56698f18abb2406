"""Group repeated low-signal findings of one kind into one finding, keeping every member.

A week of a hospital's logs has dozens of staff logging in from a new home address, dozens
of large database reads by reporting jobs, a handful of monitoring scripts: each is worth
recording, none is worth a page of its own.  The report should carry the findings that
matter, so findings that are *low-signal* (no account signal, or a weight under
``GROUP_MAX_WEIGHT`` that is not an access signal) and that concern no account the verdict
flagged are grouped per detector and signal when there are at least ``GROUP_MIN`` of them.

Nothing is dropped: the group lists its members (each a complete finding with its own id
``F-012.3``, account, times, reason and evidence lines) and its evidence is the union of
theirs, so every original observation stays traceable in ``findings.json`` and
``finding_events.parquet``.  An account's signals keep pointing at the finding that carries
them: the group's id, and the member's id under ``member``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from forensics.correlate.thresholds import ACCESS_SIGNALS
from forensics.finding_text import msg, word
from forensics.findings import Finding, sort_ips

#: A kind of finding is grouped when it has at least this many low-signal members...
GROUP_MIN = 3
#: ...each with no signal or a weight below this (and not an access signal).
GROUP_MAX_WEIGHT = 0.4


@dataclass
class Group:
    """One finding standing for several of the same kind; ``finding`` is what findings.json shows."""

    finding: Finding
    members: list[Finding] = field(default_factory=list)


def low_signal(f: Finding, flagged: set[str]) -> bool:
    """Weak on its own and about no account the verdict flagged."""
    if f.signal in ACCESS_SIGNALS:
        return False
    if f.weight is not None and f.weight >= GROUP_MAX_WEIGHT:
        return False
    return not (f.account and f.account in flagged)


def _first(fs: list[Finding]) -> datetime | None:
    times = [f.first_seen for f in fs if f.first_seen is not None]
    return min(times) if times else None


def _last(fs: list[Finding]) -> datetime | None:
    times = [f.last_seen or f.first_seen for f in fs if (f.last_seen or f.first_seen) is not None]
    return max(times) if times else None  # type: ignore[type-var]


def group_findings(findings: list[Finding], flagged: set[str]) -> list[Finding | Group]:
    """Top-level entries: findings kept as they are, and groups of low-signal ones."""
    buckets: dict[tuple[str, str | None], list[Finding]] = {}
    for f in findings:
        if low_signal(f, flagged):
            buckets.setdefault((f.detector, f.signal), []).append(f)
    grouped = {id(f) for fs in buckets.values() if len(fs) >= GROUP_MIN for f in fs}
    out: list[Finding | Group] = [f for f in findings if id(f) not in grouped]
    for (detector, signal), fs in sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if len(fs) < GROUP_MIN:
            continue
        accounts = sorted({a for f in fs for a in ([f.account] if f.account else f.accounts)})
        weights = [f.weight for f in fs if f.weight is not None]
        techniques = sorted({t for f in fs for t in f.techniques})
        bases = [f.basis for f in fs]
        basis = max(set(bases), key=lambda b: (bases.count(b), b))
        kind = word("detector", detector)
        g = Finding(
            detector=detector,
            title=msg("group.title", n=len(fs), kind=kind, accounts=len(accounts))
            if accounts
            else msg("group.title.unattributed", n=len(fs), kind=kind),
            techniques=techniques,
            basis=basis,
            reason=msg(
                "group.reason",
                n=len(fs),
                kind=kind,
                accounts=len(accounts),
                names=accounts,
                weight=max(weights) if weights else 0,
            )
            if accounts
            else msg("group.reason.unattributed", n=len(fs), kind=kind),
            account=None,
            ips=sort_ips({ip for f in fs for ip in f.ips}),
            first_seen=_first(fs),
            last_seen=_last(fs),
            event_count=sum(f.event_count for f in fs),
            rows=sorted({r for f in fs for r in f.rows}),
            accounts=accounts,
            signal=signal,
            weight=max(weights) if weights else None,
            details={"grouped": True, "members": len(fs)},
        )
        out.append(Group(g, sorted(fs, key=lambda f: (f.first_seen is None, f.first_seen, f.account or ""))))
    return out


def entry_finding(e: Finding | Group) -> Finding:
    return e.finding if isinstance(e, Group) else e


__all__ = ["GROUP_MAX_WEIGHT", "GROUP_MIN", "Group", "entry_finding", "group_findings", "low_signal"]
