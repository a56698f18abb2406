"""Which findings tell the story of the attack, and which are other signals.

The correlator reports every unusual thing it sees: a nurse logging in from a new desk, a
password changed after expiry, a large report run by the statistics office.  Most of it is
ordinary work and the correlator says so (the account is judged ``normal``).  The attack's
phases, its timeline marks, the summary and the indicators must tell the attacker's story
only; the other findings stay listed, apart, so an investigator can check the judgement.

A finding belongs to the attack when the correlator ties it to the attacker:

* it names an attacker address;
* it is on an account assessed compromised or suspicious, or created by the attacker, and
  comes from an address the attacker used for that account (its ``source_ips``, the
  attacker addresses, a forged address), or has no address and falls within the account's
  malicious period: the same account used by its real owners from their usual desks is not
  the attacker;
* an assessed account's reasons or an exfiltration row of the attacker cite it;
* it names neither account nor address (a log gap, a time problem) and falls within the
  attack's period.

When the findings name no attacker at all (no assessed account, no attacker address, no
created account), nothing can be told apart and every finding is kept in the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from forensics.report.model import Finding, Findings

ASSESSED = ("compromised", "suspicious")
_CITED = re.compile(r"\[([^\[\]]{1,64})\]")


@dataclass(frozen=True)
class Scope:
    """What the correlator attributes to the attacker: addresses, accounts, cited findings."""

    #: False when the findings name no attacker: every finding is then part of the story
    known: bool
    attacker_ips: frozenset[str]
    #: addresses the attacker forged (an internal desk claimed in X-Forwarded-For)
    spoofed_ips: frozenset[str]
    #: assessed and created accounts -> the addresses the attacker used them from
    accounts: dict[str, frozenset[str]]
    #: assessed account -> its malicious period (first, last), when the correlator gives it
    periods: dict[str, tuple[datetime, datetime]]
    #: finding ids that an assessed account's reasons or an attacker exfiltration row cite
    cited: frozenset[str]
    #: the attack's period (first, last) as the correlator states it
    period: tuple[datetime, datetime] | None
    tolerance: timedelta

    def account_ips(self, account: str | None) -> frozenset[str]:
        """Addresses from which events of ``account`` are the attacker's."""
        if account is None or account not in self.accounts:
            return frozenset()
        return self.accounts[account] | self.attacker_ips | self.spoofed_ips

    def _within(self, f: Finding, period: tuple[datetime, datetime] | None) -> bool:
        if period is None or f.first_seen is None or f.last_seen is None:
            return period is None
        return f.first_seen <= period[1] + self.tolerance and f.last_seen >= period[0] - self.tolerance

    def is_attack(self, f: Finding) -> bool:
        """True when the finding is part of the attack's story (see the module docstring)."""
        if not self.known or f.id in self.cited:
            return True
        if self.attacker_ips.intersection(f.ips):
            return True
        if f.account is not None and f.account in self.accounts:
            if f.ips:
                return bool(self.account_ips(f.account).intersection(f.ips))
            return self._within(f, self.periods.get(f.account, self.period))
        if f.account is None and not f.ips:
            return self.period is not None and self._within(f, self.period)
        return False


def attack_scope(findings: Findings, tolerance: float = 10.0) -> Scope:
    """The attacker as the correlator describes it, read from ``findings.json``."""
    assessed = [a for a in findings.accounts if a.verdict in ASSESSED]
    accounts: dict[str, frozenset[str]] = {a.account: frozenset(a.source_ips) for a in assessed}
    for created in findings.created_accounts:
        accounts.setdefault(created, frozenset())
    periods = {
        a.account: (a.first_malicious, a.last_malicious) for a in assessed if a.first_malicious and a.last_malicious
    }
    ids = {f.id for f in findings.findings}
    cited: set[str] = set()
    for a in assessed:
        for reason in a.reasons:
            cited.update(x for x in _CITED.findall(reason) if x in ids)
        for message in a.reason_msgs:
            params = message.get("params") if isinstance(message, dict) else None
            if isinstance(params, dict) and isinstance(params.get("finding"), str) and params["finding"] in ids:
                cited.add(params["finding"])
    attacker = frozenset(findings.attacker_ips)
    for e in findings.exfiltration:
        if (e.account is not None and e.account in accounts) or (e.account is None and e.ip in attacker):
            cited.update(x for x in e.findings if x in ids)
    period = (findings.first_seen, findings.last_seen) if findings.first_seen and findings.last_seen else None
    return Scope(
        known=bool(accounts or attacker),
        attacker_ips=attacker,
        spoofed_ips=frozenset(findings.spoofed_ips),
        accounts=accounts,
        periods=periods,
        cited=frozenset(cited),
        period=period,
        tolerance=timedelta(seconds=tolerance),
    )
