"""What the engine adds to parsed events, checked against the plain expressions it replaces."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.enrichment import _position_in_record, _reading_tags


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=40))
def test_position_in_record_is_the_rank_within_the_record(recs: list[int | None]) -> None:
    # several events of one record, in any order, nulls included: the same as the window
    events = pl.DataFrame({"_rec": recs}, schema={"_rec": pl.Int64})
    expected = events.select(pl.int_range(pl.len()).over("_rec").alias("_sub")).to_series()
    got = _position_in_record(events)
    assert got.dtype == pl.Int64 and got.name == "_sub"
    assert got.to_list() == expected.cast(pl.Int64).to_list()


def _old_reading_tags() -> pl.Expr:
    none = pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(
        [
            pl.col("tags").fill_null([]),
            pl.when(pl.col("latin1")).then(pl.lit(["latin1_decoded"])).otherwise(none),
            pl.when(pl.col("truncated")).then(pl.lit(["line_truncated"])).otherwise(none),
        ]
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.lists(st.sampled_from(["a", "", "latin1_decoded"]), max_size=2)),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), st.booleans()),
        ),
        max_size=20,
    )
)
def test_reading_tags_are_the_three_list_concatenation(rows: list) -> None:  # type: ignore[type-arg]
    df = pl.DataFrame(
        {"tags": [r[0] for r in rows], "latin1": [r[1] for r in rows], "truncated": [r[2] for r in rows]},
        schema={"tags": pl.List(pl.String), "latin1": pl.Boolean, "truncated": pl.Boolean},
    )
    new = df.select(_reading_tags(df).alias("tags"))
    old = df.select(_old_reading_tags().alias("tags"))
    assert new.schema == old.schema
    assert new.equals(old)
