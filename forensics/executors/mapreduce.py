"""The time pass and the partitioned dataset as a map/reduce over rotation sets, on Dask.

For a case whose evidence does not fit the client's memory budget, the parsed events never
come back to the client.  Each rotation set is parsed by one task into a part store of its
own (``forensics.intake.store.PartStore``, every chunk on disk, in a folder of the run's
working folder inside OUT, which the workers see): neither the client nor a worker holds a
set's events in memory between the steps, so the case is bounded by the disk, not by the
memory of the cluster.  The client receives only what the decisions need, and the workers
apply the decisions and write the dataset's parts themselves:

1. **map** (``summarise``): per rotation set, the file accounting, the rejects, the state
   the set ended with (its DST windows), and the inputs of the year inference
   (``year_inputs``: one or two rows per source);
2. **reduce** on the client: the year of every yearless source (``choose_years``, which needs
   every source's span at once);
3. **map** (``place``): the yearless rows placed in their year, chunk by chunk in parse order,
   which may add fall-back readings to the set's DST state (sent back, small);
4. **reduce**: the DST fall-back decisions of every source (``dst_decisions``);
5. **map** (``anchors``): the clock-skew anchor events of each set (a few integer columns
   per web request, login or database connection; never the text of an event);
6. **reduce**: the host clocks from the anchors of every set (``skew.estimate_from``);
7. **map** (``write_final``): each chunk finalized (DST, clock offset, ``event.start``),
   conformed and windowed as a local run does, then written as the set's dataset parts
   (``write_frame_parts``) into the client's staging folder; back come the parts, the row
   count and the per-file time statistics of the manifest.

The rotation set is the unit because everything a set's events need from the rest of the
case goes through these reductions, and every per-source aggregate of the time pass is
complete inside one set.  The outputs are those of a local run with ``--layout
partitioned`` (``tests/executors/test_dask_equal.py`` compares the parts byte for byte).
The workers must see the output folder at the client's path (a shared mount): the engine
checks it before taking this path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

import polars as pl

from forensics.dataset import Part, write_frame_parts
from forensics.executors.task import Collected, FileParse, ParseContext, ParseOptions, Sink, parse_file
from forensics.intake.accounting import FileReport
from forensics.intake.store import PART_COMPRESSION, PartStore
from forensics.intake.walk import EvidenceFile
from forensics.schema import conform
from forensics.time import dst, skew
from forensics.time.second_pass import (
    CaseTime,
    TimeOutcome,
    YearChoices,
    choose_years,
    clock_decisions,
    clock_inputs,
    dst_decisions,
    file_stats_of,
    finalize,
    year_inputs,
    year_placer,
)
from forensics.time.window import Window

ProgressFn = Callable[[int, int, str], None]


# -- what runs on the workers ----------------------------------------------------------------


class _ToStore(Sink):
    """A parse's sink on a worker: events to the set's part store (on disk), rejects kept (few)."""

    def __init__(self, store: PartStore) -> None:
        self.store = store
        self.rejects_kept = Collected()

    def events(self, df: pl.DataFrame) -> None:
        self.store.add_events(df)

    def rejects(self, df: pl.DataFrame) -> None:
        self.rejects_kept.rejects(df)


@dataclass
class StoredSet:
    """One parsed rotation set: its files' accounting and rejects, its state, its events on disk."""

    files: list[FileParse]
    state: dict[str, Any]
    store: PartStore


def parse_to_store(files: list[EvidenceFile], options: ParseOptions, folder: str) -> StoredSet:
    """Map: parse the files of one rotation set in order (as ``parse_source``), events to ``folder``."""
    state: dict[str, Any] = {}
    store = PartStore(Path(folder), memory_budget=0)
    context = ParseContext(options)
    done = []
    for f in files:
        sink = _ToStore(store)
        report = parse_file(f, options, state, sink, measure=True, context=context)
        kept = sink.rejects_kept
        done.append(FileParse(report, [], kept.reject_frames, [], kept.reject_sizes))
    return StoredSet(done, state, store)


@dataclass
class SourceSummary:
    """What the client learns of one parsed rotation set: everything but its events."""

    files: list[FileParse]
    state: dict[str, Any]
    years: tuple[pl.DataFrame, pl.DataFrame] | None
    has_events: bool


def summarise(parsed: StoredSet) -> SourceSummary:
    """Map: the set's accounting, rejects and state, and its year-inference inputs."""
    lf = parsed.store.scan_events()
    years = year_inputs(lf) if lf is not None else None
    return SourceSummary(parsed.files, parsed.state, years, lf is not None)


@dataclass
class Placed:
    """A set's events with their years (on disk), and the DST state placing them left."""

    store: PartStore
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


def place(parsed: StoredSet, choices: YearChoices) -> Placed:
    """Map: give yearless rows their year, chunk by chunk in parse order (as a local run does)."""
    if not choices:
        return Placed(parsed.store)
    parsed.store.rewrite_events(year_placer(choices))
    return Placed(parsed.store, {source: st.state for source, (_, st) in choices.items()})


def placed_states(placed: Placed) -> dict[str, dict[str, Any]]:
    return placed.states


def anchors(placed: Placed, verdicts: pl.DataFrame, hosts: dict[str, str]) -> skew.Anchors | None:
    """Map: the set's clock-skew anchor events, read after the DST decisions."""
    lf = placed.store.scan_events()
    if lf is None:
        return None
    decided = dst.apply_dst(lf, verdicts)
    assert isinstance(decided, pl.LazyFrame)
    return skew.anchor_events(decided, hosts)


@dataclass
class Written:
    """What a worker wrote of one set: its parts, its rows and the manifest's per-file time figures."""

    parts: list[Part]
    rows: int
    files: dict[str, dict[str, Any]]


def write_final(
    placed: Placed, outcome: TimeOutcome, window: Window, staging: str, metadata: dict[str, str] | None
) -> Written:
    """Map: finalize every chunk as the local writer does, then write the set's dataset parts.

    Each chunk is finalized once into a file of the set's folder; the parts are then cut one
    UTC day at a time (memory follows the set's largest day, as ``write_dataset``'s does).
    """
    store = placed.store
    final = store.folder / "final"
    final.mkdir(exist_ok=True)
    written = []
    chunks = store.finished_parts(lambda lf, filled: window.apply(conform(finalize(lf, outcome, filled))))  # type: ignore[arg-type,return-value]
    for i, lf in enumerate(chunks):
        done = lf.collect()
        if done.height:
            path = final / f"{i:07d}.parquet"
            done.write_parquet(path, compression=PART_COMPRESSION)
            written.append(path)
    if not written:
        return Written([], 0, {})
    events = pl.scan_parquet(written)
    ts = pl.col("@timestamp")
    days = events.select(ts.dt.convert_time_zone("UTC").dt.date().alias("d")).unique().collect()
    parts: list[Part] = []
    for d in days.get_column("d").to_list():
        if d is None:
            keep = ts.is_null()
        else:
            # a range on the column itself: the chunks of other days are skipped by their statistics
            start = datetime(d.year, d.month, d.day, tzinfo=UTC)
            keep = (ts >= start) & (ts < start + timedelta(days=1))
        parts += write_frame_parts(events.filter(keep).collect(), Path(staging), metadata=metadata)
    rows_written = int(events.select(pl.len()).collect().item())
    stats = file_stats_of(events)
    for path in written:
        path.unlink()
    return Written(sorted(parts, key=operator.attrgetter("path")), rows_written, stats)


# -- the client --------------------------------------------------------------------------------


@dataclass
class ClusterIngest:
    """What the client ends with: the accounting, the time decisions, the dataset's parts."""

    reports: list[FileReport]
    timing: TimeOutcome
    rows: int
    parts: list[Part]


def ingest_partitioned(
    client: Any,
    files: list[EvidenceFile],
    options: ParseOptions,
    writer: Any,
    source_states: dict[str, dict[str, Any]],
    case_time: Callable[[list[FileReport], dict[str, dict[str, Any]]], CaseTime],
    window: Window,
    staging: Path,
    metadata: dict[str, str] | None,
    progress: ProgressFn | None = None,
    spill: Path | None = None,
) -> ClusterIngest:
    """Parse, decide the times and write the dataset with the events kept on the workers.

    ``writer`` receives the rejects (few; the client writes rejects.parquet), ``source_states``
    each set's state; ``case_time`` builds the time pass's inputs from the accounting.  Each
    set's events wait in a folder of ``spill`` (default: the writer's own spill folder: this
    run's, inside OUT, removed by the engine at the end).
    """
    spill = Path(spill) if spill is not None else writer.store.folder
    groups = [list(g) for _, g in groupby(files, key=lambda f: f.source)]
    parsed = [
        client.submit(parse_to_store, g, options.beside(g), str(spill / f"set-{i:06d}"), pure=False)
        for i, g in enumerate(groups)
    ]
    held: list[Any] = list(parsed)
    try:
        return _run(client, groups, parsed, held, writer, source_states, case_time, window, staging, metadata, progress)
    except BaseException:
        for future in held:
            future.cancel()
        raise


def _release(future: Any, held: list[Any]) -> None:
    """The client no longer needs this result: the worker may drop it once its dependents ran."""
    held.remove(future)
    future.release()


def _run(
    client: Any,
    groups: list[list[EvidenceFile]],
    parsed: list[Any],
    held: list[Any],
    writer: Any,
    source_states: dict[str, dict[str, Any]],
    case_time: Callable[[list[FileReport], dict[str, dict[str, Any]]], CaseTime],
    window: Window,
    staging: Path,
    metadata: dict[str, str] | None,
    progress: ProgressFn | None,
) -> ClusterIngest:
    summaries = [client.submit(summarise, f, pure=False) for f in parsed]
    held += summaries
    total = sum(f.size for g in groups for f in g) or 1
    done = 0
    reports: list[FileReport] = []
    year_frames = []
    with_events = False
    for group, future in zip(groups, summaries):
        summary: SourceSummary = future.result()
        _release(future, held)
        # in file order, as the local executor adds them: rejects.parquet is the same
        for fp in summary.files:
            for df, size in zip(fp.rejects, fp.reject_sizes):
                writer.rejects(df, size)
            reports.append(fp.report)
        source_states[group[0].source] = summary.state
        if summary.years is not None:
            year_frames.append(summary.years)
        with_events = with_events or summary.has_events
        done += sum(f.size for f in group)
        if progress:
            progress(done, total, group[-1].relpath)

    # reduce: the years, from every source's span at once
    case = case_time(reports, source_states)
    info: dict[str, dict[str, Any]] = {s: {} for s in case.sources}
    warnings: list[str] = []
    choices: YearChoices = {}
    if year_frames:
        yl = pl.concat([y for y, _ in year_frames])
        if yl.height:
            choices = choose_years(yl, pl.concat([s for _, s in year_frames]), case, info, warnings)
    placed = [
        client.submit(place, f, {s: c for s, c in choices.items() if s == g[0].source}, pure=False)
        for f, g in zip(parsed, groups)
    ]
    held += placed
    for future in parsed:
        _release(future, held)  # the placed sets are what the workers refer to now
    states = [client.submit(placed_states, p, pure=False) for p in placed]
    held += states
    for future in states:
        for source, state in future.result().items():
            st = case.sources.get(source)
            if st is not None and st.state is not state:
                st.state.clear()
                st.state.update(state)

    # reduce: the fall-back decisions, then the host clocks from every set's anchors
    verdicts = dst_decisions(case, info, warnings)
    hosts, configured = clock_inputs(case, warnings)
    report = None
    if with_events:
        found = [client.submit(anchors, p, verdicts, hosts, pure=False) for p in placed]
        held += found
        merged = skew.merge_anchors([a for a in client.gather(found) if a is not None], hosts)
        report = skew.estimate_from(merged, hosts, configured, case.skew_tolerance)
    timing = clock_decisions(report, case, info, warnings, verdicts)

    # map: apply the decisions and write the parts where the events are
    slim = TimeOutcome(timing.verdicts, timing.skews, {}, {}, [])
    written = [client.submit(write_final, p, slim, window, str(staging), metadata, pure=False) for p in placed]
    held += written
    results: list[Written] = client.gather(written)
    parts = sorted((p for w in results for p in w.parts), key=operator.attrgetter("path"))
    rows = sum(w.rows for w in results)
    if rows:
        for w in results:
            timing.files.update(w.files)
    return ClusterIngest(reports, timing, rows, parts)


__all__ = [
    "ClusterIngest",
    "Placed",
    "SourceSummary",
    "StoredSet",
    "Written",
    "anchors",
    "ingest_partitioned",
    "parse_to_store",
    "place",
    "summarise",
    "write_final",
]
