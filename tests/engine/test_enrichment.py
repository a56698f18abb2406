"""What the engine adds to parsed events, checked against the plain expressions it replaces."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.enrichment import _position_in_record


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=40))
def test_position_in_record_is_the_rank_within_the_record(recs: list[int | None]) -> None:
    # several events of one record, in any order, nulls included: the same as the window
    events = pl.DataFrame({"_rec": recs}, schema={"_rec": pl.Int64})
    expected = events.select(pl.int_range(pl.len()).over("_rec").alias("_sub")).to_series()
    got = _position_in_record(events)
    assert got.dtype == pl.Int64 and got.name == "_sub"
    assert got.to_list() == expected.cast(pl.Int64).to_list()
