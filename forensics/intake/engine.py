"""``ingest``: detect, parse and account for every line of the evidence; events, rejects and a manifest.

The engine runs the intake's steps in turn.  The evidence is walked (``walk``) and every
file hashed (``stream``); then one pass per file (``_ingest_file``, which an executor of
``forensics.executors`` maps over the files: here, or on a Dask cluster), in chunks, so
memory follows the chunk size and not the file size: bytes -> lines -> records (``reader``)
-> parser (``parsing``) -> accounting and provenance, client IP, zone (``accounting``,
``enrichment``) -> the part store (``writer``: in memory up to a budget, then on disk).  A reader thread prepares the
next chunk while this one is parsed, and chunk-independent parsers parse two chunks at a
time.  At the end the events are ordered into ``events.parquet`` (with the year, DST and
clock-skew decisions of ``forensics.time`` applied) and the manifest (``manifest``) says,
for every file, what was read and what became of it (lines read = in events + blank +
meta + rejected + not parsed).

The run writes nothing but its outputs and one working folder of its own (``.parts-*``,
made fresh by ``tempfile.mkdtemp`` and removed by this run only); it refuses an output
folder inside the evidence and evidence inside the output folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics._version import __version__
from forensics.config import CaseConfig, as_config, check_timezone
from forensics.dataset import (
    DATASET,
    DEFAULT_LAYOUT,
    LAYOUTS,
    PARTITION_BY,
    clear_stale_dataset,
    publish_dataset,
    scan_events,
    staging_folder,
    write_dataset,
)
from forensics.ingest_messages import note
from forensics.intake.accounting import FileReport, count_unrecognised, process_lines, stream_facts
from forensics.intake.detect import MIN_SCORE, detect_file
from forensics.intake.manifest import apply_file_stats, build_manifest, iso
from forensics.intake.parsing import parse_ahead
from forensics.intake.reader import file_lines, whole_records
from forensics.intake.references import References
from forensics.intake.store import expected_text_bytes
from forensics.intake.stream import DEFAULT_MAX_DECOMPRESSED, StreamStatus, hash_file
from forensics.intake.walk import EvidenceFile, Skipped, shown, source_key, walk
from forensics.intake.writer import PartWriter
from forensics.outputs import check_output_folder, clear_stale, commit, run_id, temporary, write_json
from forensics.time.second_pass import CaseTime, SourceTime
from forensics.time.window import Window
from forensics.time.zones import ZoneDecision, decide_zone
from parsers.base import ParserState, get_parser


class IngestError(RuntimeError):
    """Ingest cannot start (bad paths, output inside the evidence, evidence inside the output...)."""


@dataclass
class IngestResult:
    """Where the outputs are; frames are read lazily so large cases stay on disk."""

    out_dir: Path
    manifest: dict[str, Any]

    @property
    def events_path(self) -> Path:
        return self.out_dir / "events.parquet"

    @property
    def rejects_path(self) -> Path:
        return self.out_dir / "rejects.parquet"

    def scan_events(self) -> pl.LazyFrame:
        """The events in the canonical order, from events.parquet or the partitioned dataset."""
        return scan_events(self.out_dir)

    @property
    def events(self) -> pl.DataFrame:
        return scan_events(self.out_dir).collect()

    @property
    def rejects(self) -> pl.DataFrame:
        return pl.read_parquet(self.rejects_path)


ProgressFn = Callable[[int, int, str], None]


def _resolve_root(evidence: Path | str | Sequence[Path | str]) -> tuple[Path, list[Path] | None]:
    if isinstance(evidence, str | Path):
        paths = [Path(evidence)]
    else:
        paths = [Path(p) for p in evidence]
    if not paths:
        raise IngestError("no evidence path given")
    for p in paths:
        if not p.exists():
            raise IngestError(f"evidence path {p} does not exist")
    resolved = [p.resolve() for p in paths]
    if len(resolved) == 1 and resolved[0].is_dir():
        return resolved[0], None
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in resolved]))
    return root, resolved


def _collect_files(
    root: Path, picked: list[Path] | None, exclude: list[str]
) -> tuple[list[EvidenceFile], list[Skipped]]:
    files, skipped = walk(root, exclude)
    if picked is None:
        return files, skipped
    keep_dirs = [p for p in picked if p.is_dir()]
    keep_files = {p for p in picked if not p.is_dir()}
    chosen = [f for f in files if f.path in keep_files or any(f.path.is_relative_to(d) for d in keep_dirs)]
    return chosen, [s for s in skipped if any((root / s.relpath).is_relative_to(d) for d in keep_dirs)]


def _host_for(relpath: str, configured: str | None) -> str | None:
    if configured:
        return configured
    head, sep, _ = relpath.partition("/")
    return head if sep else None


def ingest(
    evidence: Path | str | Sequence[Path | str],
    out_dir: Path | str | None = None,
    *,
    config: CaseConfig | Path | str | None = None,
    format: str | None = None,
    tz: str | None = None,
    progress: ProgressFn | None = None,
    command_line: Sequence[str] | None = None,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    overwrite: bool = True,
    memory_budget: int | None = None,
    window: Window | None = None,
    force: bool = True,
    say: Callable[[str], None] | None = None,
    executor: Any = "local",
    scheduler: str | None = None,
    layout: str = DEFAULT_LAYOUT,
) -> IngestResult:
    """Read an evidence folder (or files) into ``events.parquet``, ``rejects.parquet``, ``manifest.json``.

    ``config`` is a ``case.toml`` path or a loaded CaseConfig; ``format`` forces one parser
    for every file; ``tz`` is the zone of naive timestamps when neither the source nor the
    case config gives one.  Without ``out_dir`` the outputs go to a temporary folder.
    ``memory_budget`` (bytes) is how much parsed data is held in memory before it goes to
    disk (default ``forensics.intake.store.MEMORY_BUDGET``).  ``window`` keeps only the events whose
    ``@timestamp`` lies in it (the manifest counts the others).  Outputs of another run found in
    ``out_dir`` are removed (each named through ``say``) when ``force``, else ``OutputError``.
    ``executor`` is where files are parsed (``"local"``, ``"dask"`` with ``scheduler``, or an
    executor of ``forensics.executors``); ``layout`` is the form of the event table
    (``single``: events.parquet, ``partitioned``: the events/ dataset, ``both``).
    """
    from forensics.executors import check_executor, opened

    if layout not in LAYOUTS:
        raise IngestError(f"layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if isinstance(executor, str):
        check_executor(executor, scheduler)
    started = datetime.now(UTC)
    cfg = as_config(config)
    if tz:
        check_timezone(tz, "--tz")
    root, picked = _resolve_root(evidence)
    out = Path(out_dir).resolve() if out_dir else Path(tempfile.mkdtemp(prefix="forensics-"))
    check_apart(root, picked, out)
    if format is not None:
        get_parser(format)  # unknown name -> clear error before anything is written
    exclude = list(cfg.exclude)
    if cfg.path is not None and cfg.path.resolve().is_relative_to(root):
        exclude.append(cfg.path.resolve().relative_to(root).as_posix())
    files, skipped = _collect_files(root, picked, exclude)

    check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("events.parquet", "rejects.parquet", "manifest.json"):
        if (out / name).exists() and not overwrite:
            raise IngestError(f"{shown(out / name)} exists; choose another output folder")
    # the spill folder is new and unique to this run: only this run ever removes it, and
    # nothing that was there before (an earlier run's folder, evidence) is touched
    parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=out))
    try:
        with opened(executor, scheduler) as ex:
            return _run(
                files,
                skipped,
                parts,
                root=root,
                out=out,
                cfg=cfg,
                format=format,
                tz=tz,
                progress=progress,
                command_line=command_line,
                max_decompressed=max_decompressed,
                memory_budget=memory_budget,
                started=started,
                window=window,
                force=force,
                say=say,
                executor=ex,
                layout=layout,
            )
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def check_apart(root: Path, picked: list[Path] | None, out: Path) -> None:
    """Evidence and outputs never overlap: refuse an output inside the evidence, or evidence inside the output.

    An output inside the evidence would change the evidence; evidence inside the output
    could be taken for (or replaced by) an output or a working file of a later run.
    """
    if root.is_dir() and out.is_relative_to(root):
        raise IngestError(f"refusing to write the output folder {shown(out)} inside the evidence folder {shown(root)}")
    for path in picked or [root]:
        if path.is_relative_to(out):
            raise IngestError(
                f"refusing to read evidence {shown(path)} from inside the output folder {shown(out)}: "
                "move the evidence out of it or choose another output folder"
            )


def _run(
    files: list[EvidenceFile],
    skipped: list[Skipped],
    parts: Path,
    *,
    root: Path,
    out: Path,
    cfg: CaseConfig,
    format: str | None,
    tz: str | None,
    progress: ProgressFn | None,
    command_line: Sequence[str] | None,
    max_decompressed: int,
    memory_budget: int | None,
    started: datetime,
    window: Window | None,
    force: bool,
    say: Callable[[str], None] | None,
    executor: Any,
    layout: str = DEFAULT_LAYOUT,
) -> IngestResult:
    """Hash, read and order every file, with ``parts`` (this run's own folder) for spilled events."""
    from forensics.executors.task import ParseOptions

    readable = []
    for f in files:
        try:
            f.sha256_before, f.noatime = hash_file(f.path)
        except OSError as exc:
            # an unreadable file is listed with the reason; the others are read
            skipped.append(Skipped(f.relpath, note("walk.cannot_read", error=str(exc.strerror or exc))))
            continue
        f.source, f.rotation_rank = source_key(f.relpath)
        readable.append(f)
    files = readable
    skipped.sort(key=lambda sk: sk.relpath)
    window = window or Window()
    rid = run_id(
        ((f.relpath, f.sha256_before) for f in files),
        cfg.sha256,
        {"format": format, "tz": tz, "window": window.to_json()},
        __version__,
    )
    clear_stale(out, rid, force=force, say=say)
    # a rotation set is read oldest file first, so file order is time order within it
    files.sort(key=lambda f: (f.source, f.rotation_rank, f.relpath))

    clear_stale_dataset(out, rid, force=force, say=say)
    source_states: dict[str, dict[str, Any]] = {}
    expected = expected_text_bytes((f.path, f.size) for f in files)
    writer = PartWriter(parts, memory_budget, window, rid, expected)
    # the per-file parse, here or on a cluster: the same function, the same frames in the same order
    options = ParseOptions(config=cfg, format=format, tz=tz, max_decompressed=max_decompressed, files=tuple(files))
    total = sum(f.size for f in files) or 1
    dataset = None
    staging = _cluster_staging(executor, layout, expected, writer.store.memory_budget, out, say)
    if staging is not None:
        # past the client's memory: the events stay on the workers, which write the dataset
        try:
            done = executor.ingest_partitioned(
                files,
                options,
                writer,
                source_states,
                lambda reports, states: _time_context(files, reports, cfg, states),
                window,
                staging,
                writer.metadata,
                progress,
            )
            reports, timing, dataset = done.reports, done.timing, done.parts
            writer.rows = done.rows
            with ThreadPoolExecutor(max_workers=1) as pool:
                rehash = pool.submit(_hash_after, files, reports)
                writer.finish_rejects(out)
                rehash.result()
            publish_dataset(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    else:
        reports = executor.parse(files, options, writer, source_states, progress)
        if progress and files:
            progress(total, total, "every file read: dates, clocks, then ordering and writing events.parquet")

        context = _time_context(files, reports, cfg, source_states)
        # every file is read: hash them again while the events are ordered and written
        with ThreadPoolExecutor(max_workers=1) as pool:
            rehash = pool.submit(_hash_after, files, reports)
            timing = writer.finish(out, context)
            rehash.result()
        if layout in ("partitioned", "both"):
            if progress and files:
                progress(total, total, "writing the partitioned event dataset (events/)")
            dataset = write_dataset(
                temporary(out / "events.parquet"),
                out,
                metadata=writer.metadata,
                memory_budget=writer.store.memory_budget,
            )
        if layout == "partitioned":
            temporary(out / "events.parquet").unlink()
    apply_file_stats(reports, timing)

    manifest = build_manifest(
        rid=rid,
        window=window,
        kept=writer.rows,
        root=root,
        cfg=cfg,
        reports=reports,
        skipped=skipped,
        started=started,
        command_line=command_line,
        out=out,
        fmt=format,
        tz=tz,
        timing=timing,
    )
    manifest["options"].update(layout=layout, **executor.describe())
    # where the events waited for the time pass: here, or on the workers that parsed them
    manifest["options"]["events_held_on"] = "workers" if staging is not None else "client"
    if dataset is not None:
        manifest["dataset"] = {
            "path": DATASET + "/",
            "partition_by": list(PARTITION_BY),
            "parts": [p.to_json() for p in dataset],
        }
    # every output was written under a temporary name: rename them, the manifest last
    for name in ("events.parquet", "rejects.parquet") if layout != "partitioned" else ("rejects.parquet",):
        commit(temporary(out / name), out / name)
    write_json(out / "manifest.json", manifest)
    return IngestResult(out_dir=out, manifest=manifest)


def _cluster_staging(
    executor: Any, layout: str, expected: int, budget: int, out: Path, say: Callable[[str], None] | None
) -> Path | None:
    """The staging folder of a dataset the workers write, when the case is to stay on the cluster.

    That is when the executor can keep the events where they were parsed (Dask), only the
    dataset is asked (``events.parquet`` is one ordered file, which the client writes), the
    text of the evidence alone passes the client's memory budget, and every worker sees the
    output folder (a shared mount).  Otherwise None: the events come back to the client.
    """
    if not hasattr(executor, "ingest_partitioned") or expected <= budget:
        return None
    if layout != "partitioned":
        if say is not None:
            say(
                "the evidence passes the memory budget: its events come back to this machine to be ordered "
                "into events.parquet (--layout partitioned keeps them on the workers)"
            )
        return None
    staging = staging_folder(out)
    if executor.sees(staging):
        return staging
    staging.rmdir()
    if say is not None:
        say(
            f"the workers do not see {shown(out)}: the events come back to this machine "
            "(mount the output folder on the workers at the same path to keep them there)"
        )
    return None


def _within(progress: ProgressFn | None, done: int, size: int, total: int, item: str) -> Callable[[int], None] | None:
    """Progress inside one file: ``bytes_read`` of it on top of the files already done."""
    if progress is None:
        return None

    def report(bytes_read: int) -> None:
        # the file counts as done only once it is finished (the reader runs a chunk ahead)
        progress(done + min(bytes_read, max(size - 1, 0)), total, item)

    return report


def _hash_after(files: list[EvidenceFile], reports: list[FileReport]) -> None:
    """SHA-256 of every file after reading it: a difference means it changed under us."""
    for f, report in zip(files, reports):
        try:
            f.sha256_after, noatime = hash_file(f.path)
            report.noatime = bool(report.noatime and noatime)
        except OSError as exc:
            report.warnings.append(note("read.rehash_failed", error=str(exc)))
        report.sha256_after = f.sha256_after
        report.unchanged = f.sha256_after == f.sha256_before
        if not report.unchanged:
            report.warnings.append(note("read.changed"))


def _time_context(
    files: list[EvidenceFile], reports: list[FileReport], cfg: CaseConfig, source_states: dict[str, dict[str, Any]]
) -> CaseTime:
    """Per source: zone decision, host, configured offset and year, newest file time, timing state."""
    sources: dict[str, SourceTime] = {}
    for f, r in zip(files, reports):
        if r.zone is None or r.zone_source is None:
            continue  # unrecognised file: no events
        try:
            mtime: datetime | None = datetime.fromtimestamp(f.path.stat().st_mtime, UTC).replace(tzinfo=None)
        except OSError:
            mtime = None
        st = sources.get(r.source)
        if st is None:
            src = cfg.source_for(f.relpath)
            year = src.options.get("year") if src else None
            st = SourceTime(
                source=r.source,
                host=r.host,
                zone=ZoneDecision(r.zone, r.zone_source),
                clock_offset=r.clock_offset,
                year=_config_year(year),
                newest_mtime=mtime,
                state=source_states.get(r.source, {}).setdefault("timing", {}),
            )
            sources[r.source] = st
        elif mtime is not None and (st.newest_mtime is None or mtime > st.newest_mtime):
            st.newest_mtime = mtime
    return CaseTime(sources=sources, skew_tolerance=cfg.skew_tolerance, awareness=cfg.awareness)


def _config_year(value: Any) -> int | None:
    """The ``year`` of a ``[[source]]`` when it is a plausible year (1..9998), else None."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        return None
    year = int(str(value).strip())
    return year if 1 <= year <= 9998 else None


@dataclass(frozen=True)
class _Choice:
    """Which parser reads a file, and how that was decided (config, cli, detected, unrecognised)."""

    parser: str | None
    detection: str
    score: float | None = None
    candidates: tuple[tuple[str, float], ...] = ()


class _Formats:
    """Each file's parser and options, decided once per run (a reference table may be asked for
    by another file before its own turn)."""

    def __init__(self, cfg: CaseConfig, cli_format: str | None) -> None:
        self.cfg = cfg
        self.cli_format = cli_format
        self._chosen: dict[str, _Choice] = {}

    def options(self, f: EvidenceFile) -> dict[str, Any]:
        """The parser options of ``f``: its ``[[source]]``'s, and the file name."""
        src = self.cfg.source_for(f.relpath)
        options = dict(src.options) if src else {}
        options["_filename"] = f.relpath.rpartition("/")[2]
        return options

    def of(self, f: EvidenceFile) -> _Choice:
        choice = self._chosen.get(f.relpath)
        if choice is None:
            choice = self._chosen[f.relpath] = self._choose(f)
        return choice

    def _choose(self, f: EvidenceFile) -> _Choice:
        src = self.cfg.source_for(f.relpath)
        if src and src.format:
            return _Choice(src.format, "config")
        if self.cli_format:
            return _Choice(self.cli_format, "cli")
        detection = detect_file(f.path, self.options(f))
        if detection.parser is None or detection.score < MIN_SCORE:
            return _Choice(None, "unrecognised", detection.score, detection.candidates)
        return _Choice(detection.parser, "detected", detection.score, detection.candidates)


def _ingest_file(
    f: EvidenceFile,
    root: Path,
    cfg: CaseConfig,
    formats: _Formats,
    references: References,
    cli_tz: str | None,
    writer: PartWriter,
    source_state: ParserState,
    max_decompressed: int,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    src = cfg.source_for(f.relpath)
    report = FileReport(
        path=f.relpath,
        size=f.size,
        sha256_before=f.sha256_before,
        source=f.source,
        name_escaped=f.name_escaped,
        aliases=list(f.aliases),
        noatime=f.noatime,
    )
    report.host = _host_for(f.relpath, src.host if src else None)
    choice = formats.of(f)
    report.parser, report.detection = choice.parser, choice.detection
    if choice.score is not None:
        report.score = choice.score
        report.candidates = [list(c) for c in choice.candidates]  # type: ignore[misc]
    if choice.parser is None:
        return count_unrecognised(f, report, max_decompressed)
    decision = decide_zone(src.timezone if src else None, cli_tz or cfg.timezone)
    report.zone, report.zone_source = decision.zone, decision.source
    report.clock_offset = src.clock_offset if src else None
    parser = get_parser(choice.parser, formats.options(f))
    status = StreamStatus()
    state = ParserState(source=source_state, references=references.for_file(f, parser.references))
    tmin: datetime | None = None
    tmax: datetime | None = None

    try:
        for parsed in parse_ahead(
            whole_records(file_lines(f.path, status, max_decompressed, report), parser, report), parser, state
        ):
            first, last = process_lines(parsed, state, f, report, cfg, decision, writer)
            if first is not None and (tmin is None or first < tmin):
                tmin = first
            if last is not None and (tmax is None or last > tmax):
                tmax = last
            if progress is not None:
                progress(status.raw_bytes)
    except OSError as exc:
        report.warnings.append(note("read.error", error=str(exc)))
    stream_facts(report, status)
    report.inferred = dict(state.get("inferred", {}))
    report.time_first = iso(tmin)
    report.time_last = iso(tmax)
    if not report.balanced:
        report.warnings.append(note("read.mismatch", n=report.lines_read, n2=report.lines_accounted))
    return report


__all__ = ["IngestError", "IngestResult", "ingest"]
