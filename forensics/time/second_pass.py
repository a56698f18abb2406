"""The second time pass: once every file is read, the decisions that need a whole source.

Per chunk, ``forensics.time.zones`` reads times in their zone; some questions can only be
answered once every file is read: the year of yearless sources (``forensics.time.years``),
the pass of records in the repeated fall-back hour, from the order of the whole source
(``forensics.time.dst``), and the clock offsets of the hosts (``forensics.time.skew``).
``time_pass`` decides them, ``finalize`` applies them while the events are written, and
the manifest reports them.

See ``docs/time.md`` for the rules and thresholds in words.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from forensics.ingest_messages import Note, note
from forensics.schema import activity_start, conform
from forensics.time import dst, skew, years
from forensics.time.zones import ZoneDecision, localize, with_private


class EventParts(Protocol):
    """The held chunks of events the second pass reads and amends (``forensics.intake.store.PartStore``)."""

    def scan_events(self) -> pl.LazyFrame | None: ...

    def rewrite_events(self, fn: Callable[[pl.DataFrame], pl.DataFrame | None]) -> None: ...


@dataclass
class SourceTime:
    """What the time pass needs to know about one source (rotation set)."""

    source: str
    host: str | None
    zone: ZoneDecision
    clock_offset: float | None = None
    year: int | None = None
    newest_mtime: datetime | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def clock_host(self) -> str:
        return self.host or self.source


@dataclass
class CaseTime:
    """The case-wide inputs of the time pass."""

    sources: dict[str, SourceTime]
    skew_tolerance: float = 10.0
    awareness: datetime | None = None
    today: datetime | None = None


@dataclass
class TimeOutcome:
    """What the time pass decided; ``finalize`` applies it, the manifest reports it."""

    verdicts: pl.DataFrame
    skews: dict[str, float]
    sources: dict[str, dict[str, Any]]
    clock: dict[str, Any]
    warnings: list[str]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @cached_property
    def fall_back_rewrite(self) -> dst.FallBackRewrite | None:
        """The decided fall-back rows, prepared once: ``finalize`` applies them to every chunk."""
        return dst.FallBackRewrite.of(self.verdicts)


def _naive(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(tzinfo=None)


YearChoices = dict[str, tuple[int, SourceTime]]


def year_inputs(lf: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per source, what the year inference reads: the first and last yearless record (by New
    Year count, then time) and the span of the dated records.

    Both are per ``log.source``, so a source read whole in one place (one rotation set, one
    task) gives its rows alone, and the frames of several places are simply concatenated.
    """
    yl = (
        lf.filter(pl.col("_t_local").is_not_null())
        .group_by("log.source")
        .agg(
            pl.col("_t_roll").min().alias("r0"),
            pl.col("_t_local").filter(pl.col("_t_roll") == pl.col("_t_roll").min()).min().alias("t0"),
            pl.col("_t_roll").max().alias("r1"),
            pl.col("_t_local").filter(pl.col("_t_roll") == pl.col("_t_roll").max()).max().alias("t1"),
        )
        .collect()
    )
    spans = (
        lf.filter(pl.col("_t_local").is_null() & pl.col("time.recorded").is_not_null())
        .group_by("log.source")
        .agg(pl.col("time.recorded").min().alias("lo"), pl.col("time.recorded").max().alias("hi"))
        .collect()
    )
    return yl, spans


def choose_years(
    yl: pl.DataFrame, spans: pl.DataFrame, case: CaseTime, info: dict[str, dict[str, Any]], warnings: list[str]
) -> YearChoices:
    """The year of every yearless source (``year_inputs`` of the whole case), recorded in ``info``."""
    by_source = {s: (_naive(lo), _naive(hi)) for s, lo, hi in spans.iter_rows()}
    case_span = None
    if by_source:
        case_span = (min(v[0] for v in by_source.values()), max(v[1] for v in by_source.values()))
    choices: YearChoices = {}
    for source, r0, t0, r1, t1 in yl.sort("log.source").iter_rows():
        st = case.sources.get(source) or SourceTime(source, None, ZoneDecision("UTC", "assumed_utc"))
        span = years.SourceSpan(r0, t0, r1, t1)
        same_host = [v for s, v in by_source.items() if s != source and _host_of(case, s) == st.clock_host]
        host_span = (min(v[0] for v in same_host), max(v[1] for v in same_host)) if same_host else None
        choice = years.choose_year(
            span,
            configured=st.year,
            host_span=host_span,
            case_span=case_span,
            awareness=_naive(case.awareness),
            file_mtime=st.newest_mtime,
            today=case.today,
        )
        a, b = span.interval(choice.base)
        info.setdefault(source, {})["year_inference"] = {
            "year_of_first_record": choice.base,
            "basis": choice.source,
            "detail": choice.detail,
            "new_years_in_source": span.last_roll - span.first_roll,
            "first": a.isoformat(),
            "last": b.isoformat(),
        }
        if span.last_roll - span.first_roll > 3:
            warnings.append(Note("time.year_jumps", {"n": span.last_roll - span.first_roll}, source))
        if choice.source in ("file_mtime", "ingest_date"):
            warnings.append(Note("time.year_weak", {"detail": str(choice.detail)}, source))
        choices[source] = (choice.base, st)
    return choices


def year_placer(choices: YearChoices) -> Callable[[pl.DataFrame], pl.DataFrame | None]:
    """What gives one chunk's yearless rows their year (None: the chunk has none).

    Placing a row localizes it, which may remember a fall-back reading in its source's
    state: chunks must be placed in the order they were parsed, before the DST decisions.
    """

    def place(df: pl.DataFrame) -> pl.DataFrame | None:
        mask = pl.col("_t_local").is_not_null()
        n = df.select(mask.sum()).item()
        if not n:
            return None
        df = df.with_row_index("_pi")
        # a yearless source's chunk is yearless throughout and holds one source: then the
        # chunk is placed as it is, without a filter, a group_by and a sort back by row
        yearless = df if n == df.height else df.filter(mask)
        sources = yearless.get_column("log.source").unique(maintain_order=True)
        if sources.len() == 1:
            groups = [(sources[0], yearless)]
        else:
            groups = [(source, grp) for (source,), grp in yearless.group_by(["log.source"], maintain_order=True)]
        fixed = []
        for source, grp in groups:
            base, st = choices[source]
            fixed.append(_place_years(grp, base, st))
        placed = pl.concat(fixed, how="diagonal_relaxed")
        placed = with_private(conform(placed), placed).with_columns(placed.get_column("_pi"))  # type: ignore[arg-type]
        placed = placed.select(df.columns)
        if n == df.height and placed.get_column("_pi").is_sorted():
            return placed.drop("_pi")
        return pl.concat([df.filter(~mask), placed]).sort("_pi").drop("_pi")

    return place


def _infer_years(parts: EventParts, case: CaseTime, info: dict[str, dict[str, Any]], warnings: list[str]) -> None:
    """Give yearless rows their year, localize them, and rewrite the chunks that hold them."""
    lf = parts.scan_events()
    if lf is None:
        return
    yl, spans = year_inputs(lf)
    if yl.height == 0:
        return
    parts.rewrite_events(year_placer(choose_years(yl, spans, case, info, warnings)))


def _place_years(rows: pl.DataFrame, base: int, st: SourceTime) -> pl.DataFrame:
    """Yearless rows of one source with their year, then localized like any other row."""
    year = pl.col("_t_roll").cast(pl.Int32) + base
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    outside = (year < years.MIN_YEAR) | (year > years.MAX_YEAR)
    conflict = ((pl.col("_t_local").dt.month() == 2) & (pl.col("_t_local").dt.day() == 29) & ~leap) | outside
    flags = _placed_flags(conflict)
    g = rows.with_columns(
        years.with_year(pl.col("_t_local"), year).alias("_ts"),
        pl.col("_t_offset").alias("_offset"),
        pl.col("_t_order").alias("_order"),
        pl.col("_t_seq").alias("_seq"),
        flags.alias("time.flags"),
    )
    g = localize(g, st.zone, st.state)
    return g.with_columns(pl.col("time.recorded").alias("@timestamp"))


def _placed_flags(conflict: pl.Expr) -> pl.Expr:
    """``time.flags`` of a placed row: ``year_missing`` replaced by ``year_inferred``, and
    ``year_conflict`` appended where ``conflict``.

    Rows whose only flag is ``year_missing`` (every row of a yearless syslog) take one of two
    literal lists; the concatenation of three lists for every row cost five times as much
    and is left to the others.
    """
    flags = pl.col("time.flags")
    general = pl.concat_list(
        [
            flags.list.eval(pl.element().filter(pl.element() != "year_missing")),
            pl.lit(["year_inferred"]),
            pl.when(conflict).then(pl.lit(["year_conflict"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
        ]
    )
    only_missing = (flags.list.len() == 1) & (flags.list.first() == "year_missing")
    simple = pl.when(conflict).then(pl.lit(["year_inferred", "year_conflict"])).otherwise(pl.lit(["year_inferred"]))
    return pl.when(only_missing).then(simple).otherwise(general)


def _host_of(case: CaseTime, source: str) -> str:
    st = case.sources.get(source)
    return st.clock_host if st else source


def time_pass(parts: EventParts, case: CaseTime) -> TimeOutcome:
    """Years, fall-back decisions and host clocks, once every part is written."""
    info: dict[str, dict[str, Any]] = {s: {} for s in case.sources}
    warnings: list[str] = []
    _infer_years(parts, case, info, warnings)
    verdicts = dst_decisions(case, info, warnings)
    hosts, configured = clock_inputs(case, warnings)
    report = None
    everything = parts.scan_events()
    if everything is not None:
        # anchors see the decided DST readings; undecided ones are left out
        decided = dst.apply_dst(everything, verdicts)
        assert isinstance(decided, pl.LazyFrame)
        report = skew.estimate(decided, hosts, configured, case.skew_tolerance)
    return clock_decisions(report, case, info, warnings, verdicts)


def dst_decisions(case: CaseTime, info: dict[str, dict[str, Any]], warnings: list[str]) -> pl.DataFrame:
    """The fall-back readings of every source decided from its remembered windows (after the years)."""
    verdict_frames = []
    for name, st in case.sources.items():
        v = dst.resolve_source(st.state)
        if v.height:
            verdict_frames.append(v)
            decided = v.filter(pl.col("_late_pass").is_not_null())
            conflicts = int(v.get_column("_conflict").sum())
            info[name]["dst_fall_back"] = {
                "ambiguous": v.height,
                "resolved": decided.height,
                "resolved_by": dict(decided.group_by("_by").len().sort("_by").iter_rows()),
                "unresolved": v.height - decided.height,
                "order_conflicts": conflicts,
            }
            if v.height - decided.height:
                warnings.append(Note("time.dst_unplaced", {"n": v.height - decided.height}, name))
            if conflicts:
                warnings.append(Note("time.dst_order_conflict", {"n": conflicts}, name))
    return (
        pl.concat(verdict_frames)
        if verdict_frames
        else dst.resolve_fall_back(pl.DataFrame(schema=dst.WINDOW_ROW_SCHEMA))
    )


def clock_inputs(case: CaseTime, warnings: list[str]) -> tuple[dict[str, str], dict[str, float]]:
    """The host of every source, and the clock offsets the case config gives per host."""
    hosts = {name: st.clock_host for name, st in case.sources.items()}
    configured: dict[str, float] = {}
    conflicting: set[str] = set()
    for st in case.sources.values():
        if st.clock_offset is None:
            continue
        h = st.clock_host
        if h in configured and configured[h] != st.clock_offset:
            conflicting.add(h)
        configured.setdefault(h, st.clock_offset)
    for h in sorted(conflicting):
        warnings.append(note("time.offsets_differ", host=h))
    return hosts, configured


def clock_decisions(
    report: skew.SkewReport | None,
    case: CaseTime,
    info: dict[str, dict[str, Any]],
    warnings: list[str],
    verdicts: pl.DataFrame,
) -> TimeOutcome:
    """The offset applied to each source from the solved host clocks (or the config)."""
    skews: dict[str, float] = {}
    for name, st in case.sources.items():
        clock = report.hosts.get(st.clock_host) if report else None
        entry: dict[str, Any] = {"clock_host": st.clock_host}
        if st.clock_offset is not None:
            skews[name] = st.clock_offset
            entry.update(skew_applied=st.clock_offset, skew_origin="config")
        elif clock is not None and clock.applied and clock.offset is not None:
            skews[name] = round(clock.offset, 3)
            entry.update(skew_applied=round(clock.offset, 3), skew_origin=clock.origin)
        else:
            entry.update(skew_applied=None, skew_origin=None)
        entry["skew_estimate"] = clock.as_dict() if clock is not None else None
        info[name].update(entry)
    if report:
        warnings.extend(report.warnings)
    clock_info = report.as_dict() if report else {}
    return TimeOutcome(verdicts, skews, info, clock_info, warnings)


def finalize(lf: pl.LazyFrame, outcome: TimeOutcome, filled: Collection[str] | None = None) -> pl.LazyFrame:
    """Apply the fall-back decisions and the clock offsets; then ``event.start`` from the final time.

    ``filled`` names the columns of ``lf`` that hold a value, when the caller knows them: a
    chunk whose ``time.earliest`` is all null holds no undecided DST reading, so the fall-back
    rewrite, whose tests cost more than the rest of this, is skipped for it (same rows out).
    """
    rewrite = outcome.fall_back_rewrite
    if rewrite is not None and filled is not None and "time.earliest" not in filled:
        rewrite = None
    out = lf if rewrite is None else rewrite.apply(lf)
    assert isinstance(out, pl.LazyFrame)
    out = skew.apply_skew(out, outcome.skews)
    start = activity_start(pl.col("@timestamp"))
    return out.with_columns(pl.when(start != pl.col("@timestamp")).then(start).alias("event.start"))


def file_stats(events_path: Path) -> dict[str, dict[str, Any]]:
    """Per file: first/last ``time.recorded``, naive count and flag counts of the final events."""
    return file_stats_of(pl.scan_parquet(events_path))


def file_stats_of(lf: pl.LazyFrame) -> dict[str, dict[str, Any]]:
    """``file_stats`` of final events held anywhere (per file, so disjoint sets of files merge)."""
    base = (
        lf.group_by("log.file.path")
        .agg(
            pl.col("time.recorded").min().alias("first"),
            pl.col("time.recorded").max().alias("last"),
            (pl.col("time.zone_source") != "record").sum().alias("naive"),
        )
        .collect()
    )
    flags = (
        lf.select("log.file.path", pl.col("time.flags").alias("flag"))
        .explode("flag")
        .filter(pl.col("flag").is_not_null())
        .group_by("log.file.path", "flag")
        .len()
        .sort("log.file.path", "flag")
        .collect()
    )
    out: dict[str, dict[str, Any]] = {}
    for path, first, last, naive in base.iter_rows():
        out[path] = {"first": first, "last": last, "naive": int(naive or 0), "flags": {}}
    for path, flag, n in flags.iter_rows():
        out.setdefault(path, {"first": None, "last": None, "naive": 0, "flags": {}})["flags"][flag] = int(n)
    return out


def source_time_warnings(source: dict[str, Any]) -> list[str]:
    """The lines ``forensics ingest`` prints for a source: zone assumed, clock off by more than 1 s."""
    out = []
    name = source.get("source")
    if source.get("zone_source") == "assumed_utc" and source.get("naive_events"):
        out.append(Note("time.assumed_utc", {"n": source["naive_events"]}, name))
    applied = source.get("skew_applied")
    est = source.get("skew_estimate") or {}
    if applied is not None and abs(applied) > 1.0:
        x, n = abs(applied), est.get("pairs", 0)
        if source.get("skew_origin") == "config":
            said = Note("time.ahead_configured", {"x": x}) if applied > 0 else Note("time.behind_configured", {"x": x})
        else:
            said = (
                Note("time.ahead_estimated", {"x": x, "n": n})
                if applied > 0
                else Note("time.behind_estimated", {"x": x, "n": n})
            )
        out.append(said.about(name))
    elif applied is None and est.get("offset") is not None and abs(est["offset"]) > 1.0:
        out.append(Note("time.skew_not_applied", {"x": est["offset"], "why": str(est.get("reason", ""))}, name))
    return out
