"""The year of timestamps written without one (RFC 3164 syslog, some error logs).

Parsers read such times into the year 2000 (a leap year, so 29 Feb parses) and flag them
``year_missing``.  Two things are then decided here:

1. *New Year inside the source* (per chunk, in file order): when the date goes back by
   more than half a year from one record to the next (31 Dec -> 1 Jan), the year turns;
   when it jumps forward by more than half a year (a 31 Dec record written just after a
   1 Jan record), it belongs to the year before.  This gives every record a year number
   relative to the first record of its rotation set (``_t_roll``).
2. *The year of the first record* (once the whole case is read), from the first of:
   the ``year`` of the ``[[source]]`` in the case config; the span of the dated sources of
   the same host; the span of every dated source of the case; the case's awareness date
   (the records came before it); the modification time of the newest file of the source
   (records are written before the file's last change); the date of the ingest.  With a
   span, the year that puts the source's records closest to it wins (overlap, then
   distance); with an upper bound, the latest year that keeps the last record before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

#: A date going back (or forward) by more than this between two records turns the year.
HALF_YEAR = timedelta(days=183)
#: An upper bound (awareness, file time) may be this much early (zones, clock skew).
BOUND_SLACK = timedelta(days=1)

YEAR_SOURCES = ("config", "host", "case", "awareness", "file_mtime", "ingest_date")


def mark_rollover(df: pl.DataFrame, mask: pl.Expr, state: dict) -> pl.DataFrame:
    """Add ``_t_roll`` (years after the source's first record) to the rows selected by ``mask``.

    ``df`` must have ``_ts`` (year 2000 calendar) and ``_seq`` (processing order);
    ``state`` carries the last record of the previous chunk.
    """
    rows = df.filter(mask).select("_seq", "_ts").sort("_seq")
    if rows.height == 0:
        return df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_t_roll"))
    last_ts = state.get("year_last_ts")
    last_roll = state.get("year_last_roll", 0)
    half = pl.duration(days=HALF_YEAR.days)
    prev = pl.col("_ts").shift(1)
    if last_ts is not None:
        prev = prev.fill_null(pl.lit(last_ts, dtype=pl.Datetime("us")))
    step = (
        pl.when(pl.col("_ts") - prev < -half)
        .then(pl.lit(1))
        .when(pl.col("_ts") - prev > half)
        .then(pl.lit(-1))
        .otherwise(pl.lit(0))
    )
    rows = rows.with_columns((step.cum_sum() + last_roll).cast(pl.Int32).alias("_t_roll"))
    state["year_last_ts"] = rows.get_column("_ts")[-1]
    state["year_last_roll"] = int(rows.get_column("_t_roll")[-1])
    seq = pl.col("_seq")
    ordered = (seq.null_count() == 0) & (seq.diff().drop_nulls() > 0).all()
    if rows.height == df.height and "_t_roll" not in df.columns and df.select(ordered).item():
        # every row is yearless and the chunk is in ``_seq`` order (the usual chunk of a
        # yearless source): ``rows`` is the chunk's own order, no join needed
        return df.with_columns(rows.get_column("_t_roll"))
    return df.join(rows.select("_seq", "_t_roll"), on="_seq", how="left", maintain_order="left")


def with_year(ts: pl.Expr, year: pl.Expr) -> pl.Expr:
    """``ts`` moved to ``year``; 29 Feb in a common year becomes 1 Mar (flagged by the caller)."""
    first = pl.date(year.clip(MIN_YEAR, MAX_YEAR), ts.dt.month(), 1).cast(pl.Datetime("us"))
    return first + pl.duration(days=ts.dt.day() - 1) + (ts - ts.dt.truncate("1d"))


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


#: Years outside this range are clipped (a hostile file cannot push dates out of the calendar).
MIN_YEAR, MAX_YEAR = 1, 9998


def _place(year: int, ts: datetime) -> datetime:
    """One timestamp of the 2000 calendar moved to ``year`` (29 Feb -> 1 Mar in common years)."""
    year = min(max(year, MIN_YEAR), MAX_YEAR)
    if ts.month == 2 and ts.day == 29 and not is_leap(year):
        return ts.replace(year=year, day=28) + timedelta(days=1)
    return ts.replace(year=year)


@dataclass(frozen=True)
class SourceSpan:
    """First and last record of a yearless source, as (years after first, 2000-calendar time)."""

    first_roll: int
    first: datetime
    last_roll: int
    last: datetime

    def interval(self, base: int) -> tuple[datetime, datetime]:
        return _place(base + self.first_roll, self.first), _place(base + self.last_roll, self.last)


@dataclass(frozen=True)
class YearChoice:
    """The year of a source's first record and what it was taken from."""

    base: int
    source: str  # one of YEAR_SOURCES
    detail: str


def _fit_span(span: SourceSpan, ref: tuple[datetime, datetime]) -> int:
    """The base year that puts ``span`` on top of (or closest to) the reference interval."""
    lo, hi = ref
    best: tuple[float, float, int] | None = None
    for base in range(lo.year - 1 - span.first_roll, hi.year + 2 - span.first_roll):
        if base + min(span.first_roll, span.last_roll) < 1 or base + max(span.first_roll, span.last_roll) > 9998:
            continue
        a, b = span.interval(base)
        overlap = (min(b, hi) - max(a, lo)).total_seconds()
        distance = 0.0 if overlap >= 0 else -overlap
        key = (distance, -max(overlap, 0.0), -base)
        if best is None or key < best:
            best = key
    return -best[2] if best else lo.year


def _fit_bound(span: SourceSpan, bound: datetime) -> int:
    """The latest base year whose last record is not after ``bound`` (with slack)."""
    limit = bound + BOUND_SLACK
    base = limit.year - span.last_roll
    for candidate in (base, base - 1, base - 2):
        if span.interval(candidate)[1] <= limit:
            return candidate
    return base - 1


def choose_year(
    span: SourceSpan,
    *,
    configured: int | None = None,
    host_span: tuple[datetime, datetime] | None = None,
    case_span: tuple[datetime, datetime] | None = None,
    awareness: datetime | None = None,
    file_mtime: datetime | None = None,
    today: datetime | None = None,
) -> YearChoice:
    """Pick the year of the first record from the best evidence available (see the module doc)."""
    if configured is not None:
        return YearChoice(configured, "config", f"year = {configured} in the case config")
    if host_span is not None:
        base = _fit_span(span, host_span)
        return YearChoice(base, "host", f"dated sources of the same host span {_d(host_span[0])}..{_d(host_span[1])}")
    if case_span is not None:
        base = _fit_span(span, case_span)
        return YearChoice(base, "case", f"dated sources of the case span {_d(case_span[0])}..{_d(case_span[1])}")
    if awareness is not None:
        return YearChoice(
            _fit_bound(span, awareness), "awareness", f"records precede the awareness date {_d(awareness)}"
        )
    if file_mtime is not None:
        return YearChoice(
            _fit_bound(span, file_mtime), "file_mtime", f"records precede the newest file's mtime {_d(file_mtime)}"
        )
    now = today or datetime.now()
    return YearChoice(_fit_bound(span, now), "ingest_date", f"records precede the ingest date {_d(now)}")


def _d(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d")
