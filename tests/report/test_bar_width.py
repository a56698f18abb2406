"""Phase bars: a finding of one instant stays a thin bar even when the evidence goes back years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forensics.report.figures import Bar, timeline
from forensics.report.frames import Marks
from forensics.report.i18n import Locale


def test_a_one_instant_phase_bar_is_narrow_on_the_attack_window() -> None:
    attack = (datetime(2024, 10, 24, 21, 2, tzinfo=UTC), datetime(2024, 10, 27, 3, 5, tzinfo=UTC))
    instant = datetime(2024, 10, 27, 2, 47, 11, tzinfo=UTC)
    bar = Bar("Persistence", instant, instant, "#1f77b4", "F-085", ["F-085", "a", "b", "c"])
    fig = timeline(
        loc=Locale("en", "Europe/Paris"),
        lanes=[],
        labels={},
        density=pl.DataFrame(schema={"lane": pl.String, "bin": pl.Datetime("us", "UTC"), "n": pl.Int64}),
        step=3600,
        first=datetime(2019, 3, 12, tzinfo=UTC),  # a users table dump reaches back five years
        last=datetime(2024, 10, 28, tzinfo=UTC),
        marks=Marks(pl.DataFrame(schema={"phase": pl.String}), None, 0),
        phase_bars=[bar],
        phase_moments=[],
        session_bars=[],
        focus=attack,
        transitions=[],
        overview=pl.DataFrame(schema={"bin": pl.Datetime("us", "UTC"), "n": pl.UInt32}),
        overview_step=86400,
    )
    bars = [t for t in fig.data if t.type == "bar"]
    width = timedelta(milliseconds=bars[0].x[0])
    assert width <= (attack[1] - attack[0]) / 100, width
