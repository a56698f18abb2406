"""Properties: placing yearless rows gives what the general expressions gave, on any input.

``_placed_flags`` takes two literal lists for rows flagged ``year_missing`` alone, and
``mark_rollover`` skips its join when every row is yearless and in ``_seq`` order; both are
compared with the expressions they short-cut, on flags, orders and masks of any shape.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.time import years
from forensics.time.second_pass import _placed_flags

FLAGS = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["year_missing", "year_missing", "dst_ambiguous", "x", ""]), max_size=3),
)


def _old_flags(conflict: pl.Expr) -> pl.Expr:
    return pl.concat_list(
        [
            pl.col("time.flags").list.eval(pl.element().filter(pl.element() != "year_missing")),
            pl.lit(["year_inferred"]),
            pl.when(conflict).then(pl.lit(["year_conflict"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
        ]
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FLAGS, st.one_of(st.none(), st.booleans())), max_size=30))
def test_placed_flags_match_the_concatenation(rows: list[tuple[list[str] | None, bool | None]]) -> None:
    df = pl.DataFrame(
        {"time.flags": [r[0] for r in rows], "c": [r[1] for r in rows]},
        schema={"time.flags": pl.List(pl.String), "c": pl.Boolean},
    )
    new = df.select(_placed_flags(pl.col("c")).alias("f"))
    old = df.select(_old_flags(pl.col("c")).alias("f"))
    assert new.schema == old.schema
    assert new.equals(old)


def _join_rollover(df: pl.DataFrame, mask: pl.Expr, state: dict) -> pl.DataFrame:
    """``mark_rollover`` as it always was: the rolls computed in ``_seq`` order, joined back."""
    rows = df.filter(mask).select("_seq", "_ts").sort("_seq")
    if rows.height == 0:
        return df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_t_roll"))
    last_ts = state.get("year_last_ts")
    half = pl.duration(days=years.HALF_YEAR.days)
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
    rows = rows.with_columns((step.cum_sum() + state.get("year_last_roll", 0)).cast(pl.Int32).alias("_t_roll"))
    state["year_last_ts"] = rows.get_column("_ts")[-1]
    state["year_last_roll"] = int(rows.get_column("_t_roll")[-1])
    return df.join(rows.select("_seq", "_t_roll"), on="_seq", how="left", maintain_order="left")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 800), min_size=1, max_size=25),
    st.sampled_from(["ordered", "shuffled", "repeated", "nulls"]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 800)),
)
def test_rollover_without_the_join_is_the_join(days: list[int], order: str, every: bool, last: int | None) -> None:
    t0 = datetime(2000, 1, 1)
    seq: list[int | None] = list(range(len(days)))
    if order == "shuffled":
        seq = seq[::-1]
    elif order == "repeated":
        seq = [s // 2 for s in seq]
    elif order == "nulls":
        seq[0] = None
    df = pl.DataFrame(
        {"_ts": [t0 + timedelta(days=d % 366) for d in days], "_seq": seq, "x": days},
        schema={"_ts": pl.Datetime("us"), "_seq": pl.Int64, "x": pl.Int64},
    )
    mask = pl.lit(True) if every else pl.col("x") % 3 != 0
    state = {} if last is None else {"year_last_ts": t0 + timedelta(days=last % 366), "year_last_roll": 2}
    new_state, old_state = dict(state), dict(state)
    new = years.mark_rollover(df, mask, new_state)
    old = _join_rollover(df, mask, old_state)
    assert new.equals(old)
    assert new_state == old_state
