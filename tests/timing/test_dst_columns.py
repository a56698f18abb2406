"""Property: the fall-back decision in column expressions is the per-record Python one it replaced.

``resolve_fall_back`` once walked every record of a window in Python (a prefix and a
suffix sum of the back pairs, per reading); it now says the same with window expressions.
The Python version is kept here as the reference and both are run on hostile windows: any
instants, records out of order by more or less than the tolerance, ids missing, repeated
or disagreeing with the file, records not in file order, several windows interleaved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.time import dst
from forensics.time.dst import _TOL_US, WINDOW_ROW_SCHEMA, resolve_fall_back

# -- the Python reference, as it was ------------------------------------------------------


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


def _python_resolve(rows: pl.DataFrame) -> pl.DataFrame:
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


# -- the property ----------------------------------------------------------------------------

BASE = datetime(2024, 10, 27, 0, 0, tzinfo=UTC)
WINDOWS = [datetime(2024, 10, 27, 2), datetime(2023, 10, 29, 2)]
ROW = st.tuples(
    st.integers(0, 1),  # window
    st.integers(-40, 120),  # minutes after BASE (0..59: the repeated hour)
    st.booleans(),  # ambiguous
    st.one_of(st.none(), st.integers(0, 6)),  # id
    st.one_of(st.none(), st.booleans()),  # in file order
    st.integers(0, 3),  # seconds, to make near-ties
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ROW, max_size=24), st.booleans(), st.randoms(use_true_random=False))
def test_columns_decide_as_the_python_walk(rows: list, with_filed: bool, rnd) -> None:  # type: ignore[no-untyped-def]
    seqs = list(range(len(rows)))
    rnd.shuffle(seqs)
    data = {
        "log.file.path": ["f"] * len(rows),
        "event.id": [f"e{i}" for i in range(len(rows))],
        "_w": [WINDOWS[r[0]] for r in rows],
        "_seq": seqs,
        "_order": [r[3] for r in rows],
        "_early": [BASE + timedelta(minutes=r[1], seconds=r[5]) for r in rows],
        "_late": [BASE + timedelta(minutes=r[1] + 60 * r[2], seconds=r[5]) for r in rows],
        "_amb": [r[2] for r in rows],
    }
    frame = pl.DataFrame(data, schema=WINDOW_ROW_SCHEMA)
    if with_filed:
        frame = frame.with_columns(pl.Series("_filed", [r[4] for r in rows], dtype=pl.Boolean))
    assert resolve_fall_back(frame).equals(_python_resolve(frame))


def test_the_tolerance_is_the_boundary() -> None:
    """A record exactly the tolerance earlier than the one before it is still in order."""
    tol = timedelta(microseconds=_TOL_US)
    for gap in (tol, tol + timedelta(microseconds=1)):
        t = [BASE + timedelta(minutes=30), BASE + timedelta(minutes=30) - gap, BASE + timedelta(minutes=50)]
        frame = pl.DataFrame(
            {
                "log.file.path": ["f"] * 3,
                "event.id": ["a", "b", "c"],
                "_w": [WINDOWS[0]] * 3,
                "_seq": [0, 1, 2],
                "_order": [None] * 3,
                "_early": t,
                "_late": [x + timedelta(hours=1) for x in t],
                "_amb": [True] * 3,
            },
            schema=WINDOW_ROW_SCHEMA,
        )
        assert resolve_fall_back(frame).equals(_python_resolve(frame))
    assert dst.REORDER_TOLERANCE == tol
