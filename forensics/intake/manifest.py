"""The manifest: for every file, what was read and what became of it; for every source, its time.

``manifest.json`` is written last, after the events and rejects: it names the run, the
tool, the command line, the evidence root, how the evidence was opened, the totals that
prove every line was accounted for, each source's zone, year and clock decisions, each
file's accounting, what was skipped and why, and the warnings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics._version import __version__
from forensics.config import CaseConfig
from forensics.ingest_messages import Note, structured
from forensics.intake.accounting import FileReport
from forensics.intake.walk import Skipped, shown
from forensics.time.second_pass import TimeOutcome, source_time_warnings
from forensics.time.window import Window


def apply_file_stats(reports: list[FileReport], timing: TimeOutcome) -> None:
    """The per-file time figures of the manifest, taken from the final events (after the time pass)."""
    for r in reports:
        st = timing.files.get(r.path)
        if st is None:
            continue
        r.time_first = iso(st["first"])
        r.time_last = iso(st["last"])
        r.naive_events = st["naive"]
        r.time_flags = dict(st["flags"])


def iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ts else None


def build_manifest(
    *,
    rid: str | None = None,
    window: Window | None = None,
    kept: int | None = None,
    root: Path,
    cfg: CaseConfig,
    reports: list[FileReport],
    skipped: list[Skipped],
    started: datetime,
    command_line: Sequence[str] | None,
    out: Path,
    fmt: str | None,
    tz: str | None,
    timing: TimeOutcome | None = None,
) -> dict[str, Any]:
    files = [
        {
            **asdict(r),
            "warning_messages": [structured(w) for w in r.warnings],
            "lines_accounted": r.lines_accounted,
            "balanced": r.balanced,
        }
        for r in reports
    ]
    sources: dict[str, dict[str, Any]] = {}
    for r in reports:
        s = sources.setdefault(
            r.source,
            {
                "source": r.source,
                "host": r.host,
                "parser": r.parser,
                "files": [],
                "zone": r.zone,
                "zone_source": r.zone_source,
                "clock_offset": r.clock_offset,
                "skew_estimate": None,
                "events": 0,
                "naive_events": 0,
                "time_flags": {},
            },
        )
        s["files"].append(r.path)
        s["events"] += r.events
        s["naive_events"] += r.naive_events
        for k, v in r.time_flags.items():
            s["time_flags"][k] = s["time_flags"].get(k, 0) + v
    warnings = []
    for s in sources.values():
        extra = timing.sources.get(s["source"], {}) if timing else {}
        s["clock_host"] = extra.get("clock_host", s["host"] or s["source"])
        s["skew_estimate"] = extra.get("skew_estimate")
        s["skew_applied"] = extra.get("skew_applied")
        s["skew_origin"] = extra.get("skew_origin")
        s["year_inference"] = extra.get("year_inference")
        s["dst_fall_back"] = extra.get("dst_fall_back")
        s["time_flags"] = dict(sorted(s["time_flags"].items()))
        warnings.extend(source_time_warnings(s))
        if s["time_flags"].get("dst_nonexistent"):
            warnings.append(Note("time.dst_gap", {"n": s["time_flags"]["dst_nonexistent"]}, s["source"]))
        if s["time_flags"].get("year_conflict"):
            warnings.append(Note("time.year_conflict", {"n": s["time_flags"]["year_conflict"]}, s["source"]))
    if timing:
        warnings.extend(timing.warnings)
    for r in reports:
        for w in r.warnings:
            warnings.append(w.about(r.path) if isinstance(w, Note) else f"{r.path}: {w}")
    totals = {
        "files": len(reports),
        "files_unrecognised": sum(1 for r in reports if r.detection == "unrecognised"),
        "lines_read": sum(r.lines_read for r in reports),
        "events": sum(r.events for r in reports),
        "rejects": sum(r.rejects for r in reports),
        "lines_blank": sum(r.lines_blank for r in reports),
        "lines_meta": sum(r.lines_meta for r in reports),
        "lines_in_events": sum(r.lines_in_events for r in reports),
        "lines_rejected": sum(r.lines_rejected for r in reports),
        "lines_unrecognised": sum(r.lines_unrecognised for r in reports),
        "lines_accounted": sum(r.lines_accounted for r in reports),
        "balanced": all(r.balanced for r in reports),
        "skipped": len(skipped),
        "time_first": min((r.time_first for r in reports if r.time_first), default=None),
        "time_last": max((r.time_last for r in reports if r.time_last), default=None),
        "dst_nonexistent": sum(r.time_flags.get("dst_nonexistent", 0) for r in reports),
        "dst_ambiguous": sum(r.time_flags.get("dst_ambiguous", 0) for r in reports),
        "dst_ambiguous_resolved": sum(r.time_flags.get("dst_ambiguous_resolved", 0) for r in reports),
        "year_inferred": sum(r.time_flags.get("year_inferred", 0) for r in reports),
        "skew_corrected": sum(r.time_flags.get("skew_corrected", 0) for r in reports),
    }
    scope = window.to_json() if window else None
    if scope is not None:
        warnings[:0] = window.notes() if window else []
        scope["events_parsed"] = totals["events"]
        scope["events_kept"] = kept
        scope["events_outside"] = totals["events"] - (kept or 0)
    return {
        "schema": "forensics.manifest/1",
        "run_id": rid,
        "window": scope,
        "tool": {
            "name": "forensic-timeline",
            "version": __version__,
            "python": sys.version.split()[0],
            "polars": pl.__version__,
        },
        "command_line": list(command_line) if command_line is not None else None,
        "started_at": iso(started),
        "finished_at": iso(datetime.now(UTC)),
        "evidence_root": shown(root),
        "output": shown(out),
        "evidence_access": _access_summary(reports),
        "config": {
            "path": shown(cfg.path) if cfg.path else None,
            "sha256": cfg.sha256,
            "case": cfg.name,
            "timezone": cfg.timezone,
        },
        "options": {"format": fmt, "tz": tz},
        "totals": totals,
        "clock": timing.clock if timing else {},
        "sources": list(sources.values()),
        "files": files,
        "skipped": [_skipped(s) for s in skipped],
        "warnings": warnings,
        "warning_messages": [structured(w) for w in warnings],
    }


def _skipped(entry: Skipped) -> dict[str, Any]:
    """A skipped path, its reason in English and, beside it, the reason's code and values."""
    message = structured(entry.reason)
    return {
        **asdict(entry),
        "reason_code": message["code"] if message else None,
        "params": message["params"] if message else {},
    }


def _access_summary(reports: list[FileReport]) -> dict[str, Any]:
    """How the evidence was opened: read-only always; O_NOATIME for how many files."""
    used = sum(1 for r in reports if r.noatime)
    return {
        "read_only": True,
        "o_noatime": "all" if used == len(reports) else ("none" if used == 0 else "some"),
        "o_noatime_files": used,
        "o_noatime_available": bool(getattr(os, "O_NOATIME", 0)),
    }
