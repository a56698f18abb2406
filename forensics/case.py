"""``Case``: a reader of one output folder, for notebooks.

A Case never runs anything: ``forensics.investigate`` and ``forensics.app.ingest_only`` write
an output folder and return its Case; ``forensics.load(OUT)`` opens one written earlier.  Frames stay polars frames (notebooks render them); the Case and an
account's view render a short summary inline.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from forensics.config import CaseConfig, as_config
from forensics.dataset import has_events, scan_events
from forensics.findings import Document, read_document

if TYPE_CHECKING:
    import plotly.graph_objects as go


class NotAnOutputFolder(ValueError):
    """The folder is not an output folder of this tool (evidence, or an empty folder)."""


def _check_output_folder(out: Path) -> None:
    if not out.is_dir():
        raise NotAnOutputFolder(f"{out} is not a folder")
    if (out / "manifest.json").is_file() and has_events(out):
        return
    if any(p.is_file() for p in out.iterdir()):
        raise NotAnOutputFolder(
            f"{out} is not an output folder (no manifest.json and events.parquet): it looks like evidence. "
            f"Read it with forensics.investigate({str(out)!r}, out=...)"
        )
    raise NotAnOutputFolder(f"{out} is not an output folder (no manifest.json and events.parquet)")


class Case:
    """One output folder, read: events, rejects, manifest, findings, sessions, links, accounts.

    ``Case("out")`` or ``Case(Path("out"))``; ``config`` overrides the case config the manifest
    names (used by ``report()``).  Every frame is read when asked for, so a large case costs
    what you look at.
    """

    def __init__(self, out_dir: Path | str, config: CaseConfig | Path | str | None = None) -> None:
        self.out_dir = Path(out_dir)
        _check_output_folder(self.out_dir)
        self._config = config if isinstance(config, CaseConfig) or config is None else as_config(config)

    def __repr__(self) -> str:
        return f"Case({str(self.out_dir)!r})"

    def __dir__(self) -> list[str]:
        return sorted(n for n in set(super().__dir__()) if not n.startswith("_") or n == "_repr_html_")

    # -- what the folder holds ------------------------------------------------------------
    @property
    def config(self) -> CaseConfig:
        """The case config: as given, else the one the manifest names (when it can still be read)."""
        if self._config is not None:
            return self._config
        path = (self.manifest.get("config") or {}).get("path")
        if path and Path(path).is_file():
            try:
                return as_config(path)
            except ValueError:
                pass
        return CaseConfig()

    @property
    def run_id(self) -> str | None:
        """The id of the run that wrote this folder (stamped in every file it wrote)."""
        return self.manifest.get("run_id")

    @property
    def nothing_read(self) -> bool:
        """True when no file of the evidence was recognised: the findings then conclude nothing."""
        t = self.manifest.get("totals") or {}
        return int(t.get("files_unrecognised") or 0) == int(t.get("files") or 0)

    @property
    def events(self) -> pl.DataFrame:
        """The normalized timeline (sorted by @timestamp, file, line), from events.parquet or the events/ dataset."""
        return scan_events(self.out_dir).collect()

    def scan(self) -> pl.LazyFrame:
        """The timeline as a lazy frame, for large cases."""
        return scan_events(self.out_dir)

    @property
    def rejects(self) -> pl.DataFrame:
        """Every line that could not be used, with file, line, reason and raw text."""
        return pl.read_parquet(self.out_dir / "rejects.parquet")

    @property
    def manifest(self) -> dict[str, Any]:
        """What was read: files, hashes before/after, parsers, counts, zones, warnings, the window."""
        return json.loads((self.out_dir / "manifest.json").read_text(encoding="utf-8"))

    @property
    def sessions(self) -> pl.DataFrame | None:
        """One row per web, application and database session (None before correlation)."""
        return self._frame("sessions.parquet")

    @property
    def links(self) -> pl.DataFrame | None:
        """The cross-source links between sessions and events, each with its reason and confidence."""
        return self._frame("links.parquet")

    @property
    def attribution(self) -> pl.DataFrame | None:
        """Which events.parquet rows (``row``) the correlation gave to which account, through which session."""
        return self._frame("attribution.parquet")

    @property
    def document(self) -> Document | None:
        """The findings (``findings.json``) as typed data, after correlation (None before).

        Read tolerantly: what could not be read is listed in ``document.problems`` (path and
        reason) instead of raising, so a damaged file still shows the rest.
        """
        path = self.out_dir / "findings.json"
        return read_document(path) if path.is_file() else None

    @property
    def findings(self) -> dict[str, Any] | None:
        """The findings (``findings.json``) as a dict, after correlation: ``document``, as JSON values."""
        doc = self.document
        return doc.to_json() if doc is not None else None

    @property
    def accounts(self) -> pl.DataFrame | None:
        """One row per account the correlator judged: verdict, score, malicious period, reasons."""
        return self._finding_table("accounts")

    @property
    def exfiltration(self) -> pl.DataFrame | None:
        """The exfiltration estimates: per account and per address, with bounds and method."""
        return self._finding_table("exfiltration")

    def _frame(self, name: str) -> pl.DataFrame | None:
        path = self.out_dir / name
        return pl.read_parquet(path) if path.is_file() else None

    def _finding_table(self, key: str) -> pl.DataFrame | None:
        # the *_message(s) keys are the translatable forms of texts the table already holds in
        # English; their parameters differ from row to row, so they stay in ``findings`` only
        doc = self.document
        if doc is None:
            return None
        items = doc.accounts if key == "accounts" else doc.exfiltration
        rows = [
            {k: v for k, v in item.to_json().items() if not k.endswith(("_message", "_messages"))} for item in items
        ]
        return pl.DataFrame(rows, infer_schema_length=None)

    # -- views ------------------------------------------------------------------------------
    def account_names(self) -> list[str]:
        """Every account name the case knows: from the events, the findings and the attribution."""
        names: set[str] = set(
            self.scan().select(pl.col("user.name").drop_nulls().unique()).collect().get_column("user.name").to_list()
        )
        doc = self.document
        names.update(a.account for a in (doc.accounts if doc else []))
        attribution = self.attribution
        if attribution is not None:
            names.update(attribution.get_column("account").unique().to_list())
        return sorted(n for n in names if n)

    def account(self, name: str) -> AccountView:
        """Everything about one account: the events it wrote or that the correlation attributed to it.

        An event belongs to the account when its ``user.name`` or ``related.user`` names it, or
        when the correlation attributed it (a request of the account's session that carries no
        user name, such as the pages of an export).  An unknown name raises ``KeyError`` with the
        closest known names.
        """
        known = self.account_names()
        if name not in known:
            close = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no account {name!r} in this case{hint}")
        lf = self.scan().with_row_index("_row")
        by_user = pl.col("user.name") == name
        if "related.user" in lf.collect_schema().names():
            by_user = by_user | pl.col("related.user").list.contains(name)
        attribution = self.attribution
        if attribution is not None:
            rows = attribution.filter(pl.col("account") == name).get_column("row").unique()
            by_user = by_user.fill_null(False) | pl.col("_row").is_in(rows.implode())
        events = lf.filter(by_user.fill_null(False)).drop("_row").collect()
        sessions = self.sessions
        if sessions is not None and "account" in sessions.columns:
            sessions = sessions.filter(pl.col("account") == name)
        doc = self.document
        judged = doc.account(name) if doc else None
        verdict = judged.to_json() if judged else None
        return AccountView(name=name, events=events, sessions=sessions, verdict=verdict)

    def timeline(self) -> go.Figure:
        """The attack timeline figure (the same one as in the report)."""
        from forensics.report import timeline_figure

        return timeline_figure(self.out_dir, config=self._config)

    def report(self, *, lang: str = "en", **kwargs: Any) -> Any:
        """The HTML report as a ``Report`` (renders inline; ``.save(path)`` writes it and its .sha256)."""
        from forensics.report import build_report

        return build_report(self.out_dir, lang=lang, config=self._config, **kwargs)

    def _repr_html_(self) -> str:
        m = self.manifest
        t = m["totals"]
        rows = [
            ("Case", (m.get("config") or {}).get("case") or self.config.name),
            ("Output", str(self.out_dir)),
            ("Run", str(m.get("run_id"))),
            ("Files", f"{t['files']} ({t['files_unrecognised']} unrecognised)"),
            ("Events", f"{t['events']:,}"),
            ("Rejects", f"{t['rejects']:,}"),
            ("First / last (UTC)", f"{t['time_first']} / {t['time_last']}"),
        ]
        if self.nothing_read:
            rows.insert(0, ("Warning", "nothing was read: no file of the evidence was recognised"))
        doc = self.document
        if doc:
            top = [a.account for a in doc.accounts if a.verdict == "compromised"]
            rows.append(("Compromised", ", ".join(top) or "none"))
            rows.append(("Attacker IPs", ", ".join(doc.attacker_ips[:12]) or "none"))
            if doc.problems:
                rows.append(
                    ("findings.json", f"{len(doc.problems)} part(s) could not be read: see case.document.problems")
                )
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
        )
        return f"<table>{body}</table>"


@dataclass
class AccountView:
    """One account across sources: its events, sessions, and the correlator's verdict."""

    name: str
    events: pl.DataFrame
    sessions: pl.DataFrame | None
    verdict: dict[str, Any] | None

    @property
    def ips(self) -> pl.DataFrame:
        """Every client address of the account's events, with counts and first/last times."""
        return (
            self.events.group_by("source.ip")
            .agg(
                pl.len().alias("events"),
                pl.col("@timestamp").min().alias("first"),
                pl.col("@timestamp").max().alias("last"),
            )
            .sort("first", "source.ip", nulls_last=True)
        )

    @property
    def actions(self) -> pl.DataFrame:
        """Events per action, most frequent first."""
        return (
            self.events.group_by("event.action")
            .agg(pl.len().alias("events"))
            .sort(["events", "event.action"], descending=[True, False], nulls_last=True)
        )

    def _repr_html_(self) -> str:
        verdict = self.verdict.get("verdict") if self.verdict else "not ranked"
        return (
            f"<b>{html.escape(self.name)}</b>: {self.events.height:,} events, verdict <i>{html.escape(str(verdict))}</i>"
            + self.actions._repr_html_()
        )


def load(out: Path | str, *, config: CaseConfig | Path | str | None = None) -> Case:
    """Open an output folder written by ``forensics investigate`` or ``ingest`` (never evidence)."""
    return Case(out, config=config)


__all__ = ["AccountView", "Case", "NotAnOutputFolder", "load"]
