"""Property: whatever a database log holds, every line ends in an event, a reject, meta or the blank count."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import group_records, lines_frame
from forensics.schema import conform
from parsers.base import get_parser
from tests.parsers.db.cases import CASES

FORMATS = sorted({c.fmt for c in CASES})


def _fixture_lines(fmt: str) -> list[str]:
    lines: list[str] = []
    for case in CASES:
        if case.fmt == fmt:
            lines += case.path.read_bytes().decode("utf-8", errors="replace").split("\n")
    return lines


_JUNK = st.lists(
    st.sampled_from([*list("abc XYZ019,;:'\"\\`[](){}<>@#=|\t%é\x00"), "\x1b[31m", "<script>", "LOG:  ", "# Time: "]),
    max_size=30,
).map("".join)


def _account(fmt: str, options: dict[str, Any], lines: list[str], cut: int) -> None:
    parser = get_parser(fmt, options)
    buf = "\n".join(lines).encode("utf-8")
    frame = lines_frame(buf, 1, 0)
    state: dict[str, Any] = {"source": {}}
    # two chunks cut at a record start, as the engine does, so state carries across them
    starts = frame.with_row_index("_i").filter(parser.record_start(pl.col("text")).fill_null(False)).get_column("_i")
    cut_at = int(starts[cut % len(starts)]) if parser.multiline and len(starts) else cut % max(frame.height, 1)
    total_lines = 0
    for part in (frame.slice(0, cut_at), frame.slice(cut_at)):
        if part.height == 0:
            continue
        records, blanks, orphans = group_records(part, parser)
        total_lines += blanks.height + orphans.height + int(records.get_column("n_lines").sum())
        if records.height == 0:
            continue
        result = parser.parse(records, state)
        seen = set(result.events.get_column("_rec").to_list())
        seen |= set(result.rejects.get_column("_rec").to_list()) | set(result.meta.get_column("_rec").to_list())
        assert seen == set(records.get_column("_rec").to_list())
        if result.events.height:
            conform(result.events)  # every produced column has the schema's type
            assert result.events.get_column("_ts").dtype == pl.Datetime("us")
    assert total_lines == frame.height


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_line_is_accounted_for(fmt: str, data: st.DataObject) -> None:
    good = _fixture_lines(fmt)
    picks = data.draw(st.lists(st.one_of(st.sampled_from(good), _JUNK), min_size=1, max_size=40))
    cut = data.draw(st.integers(0, 1000))
    options = next((c.options for c in CASES if c.fmt == fmt and c.options), {}) if data.draw(st.booleans()) else {}
    _account(fmt, options, picks, cut)
