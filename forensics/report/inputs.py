"""What a report is built from: the files of an output folder, their hashes, and the case config.

Nothing here reads events: ``events.parquet`` is scanned lazily by ``frames.py``, column by
column, so a case of ten million events costs what the report needs and no more.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from forensics.config import CaseConfig, ConfigError, load_config
from forensics.dataset import DATASET, dataset_run_ids, events_digest, events_source, has_events
from forensics.outputs import run_ids
from forensics.report.model import Findings, read_findings

#: Optional inputs written by correlation; the report says "not available" without them.
OPTIONAL = ("findings.json", "sessions.parquet", "links.parquet", "rejects.parquet")


class ReportError(RuntimeError):
    """The folder cannot make a report (no ingest output in it)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Inputs:
    """The output folder, read: manifest, findings, optional frames, config, and hashes."""

    out_dir: Path
    manifest: dict[str, Any]
    hashes: dict[str, str]
    findings: Findings | None
    findings_error: str | None
    sessions: pl.DataFrame | None
    links: pl.DataFrame | None
    config: CaseConfig | None
    notes: list[str] = field(default_factory=list)

    @property
    def events_path(self) -> Path | list[Path]:
        """events.parquet, or the part files of the events/ dataset (see forensics.dataset)."""
        return events_source(self.out_dir)

    @property
    def rejects_path(self) -> Path | None:
        p = self.out_dir / "rejects.parquet"
        return p if p.is_file() else None

    @property
    def zone(self) -> str:
        """The case's zone: the config's, else the one recorded in the manifest, else UTC."""
        if self.config is not None and self.config.timezone:
            return self.config.timezone
        return (self.manifest.get("config") or {}).get("timezone") or "UTC"

    @property
    def case_name(self) -> str:
        if self.config is not None and self.config.path is not None:
            return self.config.name
        return (self.manifest.get("config") or {}).get("case") or "Unnamed case"


def _read_frame(path: Path, notes: list[str]) -> pl.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # a damaged file must not stop the report
        notes.append(f"{path.name}: cannot be read ({type(exc).__name__})")
        return None


def _config(manifest: dict[str, Any], out_dir: Path, given: CaseConfig | Path | str | None, notes: list[str]):
    """The case config: as given, else the file the manifest names (checked against its hash)."""
    if isinstance(given, CaseConfig):
        return given
    recorded = manifest.get("config") or {}
    if given is not None:
        return load_config(given)
    path = recorded.get("path")
    if not path:
        return None
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates.append(out_dir / path)
        candidates.append(out_dir.parent / path)
    for candidate in candidates:
        if candidate.is_file():
            try:
                cfg = load_config(candidate)
            except ConfigError as exc:
                notes.append(f"case config {candidate}: {exc}")
                return None
            if recorded.get("sha256") and cfg.sha256 != recorded["sha256"]:
                notes.append(
                    f"the case config {path} changed since the ingest (SHA-256 {cfg.sha256} now, "
                    f"{recorded['sha256']} at ingest); values such as the awareness time come from the current file"
                )
            return cfg
    notes.append(f"the case config {path} named by the manifest was not found; awareness time unknown")
    return None


def _one_run(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse a folder whose files come from different runs (their run ids differ from the manifest's)."""
    rid = manifest.get("run_id")
    if not rid:
        return  # written before run ids existed: nothing to compare
    names = ("events.parquet", "rejects.parquet", "findings.json", "sessions.parquet", "links.parquet")
    # a file without a run id (written by hand, or before run ids existed) has none to compare
    other = {name: found for name, found in run_ids(out, names).items() if found and found != rid}
    for found in dataset_run_ids(out) - {None, rid}:
        other[f"{DATASET}/"] = found
    if other:
        listed = ", ".join(f"{name} (run {found})" for name, found in sorted(other.items()))
        raise ReportError(
            f"{out} mixes the outputs of different runs: manifest.json is run {rid} but {listed}; "
            "run `forensics investigate` again into an empty folder (or with --force)"
        )


def read_inputs(out_dir: Path | str, config: CaseConfig | Path | str | None = None) -> Inputs:
    """Read an output folder of ``forensics ingest`` (and ``correlate``, when it ran)."""
    out = Path(out_dir)
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file() or not has_events(out):
        raise ReportError(f"{out} has no manifest.json and events.parquet: run `forensics ingest` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    _one_run(out, manifest)
    notes: list[str] = []
    events_name, events_sha = events_digest(out)
    hashes = {"manifest.json": sha256_file(manifest_path), events_name: events_sha}
    for name in OPTIONAL:
        if (out / name).is_file():
            hashes[name] = sha256_file(out / name)
    findings = None
    findings_error = None
    if (out / "findings.json").is_file():
        try:
            findings = read_findings(out / "findings.json")
        except ValueError as exc:
            findings_error = str(exc)
    return Inputs(
        out_dir=out,
        manifest=manifest,
        hashes=dict(sorted(hashes.items())),
        findings=findings,
        findings_error=findings_error,
        sessions=_read_frame(out / "sessions.parquet", notes),
        links=_read_frame(out / "links.parquet", notes),
        config=_config(manifest, out, config, notes),
        notes=notes,
    )
