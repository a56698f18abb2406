"""Property: the DST flags ``localize`` appends are those of the per-row list it used to build.

``_dst_flags`` appends one flag only to the rows that need it; the expression it replaced
built a list of the new flags for every row and concatenated it.  Both are compared on any
lists of flags (empty, repeated, already holding a DST flag) and any ambiguous or
nonexistent rows, and ``localize`` itself on naive times across a fall-back and a
spring-forward change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.time.zones import ZoneDecision, _dst_flags, _file_rank, localize

FLAGS = st.lists(st.sampled_from(["year_missing", "dst_ambiguous", "x", "", "dst_nonexistent"]), max_size=3)
# a time is ambiguous, nonexistent or neither (never both: a nonexistent time has no instant)
STATES = st.sampled_from([(False, False), (True, False), (False, True)])


def _old_flags() -> pl.Expr:
    new_flags = pl.concat_list(
        [
            pl.when(pl.col("_amb")).then(pl.lit("dst_ambiguous")),
            pl.when(pl.col("_nonex")).then(pl.lit("dst_nonexistent")),
        ]
    ).list.drop_nulls()
    return pl.concat_list([pl.col("time.flags"), new_flags])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FLAGS, STATES), max_size=40))
def test_dst_flags_match_the_list_expression(rows: list[tuple[list[str], tuple[bool, bool]]]) -> None:
    df = pl.DataFrame(
        {
            "time.flags": [r[0] for r in rows],
            "_amb": [r[1][0] for r in rows],
            "_nonex": [r[1][1] for r in rows],
        },
        schema={"time.flags": pl.List(pl.String), "_amb": pl.Boolean, "_nonex": pl.Boolean},
    )
    new = df.select(_dst_flags().alias("time.flags"))
    old = df.select(_old_flags().alias("time.flags"))
    assert new.schema == old.schema
    assert new.equals(old)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=-3 * 3600, max_value=3 * 3600), min_size=1, max_size=30),
    st.sampled_from([datetime(2024, 10, 27, 2, 30), datetime(2024, 3, 31, 2, 30)]),
    st.lists(FLAGS, min_size=30, max_size=30),
)
def test_localize_flags_around_changes(shifts: list[int], change: datetime, flags: list[list[str]]) -> None:
    ts = [change + timedelta(seconds=s) for s in shifts]
    flags = [[f for f in fl if f != "year_missing"] for fl in flags[: len(ts)]]
    events = pl.DataFrame(
        {"_ts": ts, "time.flags": flags, "log.offset": list(range(len(ts)))},
        schema={"_ts": pl.Datetime("us"), "time.flags": pl.List(pl.String), "log.offset": pl.Int64},
    )
    out = localize(events, ZoneDecision("Europe/Paris", "source"), {})
    ambiguous = out.get_column("time.earliest").is_not_null().to_list()
    gap = (datetime(2024, 3, 31, 2, 0), datetime(2024, 3, 31, 3, 0))
    for got, given_flags, amb, t in zip(out.get_column("time.flags").to_list(), flags, ambiguous, ts):
        assert got[: len(given_flags)] == given_flags
        nonexistent = gap[0] <= t < gap[1]
        assert got[len(given_flags) :] == ["dst_ambiguous"] * amb + ["dst_nonexistent"] * nonexistent


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 2)), max_size=12),
    st.booleans(),
)
def test_file_rank_is_the_rank_by_offset_then_position(rows: list[tuple[int | None, int]], with_sub: bool) -> None:
    """The rank of each row by (``log.offset``, ``_sub``), whatever the order, ties and nulls;
    the short-cuts (rows already in order, distinct offsets) give the sort's answer."""
    data = {"log.offset": [r[0] for r in rows]}
    if with_sub:
        data["_sub"] = [r[1] for r in rows]
    df = pl.DataFrame(data, schema={"log.offset": pl.Int64, "_sub": pl.Int64} if with_sub else {"log.offset": pl.Int64})
    keys = ["log.offset", "_sub"] if with_sub else ["log.offset"]
    got = df.select(_file_rank(df).cast(pl.Int64).alias("r")).get_column("r").to_list()
    ordered = df.with_row_index("_i").sort(keys, maintain_order=True)
    expected = [0] * df.height
    for rank, i in enumerate(ordered.get_column("_i").to_list()):
        expected[i] = rank
    # rows with equal keys may take their ranks in either order; every other row has its place
    key_of = list(zip(*(df.get_column(k).to_list() for k in keys))) if rows else []
    for i in range(df.height):
        tied = [j for j in range(df.height) if key_of[j] == key_of[i]]
        assert got[i] in {expected[j] for j in tied}
    assert sorted(got) == list(range(df.height))
