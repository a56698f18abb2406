"""The attack-timeline report: ``build_report`` reads an output folder, ``Report.save`` writes it.

The same inputs and ``generated_at`` give the same bytes: figure ids are fixed, every list
is sorted, JSON keys are sorted, and nothing depends on the clock, the machine or the
process (no set order, no random ids).  ``save`` writes ``report.html.sha256`` beside the
file in ``sha256sum`` format, so ``sha256sum -c report.html.sha256`` verifies it.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics._version import __version__
from forensics.config import CaseConfig
from forensics.findings.vocabulary import LANGUAGES
from forensics.outputs import atomic, write_text
from forensics.redact import keep_secrets as keep
from forensics.report.figures import PLOTLY_CONFIG
from forensics.report.i18n import Locale
from forensics.report.inputs import ReportError, read_inputs
from forensics.report.page import content_hash, render
from forensics.report.sections import Builder

#: Fixed ids of the figure containers (the page's script looks them up).
TIMELINE_ID = "fig-timeline"
COVERAGE_ID = "fig-coverage"
#: Width in CSS pixels figures are redrawn at for printing (A4 portrait, 12 mm margins).
PRINT_WIDTH = 700


@dataclass
class Report:
    """A rendered report: ``html`` is the whole page; ``figures`` are the plotly Figures in it."""

    html: str
    lang: str
    title: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file as written (``report.html.sha256``)."""
        return hashlib.sha256(self.html.encode("utf-8")).hexdigest()

    @property
    def content_hash(self) -> str:
        """The hash printed on every page (see ``page.content_hash`` for its definition)."""
        found = content_hash(self.html)
        return found[0] if found else ""

    def save(self, path: Path | str) -> Path:
        """Write the page and ``<path>.sha256`` beside it; return the page's path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.html.encode("utf-8")
        with atomic(target) as tmp:  # a reader never sees half a page under the final name
            tmp.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        write_text(target.with_name(target.name + ".sha256"), f"{digest}  {target.name}\n")
        return target

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe: its own CSP applies, and its scripts cannot reach the notebook.

        ``srcdoc`` parses the page as a separate document (so the policy in its ``<head>``
        is honoured, which it would not be inside the notebook's DOM); ``sandbox`` without
        ``allow-same-origin`` gives it an opaque origin.
        """
        return (
            '<iframe sandbox="allow-scripts" referrerpolicy="no-referrer" width="100%" height="900" '
            f'title="{html.escape(self.title, quote=True)}" srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Report(title={self.title!r}, lang={self.lang!r}, bytes={len(self.html.encode('utf-8'))})"


def _parse_generated(value: datetime | str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ReportError(f"--generated-at {value!r} is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        raise ReportError("generated_at needs an offset or Z (e.g. 2024-10-31T09:00:00+01:00)")
    return value.astimezone(UTC)


def build_report(
    out_dir: Path | str,
    *,
    lang: str = "en",
    title: str | None = None,
    analyst: str | None = None,
    generated_at: datetime | str | None = None,
    config: CaseConfig | Path | str | None = None,
    command_line: Sequence[str] | None = None,
    keep_secrets: bool = False,
) -> Report:
    """Build the report of an ingest (and correlation) output folder.

    ``generated_at`` (aware datetime or ISO string) makes the output reproducible; ``config``
    overrides the case config the manifest names (its awareness time feeds section 12).
    Secrets found in the logs are masked unless ``keep_secrets`` (the report says which).
    """
    with keep(keep_secrets):
        return _build_report(
            out_dir,
            lang=lang,
            title=title,
            analyst=analyst,
            generated_at=generated_at,
            config=config,
            command_line=command_line,
        )


def _build_report(
    out_dir: Path | str,
    *,
    lang: str,
    title: str | None,
    analyst: str | None,
    generated_at: datetime | str | None,
    config: CaseConfig | Path | str | None,
    command_line: Sequence[str] | None,
) -> Report:
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r} (choose {', '.join(LANGUAGES)})")
    when = _parse_generated(generated_at)
    inputs = read_inputs(out_dir, config)
    loc = Locale(lang, inputs.zone)
    b = Builder(
        inputs,
        loc,
        title=title,
        analyst=analyst,
        generated_at=when,
        command_line=list(command_line) if command_line else None,
    )
    timeline = b.timeline()
    coverage = b.coverage()
    sessions = b.related_table(inputs.sessions, "sessions.parquet")
    links = b.related_table(inputs.links, "links.parquet")
    uncertain = b.uncertainties(no_sessions=inputs.sessions is None or inputs.links is None)
    figures: dict[str, Any] = {}
    if not timeline["empty"]:
        figures[TIMELINE_ID] = timeline["figure"]
    if coverage["figure"] is not None:
        figures[COVERAGE_ID] = coverage["figure"]
    sections = [(f"s{i}", f"s{i}") for i in range(1, 12)]
    annexes = [("a1", "A"), ("a2", "B"), ("a3", "C")]
    reference = inputs.config.reference if inputs.config else None
    context = {
        "lang": lang,
        "t": loc,
        "title": b.title,
        "case": inputs.case_name,
        "analyst": b.analyst,
        "generated": b.stamp(when),
        "version": __version__,
        "toc": [{"id": sid, "n": i + 1, "title": loc(key)} for i, (sid, key) in enumerate(sections)],
        "toc_annexes": [{"id": aid, "letter": letter, "title": loc(aid)} for aid, letter in annexes],
        "identification": b.identification(),
        "summary": b.summary(uncertain),
        "timeline": {k: v for k, v in timeline.items() if k != "figure"},
        "timeline_id": TIMELINE_ID,
        "phases": b.phases(),
        "phases_note": b.phases_note(),
        "findings": b.findings(),
        "other_findings": b.other_findings(),
        "annex_findings": b.annex_findings(),
        "findings_available": inputs.findings is not None,
        "accounts": b.accounts(),
        "sessions": sessions,
        "links": links,
        "exfil": b.exfiltration(),
        "indicators": b.indicators(),
        "manifest": b.manifest(),
        "time": b.time_statement(),
        "coverage": {k: v for k, v in coverage.items() if k != "figure"},
        "coverage_id": COVERAGE_ID if coverage["figure"] is not None else None,
        "notification": b.notification(),
        "file_name": "report.html",
        "run_id": inputs.manifest.get("run_id"),
        "scope_notes": _scope_notes(inputs, loc),
    }
    page_config = {
        "plotly": dict(PLOTLY_CONFIG, locale=lang),
        "locale": loc.plotly_locale(),
        "printWidth": PRINT_WIDTH,
    }
    fig_json = {fid: json.loads(fig.to_json(engine="json", validate=False)) for fid, fig in figures.items()}
    furniture = (
        " · ".join(x for x in (inputs.case_name, reference) if x),
        loc.text("print.hash"),
        b.title,
        loc.text("print.page"),
    )
    page = render(context, fig_json, page_config, furniture)
    return Report(html=page, lang=lang, title=b.title, figures=figures)


def _scope_notes(inputs: Any, loc: Locale) -> list[Any]:
    """The first lines of section 1 when the case is not what it seems: nothing read, or a time window."""
    totals = inputs.manifest.get("totals") or {}
    notes = []
    files = int(totals.get("files") or 0)
    if not int(totals.get("events") or 0) and files == int(totals.get("files_unrecognised") or 0):
        notes.append(loc("scope.nothing_read", files=loc.num(files), lines=loc.num(totals.get("lines_read") or 0)))
    window = inputs.manifest.get("window") or {}
    if window:
        since, until = window.get("since") or {}, window.get("until") or {}
        notes.append(
            loc(
                "scope.window",
                since=since.get("utc") or loc("dash"),
                until=until.get("utc") or loc("dash"),
                outside=loc.num(window.get("events_outside") or 0),
            )
        )
    return notes


def timeline_figure(out_dir: Path | str, *, lang: str = "en", config: CaseConfig | Path | str | None = None) -> Any:
    """The report's attack-timeline figure alone (a plotly Figure, for notebooks)."""
    import plotly.graph_objects as go

    inputs = read_inputs(out_dir, config)
    b = Builder(
        inputs,
        Locale(lang, inputs.zone),
        title=None,
        analyst=None,
        generated_at=_parse_generated(None),
        command_line=None,
    )
    figure = b.timeline().get("figure")
    return figure if figure is not None else go.Figure()


def write_report(out_dir: Path | str, path: Path | str | None = None, **kw: Any) -> Path:
    """Build the report of ``out_dir`` and save it (default ``OUT_DIR/report.html``) with its .sha256."""
    target = Path(path) if path is not None else Path(out_dir) / "report.html"
    return build_report(out_dir, **kw).save(target)
