"""Detect, parse and account for every line of the evidence: events, rejects and a manifest.

One pass per file, in chunks, so memory follows the chunk size and not the file size:
bytes -> lines (lossless reader) -> records -> parser -> provenance, client IP, zone ->
the part store (in memory up to a budget, then on disk).  A reader thread prepares the
next chunk while this one is parsed, and chunk-independent parsers parse two chunks at a
time.  At the end the events are ordered into ``events.parquet`` (with the year, DST and
clock-skew decisions applied) and the manifest says, for every file, what was read and
what became of it (lines read = in events + blank + meta + rejected + not parsed).

The run writes nothing but its outputs and one working folder of its own (``.parts-*``,
made fresh by ``tempfile.mkdtemp`` and removed by this run only); it refuses an output
folder inside the evidence and evidence inside the output folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from forensics._version import __version__
from forensics.config import CaseConfig, ConfigError, as_config, check_timezone
from forensics.dataset import (
    DATASET,
    DEFAULT_LAYOUT,
    LAYOUTS,
    PARTITION_BY,
    clear_stale_dataset,
    scan_events,
    write_dataset,
)
from forensics.detect import MIN_SCORE, detect_file
from forensics.evidence import (
    DEFAULT_MAX_DECOMPRESSED,
    EvidenceFile,
    Skipped,
    StreamStatus,
    display_name,
    hash_file,
    open_stream,
    source_key,
    walk,
)
from forensics.netaddr import resolve_clients
from forensics.outputs import check_output_folder, clear_stale, commit, parquet_metadata, run_id, temporary, write_json
from forensics.prefetch import prefetch
from forensics.schema import EVENT_SCHEMA, REJECT_SCHEMA, conform
from forensics.store import PartStore
from forensics.timing import (
    CaseTime,
    SourceTime,
    TimeOutcome,
    ZoneDecision,
    decide_zone,
    file_stats,
    finalize,
    localize,
    source_time_warnings,
    time_pass,
    with_private,
)
from forensics.window import Window
from parsers.base import Parser, ParseResult, ParserState, get_parser, group_records, lines_frame, parse_isolating

#: Bytes of decompressed text handled per chunk.
CHUNK_BYTES = 16 << 20
#: Chunks of one file parsed at once by a ``chunk_independent`` parser.
PARSE_WORKERS = min(2, os.cpu_count() or 1)
#: A single line longer than this is cut into pieces (the reader still flags truncation);
#: a multi-line record held back between chunks is not held past it either.  With the
#: decompressor's one-block steps this bounds the reader's memory whatever the input.
MAX_PENDING = 32 << 20

SORT_KEYS = ["@timestamp", "log.file.path", "log.file.line", "event.id"]


class IngestError(RuntimeError):
    """Ingest cannot start (bad paths, output inside the evidence, evidence inside the output...)."""


@dataclass
class FileReport:
    """Per-file accounting: every physical line is in an event, blank, meta or a reject."""

    path: str
    size: int
    sha256_before: str
    sha256_after: str = ""
    #: SHA-256 measured by the process that parsed the file (a Dask worker hashes its own copy)
    sha256_read: str | None = None
    unchanged: bool | None = None
    source: str = ""
    host: str | None = None
    parser: str | None = None
    detection: str = "detected"  # config, cli, detected, unrecognised
    score: float | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    #: settings the parser inferred from the file because the config gave none (e.g. log_line_prefix)
    inferred: dict[str, str] = field(default_factory=dict)
    compression: str | None = None
    decompressed_bytes: int = 0
    lines_read: int = 0
    lines_in_events: int = 0
    lines_blank: int = 0
    lines_meta: int = 0
    lines_rejected: int = 0
    records: int = 0
    events: int = 0
    rejects: int = 0
    #: lines of a file no parser recognised: counted, not parsed
    lines_unrecognised: int = 0
    latin1_lines: int = 0
    truncated_lines: int = 0
    final_newline: bool = True
    #: "lf", or "cr" when lone CR line ends were read as line ends
    line_ends: str = "lf"
    #: an encoding decoded to UTF-8 before reading (UTF-16 with a byte order mark)
    encoding: str | None = None
    #: the name is not valid UTF-8: ``path`` shows its undecodable bytes as ``\\xNN``
    name_escaped: bool = False
    #: other names of this file (symlinks, hard links) inside the evidence, not read again
    aliases: list[str] = field(default_factory=list)
    #: every open of this file used O_NOATIME (its access time did not change)
    noatime: bool | None = None
    zone: str | None = None
    zone_source: str | None = None
    clock_offset: float | None = None
    time_first: str | None = None
    time_last: str | None = None
    naive_events: int = 0
    time_flags: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def lines_accounted(self) -> int:
        return self.lines_in_events + self.lines_blank + self.lines_meta + self.lines_rejected + self.lines_unrecognised

    @property
    def balanced(self) -> bool:
        """Every line read is in an event, blank, meta, a reject, or an unrecognised file's count."""
        return self.lines_accounted == self.lines_read


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
    disk (default ``forensics.store.MEMORY_BUDGET``).  ``window`` keeps only the events whose
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


def shown(path: Path | str) -> str:
    """A path as text that can always be printed and stored (undecodable bytes as ``\\xNN``)."""
    return display_name(str(path))[0]


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
            skipped.append(Skipped(f.relpath, f"cannot read: {exc.strerror or exc}"))
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
    writer = _PartWriter(parts, memory_budget, window, rid)
    # the per-file parse, here or on a cluster: the same function, the same frames in the same order
    options = ParseOptions(config=cfg, format=format, tz=tz, max_decompressed=max_decompressed)
    reports = executor.parse(files, options, writer, source_states, progress)
    total = sum(f.size for f in files) or 1
    if progress and files:
        progress(total, total, "every file read: dates, clocks, then ordering and writing events.parquet")

    context = _time_context(files, reports, cfg, source_states)
    # every file is read: hash them again while the events are ordered and written
    with ThreadPoolExecutor(max_workers=1) as pool:
        rehash = pool.submit(_hash_after, files, reports)
        timing = writer.finish(out, context)
        rehash.result()
    _apply_file_stats(reports, timing)
    dataset = None
    if layout in ("partitioned", "both"):
        if progress and files:
            progress(total, total, "writing the partitioned event dataset (events/)")
        dataset = write_dataset(temporary(out / "events.parquet"), out, metadata=writer.metadata)

    manifest = _manifest(
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
    if dataset is not None:
        manifest["dataset"] = {
            "path": DATASET + "/",
            "partition_by": list(PARTITION_BY),
            "parts": [p.to_json() for p in dataset],
        }
    # every output was written under a temporary name: rename them, the manifest last
    if layout == "partitioned":
        temporary(out / "events.parquet").unlink()
    for name in ("events.parquet", "rejects.parquet") if layout != "partitioned" else ("rejects.parquet",):
        commit(temporary(out / name), out / name)
    write_json(out / "manifest.json", manifest)
    return IngestResult(out_dir=out, manifest=manifest)


class _PartWriter:
    """Holds the per-chunk events (in memory up to a budget, then on disk), then sorts them into the outputs."""

    def __init__(
        self, folder: Path, memory_budget: int | None = None, window: Window | None = None, rid: str | None = None
    ) -> None:
        self.store = PartStore(folder, memory_budget)
        self.window = window or Window()
        self.metadata = parquet_metadata(rid)
        self.rows = 0

    def events(self, df: pl.DataFrame, size: int | None = None) -> None:
        self.store.add_events(df, size)

    def rejects(self, df: pl.DataFrame, size: int | None = None) -> None:
        self.store.add_rejects(df, size)

    def finish(self, out: Path, case_time: CaseTime) -> TimeOutcome:
        """Second time pass (years, DST fall-back, clock skew), then sort into the outputs."""
        timing = time_pass(self.store, case_time)
        events = temporary(out / "events.parquet")
        rows = self.store.write_events(
            events,
            lambda lf: self.window.apply(conform(finalize(lf, timing))),
            SORT_KEYS,
            pl.DataFrame(schema=EVENT_SCHEMA),
            metadata=self.metadata,
        )
        self.rows = rows
        if rows:
            timing.files = file_stats(events)
        self.store.write_rejects(
            temporary(out / "rejects.parquet"),
            ["log.file.path", "log.file.line"],
            pl.DataFrame(schema=REJECT_SCHEMA),
            metadata=self.metadata,
        )
        return timing


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
            report.warnings.append(f"cannot re-hash after the run: {exc}")
        report.sha256_after = f.sha256_after
        report.unchanged = f.sha256_after == f.sha256_before
        if not report.unchanged:
            report.warnings.append("file changed while it was being read (SHA-256 before and after differ)")


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


def _apply_file_stats(reports: list[FileReport], timing: TimeOutcome) -> None:
    """The per-file time figures of the manifest, taken from the final events (after the time pass)."""
    for r in reports:
        st = timing.files.get(r.path)
        if st is None:
            continue
        r.time_first = _iso(st["first"])
        r.time_last = _iso(st["last"])
        r.naive_events = st["naive"]
        r.time_flags = dict(st["flags"])


def _line_chunks(stream: Iterator[bytes], report: FileReport) -> Iterator[bytes]:
    """Buffers of whole lines (without their final newline) of about CHUNK_BYTES each.

    Every buffer holds at least one line (``b""`` is one empty line).
    """
    pending = bytearray()
    clear = 0  # pending[:clear] is known to hold no line end (a long line being gathered)
    warned = False
    for block in stream:
        pending += block
        while len(pending) >= CHUNK_BYTES:
            # the last line end inside the first CHUNK_BYTES (a longer line: the end of that line);
            # what was searched before is not searched again (a long line arrives block by block)
            cut = pending.rfind(b"\n", 0, CHUNK_BYTES) if clear == 0 else -1
            if cut == -1:
                cut = pending.find(b"\n", max(clear, CHUNK_BYTES), MAX_PENDING)
            if cut == -1:
                if len(pending) < MAX_PENDING:
                    clear = len(pending)
                    break  # wait for the end of this long line
                # no line end in MAX_PENDING bytes: that much becomes one line, and the rest
                # of the line the next one(s); however the bytes came, nothing longer is held
                if not warned:
                    report.warnings.append(f"a line longer than {MAX_PENDING} bytes was split into several lines")
                    warned = True
                yield bytes(pending[:MAX_PENDING])
                del pending[:MAX_PENDING]
                clear = 0
                continue
            yield bytes(pending[:cut])
            del pending[: cut + 1]
            clear = 0
    if pending:
        if pending.endswith(b"\n"):
            yield bytes(pending[:-1])
        else:
            report.final_newline = False
            report.warnings.append("the last line has no newline (the file may have been cut while being written)")
            yield bytes(pending)


def _ingest_file(
    f: EvidenceFile,
    root: Path,
    cfg: CaseConfig,
    cli_format: str | None,
    cli_tz: str | None,
    writer: _PartWriter,
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
    options = dict(src.options) if src else {}
    options["_filename"] = f.relpath.rpartition("/")[2]
    options["_path"] = str(f.path)
    if src and src.format:
        report.parser, report.detection = src.format, "config"
    elif cli_format:
        report.parser, report.detection = cli_format, "cli"
    else:
        detection = detect_file(f.path, options)
        report.score = detection.score
        report.candidates = [list(c) for c in detection.candidates]  # type: ignore[misc]
        if detection.parser is None or detection.score < MIN_SCORE:
            report.detection = "unrecognised"
            report.parser = None
            return _count_unrecognised(f, report, max_decompressed)
        report.parser = detection.parser
    decision = decide_zone(src.timezone if src else None, cli_tz or cfg.timezone)
    report.zone, report.zone_source = decision.zone, decision.source
    report.clock_offset = src.clock_offset if src else None
    parser = get_parser(report.parser, options)
    status = StreamStatus()
    state = ParserState(source=source_state)
    tmin: datetime | None = None
    tmax: datetime | None = None

    def read() -> Iterator[pl.DataFrame]:
        next_line, next_offset = 1, 0
        for buf in _line_chunks(open_stream(f.path, status, max_decompressed), report):
            lines = lines_frame(buf, next_line, next_offset)
            next_line += lines.height
            next_offset += len(buf) + 1
            yield lines

    def whole_records() -> Iterator[pl.DataFrame]:
        """Chunks cut between records (a multi-line record is held back for the next chunk)."""
        carry: pl.DataFrame | None = None
        warned_record: list[bool] = []
        # the next chunk is read, decompressed and split while this one is parsed
        for lines in prefetch(read()):
            report.lines_read += lines.height
            if carry is not None:
                lines = pl.concat([carry, lines])
                carry = None
            if parser.multiline:
                lines, carry = _hold_back_last_record(lines, parser)
                if carry is not None and carry.estimated_size() > MAX_PENDING:
                    # a record that never ends (continuation lines only) is not held whole:
                    # what is held goes on now; later lines without a start are rejects
                    if not warned_record:
                        report.warnings.append(
                            f"a record longer than {MAX_PENDING} bytes was not held whole: "
                            "its later lines are parsed as they come"
                        )
                        warned_record.append(True)
                    lines, carry = pl.concat([lines, carry]), None
            if lines.height:
                yield lines
        if carry is not None and carry.height:
            yield carry

    try:
        for parsed in _parse_ahead(whole_records(), parser, state):
            first, last = _process_lines(parsed, state, f, report, cfg, decision, writer)
            if first is not None and (tmin is None or first < tmin):
                tmin = first
            if last is not None and (tmax is None or last > tmax):
                tmax = last
            if progress is not None:
                progress(status.raw_bytes)
    except OSError as exc:
        report.warnings.append(f"read error: {exc}")
    _stream_facts(report, status)
    report.inferred = dict(state.get("inferred", {}))
    report.time_first = _iso(tmin)
    report.time_last = _iso(tmax)
    if not report.balanced:
        report.warnings.append(
            f"accounting mismatch: {report.lines_read} lines read but {report.lines_accounted} accounted"
        )
    return report


def _stream_facts(report: FileReport, status: StreamStatus) -> None:
    """What the reader learnt about the file: compression, line ends, encoding, O_NOATIME, warnings."""
    report.compression = status.compression
    report.decompressed_bytes = status.decompressed_bytes
    report.line_ends = status.line_ends
    report.encoding = status.encoding
    report.noatime = bool(report.noatime and status.noatime)
    report.warnings.extend(status.warnings)


def _iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ts else None


def _hold_back_last_record(lines: pl.DataFrame, parser: Parser) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Keep the last (possibly unfinished) record of a chunk for the next chunk."""
    starts = lines.filter(parser.record_start(pl.col("text")).fill_null(False))
    if starts.height == 0:
        return lines.clear(), lines
    cut = starts.get_column("line").max()
    return lines.filter(pl.col("line") < cut), lines.filter(pl.col("line") >= cut)


def _count_unrecognised(f: EvidenceFile, report: FileReport, max_decompressed: int) -> FileReport:
    """An unrecognised file is still read: its lines are counted so the manifest proves it."""
    status = StreamStatus()
    lines = 0
    last = b""
    try:
        for block in open_stream(f.path, status, max_decompressed):
            lines += block.count(b"\n")
            last = block[-1:]
    except OSError as exc:
        report.warnings.append(f"read error: {exc}")
    if status.decompressed_bytes and last != b"\n":
        lines += 1
    report.lines_read = lines
    report.lines_unrecognised = lines
    _stream_facts(report, status)
    report.warnings.append("no parser recognised this file; its lines were counted but not parsed")
    return report


@dataclass
class _Parsed:
    """One chunk of lines, grouped into records and parsed."""

    lines: pl.DataFrame
    records: pl.DataFrame
    blanks: pl.DataFrame
    orphans: pl.DataFrame
    result: ParseResult | None
    error: str | None = None


def _parse_chunk(lines: pl.DataFrame, parser: Parser, state: ParserState) -> _Parsed:
    records, blanks, orphans = group_records(lines, parser)
    if not records.height:
        return _Parsed(lines, records, blanks, orphans, None)
    # a failing parse is retried in halves so that only the records that fail are rejects
    result, errors = parse_isolating(parser, records, state)
    if not errors:
        return _Parsed(lines, records, blanks, orphans, result)
    failed = result.rejects.filter(pl.col("reason").is_in(errors)).height
    summary = f"{failed} record(s) made the parser fail and are rejects carrying the error; first: {errors[0]}"
    return _Parsed(lines, records, blanks, orphans, result, summary)


def _parse_ahead(chunks: Iterator[pl.DataFrame], parser: Parser, state: ParserState) -> Iterator[_Parsed]:
    """Parsed chunks in file order, parsed ahead of the engine's own work on them.

    A parser that carries state from chunk to chunk parses in one thread, in order, one
    chunk ahead.  A ``chunk_independent`` parser parses several chunks at once: the first
    chunk alone (its state hints, such as which layout to try first, are then frozen),
    every later chunk with its own copy of that state, so the result never depends on
    which thread finished first.
    """
    if not parser.chunk_independent or PARSE_WORKERS < 2:
        yield from prefetch(_parse_chunk(c, parser, state) for c in chunks)
        return
    first = next(chunks, None)
    if first is None:
        return
    yield _parse_chunk(first, parser, state)
    frozen = state.for_chunk()  # the hints the first chunk left, for every later chunk

    with ThreadPoolExecutor(max_workers=PARSE_WORKERS, thread_name_prefix="parse") as pool:
        pending: deque[Future[_Parsed]] = deque()
        for lines in chunks:
            pending.append(pool.submit(_parse_chunk, lines, parser, frozen.for_chunk()))
            if len(pending) > PARSE_WORKERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _process_lines(
    parsed: _Parsed,
    state: ParserState,
    f: EvidenceFile,
    report: FileReport,
    cfg: CaseConfig,
    decision: ZoneDecision,
    writer: _PartWriter,
) -> tuple[datetime | None, datetime | None]:
    lines, records, blanks, orphans, result = (
        parsed.lines,
        parsed.records,
        parsed.blanks,
        parsed.orphans,
        parsed.result,
    )
    if parsed.error is not None:
        report.warnings.append(
            f"lines {records.get_column('line').min()}-{lines.get_column('line').max()}: {parsed.error}"
        )
    report.lines_blank += blanks.height
    report.latin1_lines += int(lines.get_column("latin1").sum())
    report.truncated_lines += int(lines.get_column("truncated").sum())
    report.records += records.height
    reject_frames = []
    if orphans.height:
        reject_frames.append(
            orphans.select(
                pl.col("line"),
                pl.col("offset"),
                pl.lit(1, dtype=pl.Int32).alias("n_lines"),
                pl.col("text"),
                pl.lit("continuation line without a record start").alias("reason"),
            )
        )
    events = result.events if result is not None else pl.DataFrame(schema={"_rec": pl.Int64})
    if "_rec" not in events.columns or events.height == 0:
        events = pl.DataFrame(schema={"_rec": pl.Int64})  # a parser's empty output may have no columns at all
    rec_meta = records.select("_rec", "line", "offset", "n_lines", "text", "latin1", "truncated")
    if result is not None:
        covered_events = events.select(pl.col("_rec").cast(pl.Int64)).unique()
        meta = result.meta.select(pl.col("_rec").cast(pl.Int64), "reason").unique("_rec")
        rejects = result.rejects.select(pl.col("_rec").cast(pl.Int64), "reason").unique("_rec")
        if rejects.height:  # anti joins against a million covered records are not free: skip them when empty
            rejects = rejects.join(covered_events, on="_rec", how="anti").join(
                meta.select("_rec"), on="_rec", how="anti"
            )
        if meta.height:
            meta = meta.join(covered_events, on="_rec", how="anti")
        seen = pl.concat([covered_events, rejects.select("_rec"), meta.select("_rec")])
        if _every_record(seen.get_column("_rec"), rec_meta):
            forgotten = rec_meta.select("_rec").clear()
        else:
            forgotten = rec_meta.select("_rec").join(seen, on="_rec", how="anti")
        if forgotten.height:
            rejects = pl.concat(
                [rejects, forgotten.with_columns(reason=pl.lit("parser produced no event for this record"))]
            )
        if events.height:
            # events without a readable time cannot be placed on a timeline: they are rejects
            bad_time = events.filter(pl.col("_ts").is_null()).select(pl.col("_rec").cast(pl.Int64)).unique()
            if bad_time.height:
                events = events.filter(pl.col("_ts").is_not_null())
                still = events.select(pl.col("_rec").cast(pl.Int64)).unique()
                lost = bad_time.join(still, on="_rec", how="anti")
                rejects = pl.concat([rejects, lost.with_columns(reason=pl.lit("timestamp missing or unreadable"))])
                covered_events = still
        report.lines_meta += int(rec_meta.join(meta.select("_rec"), on="_rec").get_column("n_lines").sum())
        if _every_record(covered_events.get_column("_rec"), rec_meta):
            report.lines_in_events += int(rec_meta.get_column("n_lines").sum())
        else:
            report.lines_in_events += int(rec_meta.join(covered_events, on="_rec").get_column("n_lines").sum())
        if rejects.height:
            reject_frames.append(
                rejects.join(rec_meta, on="_rec").select("line", "offset", "n_lines", "text", "reason")
            )
    rejected = pl.concat(reject_frames) if reject_frames else None
    if rejected is not None and rejected.height:
        report.lines_rejected += int(rejected.get_column("n_lines").sum())
        report.rejects += rejected.height
        for reason, count in rejected.group_by("reason").len().iter_rows():
            report.reject_reasons[reason] = report.reject_reasons.get(reason, 0) + count
        writer.rejects(
            rejected.select(
                pl.lit(f.relpath).alias("log.file.path"),
                pl.lit(f.sha256_before).alias("log.file.sha256"),
                pl.col("line").alias("log.file.line"),
                pl.col("n_lines").cast(pl.Int32).alias("log.file.lines"),
                pl.col("offset").alias("log.offset"),
                pl.lit(report.parser).alias("event.dataset"),
                pl.col("reason"),
                pl.col("text").alias("event.original"),
            )
        )
    if not events.height:
        return None, None
    events = _finish_events(events, rec_meta, f, report, cfg, decision, state)
    report.events += events.height
    report.naive_events += int((events.get_column("time.zone_source") != "record").sum())
    for flag, count in (
        events.select(pl.col("time.flags").explode().drop_nulls()).group_by("time.flags").len().iter_rows()
    ):
        report.time_flags[flag] = report.time_flags.get(flag, 0) + count
    writer.events(events)
    stamps = events.get_column("time.recorded")
    return stamps.min(), stamps.max()  # type: ignore[return-value]


def _finish_events(
    events: pl.DataFrame,
    rec_meta: pl.DataFrame,
    f: EvidenceFile,
    report: FileReport,
    cfg: CaseConfig,
    decision: ZoneDecision,
    state: ParserState,
) -> pl.DataFrame:
    """Provenance, ids, client IP, zone, related.* and tags: everything parsers leave to us."""
    events = _with_records(events.with_columns(pl.col("_rec").cast(pl.Int64)), rec_meta)
    if events.get_column("_rec").n_unique() == events.height:
        # one event per record (access logs): the window below is the costliest step here
        events = events.with_columns(_sub=pl.lit(0, dtype=pl.Int64))
    else:
        events = events.with_columns(_sub=pl.int_range(pl.len()).over("_rec"))
    sha16 = f.sha256_before[:16]
    for name in ("tags", "time.flags"):
        if name not in events.columns:
            events = events.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(name))
    events = events.with_columns(
        pl.concat_str(
            [pl.lit(sha16 + ":"), pl.col("offset").cast(pl.String), pl.lit(":"), pl.col("_sub").cast(pl.String)]
        ).alias("event.id"),
        pl.lit(report.parser).alias("event.dataset"),
        pl.lit(f.relpath).alias("log.file.path"),
        pl.lit(f.sha256_before).alias("log.file.sha256"),
        pl.lit(f.source).alias("log.source"),
        pl.col("line").alias("log.file.line"),
        pl.col("n_lines").cast(pl.Int32).alias("log.file.lines"),
        pl.col("offset").alias("log.offset"),
        pl.col("text").alias("event.original"),
        pl.concat_list(
            [
                pl.col("tags").fill_null([]),
                pl.when(pl.col("latin1"))
                .then(pl.lit(["latin1_decoded"]))
                .otherwise(pl.lit([], dtype=pl.List(pl.String))),
                pl.when(pl.col("truncated"))
                .then(pl.lit(["line_truncated"]))
                .otherwise(pl.lit([], dtype=pl.List(pl.String))),
            ]
        ).alias("tags"),
    )
    if "host.name" in events.columns:
        events = events.with_columns(pl.col("host.name").fill_null(pl.lit(report.host, dtype=pl.String)))
    else:
        events = events.with_columns(pl.lit(report.host, dtype=pl.String).alias("host.name"))
    if "message" not in events.columns:
        events = events.with_columns(pl.col("event.original").str.slice(0, 300).alias("message"))
    events = resolve_clients(events, list(cfg.trusted_proxies))
    events = localize(events, decision, state["source"].setdefault("timing", {}))
    events = _related(events)
    events = events.with_columns(pl.col("time.recorded").alias("@timestamp"))
    return with_private(conform(events), events)  # type: ignore[arg-type]


def _every_record(ids: pl.Series, rec_meta: pl.DataFrame) -> bool:
    """Are the distinct ``ids`` exactly the records of ``rec_meta`` (``_rec`` = 0..n-1)?"""
    n = rec_meta.height
    return (
        ids.len() == n
        and (n == 0 or (ids.null_count() == 0 and ids.min() == 0 and ids.max() == n - 1))  # type: ignore[operator]
        and _dense_records(rec_meta)
    )


def _dense_records(rec_meta: pl.DataFrame) -> bool:
    """Does ``_rec`` number the records 0..n-1 in order (what ``group_records`` makes)?"""
    return rec_meta.get_column("_rec").equals(pl.int_range(rec_meta.height, dtype=pl.Int64, eager=True))


def _with_records(events: pl.DataFrame, rec_meta: pl.DataFrame) -> pl.DataFrame:
    """``events`` left-joined with the record columns on ``_rec`` (row order kept).

    ``_rec`` numbers the records 0..n-1, so the join is a positional gather (or nothing at
    all when the events are the records in order), far cheaper than a hash join on a
    million rows; anything unusual (a name clash, an unknown ``_rec``) takes the join.
    """
    ids = events.get_column("_rec")
    n = rec_meta.height
    positional = (
        n > 0
        and events.height > 0
        and not set(events.columns) & (set(rec_meta.columns) - {"_rec"})
        and _dense_records(rec_meta)
        and ids.null_count() == 0
        and ids.min() >= 0  # type: ignore[operator]
        and ids.max() < n  # type: ignore[operator]
    )
    if not positional:
        return events.join(rec_meta, on="_rec", how="left", maintain_order="left")
    columns = rec_meta.drop("_rec")
    if not (events.height == n and ids.equals(rec_meta.get_column("_rec"))):
        columns = columns[ids]
    return events.hstack(columns)


def _related(events: pl.DataFrame) -> pl.DataFrame:
    ips = [c for c in ("source.ip", "network.peer_ip", "destination.ip") if c in events.columns]
    forwarded = "network.forwarded_ip" if "network.forwarded_ip" in events.columns else None
    users = [c for c in ("user.name", "db.user") if c in events.columns]
    # a chunk whose records name no address still gets empty lists, as it would in a bigger chunk
    empty = pl.lit([], dtype=pl.List(pl.String))
    out = events
    if ips or forwarded is not None:
        out = out.with_columns(_present_values(events, ips, forwarded, noise=("-", "")).alias("related.ip"))
    else:
        out = out.with_columns(empty.alias("related.ip"))
    if users:
        out = out.with_columns(_present_values(events, users, None, noise=("-",)).alias("related.user"))
    else:
        out = out.with_columns(empty.alias("related.user"))
    return out


#: Joins the values of one row into a string that is split back into the list (rows whose
#: values hold it take the list expression).
_SEP = "\x1f"


def _present_values(
    events: pl.DataFrame, columns: list[str], forwarded: str | None, noise: tuple[str, ...]
) -> pl.Series:
    """The values of ``columns`` then of the ``forwarded`` chain, without nulls and ``noise``,
    first occurrence kept (a List(String) per row).

    The list expression that says this directly is the costliest step of the engine, so it
    only runs on the rows that need it.  A row whose other columns are empty or repeat the
    first one (and that has no chain) gets ``[first]`` or ``[]`` (access logs: peer ==
    client); a row whose chain is one address (no comma) treats it as one more column, and
    its kept values are joined and split back.
    """
    keep = pl.element().is_not_null()
    for value in noise:
        keep &= pl.element() != value
    items = [pl.col(c) for c in columns]
    if forwarded is not None:
        # a row without the header must not null the whole list (concat_list of a null list is null)
        chain = pl.col(forwarded).str.split(",").list.eval(pl.element().str.strip_chars())
        items.append(chain.fill_null(pl.lit([], dtype=pl.List(pl.String))))
    general = pl.concat_list(items).list.eval(pl.element().filter(keep)).list.unique(maintain_order=True)
    names = columns + ([forwarded] if forwarded is not None else [])
    if not columns or any(events.schema[c] != pl.String for c in names):
        return events.select(general).to_series()

    def present(c: pl.Expr) -> pl.Expr:
        ok = c.is_not_null()
        for value in noise:
            ok &= c != value
        return ok

    empty = pl.lit([], dtype=pl.List(pl.String))
    first = pl.col(columns[0])
    simple = pl.lit(True)
    for name in columns[1:]:
        other = pl.col(name)
        simple &= ~present(other) | (other == first)
    if forwarded is not None:
        simple &= pl.col(forwarded).is_null()
    if events.select(simple.fill_null(False).all()).item():
        return events.select(pl.when(present(first)).then(pl.concat_list([first])).otherwise(empty)).to_series()

    values = [pl.col(c) for c in columns]
    scalar = pl.lit(True)
    if forwarded is not None:
        values.append(pl.col(forwarded).str.strip_chars())
        scalar &= ~pl.col(forwarded).str.contains(",", literal=True).fill_null(False)
    for v in values:
        scalar &= ~v.str.contains(_SEP, literal=True).fill_null(False)
    kept = []
    for i, v in enumerate(values):
        new = present(v)
        for earlier in values[:i]:
            new &= v.ne_missing(earlier)
        kept.append(pl.when(new).then(v).alias(f"_k{i}"))
    staged = events.select(scalar.fill_null(False).alias("_scalar"), *kept)
    k = [pl.col(f"_k{i}") for i in range(len(values))]
    joined = pl.concat_str(k, separator=_SEP, ignore_nulls=True).str.split(_SEP)
    quick = staged.select(pl.when(pl.any_horizontal([c.is_not_null() for c in k])).then(joined).otherwise(empty))
    mask = staged.get_column("_scalar")
    if mask.all():
        return quick.to_series()
    rest = events.filter(~mask).select(general).to_series()
    # row i of the result is rest[j] where j counts the rows before i that need the list expression
    slot = (~mask).cast(pl.UInt32).cum_sum() - 1
    spread = rest.gather(pl.select(pl.when(~mask).then(slot)).to_series())
    return pl.select(pl.when(mask).then(quick.to_series()).otherwise(spread)).to_series()


def _manifest(
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
    files = [{**asdict(r), "lines_accounted": r.lines_accounted, "balanced": r.balanced} for r in reports]
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
            warnings.append(
                f"{s['source']}: {s['time_flags']['dst_nonexistent']} timestamps fall in a spring-forward gap "
                "(they do not exist in local time); read with the offset in force before the change"
            )
        if s["time_flags"].get("year_conflict"):
            warnings.append(
                f"{s['source']}: {s['time_flags']['year_conflict']} records dated 29 February fall in a common year "
                "with the inferred year (read as 1 March); check the year"
            )
    if timing:
        warnings.extend(timing.warnings)
    for r in reports:
        for w in r.warnings:
            warnings.append(f"{r.path}: {w}")
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
        "started_at": _iso(started),
        "finished_at": _iso(datetime.now(UTC)),
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
        "skipped": [asdict(s) for s in skipped],
        "warnings": warnings,
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


__all__ = ["ConfigError", "FileReport", "IngestError", "IngestResult", "ingest"]
