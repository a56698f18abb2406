"""The notebook face of the tool: ``load`` (ingest only) and ``investigate`` (the whole job).

A ``Case`` wraps one output folder.  Frames stay polars frames (notebooks render them);
the Case itself renders a short summary inline.  The CLI calls the same functions with the
same keyword names.
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from forensics.config import CaseConfig, as_config
from forensics.ingest import ProgressFn, ingest

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass
class Case:
    """One investigated case: the outputs of ingest (and correlation when it ran)."""

    out_dir: Path
    config: CaseConfig = field(default_factory=CaseConfig)

    # -- frames ---------------------------------------------------------------------
    @property
    def events(self) -> pl.DataFrame:
        """The normalized timeline (sorted by @timestamp, file, line)."""
        return pl.read_parquet(self.out_dir / "events.parquet")

    def scan(self) -> pl.LazyFrame:
        """The timeline as a lazy frame, for large cases."""
        return pl.scan_parquet(self.out_dir / "events.parquet")

    @property
    def rejects(self) -> pl.DataFrame:
        """Every line that could not be used, with file, line, reason and raw text."""
        return pl.read_parquet(self.out_dir / "rejects.parquet")

    @property
    def manifest(self) -> dict[str, Any]:
        """What was read: files, hashes before/after, parsers, counts, zones, warnings."""
        return json.loads((self.out_dir / "manifest.json").read_text(encoding="utf-8"))

    @property
    def sessions(self) -> pl.DataFrame | None:
        """One row per web, application and database session (after correlation)."""
        path = self.out_dir / "sessions.parquet"
        return pl.read_parquet(path) if path.is_file() else None

    @property
    def findings(self) -> dict[str, Any] | None:
        """The findings (``findings.json``), after correlation."""
        path = self.out_dir / "findings.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @property
    def accounts(self) -> pl.DataFrame | None:
        """One row per account the correlator judged: verdict, score, malicious period, reasons."""
        return self._finding_table("accounts")

    @property
    def exfiltration(self) -> pl.DataFrame | None:
        """The exfiltration estimates: per account and per address, with bounds and method."""
        return self._finding_table("exfiltration")

    def _finding_table(self, key: str) -> pl.DataFrame | None:
        # the *_message(s) keys are the translatable forms of texts the table already holds in
        # English; their parameters differ from row to row, so they stay in ``findings`` only
        findings = self.findings
        if findings is None:
            return None
        rows = [
            {k: v for k, v in row.items() if not k.endswith(("_message", "_messages"))} for row in findings.get(key, [])
        ]
        return pl.DataFrame(rows, infer_schema_length=None)

    # -- views ----------------------------------------------------------------------
    def account(self, name: str) -> AccountView:
        """Everything about one account: its events, sessions, IPs, actions, verdict."""
        lf = self.scan()
        by_user = pl.col("user.name") == name
        if "related.user" in lf.collect_schema().names():
            by_user = by_user | pl.col("related.user").list.contains(name)
        events = lf.filter(by_user.fill_null(False)).collect()
        sessions = self.sessions
        if sessions is not None and "account" in sessions.columns:
            sessions = sessions.filter(pl.col("account") == name)
        verdict = None
        if self.findings:
            verdict = next((a for a in self.findings.get("accounts", []) if a.get("account") == name), None)
        return AccountView(name=name, events=events, sessions=sessions, verdict=verdict)

    def timeline(self) -> go.Figure:
        """The attack timeline figure (the same one as in the report)."""
        from forensics.report import timeline_figure

        return timeline_figure(self.out_dir)

    def report(self, *, lang: str = "en", **kwargs: Any) -> Any:
        """The HTML report as a ``Report`` (renders inline; ``.save(path)``)."""
        from forensics.report import build_report

        return build_report(self.out_dir, lang=lang, config=self.config, **kwargs)

    def _repr_html_(self) -> str:
        m = self.manifest
        t = m["totals"]
        rows = [
            ("Case", self.config.name),
            ("Output", str(self.out_dir)),
            ("Files", f"{t['files']} ({t['files_unrecognised']} unrecognised)"),
            ("Events", f"{t['events']:,}"),
            ("Rejects", f"{t['rejects']:,}"),
            ("First / last (UTC)", f"{t['time_first']} / {t['time_last']}"),
        ]
        f = self.findings
        if f:
            top = [a for a in f.get("accounts", []) if a.get("verdict") == "compromised"]
            rows.append(("Compromised", ", ".join(a["account"] for a in top) or "none"))
            rows.append(("Attacker IPs", ", ".join(f.get("attacker_ips", [])[:12]) or "none"))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
        )
        return f"<table>{body}</table>"


@dataclass
class AccountView:
    """One account across sources."""

    name: str
    events: pl.DataFrame
    sessions: pl.DataFrame | None
    verdict: dict[str, Any] | None

    @property
    def ips(self) -> pl.DataFrame:
        return (
            self.events.group_by("source.ip")
            .agg(
                pl.len().alias("events"),
                pl.col("@timestamp").min().alias("first"),
                pl.col("@timestamp").max().alias("last"),
            )
            .sort("first")
        )

    @property
    def actions(self) -> pl.DataFrame:
        return self.events.group_by("event.action").agg(pl.len().alias("events")).sort("events", descending=True)

    def _repr_html_(self) -> str:
        verdict = self.verdict.get("verdict") if self.verdict else "not ranked"
        return (
            f"<b>{html.escape(self.name)}</b>: {self.events.height:,} events, verdict <i>{html.escape(str(verdict))}</i>"
            + self.actions._repr_html_()
        )


def load(
    evidence: Path | str | Sequence[Path | str],
    out_dir: Path | str | None = None,
    *,
    config: CaseConfig | Path | str | None = None,
    format: str | None = None,
    tz: str | None = None,
    progress: ProgressFn | None = None,
) -> Case:
    """Ingest only (no correlation): the timeline, for exploration."""
    cfg = as_config(config)
    result = ingest(evidence, out_dir, config=cfg, format=format, tz=tz, progress=progress)
    return Case(out_dir=result.out_dir, config=cfg)


def investigate(
    evidence: Path | str | Sequence[Path | str],
    out_dir: Path | str | None = None,
    *,
    config: CaseConfig | Path | str | None = None,
    accounts: Sequence[str] = (),
    format: str | None = None,
    tz: str | None = None,
    progress: ProgressFn | None = None,
    report: bool = True,
    lang: str = "en",
    command_line: Sequence[str] | None = None,
) -> Case:
    """The whole job (what ``forensics investigate`` runs): ingest, correlate, report; returns the Case."""
    from forensics.correlate.investigate import investigate as run

    cfg = as_config(config)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="forensics-"))
    inv = run(
        evidence,
        out,
        config=cfg,
        accounts=accounts,
        format=format,
        tz=tz,
        progress=progress,
        command_line=command_line,
        lang=lang,
        report=report,
    )
    if inv.report_error:
        raise RuntimeError(f"the report could not be written: {inv.report_error}")
    return Case(out_dir=inv.ingest.out_dir, config=cfg)
