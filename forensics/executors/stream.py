"""The client path on Dask with backpressure: the parsed frames come back a few at a time.

A rotation set is parsed by one task on one worker (``parse_source``), and its frames stay
in that worker's memory as the task's result.  The client does not fetch that result whole:
it asks the worker for the set's outline (each file's accounting, the frames' sizes, the
set's state: no events), then for the frames themselves, in file order, in batches of at
most ``fetch_bytes`` (a larger frame comes alone), and hands each batch to the part store
before it asks for the next.  So the client never holds more than one batch of frames that
the store has not taken (the store then holds up to ``--memory`` and spills the rest), where
fetching each set whole held all of a set's frames, twice while the next set arrived.

Only ``sets_ahead`` sets are submitted beyond the one being taken: a worker holds the frames
of the sets it parsed until the client has taken them, so the workers hold at most that many
sets at once instead of every set of the case.  The order the frames reach the store is the
local executor's order (file after file, each file's events then its rejects), with the
sizes measured on the worker: the outputs are the same bytes.

Nothing here imports Dask: the client and its futures are the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from forensics.executors.task import ParseOptions, SourceParse, parse_source
from forensics.intake.accounting import FileReport
from forensics.intake.engine import ProgressFn
from forensics.intake.walk import EvidenceFile

#: Frames fetched at once, in bytes (their ``estimated_size()`` on the worker): a parsed chunk
#: of 16 MiB of text is of that order, so a batch is usually one or two chunks.
FETCH_BYTES = 64 << 20

#: ``events`` or ``rejects``: which list of a file's frames a piece is taken from.
EVENTS, REJECTS = "events", "rejects"


@dataclass(frozen=True)
class Piece:
    """Where one frame is in a set's result: file index, kind, index in the file's frames, size."""

    file: int
    kind: str
    index: int
    size: int


@dataclass
class Outline:
    """A set's result without its frames: what the client needs before it asks for them."""

    reports: list[FileReport]
    pieces: list[Piece]
    state: dict[str, Any]


def outline(result: SourceParse) -> Outline:
    """On the worker holding ``result``: its accounting and the list of its frames, in store order."""
    pieces = []
    for i, parsed in enumerate(result.files):
        pieces += [Piece(i, EVENTS, j, size) for j, size in enumerate(parsed.event_sizes)]
        pieces += [Piece(i, REJECTS, j, size) for j, size in enumerate(parsed.reject_sizes)]
    return Outline([parsed.report for parsed in result.files], pieces, result.state)


def frames(result: SourceParse, pieces: Sequence[Piece]) -> list[pl.DataFrame]:
    """On the worker holding ``result``: the frames of ``pieces`` (no copy: the same buffers)."""
    out = []
    for p in pieces:
        parsed = result.files[p.file]
        out.append((parsed.events if p.kind == EVENTS else parsed.rejects)[p.index])
    return out


def batches(pieces: Sequence[Piece], limit: int) -> list[list[Piece]]:
    """``pieces`` in order, cut into runs of at most ``limit`` bytes (a larger piece alone)."""
    out: list[list[Piece]] = []
    run: list[Piece] = []
    held = 0
    for p in pieces:
        if run and held + p.size > limit:
            out.append(run)
            run, held = [], 0
        run.append(p)
        held += p.size
    if run:
        out.append(run)
    return out


@dataclass
class Backlog:
    """What the client has asked for and not yet consumed, with the peaks (the bound's proof)."""

    sets: int = 0
    peak_sets: int = 0
    bytes: int = 0
    peak_bytes: int = 0
    #: the largest single frame taken (a batch past ``fetch_bytes`` is that frame alone)
    largest_frame: int = 0

    def submitted(self) -> None:
        self.sets += 1
        self.peak_sets = max(self.peak_sets, self.sets)

    def taken(self) -> None:
        self.sets -= 1

    def fetched(self, pieces: Iterable[Piece]) -> None:
        sizes = [p.size for p in pieces]
        self.bytes += sum(sizes)
        self.peak_bytes = max(self.peak_bytes, self.bytes)
        self.largest_frame = max([self.largest_frame, *sizes])

    def consumed(self, piece: Piece) -> None:
        self.bytes -= piece.size


def _holders(client: Any, future: Any) -> list[str]:
    """The workers that hold ``future``'s result (after it finished), to run the picks there."""
    from distributed import wait

    wait([future])
    return sorted(client.who_has([future]).get(future.key, ()))


def stream_sets(
    client: Any,
    groups: list[list[EvidenceFile]],
    options: ParseOptions,
    writer: Any,
    source_states: dict[str, dict[str, Any]],
    progress: ProgressFn | None,
    *,
    sets_ahead: int,
    fetch_bytes: int = FETCH_BYTES,
    backlog: Backlog | None = None,
) -> list[FileReport]:
    """Parse ``groups`` (the rotation sets, in file order) on the cluster into ``writer``, with backpressure.

    At most ``sets_ahead + 1`` sets are submitted and not yet taken; the frames come back in
    batches of at most ``fetch_bytes`` (or one frame), each handed to ``writer`` before the next
    is asked for.  ``backlog`` (if given) records both counts and their peaks.
    """
    backlog = backlog if backlog is not None else Backlog()
    total = sum(f.size for g in groups for f in g) or 1
    done = 0
    reports: list[FileReport] = []
    pending: list[Any] = []  # the submitted sets not yet taken, in order
    upcoming = iter(groups)

    def submit_next() -> None:
        group = next(upcoming, None)
        if group is not None:
            # each task carries the walked files of its own folders only (where its references are)
            pending.append(client.submit(parse_source, group, options.beside(group), pure=False))
            backlog.submitted()

    try:
        for _ in range(sets_ahead + 1):
            submit_next()
        for group in groups:
            future = pending[0]
            holders = _holders(client, future)
            # run the picks where the frames are (else the whole set would move to another worker)
            where = {"workers": holders, "allow_other_workers": True} if holders else {}
            plan: Outline = client.submit(outline, future, pure=False, **where).result()
            for batch in batches(plan.pieces, fetch_bytes):
                picked = client.submit(frames, future, batch, pure=False, **where)
                got: list[pl.DataFrame] = picked.result()
                picked.release()
                backlog.fetched(batch)
                # in file order, as the local executor adds them, with the sizes measured on
                # the worker: the spill decision is the local one
                for piece in batch:
                    df = got.pop(0)
                    (writer.events if piece.kind == EVENTS else writer.rejects)(df, piece.size)
                    del df
                    backlog.consumed(piece)
            pending.pop(0).release()
            backlog.taken()
            submit_next()
            reports += plan.reports
            source_states[group[0].source] = plan.state
            done += sum(f.size for f in group)
            if progress:
                progress(done, total, group[-1].relpath)
    finally:
        for future in pending:
            future.cancel()
    return reports


__all__ = ["FETCH_BYTES", "Backlog", "Outline", "Piece", "batches", "frames", "outline", "stream_sets"]
