"""Section 2, the executive summary: plain words first, then the facts, then what is uncertain.

A mixin of ``sections.Builder`` (which holds the frames, the locale and the findings); split
out because it is the part a lawyer reads and it changes on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup

from forensics.findings.attack import phase_of, primary_phase
from forensics.report.model import Exfil, Finding
from forensics.report.text import defang, ip_display, ip_runs, join_ids, show


class SummaryMixin:
    """Builds the executive summary from the findings (``self`` is a ``Builder``)."""

    def summary(self, uncertain: list[Markup]) -> dict[str, Any]:
        t, loc, F = self.t, self.loc, self.F
        if self.inp.findings_error:
            return {"available": False, "message": t("sum.bad_findings", error=show(self.inp.findings_error))}
        if F is None:
            return {"available": False, "message": t("sum.no_findings")}
        comp = F.compromised
        lead: list[Markup] = []
        firsts = [a.first_malicious for a in comp if a.first_malicious]
        lasts = [a.last_malicious for a in comp if a.last_malicious]
        names = [Markup("<strong>{}</strong>").format(show(a.account)) for a in comp]
        if comp:
            lead.append(
                t(
                    "sum.lead.compromised_many" if len(comp) > 1 else "sum.lead.compromised",
                    accounts=loc.join(names),
                    first=loc.short(min(firsts)) if firsts else t("na"),
                    last=loc.short(max(lasts)) if lasts else t("na"),
                    zone=loc.city(),
                )
            )
        else:
            lead.append(t("sum.lead.none"))
        if F.first_seen:
            lead.append(t("sum.lead.first", first=loc.short(F.first_seen)))
        how = self._how_steps()
        if how:
            lead.append(t("sum.lead.how", how=loc.then([loc.phrase(x) for x in how])))
        if self.attacker_ips:
            lead.append(t("sum.lead.from", n=len(self.attacker_ips), list=", ".join(ip_display(self.attacker_ips))))
        totals = [e for e in self.exfil_totals() if e.estimate]
        if totals:
            lead.append(
                t(
                    "sum.lead.exfil",
                    records=loc.num(sum(e.estimate or 0 for e in totals)),
                    size=loc.size(sum(e.bytes or 0 for e in totals)),
                )
            )
        if F.created_accounts:
            lead.append(
                t(
                    "sum.lead.persistence_many" if len(F.created_accounts) > 1 else "sum.lead.persistence",
                    accounts=loc.join([Markup("<strong>{}</strong>").format(show(a)) for a in F.created_accounts]),
                )
            )
        short = self._short_uncertainties()
        if short:
            lead.append(t("sum.lead.uncertain", items=loc.join(short)))
        facts: list[tuple[Markup, list[Markup]]] = []
        which = [
            t("sum.which.item", account=show(a.account), verdict=t(f"verdict.{a.verdict}"), score=loc.dec(a.score, 2))
            for a in comp + F.suspicious
        ]
        facts.append((t("sum.which_many" if len(which) > 1 else "sum.which"), which or [t("sum.which.none")]))
        since = []
        if F.first_seen:
            since.append(t("sum.since.attack", when=loc.long(F.first_seen)))
        for a in comp:
            if a.first_malicious:
                since.append(t("sum.since.use", account=show(a.account), when=loc.long(a.first_malicious)))
        last = F.last_seen or (max(lasts) if lasts else None)
        if last:
            since.append(t("sum.since.last", when=loc.long(last)))
        facts.append((t("sum.since"), since or [t("na")]))
        facts.append((t("sum.from"), [self._from_where()]))
        facts.append((t("sum.how"), [self._how()]))
        facts.append((t("sum.taken"), self._taken(totals)))
        facts.append((t("sum.persistence"), self._persistence()))
        facts.append((t("sum.uncertain"), uncertain or [t("unc.none")]))
        return {"available": True, "lead": lead, "facts": facts, "cards": self._cards(comp, totals)}

    def _short_uncertainties(self) -> list[Markup]:
        """The main open points, in a few words each, for the summary's opening paragraph."""
        t, loc = self.t, self.loc
        out = []
        for f in self.story:
            if f.basis == "inferred":
                phase = primary_phase(f.techniques) or "other"
                out.append(t("uncs.inferred", id=show(f.id), phase=loc.text(f"phase.{phase}").lower()))
        for e in self.exfil_totals():
            if e.low is not None and e.high is not None and e.low != e.high:
                out.append(t("uncs.bounds", low=loc.num(e.low), high=loc.num(e.high)))
        if self.gaps:
            out.append(t("uncs.gaps", n=loc.duration(sum((g.end - g.start).total_seconds() for g in self.gaps))))
        return out[:3]

    def _cards(self, comp: list[Any], totals: list[Exfil]) -> list[dict[str, Any]]:
        """The key figures at the top of the summary: what a reader must take away."""
        t, loc, F = self.t, self.loc, self.F
        assert F is not None
        cards = []
        if comp:
            firsts = [x.first_malicious for x in comp if x.first_malicious]
            lasts = [x.last_malicious for x in comp if x.last_malicious]
            cards.append(
                {
                    "label": t("kf.account_many" if len(comp) > 1 else "kf.account"),
                    "value": ", ".join(show(x.account) for x in comp),
                    "sub": t(
                        "kf.account_sub_many" if len(comp) > 1 else "kf.account_sub",
                        first=loc.short(min(firsts)) if firsts else t("na"),
                        last=loc.short(max(lasts)) if lasts else t("na"),
                    ),
                    "tone": "alert",
                }
            )
        else:
            cards.append({"label": t("kf.account"), "value": t("kf.account_none"), "sub": "", "tone": ""})
        if totals:
            cards.append(
                {
                    "label": t("kf.records"),
                    "value": t("kf.records_value", n=loc.num(sum(e.estimate or 0 for e in totals))),
                    "sub": t(
                        "kf.records_sub",
                        size=loc.size(sum(e.bytes or 0 for e in totals)),
                        low=loc.num(sum(e.low or 0 for e in totals)),
                        high=loc.num(sum(e.high or 0 for e in totals)),
                    ),
                    "tone": "alert",
                }
            )
        else:
            cards.append({"label": t("kf.records"), "value": t("kf.records_none"), "sub": "", "tone": ""})
        cards.append(
            {
                "label": t("kf.addresses"),
                "value": loc.num(len(self.attacker_ips)),
                "sub": t("kf.addresses_sub", when=loc.short(F.first_seen)) if F.first_seen else "",
                "tone": "",
            }
        )
        if F.created_accounts:
            inferred = any(
                f.basis == "inferred" for f in self.story if any(phase_of(x) == "persistence" for x in f.techniques)
            )
            many = "_many" if len(F.created_accounts) > 1 else ""
            cards.append(
                {
                    "label": t("kf.persistence" + many),
                    "value": ", ".join(show(a) for a in F.created_accounts),
                    "sub": t("kf.persistence_inferred" + many) if inferred else t("kf.persistence_sub" + many),
                    "tone": "alert",
                }
            )
        else:
            cards.append({"label": t("kf.persistence"), "value": t("kf.persistence_none"), "sub": "", "tone": ""})
        cfg = self.inp.config
        if cfg and cfg.awareness:
            deadline = cfg.awareness.astimezone(UTC) + timedelta(hours=72)
            cards.append(
                {
                    "label": t("kf.deadline"),
                    "value": loc.short(deadline),
                    "sub": t("kf.deadline_sub", zone=loc.city()),
                    "tone": "deadline",
                }
            )
        else:
            cards.append({"label": t("kf.deadline"), "value": t("dash"), "sub": t("kf.deadline_none"), "tone": ""})
        return cards

    def _from_where(self) -> Markup:
        t, _loc = self.t, self.loc
        if not self.attacker_ips:
            return t("sum.from.none")
        parts = []
        for first, last, n in ip_runs(self.attacker_ips):
            if n > 1:
                parts.append(t("sum.from.range", first=defang(first), last=defang(last), n=n))
            else:
                parts.append(Markup.escape(defang(first)))
        return t("sum.from.count", n=len(self.attacker_ips), list=Markup(", ").join(parts))

    def _how_findings(self) -> list[Finding]:
        return [f for f in self.story if {phase_of(x) for x in f.techniques} & {"credential_access", "initial_access"}]

    def _how_steps(self) -> list[str]:
        """Credential-access and initial-access techniques in the order they happened."""
        steps: list[tuple[datetime, int, str]] = []
        for f in self._how_findings():
            for i, x in enumerate(f.techniques):
                if phase_of(x) in ("credential_access", "initial_access"):
                    steps.append((f.first_seen or datetime.max.replace(tzinfo=UTC), i, x))
        return list(dict.fromkeys(x for _, _, x in sorted(steps)))

    def _how(self) -> Markup:
        t, loc = self.t, self.loc
        ordered = self._how_steps()
        if not ordered:
            return t("sum.how.none")
        text = Markup(" → ").join(Markup("{} ({})").format(loc.plain_technique(x), show(x)) for x in ordered)
        return t("sum.how.steps", steps=text, ids=self.ids(self._how_findings()))

    def _taken(self, totals: list[Exfil]) -> list[Markup]:
        t, loc = self.t, self.loc
        if not totals:
            return [t("sum.taken.none")]
        out = []
        for e in totals:
            out.append(
                t(
                    "sum.taken.records",
                    estimate=loc.num(e.estimate),
                    low=loc.num(e.low),
                    high=loc.num(e.high),
                    size=loc.size(e.bytes),
                )
            )
            if e.distinct_objects:
                out.append(t("sum.taken.objects", n=loc.num(e.distinct_objects)))
            if e.categories:
                out.append(t("sum.taken.categories", categories=loc.join([self.category(c) for c in e.categories])))
            ids = self.exfil_findings(e)
            if ids:
                out.append(t("sum.taken.basis", ids=join_ids(ids)))
        return out

    def _persistence(self) -> list[Markup]:
        t = self.t
        F = self.F
        assert F is not None
        persist = [f for f in self.story if any(phase_of(x) == "persistence" for x in f.techniques)]
        out = []
        for account in F.created_accounts:
            cites = [f for f in persist if account in f.title or any(account in r for r in f.reasons)]
            if cites:
                out.append(t("sum.persistence.item", account=show(account), evidence=self._by_basis(cites)))
            else:
                out.append(t("sum.persistence.account", account=show(account)))
        if not out and persist:
            out = [Markup("{} ({})").format(show(f.title), show(f.id)) for f in persist]
        return out or [t("sum.persistence.none")]

    def _by_basis(self, findings: list[Finding]) -> Markup:
        """``observed: findings F-1, F-2; inferred: finding F-3`` (bases in the legend's order)."""
        groups = []
        for basis in ("observed", "derived", "inferred", "unknown"):
            fs = [f for f in findings if f.basis == basis]
            if fs:
                key = "sum.persistence.basis" if len(fs) > 1 else "sum.persistence.basis_one"
                groups.append(self.t(key, basis=self.loc.text(f"basis.{basis}"), ids=self.ids(fs)))
        return Markup(self.t("list.semicolon")).join(groups)

    def uncertainties(self, no_sessions: bool) -> list[Markup]:
        t, loc, F = self.t, self.loc, self.F
        out: list[Markup] = []
        if F:
            for f in F.findings:
                if f.basis == "inferred":
                    out.append(t("unc.inferred", id=show(f.id), title=show(f.title)))
            for e in self.exfil_totals():
                if e.low is not None and e.high is not None and e.low != e.high:
                    out.append(t("unc.bounds", low=loc.num(e.low), high=loc.num(e.high)))
            for text in F.uncertainties:
                out.append(t("unc.from_findings", text=show(text)))
        assumed = [s["source"] for s in self.inp.manifest.get("sources", []) if s.get("zone_source") == "assumed_utc"]
        if assumed:
            out.append(t("unc.zone_assumed", sources=", ".join(show(s) for s in sorted(assumed))))
        if self.gaps:
            out.append(t("unc.gaps", n=len(self.gaps)))
        totals = self.inp.manifest.get("totals", {})
        if totals.get("files_unrecognised"):
            out.append(t("unc.unrecognised", n=loc.num(totals["files_unrecognised"])))
        if totals.get("rejects"):
            out.append(t("unc.rejects", n=loc.num(totals["rejects"])))
        changed = [f for f in self.inp.manifest.get("files", []) if f.get("unchanged") is False]
        if changed:
            out.append(t("unc.changed", n=len(changed)))
        if self.missing_quotes:
            out.append(t("unc.missing_quotes", n=len(self.missing_quotes)))
        if F and no_sessions:
            out.append(t("unc.no_sessions"))
        if F and F.problems:
            out.append(t("unc.findings_problems", n=len(F.problems)))
        if self.inp.config is None or self.inp.config.awareness is None:
            out.append(t("unc.no_awareness"))
        return out
