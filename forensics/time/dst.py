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


def _consistent_sides(early: list[int], late: list[int]) -> tuple[list[bool], list[bool]] | None:
    """For a sequence of records, which passes each record can take in a consistent reading.

    ``early``/``late`` are the two candidate instants (µs; equal for unambiguous records).
    Returns (can_be_first, can_be_second) per record, or None when no reading is consistent
    (the order itself is unreliable around the change).
    """
    n = len(early)
    if n == 0:
        return [], []

    def bad(prev: int, cur: int) -> int:
        back = prev - cur
        return back if back > _TOL_US else 0

    # cost(c): records < c read early, records >= c read late; c in 0..n
    ee = [0] * n  # pair (i-1, i) both early
    ll = [0] * n  # both late
    el = [0] * n  # i-1 early, i late
    for i in range(1, n):
        ee[i] = bad(early[i - 1], early[i])
        ll[i] = bad(late[i - 1], late[i])
        el[i] = bad(early[i - 1], late[i])
    pre_ee = [0] * (n + 1)  # pre_ee[c] = sum ee[1..c-1]
    for c in range(2, n + 1):
        pre_ee[c] = pre_ee[c - 1] + ee[c - 1]
    suf_ll = [0] * (n + 2)  # suf_ll[c] = sum ll[c+1..n-1]
    for c in range(n - 2, -1, -1):
        suf_ll[c] = suf_ll[c + 1] + ll[c + 1]
    cost = []
    for c in range(n + 1):
        total = pre_ee[c] + (suf_ll[c] if c < n else 0)
        if 1 <= c <= n - 1:
            total += el[c]
        cost.append(total)
    ok = [v == 0 for v in cost]
    if not any(ok):
        return None
    # record j is first in reading c iff c > j; second iff c <= j
    any_le = [False] * n  # exists consistent c <= j
    seen = False
    for j in range(n):
        seen = seen or ok[j]
        any_le[j] = seen
    any_gt = [False] * n  # exists consistent c > j
    seen = False
    for j in range(n - 1, -1, -1):
        seen = seen or ok[j + 1]
        any_gt[j] = seen
    return any_gt, any_le


def _decide(seq_rows: list[tuple[int, int, bool, int]]) -> dict[int, bool]:
    """Verdicts (row index -> late?) for one ordered sequence of (idx, early, late, amb) rows."""
    early = [r[1] for r in seq_rows]
    late = [r[2] for r in seq_rows]
    sides = _consistent_sides(early, late)
    if sides is None:
        return {}
    first_ok, second_ok = sides
    out: dict[int, bool] = {}
    for k, row in enumerate(seq_rows):
        if not row[3]:
            continue
        if first_ok[k] and not second_ok[k]:
            out[row[0]] = False
        elif second_ok[k] and not first_ok[k]:
            out[row[0]] = True
    return out


def resolve_fall_back(rows: pl.DataFrame) -> pl.DataFrame:
    """Decide the pass of the ambiguous rows among ``rows`` (one source, any number of changes).

    ``rows`` has the columns of WINDOW_ROW_SCHEMA, and optionally ``_filed`` (Boolean, false
    when the record's time is not in file order: it is left out of the file-order reading
    and decided by its id alone, if any).  Returns one row per ambiguous input row:
    ``log.file.path``, ``event.id``, ``_late`` (Boolean, null when undecided), ``_by``
    (what decided) and ``_conflict`` (file order and ids disagree).
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
    if "_filed" not in rows.columns:
        rows = rows.with_columns(pl.lit(True).alias("_filed"))
    rows = rows.with_row_index("_i")
    paths, ids, lates, bys, conflicts = [], [], [], [], []
    for (_w,), grp in rows.group_by(["_w"], maintain_order=True):
        if not grp.get_column("_amb").any():
            continue
        tuples = list(
            zip(
                grp.get_column("_i").to_list(),
                grp.get_column("_seq").to_list(),
                grp.get_column("_order").to_list(),
                grp.get_column("_early").dt.epoch("us").to_list(),
                grp.get_column("_late").dt.epoch("us").to_list(),
                grp.get_column("_amb").to_list(),
                grp.get_column("_filed").fill_null(True).to_list(),
            )
        )
        by_file = sorted((r for r in tuples if r[6]), key=lambda r: r[1])
        v_file = _decide([(r[0], r[3], r[4], r[5]) for r in by_file])
        with_ids = [r for r in tuples if r[2] is not None]
        v_ids: dict[int, bool] = {}
        if with_ids:
            by_ids = sorted(with_ids, key=lambda r: (r[2], r[1]))
            v_ids = _decide([(r[0], r[3], r[4], r[5]) for r in by_ids])
        amb_rows = grp.filter(pl.col("_amb"))
        for i, path, eid in zip(
            amb_rows.get_column("_i").to_list(),
            amb_rows.get_column("log.file.path").to_list(),
            amb_rows.get_column("event.id").to_list(),
        ):
            a, b = v_file.get(i), v_ids.get(i)
            conflict = a is not None and b is not None and a != b
            if conflict:
                late, by = None, ""
            elif a is not None and b is not None:
                late, by = a, "file_order+ids"
            elif b is not None:
                late, by = b, "ids"
            elif a is not None:
                late, by = a, "file_order"
            else:
                late, by = None, ""
            paths.append(path)
            ids.append(eid)
            lates.append(late)
            bys.append(by)
            conflicts.append(conflict)
    return pl.DataFrame(
        {"log.file.path": paths, "event.id": ids, "_late_pass": lates, "_by": bys, "_conflict": conflicts},
        schema=out_schema,
    )


def resolve_source(state: dict[str, Any]) -> pl.DataFrame:
    """Decide the remembered fall-back rows of one source (``resolve_fall_back``)."""
    rows = state.get("dst_rows") or []
    if not rows:
        return resolve_fall_back(pl.DataFrame(schema=WINDOW_ROW_SCHEMA))
    frame = pl.concat([r.cast(WINDOW_ROW_SCHEMA) for r in rows])  # type: ignore[arg-type]
    return resolve_fall_back(frame)


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
