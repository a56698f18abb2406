"""Sections 9 to 12: the evidence manifest, the time statement, coverage, the notification aid.

A mixin of ``sections.Builder``; these sections read the manifest and the case config more
than the findings, and they are what a specialist checks the rest against.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import polars as pl
from markupsafe import Markup

from forensics.findings.attack import phase_of
from forensics.findings.values import parse_time
from forensics.redact import KINDS, count_secrets, enabled
from forensics.report import frames as fr
from forensics.report.figures import coverage
from forensics.report.i18n import Locale
from forensics.report.ingest_text import skip_reason, warning_texts
from forensics.report.text import join_ids, show, show_block, truncate

#: Ingest warnings listed in section 9 (the rest stay in manifest.json).
WARNINGS_SHOWN = 200


class AnnexMixin:
    """Builds sections 9-12 (``self`` is a ``Builder``)."""

    # 9 ---------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        t, loc, m = self.t, self.loc, self.inp.manifest
        totals = m.get("totals", {})
        files = []
        for f in m.get("files", []):
            unrecognised = f.get("detection") == "unrecognised" or not f.get("parser")
            files.append(
                {
                    "path": show(f.get("path")),
                    "size": loc.size(f.get("size")),
                    "sha_before": show(f.get("sha256_before")),
                    "sha_after": show(f.get("sha256_after")),
                    "unchanged": f.get("unchanged") is not False,
                    "parser": show(f.get("parser")) if not unrecognised else t("ma.unrecognised"),
                    "unrecognised": unrecognised,
                    "lines": loc.num(f.get("lines_read")),
                    "events": loc.num(f.get("events")),
                    "rejects": loc.num(f.get("rejects")),
                    "zone": show(f.get("zone")) if f.get("zone") else loc.messages["dash"],
                    "skew": _seconds(loc, f.get("clock_offset")),
                }
            )
        unrecognised = [
            {"path": show(f.get("path")), "size": loc.size(f.get("size")), "lines": loc.num(f.get("lines_read"))}
            for f in m.get("files", [])
            if f.get("detection") == "unrecognised"
        ]
        skipped = [{"path": show(s.get("relpath")), "reason": show(skip_reason(s, loc))} for s in m.get("skipped", [])]
        reasons: dict[str, int] = {}
        for f in m.get("files", []):
            for reason, n in (f.get("reject_reasons") or {}).items():
                reasons[reason] = reasons.get(reason, 0) + int(n)
        examples = fr.reject_examples(self.inp.rejects_path)
        rejects = []
        for reason in sorted(reasons, key=lambda r: (-reasons[r], r)):
            ex = examples.get(reason)
            raw, cut = truncate(show_block(ex[2]), 300) if ex else ("", 0)
            rejects.append(
                {
                    "reason": show(reason),
                    "count": loc.num(reasons[reason]),
                    "where": f"{show(ex[0])}:{ex[1]}" if ex else "",
                    "raw": raw + ("…" if cut else ""),
                }
            )
        warnings = [show(w) for w in warning_texts(m, loc)]
        inputs = [{"name": name, "sha": sha} for name, sha in self.inp.hashes.items()]
        start, end = parse_time(m.get("started_at")), parse_time(m.get("finished_at"))
        return {
            "root": show(m.get("evidence_root", "")),
            "run": t("id.ingest_run_value", start=loc.utc(start), end=loc.utc(end))
            if start and end
            else t("id.unknown"),
            "inputs": inputs,
            "totals": t(
                "ma.totals",
                files=loc.num(totals.get("files")),
                unrecognised=loc.num(totals.get("files_unrecognised")),
                lines=loc.num(totals.get("lines_read")),
                events=loc.num(totals.get("events")),
                rejects=loc.num(totals.get("rejects")),
                skipped=loc.num(totals.get("skipped")),
            ),
            "files": files,
            "accounting": _accounting(loc, m.get("files", [])),
            "secrets": self.secrets(),
            "unrecognised": unrecognised,
            "skipped": skipped,
            "rejects": rejects,
            "warnings": warnings[:WARNINGS_SHOWN],
            "warnings_more": t("lim.more", n=len(warnings) - WARNINGS_SHOWN)
            if len(warnings) > WARNINGS_SHOWN
            else None,
        }

    def secrets(self) -> dict[str, Any]:
        """What the report masked: events holding each kind of secret, and why (none when kept)."""
        t, loc = self.t, self.loc
        if not enabled():
            return {"masked": False, "rows": []}
        counts = count_secrets(self.lf) if self.n_events else {}
        rows = [
            {"kind": t(f"se.{k.name}"), "count": loc.num(counts[k.name]), "why": t(f"se.{k.name}.why")}
            for k in KINDS
            if counts.get(k.name)
        ]
        return {"masked": True, "rows": rows}

    # 10 --------------------------------------------------------------------------------
    def time_statement(self) -> dict[str, Any]:
        t, loc = self.t, self.loc
        flags = (
            fr.time_flags(self.lf)
            if self.n_events
            else pl.DataFrame(schema={"source": pl.String, "flag": pl.String, "n": pl.UInt32})
        )
        per_source: dict[str, list[tuple[str, int]]] = {}
        for source, flag, n in flags.iter_rows():
            per_source.setdefault(source, []).append((flag, n))
        rows = []
        for s in self.inp.manifest.get("sources", []):
            zs = s.get("zone_source")
            how = t(f"zs.{zs}") if f"zs.{zs}" in loc.messages else show(zs)
            skew = _skew_words(t, loc, s)
            source_flags = per_source.get(s.get("source") or "", [])
            rows.append(
                {
                    "source": show(s.get("source")),
                    "host": show(s.get("host")) if s.get("host") else loc.messages["dash"],
                    "zone": show(s.get("zone")) if s.get("zone") else loc.messages["dash"],
                    "how": how,
                    "assumed": zs == "assumed_utc",
                    "skew": skew,
                    # codes here, their meaning in the legend below the table
                    "flags": ", ".join(f"{show(f)} ({loc.num(n)})" for f, n in source_flags),
                    "naive": loc.num(s.get("naive_events")),
                }
            )
        dst = []
        for when, before, after in self.transitions:
            clock_before = (when.astimezone(UTC) + before).strftime("%H:%M")
            clock_after = (when.astimezone(UTC) + after).strftime("%H:%M")
            key = "ti.dst_back" if after < before else "ti.dst_forward"
            dst.append(t(key, when=loc.long(when), zone=show(loc.zone_name), before=clock_before, after=clock_after))
        seen = sorted({f for f, _ in flags.select("flag", "n").iter_rows()}) if flags.height else []
        legend = [(show(f), t(f"flag.{f}") if f"flag.{f}" in loc.messages else "") for f in seen]
        outside = None
        if self.n_outside and self.first is not None and self.last is not None:
            outside = t(
                "ti.outside",
                n=loc.num(self.n_outside),
                first=loc.long(self.first),
                last=loc.long(self.last),
                earliest=loc.date(self.all_first),
                latest=loc.date(self.all_last),
            )
        return {
            "outside": outside,
            "intro": t("ti.intro", zone=show(loc.zone_name)),
            "tolerance": t("ti.tolerance", seconds=loc.dec(self.tolerance, 1)),
            "rows": rows,
            "dst": dst,
            "legend": legend,
        }

    # 11 --------------------------------------------------------------------------------
    def coverage(self) -> dict[str, Any]:
        t, loc = self.t, self.loc
        out: dict[str, Any] = {"figure": None, "gaps": [], "binned": None, "limits": []}
        if self.n_events:
            sources = sorted(self.hourly.get_column("source").unique().to_list())
            labels = self._labels(sources)
            out["figure"] = coverage(
                loc=loc,
                sources=sources,
                labels=labels,
                counts=self.coverage_counts,
                step=self.coverage_step,
                gaps=self.gaps,
                transitions=[x[0] for x in self.transitions],
            )
            if self.coverage_step != 3600:
                out["binned"] = t("co.binned", hours=self.coverage_step // 3600)
        for g in self.gaps:
            out["gaps"].append(
                {
                    "source": show(g.source),
                    "start": self.stamp(g.start),
                    "end": self.stamp(g.end),
                    "hours": loc.duration((g.end - g.start).total_seconds()),
                    "expected": t("co.expected_value", n=loc.dec(g.expected, 0)),
                }
            )
        limits = [t("lim.logs_only")]
        if self.gaps:
            limits.append(t("lim.gaps"))
        totals = self.inp.manifest.get("totals", {})
        if totals.get("files_unrecognised"):
            limits.append(t("lim.unrecognised", n=loc.num(totals["files_unrecognised"])))
        if totals.get("rejects"):
            limits.append(t("lim.rejects", n=loc.num(totals["rejects"])))
        if self.F is None:
            limits.append(t("lim.no_correlation"))
        for note in self.inp.notes:
            limits.append(t("lim.note", text=show(note)))
        if self.F:
            for p in self.F.problems[:50]:
                limits.append(t("lim.findings", text=show(p)))
        warnings = self.inp.manifest.get("warnings", [])
        if warnings:
            # each is listed in annex C with the files they concern
            limits.append(t("lim.warnings", n=loc.num(len(warnings))))
        out["limits"] = limits
        return out

    # 12 --------------------------------------------------------------------------------
    @staticmethod
    def _row(
        label: Markup,
        value: Any = None,
        *,
        bullets: list[Markup] | None = None,
        on: str = "",
        note: Markup | None = None,
        **flags: bool,
    ) -> dict[str, Any]:
        return {
            "label": label,
            "value": value,
            "bullets": bullets,
            "on": on,
            "note": note,
            "strong": flags.get("strong", False),
            "alert": flags.get("alert", False),
            "todo": flags.get("todo", False),
        }

    def notification(self) -> dict[str, Any]:
        t, loc, F = self.t, self.loc, self.F
        cfg = self.inp.config
        awareness = cfg.awareness.astimezone(UTC) if cfg and cfg.awareness else None
        rows: list[dict[str, Any]] = []
        if awareness:
            deadline = awareness + timedelta(hours=72)
            left = (deadline - self.generated_at).total_seconds()
            rows.append(self._row(t("no.awareness"), loc.long(awareness), note=t("no.from_config")))
            rows.append(self._row(t("no.deadline"), loc.long(deadline), note=t("no.rule"), strong=True))
            remaining = (
                t("no.remaining_value", duration=loc.duration(left))
                if left >= 0
                else t("no.passed", duration=loc.duration(left))
            )
            rows.append(self._row(t("no.remaining"), remaining, alert=left < 0))
        else:
            rows.append(self._row(t("no.awareness"), t("no.awareness_none"), alert=True))
        nature: list[Markup] = []
        on_nature: list[str] = []
        totals = self.exfil_totals()
        if F:
            exfil_ids = sorted({i for e in totals for i in self.exfil_findings(e)})
            if totals:
                nature.append(t("no.nature_confidentiality"))
                on_nature += exfil_ids
            elif F.compromised:
                nature.append(t("no.nature_access"))
            persist = [f.id for f in self.story if any(phase_of(x) == "persistence" for x in f.techniques)]
            if F.created_accounts or persist:
                nature.append(t("no.nature_integrity", accounts=", ".join(show(a) for a in F.created_accounts)))
                on_nature += persist
        rows.append(self._row(t("no.nature"), bullets=nature or [t("no.nature_unknown")], on=join_ids(on_nature)))
        period_on = []
        if F and F.first_seen and F.last_seen:
            period_on = [f.id for f in self.story if f.first_seen == F.first_seen or f.last_seen == F.last_seen]
            period = Markup("{} → {}").format(loc.long(F.first_seen), loc.long(F.last_seen))
            rows.append(self._row(t("no.period"), period, on=join_ids(period_on)))
        rows.append(self._row(t("no.subjects"), t("no.subjects_value"), todo=True))
        # people: the distinct patient records exposed (the exfiltration estimate's own figure,
        # not the records named by number, which are a part of them)
        exposed = [e for e in totals if e.estimate]
        rows.append(
            self._row(
                t("no.subjects_n"),
                t(
                    "no.subjects_n_value",
                    n=loc.num(sum(e.estimate or 0 for e in exposed)),
                    low=loc.num(sum(e.low or 0 for e in exposed)),
                    high=loc.num(sum(e.high or 0 for e in exposed)),
                )
                if exposed
                else t("no.unknown"),
                on=join_ids(i for e in exposed for i in self.exfil_findings(e)),
            )
        )
        cats = sorted({c for e in (F.exfiltration if F else []) for c in e.categories})
        rows.append(
            self._row(
                t("no.records"),
                loc.join([self.category(c) for c in cats]) if cats else t("ex.categories_none"),
                on=join_ids(i for e in totals for i in self.exfil_findings(e)) if cats else "",
            )
        )
        estimates = [e for e in totals if e.estimate]
        records = (
            t(
                "no.records_n_value",
                estimate=loc.num(sum(e.estimate or 0 for e in estimates)),
                low=loc.num(sum(e.low or 0 for e in estimates)),
                high=loc.num(sum(e.high or 0 for e in estimates)),
            )
            if estimates
            else t("no.unknown")
        )
        rows.append(
            self._row(t("no.records_n"), records, on=join_ids(i for e in estimates for i in self.exfil_findings(e)))
        )
        rows.append(self._row(t("no.consequences"), t("no.to_complete"), todo=True))
        rows.append(self._row(t("no.measures"), t("no.measures_hint"), todo=True))
        return {"rows": rows}


def _signed(loc: Locale, seconds: Any) -> str:
    """A clock correction with the precision it has: ``+3.009``, ``+3.0``, never rounded to a tenth."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return show(seconds)
    digits = 1
    while digits < 6 and abs(round(abs(value), digits) - abs(value)) > 1e-9:
        digits += 1
    return ("+" if value >= 0 else "−") + loc.dec(abs(value), digits)


def _seconds(loc: Locale, seconds: Any) -> str:
    if not seconds:
        return loc.messages["dash"]
    return _signed(loc, seconds) + " s"


def _skew_words(t: Any, loc: Any, s: dict[str, Any]) -> str:
    """One source's clock statement, from the time module's ``skew_estimate`` record."""
    est = s.get("skew_estimate")
    if isinstance(est, dict) and est.get("origin"):
        origin = est["origin"]
        if origin == "config":
            return t("ti.skew_config", seconds=_signed(loc, est.get("offset") or s.get("clock_offset") or 0))
        if origin == "reference":
            return t("ti.skew_reference")
        pairs = est.get("pairs") or 0
        mad = est.get("mad")
        mad_text = _signed(loc, mad).lstrip("+") if mad is not None else "?"
        seconds = est.get("offset") if est.get("offset") is not None else est.get("estimate")
        if est.get("applied"):
            return t("ti.skew_estimate", seconds=_signed(loc, seconds or 0), pairs=loc.num(pairs), mad=mad_text)
        return t(
            "ti.skew_not_applied",
            seconds=_signed(loc, seconds or 0),
            pairs=loc.num(pairs),
            reason=show(est.get("reason") or ""),
        )
    if isinstance(est, int | float) and est:
        return t("ti.skew_estimate", seconds=_signed(loc, est), pairs="?", mad="?")
    if s.get("clock_offset"):
        return t("ti.skew_config", seconds=_signed(loc, s["clock_offset"]))
    return t("ti.skew_none")


def _estimate(value: Any) -> tuple[Any, str]:
    """(seconds, support) from a skew estimate: a number, or a dict written by the time module."""
    if isinstance(value, dict):
        seconds = next((value[k] for k in ("offset", "seconds", "skew", "estimate") if k in value), None)
        support = next((value[k] for k in ("support", "pairs", "method", "basis") if k in value), "")
        if "pairs" in value and "method" in value:
            support = f"{value['pairs']} {value['method']}"
        return seconds, str(support)
    return value, ""


def _accounting(loc: Locale, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per file: lines read, and where each went (the manifest's proof that nothing was lost)."""
    rows = []
    for f in files:
        parts = ("lines_in_events", "lines_blank", "lines_meta", "lines_rejected", "lines_unrecognised")
        accounted = sum(int(f.get(k) or 0) for k in parts)
        rows.append(
            {
                "path": show(f.get("path")),
                "read": loc.num(f.get("lines_read")),
                **{k: loc.num(f.get(k) or 0) for k in parts},
                "balanced": accounted == int(f.get("lines_read") or 0),
            }
        )
    return rows
