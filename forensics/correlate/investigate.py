"""``investigate``: ingest + correlate (+ the HTML report when it is installed), in one call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.config import CaseConfig, as_config
from forensics.correlate.pipeline import Correlation, correlate
from forensics.ingest import IngestResult, ingest


@dataclass
class Investigation:
    """Where everything went: the ingest, the correlation, and the output files."""

    ingest: IngestResult
    correlation: Correlation
    outputs: dict[str, Path] = field(default_factory=dict)
    report: Path | None = None
    report_error: str | None = None


def _report_writer() -> Callable[..., Any] | None:
    try:
        from forensics.report import write_report  # type: ignore[attr-defined]
    except ImportError:
        return None
    return write_report


def investigate(
    evidence: Path | str | Sequence[Path | str],
    out_dir: Path | str,
    *,
    config: CaseConfig | Path | str | None = None,
    accounts: Sequence[str] = (),
    format: str | None = None,
    tz: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    command_line: Sequence[str] | None = None,
    lang: str = "en",
    report: bool = True,
    memory_budget: int | None = None,
) -> Investigation:
    """Read the evidence into ``out_dir``, correlate it, write findings and (if available) the report."""
    cfg = as_config(config)
    result = ingest(
        evidence,
        out_dir,
        config=cfg,
        format=format,
        tz=tz,
        progress=progress,
        command_line=command_line,
        memory_budget=memory_budget,
    )
    corr = correlate(result.out_dir, cfg, accounts)
    outputs = corr.save(result.out_dir)
    outputs = {"events": result.events_path, "manifest": result.out_dir / "manifest.json", **outputs}
    inv = Investigation(ingest=result, correlation=corr, outputs=outputs)
    writer = _report_writer() if report else None
    if writer is not None:
        try:
            written = writer(result.out_dir, config=cfg, lang=lang, command_line=command_line)
        except Exception as exc:  # the report is optional here; its failure must not lose the findings
            inv.report_error = f"{type(exc).__name__}: {exc}"
        else:
            inv.report = Path(written) if isinstance(written, str | Path) else result.out_dir / "report.html"
            inv.outputs["report"] = inv.report
    return inv
