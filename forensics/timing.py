"""Time you can defend: zone decisions, DST, year inference and clock-skew correction.

Parsers hand over the wall-clock time as written (``_ts``) and, when the record carries
one, its UTC offset (``_offset``).  Here that becomes ``time.recorded`` (UTC as the
source's clock said it), ``time.zone``/``time.zone_source`` (which zone was used and why)
and ``time.flags``; ``@timestamp`` is ``time.recorded`` minus the host's clock offset.
Nothing is shifted silently: every decision is a column, a flag or a manifest entry.

Two passes:

* per chunk (``localize``): offsets and zones, the spring-forward gap, the candidate
  instants of the repeated fall-back hour, New Year inside a yearless source;
* once every file is read (``time_pass`` then ``finalize``): the year of yearless sources,
  the pass of records in the repeated hour (from the order of the whole source), and the
  clock offsets of the hosts.

See ``docs/time.md`` for the rules and thresholds in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import polars as pl

from forensics import dst, skew, years
from forensics.schema import UTC_US, activity_start, conform

ZONE_SOURCES = ("record", "source", "case", "assumed_utc")


class EventParts(Protocol):
    """The held chunks of events the second pass reads and amends (``forensics.store.PartStore``)."""

    def scan_events(self) -> pl.LazyFrame | None: ...

    def rewrite_events(self, fn: Callable[[pl.DataFrame], pl.DataFrame | None]) -> None: ...


#: Working columns kept in the engine's Parquet parts for rows that need the second pass.
PRIVATE_COLUMNS: dict[str, pl.DataType] = {
    "_t_local": pl.Datetime("us"),
    "_t_offset": pl.Int32(),
    "_t_roll": pl.Int32(),
    "_t_order": pl.Int64(),
    "_t_seq": pl.Int64(),
}


@dataclass(frozen=True)
class ZoneDecision:
    """Which zone reads a source's naive timestamps, and why."""

    zone: str
    source: str  # one of ZONE_SOURCES (record is decided per event)


def decide_zone(source_tz: str | None, case_tz: str | None) -> ZoneDecision:
    """Source config beats the case default (or ``--tz``); with neither, UTC is assumed (and warned)."""
    if source_tz:
        return ZoneDecision(source_tz, "source")
    if case_tz:
        return ZoneDecision(case_tz, "case")
    return ZoneDecision("UTC", "assumed_utc")


def _format_offset(seconds: pl.Expr) -> pl.Expr:
    sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    a = seconds.abs()
    hh = (a // 3600).cast(pl.String).str.zfill(2)
    mm = ((a % 3600) // 60).cast(pl.String).str.zfill(2)
    return pl.concat_str([sign, hh, pl.lit(":"), mm])


def _offset_names(df: pl.DataFrame) -> pl.Expr:
    """``_offset`` as ``+hh:mm``, formatted once per distinct offset (a chunk holds a handful)."""
    offsets = df.get_column("_offset").drop_nulls().unique()
    names = pl.select(_format_offset(pl.lit(offsets))).to_series()
    return pl.col("_offset").replace_strict(offsets, names, default=None, return_dtype=pl.String)


# -- per chunk ---------------------------------------------------------------------------------


def _prepare(events: pl.DataFrame, state: dict[str, Any]) -> pl.DataFrame:
    """Typed ``_offset``/``_order``/``time.flags`` and ``_seq``, the position in the source's order."""
    df = events
    if "_offset" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_offset"))
    if "_order" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("_order"))
    if "time.flags" not in df.columns:
        df = df.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"))
    df = df.with_columns(
        pl.col("_ts").cast(pl.Datetime("us")),
        pl.col("_offset").cast(pl.Int32),
        pl.col("_order").cast(pl.Int64, strict=False),
        pl.col("time.flags").fill_null([]),
    )
    if "_seq" not in df.columns:
        base = int(state.get("seq", 0))
        rank = _file_rank(df) if "log.offset" in df.columns else pl.int_range(pl.len())
        df = df.with_columns((rank.cast(pl.Int64) + base).alias("_seq"))
        state["seq"] = base + df.height
    return df


def _file_rank(df: pl.DataFrame) -> pl.Expr:
    """Each row's rank in the order of ``log.offset`` then ``_sub`` (0-based).

    Records sit at distinct offsets in the common case (one event per record): then the
    rank of the offset alone is the answer, far cheaper than a two-key sort; ties (several
    events of one record) or nulls take the sort.
    """
    offset = pl.col("log.offset")
    unique = df.select((offset.null_count() == 0) & (offset.rank("ordinal") == offset.rank("min")).all()).item()
    if unique:
        return offset.rank("ordinal") - 1
    keys = ["log.offset", "_sub"] if "_sub" in df.columns else ["log.offset"]
    return pl.int_range(pl.len()).sort_by(keys).arg_sort()


def _gap_instants(values: list[datetime], zone: str) -> pl.DataFrame:
    """Local times that do not exist, read with the offset in force before the change (PEP 495 fold=0)."""
    z = ZoneInfo(zone)
    out = []
    for v in values:
        off = v.replace(tzinfo=z, fold=0).utcoffset() or timedelta(0)
        out.append(v - off)
    return pl.DataFrame(
        {"_ts": values, "_gap": out}, schema={"_ts": pl.Datetime("us"), "_gap": pl.Datetime("us")}
    ).with_columns(pl.col("_gap").dt.replace_time_zone("UTC"))


def localize(events: pl.DataFrame, decision: ZoneDecision, state: dict[str, Any] | None = None) -> pl.DataFrame:
    """Fill the ``time.*`` columns of one chunk from ``_ts``/``_offset``.

    Records with an offset are exact (``record``).  Naive records take the decided zone.
    A time that does not exist (spring-forward gap) is read with the offset in force before
    the change and flagged ``dst_nonexistent``.  A time in the repeated fall-back hour is
    flagged ``dst_ambiguous`` with both instants (``time.earliest``/``time.latest``,
    ``time.recorded`` = the earlier) and remembered in ``state`` so that ``time_pass`` can
    decide it from the order of the whole source.  Yearless records (``year_missing``) get
    their New Year count and wait for ``time_pass`` (``time.recorded`` stays null).
    ``state`` is the per-source dict that persists across chunks and files.
    """
    state = {} if state is None else state
    df = _prepare(events, state)
    zone = decision.zone
    yearless = pl.col("time.flags").list.contains("year_missing")
    has_yearless = bool(df.select(yearless.any()).item())
    if has_yearless:
        df = years.mark_rollover(df, yearless, state)
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_t_roll"))
    ts = pl.when(yearless).then(pl.lit(None, dtype=pl.Datetime("us"))).otherwise(pl.col("_ts"))
    has_offset = pl.col("_offset").is_not_null()
    exact = (ts - pl.duration(seconds=pl.col("_offset").cast(pl.Int64))).dt.replace_time_zone("UTC")
    early = ts.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    late = ts.dt.replace_time_zone(zone, ambiguous="latest", non_existent="null").dt.convert_time_zone("UTC")
    df = df.with_columns(
        pl.when(has_offset).then(exact).otherwise(early).cast(UTC_US).alias("_early"),
        pl.when(has_offset).then(exact).otherwise(late).cast(UTC_US).alias("_late"),
    )
    naive = ~has_offset & ~yearless & pl.col("_ts").is_not_null()
    df = df.with_columns(
        (naive & (pl.col("_early") != pl.col("_late"))).fill_null(False).alias("_amb"),
        (naive & pl.col("_early").is_null()).fill_null(False).alias("_nonex"),
    )
    gaps = df.filter(pl.col("_nonex")).get_column("_ts").unique().to_list()
    if gaps:
        df = df.join(_gap_instants(gaps, zone), on="_ts", how="left", maintain_order="left")
    else:
        df = df.with_columns(pl.lit(None, dtype=UTC_US).alias("_gap"))
    _remember_window(df, zone, naive, state)
    recorded = pl.when(pl.col("_nonex")).then(pl.col("_gap")).otherwise(pl.col("_early"))
    new_flags = pl.concat_list(
        [
            pl.when(pl.col("_amb")).then(pl.lit("dst_ambiguous")),
            pl.when(pl.col("_nonex")).then(pl.lit("dst_nonexistent")),
        ]
    ).list.drop_nulls()
    df = df.with_columns(
        pl.when(has_offset).then(pl.lit("record")).otherwise(pl.lit(decision.source)).alias("time.zone_source"),
        pl.when(has_offset).then(_offset_names(df)).otherwise(pl.lit(zone)).alias("time.zone"),
        recorded.cast(UTC_US).alias("time.recorded"),
        pl.when(pl.col("_amb")).then(pl.col("_early")).alias("time.earliest"),
        pl.when(pl.col("_amb")).then(pl.col("_late")).alias("time.latest"),
        pl.concat_list([pl.col("time.flags"), new_flags]).alias("time.flags"),
        pl.when(yearless).then(pl.col("_ts")).alias("_t_local"),
        pl.when(yearless).then(pl.col("_offset")).alias("_t_offset"),
        pl.when(yearless).then(pl.col("_order")).alias("_t_order"),
        pl.when(yearless).then(pl.col("_seq")).alias("_t_seq"),
    )
    return df.drop("_early", "_late", "_gap", "_amb", "_nonex", "_seq")


def _remember_window(df: pl.DataFrame, zone: str, naive: pl.Expr, state: dict[str, Any]) -> None:
    """Keep the naive records near a fall-back change (with both instants) for the decision."""
    if zone == "UTC" or df.height == 0:
        return
    yrs = df.filter(naive).select(pl.col("_ts").dt.year().unique()).to_series().drop_nulls().to_list()
    windows = dst.windows_for_years(zone, yrs)
    if not windows:
        return
    ts = pl.col("_ts")
    which = pl.lit(None, dtype=pl.Datetime("us"))
    for start, stop in windows:
        inside = ts.is_between(start - dst.WINDOW_MARGIN, stop + dst.WINDOW_MARGIN, closed="left")
        which = pl.when(inside).then(pl.lit(start, dtype=pl.Datetime("us"))).otherwise(which)
    rows = df.filter(naive).with_columns(which.alias("_w")).filter(pl.col("_w").is_not_null())
    if rows.height == 0:
        return
    path = pl.col("log.file.path") if "log.file.path" in rows.columns else pl.lit("")
    eid = pl.col("event.id") if "event.id" in rows.columns else pl.col("_seq").cast(pl.String)
    # ``_unordered``: the parser says this time is not in file order (a column updated in place)
    filed = ~pl.col("_unordered").fill_null(False) if "_unordered" in rows.columns else pl.lit(True)
    keep = rows.select(
        path.cast(pl.String).alias("log.file.path"),
        eid.cast(pl.String).alias("event.id"),
        "_w",
        "_seq",
        "_order",
        "_early",
        "_late",
        "_amb",
        filed.alias("_filed"),
    )
    state.setdefault("dst_rows", []).append(keep)


def with_private(conformed: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Append the second-pass working columns (typed nulls when absent) to a conformed chunk."""
    cols = [
        (events.get_column(n).cast(t) if n in events.columns else pl.Series(n, [None] * events.height, dtype=t))
        for n, t in PRIVATE_COLUMNS.items()
    ]
    return conformed.with_columns(cols)


def resolve_source(state: dict[str, Any]) -> pl.DataFrame:
    """Decide the remembered fall-back rows of one source (see ``forensics.dst``)."""
    rows = state.get("dst_rows") or []
    if not rows:
        return dst.resolve_fall_back(pl.DataFrame(schema=dst.WINDOW_ROW_SCHEMA))
    frame = pl.concat([r.cast(dst.WINDOW_ROW_SCHEMA) for r in rows])  # type: ignore[arg-type]
    return dst.resolve_fall_back(frame)


def apply_dst(df: pl.DataFrame | pl.LazyFrame, verdicts: pl.DataFrame) -> pl.DataFrame | pl.LazyFrame:
    """Rewrite the decided ambiguous rows: the chosen instant, ``dst_ambiguous_resolved``."""
    decided = verdicts.filter(pl.col("_late_pass").is_not_null()).select("log.file.path", "event.id", "_late_pass")
    if decided.height == 0:
        return df
    other = decided.lazy() if isinstance(df, pl.LazyFrame) else decided
    hit = pl.col("_late_pass").is_not_null()
    return (
        df.join(other, on=["log.file.path", "event.id"], how="left")  # type: ignore[arg-type]
        .with_columns(
            pl.when(hit)
            .then(pl.when(pl.col("_late_pass")).then(pl.col("time.latest")).otherwise(pl.col("time.earliest")))
            .otherwise(pl.col("time.recorded"))
            .alias("time.recorded"),
            pl.when(hit)
            .then(
                pl.col("time.flags").list.eval(
                    pl.when(pl.element() == "dst_ambiguous")
                    .then(pl.lit("dst_ambiguous_resolved"))
                    .otherwise(pl.element())
                )
            )
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
            pl.when(hit).then(None).otherwise(pl.col("time.earliest")).alias("time.earliest"),
            pl.when(hit).then(None).otherwise(pl.col("time.latest")).alias("time.latest"),
        )
        .drop("_late_pass")
    )


def localize_all(events: pl.DataFrame, decision: ZoneDecision) -> pl.DataFrame:
    """``localize`` plus the fall-back decision for a frame that holds a whole source (notebooks, tests)."""
    state: dict[str, Any] = {}
    df = localize(events, decision, state)
    if "event.id" not in df.columns:
        df = df.with_row_index("_rid").with_columns(pl.col("_rid").cast(pl.String).alias("event.id")).drop("_rid")
        drop_id = True
    else:
        drop_id = False
    if "log.file.path" not in df.columns:
        df = df.with_columns(pl.lit("").alias("log.file.path"))
        drop_path = True
    else:
        drop_path = False
    out = apply_dst(df, resolve_source(state))
    assert isinstance(out, pl.DataFrame)
    return out.drop([c for c, d in (("event.id", drop_id), ("log.file.path", drop_path)) if d])


# -- once every file is read -----------------------------------------------------------------------


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


def _naive(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(tzinfo=None)


def _infer_years(parts: EventParts, case: CaseTime, info: dict[str, dict[str, Any]], warnings: list[str]) -> None:
    """Give yearless rows their year, localize them, and rewrite the chunks that hold them."""
    lf = parts.scan_events()
    if lf is None:
        return
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
    if yl.height == 0:
        return
    spans = (
        lf.filter(pl.col("_t_local").is_null() & pl.col("time.recorded").is_not_null())
        .group_by("log.source")
        .agg(pl.col("time.recorded").min().alias("lo"), pl.col("time.recorded").max().alias("hi"))
        .collect()
    )
    by_source = {s: (_naive(lo), _naive(hi)) for s, lo, hi in spans.iter_rows()}
    case_span = None
    if by_source:
        case_span = (min(v[0] for v in by_source.values()), max(v[1] for v in by_source.values()))
    choices: dict[str, tuple[int, SourceTime]] = {}
    for source, r0, t0, r1, t1 in yl.iter_rows():
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
            warnings.append(
                f"{source}: the dates jump by more than half a year {span.last_roll - span.first_roll} times; "
                "check the inferred years"
            )
        if choice.source in ("file_mtime", "ingest_date"):
            warnings.append(f"{source}: year of yearless timestamps inferred from weak evidence ({choice.detail})")
        choices[source] = (choice.base, st)

    def place(df: pl.DataFrame) -> pl.DataFrame | None:
        mask = pl.col("_t_local").is_not_null()
        if not df.select(mask.any()).item():
            return None
        df = df.with_row_index("_pi")
        fixed = []
        for (source,), grp in df.filter(mask).group_by(["log.source"], maintain_order=True):
            base, st = choices[source]
            fixed.append(_place_years(grp, base, st))
        placed = pl.concat(fixed, how="diagonal_relaxed")
        placed = with_private(conform(placed), placed).with_columns(placed.get_column("_pi"))  # type: ignore[arg-type]
        return pl.concat([df.filter(~mask), placed.select(df.columns)]).sort("_pi").drop("_pi")

    parts.rewrite_events(place)


def _place_years(rows: pl.DataFrame, base: int, st: SourceTime) -> pl.DataFrame:
    """Yearless rows of one source with their year, then localized like any other row."""
    year = pl.col("_t_roll").cast(pl.Int32) + base
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    outside = (year < years.MIN_YEAR) | (year > years.MAX_YEAR)
    conflict = ((pl.col("_t_local").dt.month() == 2) & (pl.col("_t_local").dt.day() == 29) & ~leap) | outside
    flags = pl.concat_list(
        [
            pl.col("time.flags").list.eval(pl.element().filter(pl.element() != "year_missing")),
            pl.lit(["year_inferred"]),
            pl.when(conflict).then(pl.lit(["year_conflict"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
        ]
    )
    g = rows.with_columns(
        years.with_year(pl.col("_t_local"), year).alias("_ts"),
        pl.col("_t_offset").alias("_offset"),
        pl.col("_t_order").alias("_order"),
        pl.col("_t_seq").alias("_seq"),
        flags.alias("time.flags"),
    )
    g = localize(g, st.zone, st.state)
    return g.with_columns(pl.col("time.recorded").alias("@timestamp"))


def _host_of(case: CaseTime, source: str) -> str:
    st = case.sources.get(source)
    return st.clock_host if st else source


def time_pass(parts: EventParts, case: CaseTime) -> TimeOutcome:
    """Years, fall-back decisions and host clocks, once every part is written."""
    info: dict[str, dict[str, Any]] = {s: {} for s in case.sources}
    warnings: list[str] = []
    _infer_years(parts, case, info, warnings)
    verdict_frames = []
    for name, st in case.sources.items():
        v = resolve_source(st.state)
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
                warnings.append(
                    f"{name}: {v.height - decided.height} timestamps in the repeated DST hour could not be placed; "
                    "both instants are kept (time.earliest, time.latest)"
                )
            if conflicts:
                warnings.append(
                    f"{name}: file order and ids disagree for {conflicts} timestamps in the repeated DST hour"
                )
    verdicts = (
        pl.concat(verdict_frames)
        if verdict_frames
        else dst.resolve_fall_back(pl.DataFrame(schema=dst.WINDOW_ROW_SCHEMA))
    )
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
        warnings.append(f"host {h}: sources give different clock_offset values; each source keeps its own")
    report = None
    everything = parts.scan_events()
    if everything is not None:
        # anchors see the decided DST readings; undecided ones are left out
        decided = apply_dst(everything, verdicts)
        assert isinstance(decided, pl.LazyFrame)
        report = skew.estimate(decided, hosts, configured, case.skew_tolerance)
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


def finalize(lf: pl.LazyFrame, outcome: TimeOutcome) -> pl.LazyFrame:
    """Apply the fall-back decisions and the clock offsets; then ``event.start`` from the final time."""
    out = apply_dst(lf, outcome.verdicts)
    assert isinstance(out, pl.LazyFrame)
    out = apply_skew(out, outcome.skews)
    start = activity_start(pl.col("@timestamp"))
    return out.with_columns(pl.when(start != pl.col("@timestamp")).then(start).alias("event.start"))


def file_stats(events_path: Path) -> dict[str, dict[str, Any]]:
    """Per file: first/last ``time.recorded``, naive count and flag counts of the final events."""
    lf = pl.scan_parquet(events_path)
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


def apply_skew(events: pl.LazyFrame, skews: dict[str, float]) -> pl.LazyFrame:
    """``@timestamp`` = ``time.recorded`` minus the clock offset of the event's source (seconds).

    ``skews`` maps a ``log.source`` to seconds its clock is ahead; sources not named keep
    ``@timestamp`` = ``time.recorded``.  ``time.recorded`` itself is never changed;
    ``time.earliest``/``time.latest`` (the candidates of an undecided DST reading) move
    with ``@timestamp``.
    """
    if not skews:
        return events.with_columns(
            pl.col("time.recorded").alias("@timestamp"), pl.lit(None, dtype=pl.Float64).alias("time.skew")
        )
    shift = pl.duration(microseconds=(pl.col("_skew").fill_null(0) * 1e6).round().cast(pl.Int64))
    table = pl.LazyFrame(
        {"log.source": list(skews), "_skew": list(skews.values())},
        schema={"log.source": pl.String, "_skew": pl.Float64},
    )
    return (
        events.join(table, on="log.source", how="left", maintain_order="left")
        .with_columns(
            (pl.col("time.recorded") - shift).alias("@timestamp"),
            # the two candidates of an undecided DST reading are candidates for @timestamp
            (pl.col("time.earliest") - shift).alias("time.earliest"),
            (pl.col("time.latest") - shift).alias("time.latest"),
            pl.col("_skew").alias("time.skew"),
            pl.when(pl.col("_skew").is_not_null() & (pl.col("_skew") != 0))
            .then(pl.concat_list([pl.col("time.flags"), pl.lit(["skew_corrected"])]))
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
        )
        .drop("_skew")
    )


def source_time_warnings(source: dict[str, Any]) -> list[str]:
    """The lines ``forensics ingest`` prints for a source: zone assumed, clock off by more than 1 s."""
    out = []
    name = source.get("source")
    if source.get("zone_source") == "assumed_utc" and source.get("naive_events"):
        out.append(f"{name}: no time zone given for {source['naive_events']} naive timestamps; UTC assumed")
    applied = source.get("skew_applied")
    est = source.get("skew_estimate") or {}
    if applied is not None and abs(applied) > 1.0:
        how = "configured" if source.get("skew_origin") == "config" else f"estimated from {est.get('pairs', 0)} anchors"
        out.append(f"{name}: clock {abs(applied):.1f} s {'ahead' if applied > 0 else 'behind'} ({how}); corrected")
    elif applied is None and est.get("offset") is not None and abs(est["offset"]) > 1.0:
        out.append(f"{name}: clock about {est['offset']:+.1f} s off but not corrected ({est.get('reason', '')})")
    return out
