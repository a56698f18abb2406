"""The repeated hour of a DST fall-back: which pass a naive local time belongs to.

When clocks go back (27 Oct 2024 03:00 CEST -> 02:00 CET in Europe/Paris) every local time
from 02:00 to 02:59:59 happens twice.  A naive timestamp in that hour has two candidate
instants: the first pass (summer offset, earlier) and the second pass (winter offset, later).

The records of one source are written in time order, give or take a small reordering, so
the order in which they were written tells the passes apart.  We look at the records of a
source around the change (the repeated hour plus a margin), in two orders when we have them:

* file order (a rotation set is read oldest file first, lines in order), leaving out the
  records a parser marks ``_unordered`` (a time column updated in place after the row was
  written, such as a session's last activity);
* monotonic ids (``_order``: thread/connection/query ids, auto-increment keys), which still
  hold when size-rotated files are not in time order by name.

A *reading* places the change between two consecutive records: those before it are read in
the first pass, those after it in the second pass.  A reading is *consistent* when no record
is more than ``REORDER_TOLERANCE`` earlier than the record before it.  A record is resolved
when every consistent reading puts it in the same pass and at least one consistent reading
exists.  When the file order and the ids both decide and disagree, the record stays
ambiguous.  Nothing is guessed: an unresolved record keeps both instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

#: Records of a source may be out of order by up to this much (a request logged when it ends).
REORDER_TOLERANCE = timedelta(minutes=15)
#: Records this close to the repeated hour are kept as neighbours for the decision.
WINDOW_MARGIN = timedelta(hours=1)

_TOL_US = int(REORDER_TOLERANCE.total_seconds() * 1_000_000)

#: Columns of the rows remembered per source for the decision.
WINDOW_ROW_SCHEMA = {
    "log.file.path": pl.String,
    "event.id": pl.String,
    "_w": pl.Datetime("us"),
    "_seq": pl.Int64,
    "_order": pl.Int64,
    "_early": pl.Datetime("us", "UTC"),
    "_late": pl.Datetime("us", "UTC"),
    "_amb": pl.Boolean,
}


@lru_cache(maxsize=256)
def fall_back_windows(zone: str, year: int) -> tuple[tuple[datetime, datetime], ...]:
    """Local (naive) ``[start, end)`` intervals that happen twice in ``year`` in ``zone``.

    Found from the zone database itself: every instant where the UTC offset decreases.
    """
    try:
        z = ZoneInfo(zone)
    except (KeyError, ValueError):
        return ()
    step = timedelta(hours=1)
    t = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    prev = t.astimezone(z).utcoffset()
    out: list[tuple[datetime, datetime]] = []
    while t < end:
        nxt = t + step
        off = nxt.astimezone(z).utcoffset()
        if off is not None and prev is not None and off < prev:
            lo, hi = t, nxt  # offset is prev at lo, off at hi
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(z).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            start = (hi + off).replace(tzinfo=None)
            stop = (hi + prev).replace(tzinfo=None)
            if start.year == year:
                out.append((start, stop))
        prev = off
        t = nxt
    return tuple(out)


def windows_for_years(zone: str, years: list[int]) -> list[tuple[datetime, datetime]]:
    """Fall-back intervals for several years (years outside 1..9998 are ignored)."""
    out: list[tuple[datetime, datetime]] = []
    for y in sorted(set(years)):
        if 1 < y < 9998:
            out.extend(fall_back_windows(zone, y))
    return out


@dataclass
class Verdict:
    """The decision for one ambiguous record."""

    late: bool | None  # True: second pass; False: first pass; None: undecided
    by: str  # "file_order", "ids", "file_order+ids", or "" when undecided
    conflict: bool = False


def _verdicts(reading: pl.DataFrame) -> pl.DataFrame:
    """The pass each ambiguous record takes in one order of reading (``_i``, ``_v``: late?).

    ``reading`` holds the records of every window (``_w``) in that order: ``_i``, ``_e`` and
    ``_l`` (the two candidate instants in µs, equal for unambiguous records), ``_amb``.  A
    reading puts the change before record ``c`` (0..n: records before ``c`` in the first
    pass, the others in the second); it is consistent when no record is more than
    ``REORDER_TOLERANCE`` earlier than the one before it.  With ``back(p, q)``, record ``q``
    too early after ``p``: no pair before ``c`` both early is back, no pair from ``c`` on
    both late is back, and the pair across ``c`` (early then late) is not back.  A record is
    in the first pass in the readings ``c > j`` and the second in ``c <= j``; it is decided
    when the consistent readings all say the same, and nothing is decided in a window with
    no consistent reading (the order itself is unreliable there).  Column expressions per
    window: counts of the back pairs before and after each ``c``, then which ``c`` are
    consistent on either side of each record.
    """
    w = "_w"
    e, late = pl.col("_e"), pl.col("_l")

    def back(prev: pl.Expr, cur: pl.Expr) -> pl.Expr:
        return ((prev.shift(1) - cur) > _TOL_US).over(w).fill_null(False).cast(pl.Int64)

    df = reading.with_columns(
        back(e, e).alias("_ee"),  # pair (c-1, c) both early
        back(late, late).alias("_ll"),  # both late
        back(e, late).alias("_el"),  # c-1 early, c late: the pair across the change at c
    )
    ee, ll = pl.col("_ee"), pl.col("_ll")
    before = ee.cum_sum().over(w) - ee  # back early pairs among records < c
    after = ll.sum().over(w) - ll.cum_sum().over(w)  # back late pairs among records > c
    df = df.with_columns(
        ((before == 0) & (after == 0) & (pl.col("_el") == 0)).alias("_ok"),  # reading c = this record
        (ee.sum().over(w) == 0).alias("_ok_end"),  # reading c = n: every record early
    )
    ok = pl.col("_ok").cast(pl.Int64)
    second = ok.cum_sum().over(w) > 0  # a consistent reading c <= j
    first = ((ok.sum().over(w) - ok.cum_sum().over(w)) > 0) | pl.col("_ok_end")  # a consistent c > j
    return df.filter(pl.col("_amb")).select(
        "_i",
        pl.when(first & ~second).then(False).when(second & ~first).then(True).alias("_v"),
    )


def resolve_fall_back(rows: pl.DataFrame) -> pl.DataFrame:
    """Decide the pass of the ambiguous rows among ``rows`` (one source, any number of changes).

    ``rows`` has the columns of WINDOW_ROW_SCHEMA, and optionally ``_filed`` (Boolean, false
    when the record's time is not in file order: it is left out of the file-order reading
    and decided by its id alone, if any).  Returns one row per ambiguous input row:
    ``log.file.path``, ``event.id``, ``_late`` (Boolean, null when undecided), ``_by``
    (what decided) and ``_conflict`` (file order and ids disagree); windows in the order
    they first appear, rows in input order within each.
    """
    out_schema = {
        "log.file.path": pl.String,
        "event.id": pl.String,
        "_late_pass": pl.Boolean,
        "_by": pl.String,
        "_conflict": pl.Boolean,
    }
    if rows.height == 0 or not rows.get_column("_amb").any():
        return pl.DataFrame(schema=out_schema)
    filed = pl.col("_filed").fill_null(True) if "_filed" in rows.columns else pl.lit(True)
    rows = rows.with_row_index("_i").select(
        "_i",
        "_w",
        "log.file.path",
        "event.id",
        "_seq",
        "_order",
        pl.col("_early").dt.epoch("us").alias("_e"),
        pl.col("_late").dt.epoch("us").alias("_l"),
        pl.col("_amb").fill_null(False),
        filed.alias("_filed"),
    )
    # the two readings: file order (records whose time is in file order), then ids
    by_file = _verdicts(rows.filter(pl.col("_filed")).sort("_seq", maintain_order=True))
    by_ids = _verdicts(rows.filter(pl.col("_order").is_not_null()).sort(["_order", "_seq"], maintain_order=True))
    a, b = pl.col("_vf"), pl.col("_vi")
    conflict = (a.is_not_null() & b.is_not_null() & (a != b)).fill_null(False)
    return (
        rows.with_columns(pl.col("_i").min().over("_w").alias("_first"))  # where each window first appears
        .filter(pl.col("_amb"))
        .select("_i", "_first", "log.file.path", "event.id")
        .join(by_file.rename({"_v": "_vf"}), on="_i", how="left")
        .join(by_ids.rename({"_v": "_vi"}), on="_i", how="left")
        .sort(["_first", "_i"])
        .select(
            "log.file.path",
            "event.id",
            pl.when(~conflict).then(pl.coalesce(b, a)).alias("_late_pass"),
            pl.when(conflict)
            .then(pl.lit(""))
            .when(a.is_not_null() & b.is_not_null())
            .then(pl.lit("file_order+ids"))
            .when(b.is_not_null())
            .then(pl.lit("ids"))
            .when(a.is_not_null())
            .then(pl.lit("file_order"))
            .otherwise(pl.lit(""))
            .alias("_by"),
            conflict.alias("_conflict"),
        )
        .cast(out_schema)  # type: ignore[arg-type]
    )


def resolve_source(state: dict[str, Any]) -> pl.DataFrame:
    """Decide the remembered fall-back rows of one source (``resolve_fall_back``)."""
    rows = state.get("dst_rows") or []
    if not rows:
        return resolve_fall_back(pl.DataFrame(schema=WINDOW_ROW_SCHEMA))
    frame = pl.concat([r.cast(WINDOW_ROW_SCHEMA) for r in rows])  # type: ignore[arg-type]
    return resolve_fall_back(frame)


@dataclass(frozen=True)
class FallBackRewrite:
    """The decided fall-back rows, prepared once for every chunk of events they are applied to.

    Applied with column expressions, not a join: a join gathered every column of every event
    (the raw line among them) to add one, which cost more than the rest of the finishing of the
    events, and the ordered write applies this to every spilled part.  The decided rows are few
    (a fall-back hour's): their ids are tested first and only those rows build the exact
    (path, id) key.
    """

    ids: pl.Series  # the decided rows' event.id, imploded (one list)
    late: pl.Series  # path NUL id of the rows read in the later (winter) pass, imploded
    early: pl.Series  # the same for the earlier (summer) pass

    @classmethod
    def of(cls, verdicts: pl.DataFrame) -> FallBackRewrite | None:
        """None when no row is decided (nothing to rewrite)."""
        decided = verdicts.filter(pl.col("_late_pass").is_not_null())
        if decided.height == 0:
            return None
        keyed = decided.select(_KEY.alias("k"), pl.col("event.id"), pl.col("_late_pass"))
        late = keyed.filter(pl.col("_late_pass")).get_column("k")
        early = keyed.filter(~pl.col("_late_pass")).get_column("k")
        return cls(keyed.get_column("event.id").unique().implode(), late.implode(), early.implode())

    def apply(self, df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
        """Rewrite the decided ambiguous rows: the chosen instant, ``dst_ambiguous_resolved``."""
        key = pl.when(pl.col("event.id").is_in(self.ids)).then(_KEY)
        late_pass = pl.when(key.is_in(self.late)).then(True).when(key.is_in(self.early)).then(False)
        hit = pl.col("_late_pass").is_not_null()
        return (
            df.with_columns(late_pass.alias("_late_pass"))
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


#: one event's exact name: no path holds a NUL byte, so path NUL id names one event
_KEY = pl.concat_str([pl.col("log.file.path"), pl.lit("\x00"), pl.col("event.id")])


def apply_dst(df: pl.DataFrame | pl.LazyFrame, verdicts: pl.DataFrame) -> pl.DataFrame | pl.LazyFrame:
    """Rewrite the decided ambiguous rows: the chosen instant, ``dst_ambiguous_resolved``."""
    rewrite = FallBackRewrite.of(verdicts)
    return df if rewrite is None else rewrite.apply(df)
