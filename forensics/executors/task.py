"""The per-file parse: one pure function that either executor maps over the evidence files.

``parse_file`` takes one file (its path and the SHA-256 the client measured), the parse
options and the state its rotation set carries from file to file, and gives back the file's
accounting (a ``FileReport``, with the SHA-256 measured where the file was read) while its
events and rejects go to a sink.  The local executor's sink is the ingest's part store (so
a file larger than memory streams through as before); a Dask worker's sink collects the
frames, which go back to the client with the report (``parse_source``).

The files of one rotation set are parsed in order by one call of ``parse_source``: a
database connection opened in yesterday's file and used in today's is one state, and the
time pass needs each source's timing notes; different sources share nothing, so they are
the unit of parallel work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from forensics.config import CaseConfig
from forensics.ingest_messages import note
from forensics.intake.accounting import FileReport
from forensics.intake.engine import _Formats, _ingest_file
from forensics.intake.references import References
from forensics.intake.stream import hash_file
from forensics.intake.walk import EvidenceFile


@dataclass(frozen=True)
class ParseOptions:
    """What decides how a file is parsed, the same for every file of a run."""

    config: CaseConfig
    format: str | None = None
    tz: str | None = None
    max_decompressed: int = 0
    #: the walked files among which a parser's reference tables are looked for (those beside
    #: the files parsed: ``References`` looks in a file's own folder only)
    files: tuple[EvidenceFile, ...] = ()

    def beside(self, files: list[EvidenceFile]) -> ParseOptions:
        """These options with only the walked files of the folders of ``files`` (what a task needs)."""
        folders = {f.path.parent for f in files}
        return replace(self, files=tuple(g for g in self.files if g.path.parent in folders))


class ParseContext:
    """What the files of a run share, made once where they are parsed: each file's parser
    (config, ``--format`` or detection, decided once per file) and the reference tables."""

    def __init__(self, options: ParseOptions) -> None:
        self.formats = _Formats(options.config, options.format)
        self.references = References(options.files, lambda g: self.formats.of(g).parser, self.formats.options)


class Sink:
    """Where a parse puts its frames: ``events(df)`` and ``rejects(df)`` (the part writer has both)."""

    def events(self, df: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def rejects(self, df: pl.DataFrame) -> None:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class Collected(Sink):
    """A sink that keeps the frames in order (what a worker sends back to the client)."""

    event_frames: list[pl.DataFrame] = field(default_factory=list)
    reject_frames: list[pl.DataFrame] = field(default_factory=list)
    #: each frame's ``estimated_size()`` here, before it is pickled (the client's part store
    #: decides when to spill with these, as it would have for the same frames made locally)
    event_sizes: list[int] = field(default_factory=list)
    reject_sizes: list[int] = field(default_factory=list)

    def events(self, df: pl.DataFrame) -> None:
        self.event_frames.append(df)
        self.event_sizes.append(df.estimated_size())

    def rejects(self, df: pl.DataFrame) -> None:
        self.reject_frames.append(df)
        self.reject_sizes.append(df.estimated_size())


def parse_file(
    file: EvidenceFile,
    options: ParseOptions,
    source_state: dict[str, Any],
    sink: Any,
    *,
    measure: bool,
    progress: Callable[[int], None] | None = None,
    context: ParseContext | None = None,
) -> FileReport:
    """Parse one evidence file into ``sink``; return its accounting with ``sha256_read``.

    With ``measure`` the file is hashed again here, where it is read (a worker on another
    machine sees its own copy through its own mount): ``sha256_read`` is that hash, and a
    difference from the client's ``sha256_before`` is a warning of the file.  Without it
    (the local executor, which hashed the file itself moments before) ``sha256_read`` is the
    client's hash.  ``context`` is shared by the files of one run (or one task); without
    it one is made for this file alone.
    """
    measured: str | None = file.sha256_before
    problem = None
    if measure:
        try:
            measured, _ = hash_file(file.path)
        except OSError as exc:
            measured, problem = None, note("read.worker_hash_failed", error=exc.strerror or str(exc))
    if context is None:
        context = ParseContext(options)
    report = _ingest_file(
        file,
        file.path.parent,
        options.config,
        context.formats,
        context.references,
        options.tz,
        sink,
        source_state,
        options.max_decompressed,
        progress,
    )
    report.sha256_read = measured
    if problem is not None:
        report.warnings.append(problem)
    elif measured != file.sha256_before:
        report.warnings.append(note("read.worker_hash_differs", measured=measured, expected=file.sha256_before))
    return report


@dataclass
class FileParse:
    """One file's accounting and frames, as a worker sends them back."""

    report: FileReport
    events: list[pl.DataFrame]
    rejects: list[pl.DataFrame]
    event_sizes: list[int]
    reject_sizes: list[int]


@dataclass
class SourceParse:
    """Every file of one rotation set, in order, and the state the set ended with."""

    files: list[FileParse]
    state: dict[str, Any]


def parse_source(files: list[EvidenceFile], options: ParseOptions) -> SourceParse:
    """Parse the files of one rotation set in order (on a worker); frames come back in memory."""
    state: dict[str, Any] = {}
    done = []
    context = ParseContext(options)
    for f in files:
        sink = Collected()
        report = parse_file(f, options, state, sink, measure=True, context=context)
        done.append(FileParse(report, sink.event_frames, sink.reject_frames, sink.event_sizes, sink.reject_sizes))
    return SourceParse(done, state)


__all__ = [
    "Collected",
    "FileParse",
    "ParseContext",
    "ParseOptions",
    "Sink",
    "SourceParse",
    "parse_file",
    "parse_source",
]
