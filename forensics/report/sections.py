"""The content of the twelve sections, as plain values for the templates.

Text from the evidence, the findings or the manifest is passed as ``str`` (escaped by the
templates' autoescape) after ``show``/``defang``; sentences come from the catalogue as
Markup with their values already escaped.  Nothing here marks data safe.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from markupsafe import Markup

from forensics._version import __version__
from forensics.dataset import scan_events
from forensics.findings.attack import PHASES, known, phase_of, primary_phase, reference
from forensics.findings.values import parse_time
from forensics.report import frames as fr
from forensics.report.annex import AnnexMixin
from forensics.report.attack import PHASE_STYLE
from forensics.report.figures import SESSION_COLOUR, Bar, timeline
from forensics.report.i18n import Locale
from forensics.report.inputs import Inputs
from forensics.report.model import Exfil, Finding, Findings
from forensics.report.reasons import cell_word, reason_text
from forensics.report.scope import Scope, attack_scope
from forensics.report.summary import SummaryMixin
from forensics.report.text import (
    defang,
    ip_display,
    ip_sort_key,
    join_ids,
    plot_text,
    show,
    show_block,
    truncate,
)

#: Raw evidence lines are cut to this many characters; findings show this many cited lines.
RAW_LIMIT = 600
EVIDENCE_SHOWN = 12
TABLE_ROWS = 200
#: Alike findings of the attack shown as one entry from this many; accounts named per kind of other signal.
GROUP_MIN = 3
IDS_SHOWN = 6
#: The attacker's events of one phase further apart than this (seconds) are separate runs.
RUN_BREAK = 900.0
ACCOUNTS_SHOWN = 12


@dataclass(frozen=True)
class Stamp:
    """A time in the case's zone (with offset) and in UTC."""

    local: str
    utc: str


@dataclass
class Cell:
    text: str
    utc: str | None = None
    mono: bool = False


@dataclass
class Table:
    columns: list[Any]
    rows: list[list[Cell]]
    total: int
    file: str


def _dst_transitions(zone: Any, first: datetime, last: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """Instants in [first, last] where the zone's offset changes: (instant UTC, before, after)."""
    out = []
    if (last - first) > timedelta(days=3660):
        last = first + timedelta(days=3660)
    t = first.replace(minute=0, second=0, microsecond=0)
    prev = t.astimezone(zone).utcoffset()
    while t <= last:
        nxt = t + timedelta(hours=1)
        off = nxt.astimezone(zone).utcoffset()
        if off != prev and prev is not None and off is not None:
            # refine to the minute
            m = t
            while m.astimezone(zone).utcoffset() == prev:
                m += timedelta(minutes=1)
            out.append((m, prev, off))
        prev = off
        t = nxt
    return out


class Builder(SummaryMixin, AnnexMixin):
    """Reads the frames once and builds each section's values."""

    def __init__(
        self,
        inputs: Inputs,
        loc: Locale,
        *,
        title: str | None,
        analyst: str | None,
        generated_at: datetime,
        command_line: list[str] | None,
    ) -> None:
        self.inp = inputs
        self.loc = loc
        self.t = loc
        # titles, reasons and methods in the report's language (findings.json stores codes + English)
        self.F: Findings | None = inputs.findings.localized(loc.finding_text) if inputs.findings else None
        self.generated_at = generated_at
        self.command_line = command_line
        cfg = inputs.config
        self.analyst = analyst or (cfg.analyst if cfg else None)
        self.title = title or loc.text("title.default", case=inputs.case_name)
        self.tolerance = cfg.skew_tolerance if cfg else 10.0
        # read from the stored findings: the account reasons cite finding ids in English text
        self.scope: Scope | None = attack_scope(inputs.findings, self.tolerance) if inputs.findings else None
        #: findings that tell the attack (phases, timeline, summary, indicators) and the rest
        self.story: list[Finding] = []
        self.others: list[Finding] = []
        for f in self.F.findings if self.F else []:
            (self.story if self.scope is None or self.scope.is_attack(f) else self.others).append(f)
        self.anchors = {id(f): i for i, f in enumerate(self.story + self.others, 1)}
        self.lf = scan_events(inputs.out_dir)
        self.all_first, self.all_last, self.n_events = fr.span(self.lf)
        # the evidence window: dated facts of table dumps (a password set years ago) stay out
        self.first, self.last, self.n_outside = fr.evidence_window(self.lf)
        self.volumes = fr.lane_volumes(self.lf)
        all_lanes = self.volumes.get_column(fr.LANE).to_list()
        self.lanes = all_lanes[: fr.MAX_LANES]
        folded = len(all_lanes) - len(self.lanes)
        self.other = loc.text("fig.other_lane", n=folded)
        if folded:
            self.lanes.append(self.other)
        self.labels = self._labels(self.lanes)
        self.attacker_ips = sorted(set(self.F.attacker_ips), key=ip_sort_key) if self.F else []
        self.transitions = (
            _dst_transitions(loc.zone, self.first, self.last) if self.first is not None and self.last else []
        )
        counts_step = 3600
        if self.first is not None and self.last is not None:
            hours = (self.last - self.first).total_seconds() / 3600
            if hours > fr.MAX_COVERAGE_COLUMNS:
                counts_step = 3600 * (int(hours // fr.MAX_COVERAGE_COLUMNS) + 1)
        self.coverage_step = counts_step
        window = self.lf.filter(pl.col(fr.TS).is_between(self.first, self.last)) if self.n_events else self.lf
        self.hourly = fr.hourly(window) if self.n_events else pl.DataFrame()
        repeated = [when for when, before, after in self.transitions if after < before]
        self.gaps = (
            fr.gaps(self.lf, self.hourly, loc.zone_name, (self.first, self.last), repeated)
            if self.n_events and self.first is not None and self.last is not None
            else []
        )
        self.coverage_counts = self.hourly if counts_step == 3600 else fr.hourly(window, counts_step)
        refs = sorted(
            {e for f in (self.F.findings if self.F else []) for e in f.evidence}, key=lambda e: (e.file, e.line)
        )
        self.quotes = fr.quotes(inputs.events_path, inputs.rejects_path, refs)
        self.missing_quotes = [r for r in refs if r not in self.quotes]

    # helpers -----------------------------------------------------------------------------
    def _labels(self, lanes: list[str]) -> dict[str, str]:
        labels: dict[str, str] = {}
        used: set[str] = set()
        for lane in lanes:
            label = plot_text(lane, 80)
            base, k = label, 2
            while label in used:
                label = f"{base} #{k}"
                k += 1
            used.add(label)
            labels[lane] = label
        return labels

    def stamp(self, dt: datetime | None) -> Stamp | None:
        if dt is None:
            return None
        return Stamp(self.loc.local(dt), self.loc.utc(dt))

    def findings_of_phase(self) -> dict[str, list[Finding]]:
        """The attack's findings per phase (other signals are not part of any phase)."""
        out: dict[str, list[Finding]] = {}
        for f in self.story:
            for phase in dict.fromkeys(phase_of(t) for t in f.techniques):
                out.setdefault(phase, []).append(f)
        return out

    def exfil_totals(self) -> list[Exfil]:
        """One total per compromised account (its row without an address, else its largest estimate).

        Reads by accounts judged normal are ordinary work, not what was taken, and rows with no
        account count only for attacker addresses not already covered by a compromised account.
        """
        if not self.F:
            return []
        compromised = {a.account for a in self.F.accounts if a.verdict == "compromised"}
        covered = {ip for a in self.F.accounts if a.verdict == "compromised" for ip in a.source_ips}
        attacker = set(self.F.attacker_ips) - covered
        by_account: dict[str, list[Exfil]] = {}
        for e in self.F.exfiltration:
            if (e.account in compromised) or (e.account is None and e.ip in attacker):
                by_account.setdefault(e.account or "", []).append(e)
        out = []
        for account in sorted(by_account):
            rows = by_account[account]
            totals = [e for e in rows if e.ip is None]
            out.append(totals[0] if totals else max(rows, key=lambda e: e.estimate or 0))
        return out

    def ids(self, findings: list[Finding]) -> str:
        return join_ids(f.id for f in findings)

    # 1 ---------------------------------------------------------------------------------
    def identification(self) -> list[dict[str, Any]]:
        t, m = self.t, self.inp.manifest
        ref = self.inp.config.reference if self.inp.config else None
        tool = m.get("tool") or {}
        cfg = m.get("config") or {}

        def row(
            label: Markup, value: Any = None, *, stamp: Stamp | None = None, mono: bool = False, wide: bool = False
        ):
            return {"label": label, "value": value, "stamp": stamp, "mono": mono, "wide": wide}

        rows = [
            row(t("id.case"), show(self.inp.case_name)),
            row(t("id.reference"), show(ref) if ref else t("id.no_reference")),
            row(t("id.analyst"), show(self.analyst) if self.analyst else t("id.unknown")),
            row(t("id.generated"), stamp=self.stamp(self.generated_at)),
            row(
                t("id.tool"),
                t(
                    "id.tool_value",
                    name="forensic-timeline",
                    version=__version__,
                    ingest_name=show(tool.get("name", "?")),
                    ingest_version=show(tool.get("version", "?")),
                    python=show(tool.get("python", "?")),
                    polars=show(tool.get("polars", "?")),
                ),
            ),
        ]
        cmd = m.get("command_line")
        if isinstance(cmd, list):
            rows.append(row(t("id.cmd_ingest"), show(shlex.join(str(c) for c in cmd)), mono=True, wide=True))
        else:
            rows.append(row(t("id.cmd_ingest"), t("id.unknown"), wide=True))
        if self.F and self.F.command_line:
            rows.append(row(t("id.cmd_correlate"), show(shlex.join(self.F.command_line)), mono=True, wide=True))
        if self.command_line:
            rows.append(row(t("id.cmd_report"), show(shlex.join(self.command_line)), mono=True, wide=True))
        if cfg.get("path"):
            value = t("id.config_value", path=show(cfg.get("path")), sha=show(cfg.get("sha256") or "?"))
            rows.append(row(t("id.config"), value, mono=True, wide=True))
        else:
            rows.append(row(t("id.config"), t("id.no_config"), wide=True))
        rows.append(row(t("id.manifest_hash"), self.inp.hashes["manifest.json"], mono=True, wide=True))
        return rows

    def category(self, code: str) -> str:
        key = f"cat.{code}"
        return self.loc.text(key) if key in self.loc.messages else show(code)

    # 3 ---------------------------------------------------------------------------------
    def timeline(self) -> dict[str, Any]:
        t, loc = self.t, self.loc
        if not self.n_events or self.first is None or self.last is None:
            return {"empty": True, "notes": [t("tl.empty")]}
        focus_span = (
            (self.F.first_seen, self.F.last_seen) if self.F and self.F.first_seen and self.F.last_seen else None
        )
        # fine enough for the attack window, and never more than MAX_BINS over the whole window
        step = max(
            fr.pick_bin(*(focus_span or (self.first, self.last)), max_bins=fr.MAX_BINS // 2),
            fr.pick_bin(self.first, self.last),
        )
        overview_step = fr.pick_bin(self.first, self.last, max_bins=200)
        window = self.lf.filter(pl.col(fr.TS).is_between(self.first, self.last))
        density = fr.density(window, step, self.lanes[: fr.MAX_LANES], self.other)
        F = self.F
        marks = (
            fr.attack_marks(self.lf, F, self.lanes[: fr.MAX_LANES], self.other, self.tolerance, self.scope)
            if F
            else fr.Marks(pl.DataFrame(schema={"phase": pl.String}), None, 0)
        )
        phase_bars, phase_moments = self._phase_runs(marks)
        session_bars = self._session_bars()
        focus = None
        if F and F.first_seen and F.last_seen:
            focus = (F.first_seen, F.last_seen)
        figure = timeline(
            loc=loc,
            lanes=self.lanes,
            labels=self.labels,
            density=density,
            step=step,
            first=self.first,
            last=self.last,
            marks=marks,
            phase_bars=phase_bars,
            phase_moments=phase_moments,
            session_bars=session_bars,
            focus=focus,
            transitions=[x[0] for x in self.transitions],
            overview=fr.totals(self.lf, overview_step, self.first, self.last),
            overview_step=overview_step,
        )
        notes = []
        if marks.grouped_step:
            notes.append(t("tl.grouped", total=loc.num(marks.total), step=loc.duration(marks.grouped_step)))
        if F and self.inp.sessions is None:
            notes.append(t("tl.no_sessions"))
        return {"empty": False, "figure": figure, "notes": notes}

    def _phase_runs(self, marks: fr.Marks) -> tuple[list[Bar], list[Bar]]:
        """Each phase's activity as bars where it is continuous and as moments where it is not.

        The attacker's events of a phase (the timeline's marks) are cut wherever two follow
        each other more than ``RUN_BREAK`` apart (at least a share of the attack window); a
        run of several events becomes a bar from its first to its last event, a lone event a
        moment.  A phase made of a handful of moments over two days shows those moments.
        """
        loc = self.loc
        bars: list[Bar] = []
        moments: list[Bar] = []
        frame = marks.frame
        if frame.height == 0:
            return bars, moments
        span = (frame.get_column("last").max() - frame.get_column("ts").min()).total_seconds()
        gap = max(RUN_BREAK, span / 100)
        for phase in PHASES:
            rows = frame.filter(pl.col("phase") == phase).sort("ts")
            if rows.height == 0:
                continue
            runs = (
                rows.with_columns(
                    ((pl.col("ts") - pl.col("last").shift(1)).dt.total_seconds() > gap)
                    .fill_null(True)
                    .cum_sum()
                    .alias("run")
                )
                .group_by("run", maintain_order=True)
                .agg(
                    pl.col("ts").min().alias("a"),
                    pl.col("last").max().alias("b"),
                    pl.col("n").sum().alias("n"),
                    pl.col("finding").unique().sort().alias("ids"),
                )
            )
            lane = plot_text(loc.text(f"phase.{phase}"))
            colour = PHASE_STYLE[phase][0]
            for _, a, b, n, ids in runs.iter_rows():
                hover = [
                    plot_text(f"{loc.text(f'phase.{phase}')} · {loc.num(n)} {loc.text('fig.h.events')}", 140),
                    plot_text(loc.local(a)),
                    plot_text(loc.local(b)),
                    plot_text(", ".join(ids), 140),
                ]
                item = Bar(lane=lane, start=a, end=b, colour=colour, label="", hover=hover)
                (bars if n > 1 and (b - a).total_seconds() > 0 else moments).append(item)
        return bars, moments

    def _session_bars(self) -> list[Bar]:
        frame = self.inp.sessions
        if frame is None or not self.F:
            return []
        accounts = [a.account for a in self.F.compromised]
        cols = frame.columns
        acc_col = next((c for c in ("account", "user.name", "user") if c in cols), None)
        start_col = next((c for c in ("first_seen", "first", "start", "@timestamp") if c in cols), None)
        end_col = next((c for c in ("last_seen", "last", "end") if c in cols), None)
        if acc_col is None or start_col is None or end_col is None:
            return []
        rows = frame.filter(pl.col(acc_col).cast(pl.String).is_in(accounts)).head(500)
        bars = []
        kind_col = "kind" if "kind" in cols else None
        for r in rows.iter_rows(named=True):
            a, b = _as_time(r[start_col]), _as_time(r[end_col])
            if a is None or b is None or not self._attacker_session(str(r[acc_col]), r.get("ips"), a, b):
                continue
            bars.append(
                Bar(
                    lane=self.loc.text("fig.sessions_lane", account=plot_text(r[acc_col], 60)),
                    start=a,
                    end=max(a, b),
                    colour=SESSION_COLOUR,
                    label="",
                    hover=[
                        plot_text(r[kind_col]) if kind_col else "",
                        plot_text(self.loc.local(a)),
                        plot_text(self.loc.local(b)),
                        plot_text(r.get("ips") if not isinstance(r.get("ips"), list) else ", ".join(r["ips"])),
                    ],
                )
            )
        return bars

    def _attacker_session(self, account: str, ips: Any, first: datetime, last: datetime) -> bool:
        """A session of a compromised account that the attacker held, not its owners' daily use.

        From an address the attacker used for the account; a session without an address
        counts when it falls within the account's malicious period.
        """
        scope = self.scope
        if scope is None or not scope.known:
            return True
        addresses = [ip for ip in ips if isinstance(ip, str)] if isinstance(ips, list) else []
        if isinstance(ips, str):
            addresses = [ips]
        if addresses:
            return bool(scope.account_ips(account).intersection(addresses))
        period = scope.periods.get(account, scope.period)
        if period is None:
            return False
        return first <= period[1] + scope.tolerance and last >= period[0] - scope.tolerance

    # 4 ---------------------------------------------------------------------------------
    def phases(self) -> list[dict[str, Any]]:
        out = []
        for phase, fs in sorted(self.findings_of_phase().items(), key=lambda kv: PHASES.index(kv[0])):
            techniques = sorted({x for f in fs for x in f.techniques if phase_of(x) == phase})
            starts = [f.first_seen for f in fs if f.first_seen]
            ends = [f.last_seen for f in fs if f.last_seen]
            out.append(
                {
                    "phase": phase,
                    "name": self.t(f"phase.{phase}"),
                    "techniques": [self.technique(x) for x in techniques],
                    "first": self.stamp(min(starts)) if starts else None,
                    "last": self.stamp(max(ends)) if ends else None,
                    "findings": self.ids(fs),
                }
            )
        return out

    def phases_note(self) -> Markup | None:
        """How many findings the phases leave out (other signals, end of section 5)."""
        n = len(self.others)
        if not n:
            return None
        return self.t("ph.others_one") if n == 1 else self.t("ph.others", n=self.loc.num(n))

    def technique(self, x: str) -> dict[str, Any]:
        return {
            "id": show(x),
            "name": self.loc.technique(x) if known(x) else "",
            "unknown": not known(x),
            "ref": reference(x),
        }

    # 5 ---------------------------------------------------------------------------------
    def findings(self) -> list[dict[str, Any]]:
        """The findings that tell the attack, in the correlator's order; alike ones as one entry.

        Three or more findings of one kind on one account (the same scripted client seen from
        nine addresses) read as one entry with its members listed on a line each.
        """
        out: list[dict[str, Any]] = []
        for members in _groups(self.story, lambda f: (f.kind, f.account or ""), GROUP_MIN):
            if len(members) == 1:
                out.append({"group": False, "f": self._finding(members[0])})
            else:
                out.append({"group": True, **self._group(members)})
        return out

    def other_findings(self) -> list[dict[str, Any]]:
        """Findings not tied to the attacker, one row per kind: how many, on which accounts.

        Each of them is in annex A in full, with its evidence lines.
        """
        rows = []
        for members in _groups(self.others, lambda f: f.kind, 1):
            accounts = sorted({f.account for f in members if f.account})
            starts = [f.first_seen for f in members if f.first_seen]
            ends = [f.last_seen for f in members if f.last_seen]
            rows.append(
                {
                    "n": self.loc.num(len(members)),
                    "example": show(members[0].title) if members[0].title else self.t("fi.untitled"),
                    "accounts": ", ".join(show(a) for a in accounts[:ACCOUNTS_SHOWN])
                    + (
                        self.t("fi.more_accounts", n=len(accounts) - ACCOUNTS_SHOWN)
                        if len(accounts) > ACCOUNTS_SHOWN
                        else ""
                    ),
                    "n_accounts": self.loc.num(len(accounts)),
                    "first": self.stamp(min(starts)) if starts else None,
                    "last": self.stamp(max(ends)) if ends else None,
                    # every one of them is in annex A: a long list is shown by its ends
                    "ids": self.ids(members)
                    if len(members) <= IDS_SHOWN
                    else f"{self.ids(members[:2])}, …, {self.ids(members[-1:])}",
                    "basis": _common(f.basis for f in members),
                }
            )
        return rows

    def annex_findings(self) -> list[dict[str, Any]]:
        """Every finding in full with its cited lines: the attack's first, then the other signals."""
        return [
            dict(self._finding(f), other=f in self.others, evidence=self._evidence(f)) for f in self.story + self.others
        ]

    def _group(self, members: list[Finding]) -> dict[str, Any]:
        first = [f.first_seen for f in members if f.first_seen]
        last = [f.last_seen for f in members if f.last_seen]
        basis = _common(f.basis for f in members) or "unknown"
        techniques = list(dict.fromkeys(x for f in members for x in f.techniques))
        phase = primary_phase(techniques)
        return {
            "ids": f"{show(members[0].id)} … {show(members[-1].id)}",
            "title": self.t("fi.group_title", n=len(members), example=show(members[0].title)),
            "basis": basis,
            "basis_label": self.t(f"basis.{basis}"),
            "phase": phase or "other",
            "techniques": [self.technique(x) for x in techniques],
            "first": self.stamp(min(first)) if first else None,
            "last": self.stamp(max(last)) if last else None,
            "members": [
                {
                    "id": show(f.id),
                    "title": show(f.title),
                    "first": self.stamp(f.first_seen),
                    "last": self.stamp(f.last_seen),
                    "events": self.loc.num(f.event_count),
                }
                for f in members
            ],
        }

    def _finding(self, f: Finding) -> dict[str, Any]:
        phase = primary_phase(f.techniques)
        return {
            "id": show(f.id),
            # an id of the page's own making: a finding id is data and stays out of attributes
            "anchor": f"ev-{self.anchors.get(id(f), 0)}",
            "title": show(f.title) if f.title else self.t("fi.untitled"),
            "basis": f.basis,
            "basis_label": self.t(f"basis.{f.basis}"),
            "basis_help": self.t(f"basis.{f.basis}.help"),
            "phase": phase or "other",
            "techniques": [self.technique(x) for x in f.techniques],
            "account": show(f.account) if f.account else None,
            "ips": ip_display(f.ips),
            "first": self.stamp(f.first_seen),
            "last": self.stamp(f.last_seen),
            "events": self.loc.num(f.event_count),
            "reasons": [show(r) for r in f.reasons],
        }

    def _evidence(self, f: Finding) -> dict[str, Any]:
        lines = []
        for e in f.evidence[:EVIDENCE_SHOWN]:
            q = self.quotes.get(e)
            raw, cut = truncate(show_block(q.raw), RAW_LIMIT) if q else ("", 0)
            lines.append(
                {
                    "file": show(e.file),
                    "line": self.loc.num(e.line),
                    "time": self.stamp(q.time) if q else None,
                    "raw": raw,
                    "cut": self.t("cut", n=self.loc.num(cut)) if cut else None,
                    "found": q is not None,
                    "rejected": q is not None and q.where == "rejects",
                }
            )
        rest = f.evidence[EVIDENCE_SHOWN:]
        total = f.evidence_total if f.evidence_total and f.evidence_total > len(f.evidence) else None
        return {
            "lines": lines,
            "more": self.t(
                "fi.more_evidence",
                n=len(rest),
                refs=", ".join(f"{show(e.file)}:{e.line}" for e in rest[:200]),
            )
            if rest
            else None,
            "total": self.t("fi.evidence_total", n=self.loc.num(total), shown=self.loc.num(len(f.evidence)))
            if total
            else None,
        }

    # 6 ---------------------------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        F = self.F
        if not F:
            return []
        rows = []
        for a in F.accounts:
            if a.verdict not in ("compromised", "suspicious"):
                continue
            rows.append(
                {
                    "account": show(a.account),
                    "verdict": a.verdict,
                    "verdict_label": self.t(f"verdict.{a.verdict}")
                    if a.verdict in ("compromised", "suspicious")
                    else a.verdict,
                    "score": self.loc.dec(a.score, 2),
                    "first": self.stamp(a.first_malicious),
                    "last": self.stamp(a.last_malicious),
                    "ips": ip_display(a.source_ips),
                    "reasons": [show(r) for r in a.reasons],
                }
            )
        return rows

    def related_table(self, frame: pl.DataFrame | None, file: str) -> Table | None:
        """A session or link frame, filtered to the assessed accounts and attacker addresses."""
        if frame is None:
            return None
        accounts = [a.account for a in self.F.accounts if a.verdict in ("compromised", "suspicious")] if self.F else []
        ips = self.attacker_ips
        conds = []
        for name, dtype in frame.schema.items():
            low = name.lower()
            if dtype == pl.String and ("account" in low or "user" in low) and accounts:
                conds.append(pl.col(name).is_in(accounts))
            elif "ip" in low.replace("zip", "") and ips:
                if dtype == pl.String:
                    conds.append(pl.col(name).is_in(ips))
                elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
                    conds.append(pl.col(name).list.eval(pl.element().is_in(ips)).list.any())
        rows = frame
        if conds:
            cond = conds[0]
            for c in conds[1:]:
                cond = cond | c
            rows = frame.filter(cond.fill_null(False))
        total = rows.height
        rows = rows.head(TABLE_ROWS)
        aliases = {
            "first": "first_seen",
            "start": "first_seen",
            "last": "last_seen",
            "end": "last_seen",
            "events": "event_count",
            "link_reasons": "reasons",
            "user_agent": "user_agents",
            "session.id": "session",
            "session_id": "session",
            "user.name": "account",
            "user": "account",
        }
        columns = []
        for name in rows.columns:
            key = "col." + aliases.get(name, name)
            columns.append(self.t(key) if key in self.loc.messages else show(name))
        body = []
        for r in rows.iter_rows():
            body.append([self._cell(name, self._localised(name, v)) for name, v in zip(rows.columns, r)])
        return Table(columns, body, total, file)

    def _localised(self, name: str, value: Any) -> Any:
        """Stored English reasons and enumerated words of a session/link table, in the report's language."""
        if isinstance(value, list):
            return [self._localised(name, v) for v in value]
        if not isinstance(value, str):
            return value
        if name in ("reason", "link_reasons", "account.reason"):
            return reason_text(value, self.loc)
        return cell_word(name, value, self.loc)

    def _cell(self, name: str, value: Any) -> Cell:
        is_ip = "ip" in name.lower().replace("zip", "")
        if value is None:
            return Cell(self.loc.messages["dash"])
        if isinstance(value, datetime):
            dt = value if value.tzinfo else value.replace(tzinfo=UTC)
            return Cell(self.loc.local(dt), self.loc.utc(dt))
        if isinstance(value, list):
            items = [defang(v) if is_ip else show(v) for v in value if v is not None]
            return Cell(self.loc.messages["list.sep"].join(items)[:2000], mono=is_ip)
        if isinstance(value, bool):
            return Cell(self.loc.text("yes" if value else "no"))
        if isinstance(value, float):
            return Cell(self.loc.dec(value, 2))
        if isinstance(value, int):
            return Cell(self.loc.num(value))
        text = defang(value) if is_ip else show(value)
        shown, cut = truncate(text, 400)
        return Cell(shown + ("…" if cut else ""), mono=is_ip)

    # 7 ---------------------------------------------------------------------------------
    def exfil_findings(self, e: Exfil) -> list[str]:
        """The findings an exfiltration row rests on: those it names, else the attack's
        collection and exfiltration findings on its account (and address) that overlap its period."""
        if e.findings:
            return list(e.findings)
        out = []
        for f in self.story:
            if not {phase_of(x) for x in f.techniques} & {"collection", "exfiltration"}:
                continue
            if e.account is not None and f.account != e.account:
                continue
            if e.ip is not None and e.ip not in f.ips:
                continue
            if e.account is None and e.ip is None:
                continue
            if e.first_seen and e.last_seen and f.first_seen and f.last_seen:
                pad = timedelta(seconds=self.tolerance)
                if f.first_seen > e.last_seen + pad or f.last_seen < e.first_seen - pad:
                    continue
            out.append(f.id)
        return out

    def exfiltration(self) -> dict[str, Any]:
        F = self.F
        if not F or not F.exfiltration:
            return {"rows": [], "categories": [], "rows_note": None}
        loc = self.loc
        rows = []
        totals = {e.account: e for e in F.exfiltration if e.ip is None and e.account is not None}
        for e in sorted(F.exfiltration, key=lambda e: (e.account or "", e.ip is not None, ip_sort_key(e.ip or ""))):
            estimate, low, high = e.estimate, e.low, e.high
            # an address's share of an account cannot hold more distinct records than the account's
            # whole: a per-address figure that adds CSV rows up (repeats included) is cut to it
            whole = totals.get(e.account) if e.ip is not None else None
            capped = False
            if whole is not None and whole.high is not None and high is not None and high > whole.high:
                capped = True
                high = whole.high
                estimate = min(estimate, high) if estimate is not None else None
                low = min(low, high) if low is not None else None
            rows.append(
                {
                    "account": show(e.account) if e.account else None,
                    "ip": defang(e.ip) if e.ip else None,
                    "total": e.ip is None,
                    "capped": capped,
                    "estimate": loc.num(estimate),
                    "bounds": f"{loc.num(low)} – {loc.num(high)}",
                    "rows": loc.num(e.rows) if e.rows is not None else loc.messages["dash"],
                    "rows_bounds": f"{loc.num(e.rows_low)} – {loc.num(e.rows_high)}"
                    if e.rows_low is not None and e.rows_high is not None and e.rows_low != e.rows_high
                    else None,
                    "objects": loc.num(e.distinct_objects),
                    "bytes": loc.size(e.bytes),
                    "bytes_exact": loc.num(e.bytes) if e.bytes is not None else None,
                    "first": self.stamp(e.first_seen),
                    "last": self.stamp(e.last_seen),
                    "method": show(e.method),
                    "findings": join_ids(self.exfil_findings(e)),
                }
            )
        cats = sorted({c for e in F.exfiltration for c in e.categories})
        return {"rows": rows, "categories": [self.category(c) for c in cats]}

    # 8 ---------------------------------------------------------------------------------
    def indicators(self) -> dict[str, Any]:
        F = self.F
        if not F:
            return {"ips": [], "uas": [], "compromised": [], "created": [], "plain": ""}
        # addresses of the attack's findings only: a staff desk a benign finding names is no indicator
        cited: dict[str, list[str]] = {}
        for f in self.story:
            for ip in f.ips:
                cited.setdefault(ip, []).append(f.id)
        for a in F.accounts:
            if a.verdict not in ("compromised", "suspicious"):
                continue
            for ip in a.source_ips:
                cited.setdefault(ip, [])
        ips = sorted(set(self.attacker_ips) | set(cited), key=ip_sort_key)
        activity = {r[0]: r[1:] for r in fr.ip_activity(self.lf, ips).iter_rows()}
        rows = []
        for ip in ips:
            n, first, last = activity.get(ip, (0, None, None))
            rows.append(
                {
                    "ip": defang(ip),
                    "role": self.t("in.role_attacker") if ip in self.attacker_ips else self.t("in.role_cited"),
                    "attacker": ip in self.attacker_ips,
                    "events": self.loc.num(n),
                    "first": self.stamp(first),
                    "last": self.stamp(last),
                    "findings": join_ids(cited.get(ip, [])),
                }
            )
        uas = []
        for ua, n, from_ips, first, last in fr.user_agents(self.lf, self.attacker_ips).iter_rows():
            uas.append(
                {
                    "ua": show(ua),
                    "events": self.loc.num(n),
                    "ips": ", ".join(ip_display(from_ips)),
                    "first": self.stamp(first),
                    "last": self.stamp(last),
                }
            )
        return {
            "ips": rows,
            "uas": uas,
            "compromised": [show(a.account) for a in F.compromised],
            "created": [show(a) for a in F.created_accounts],
            "plain": "\n".join(defang(ip) for ip in ips),
        }


def _groups(findings: list[Finding], key: Any, least: int) -> list[list[Finding]]:
    """Findings with the same ``key`` together, in the order of their first member.

    A key shared by fewer than ``least`` findings leaves them apart (one list each).
    """
    by_key: dict[Any, list[Finding]] = {}
    for f in findings:
        by_key.setdefault(key(f), []).append(f)
    out: list[list[Finding]] = []
    placed: set[Any] = set()
    for f in findings:
        k = key(f)
        members = by_key[k]
        if len(members) < least:
            out.append([f])
        elif k not in placed:
            placed.add(k)
            out.append(members)
    return out


def _common(values: Any) -> str | None:
    """The one value all items share, else None."""
    seen = set(values)
    return seen.pop() if len(seen) == 1 else None


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return parse_time(value)
    return None
