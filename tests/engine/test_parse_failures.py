"""A parser that raises costs only the records that made it raise: in ingest and in detection."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from forensics.intake.detect import detect_sample
from forensics.intake.reader import records_from_text
from parsers.base import Parser, ParseResult, get_parser, parse_isolating
from parsers.web.apache_access import ApacheAccess

LINE = '192.0.2.{i} - - [22/Oct/2024:09:02:{s:02d} +0200] "GET /p?i={i} HTTP/1.1" 200 {i} "-" "UA"'


class _Picky(Parser):
    """Raises on any batch that holds the word BOOM; otherwise one event per record."""

    name = "test.picky"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.calls = 0
        self.seen: list[int] = []

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        self.calls += 1
        if records.get_column("text").str.contains("BOOM").any():
            raise RuntimeError("cannot cope\nwith a second line of detail")
        self.seen.extend(records.get_column("_rec").to_list())
        events = records.select(
            "_rec", pl.lit(None, dtype=pl.Datetime("us")).alias("_ts"), pl.col("text").alias("message")
        )
        return ParseResult(events=events)


def _records(texts: list[str]) -> pl.DataFrame:
    parser = _Picky()
    return records_from_text("\n".join(texts), parser)


@pytest.mark.parametrize("bad", [[0], [37], [99], [10, 11, 80]])
def test_only_the_offending_records_become_rejects(bad: list[int]) -> None:
    texts = [f"record {i} BOOM" if i in bad else f"record {i}" for i in range(100)]
    parser = _Picky()
    result, errors = parse_isolating(parser, _records(texts), {})
    assert sorted(result.rejects.get_column("_rec").to_list()) == bad
    assert set(result.events.get_column("_rec").to_list()) == set(range(100)) - set(bad)
    assert parser.seen == sorted(parser.seen)  # parts are parsed in file order
    assert errors == ["parser test.picky failed on this record: RuntimeError: cannot cope"]
    assert set(result.rejects.get_column("reason")) == set(errors)


def test_a_first_parse_that_works_is_not_repeated() -> None:
    parser = _Picky()
    result, errors = parse_isolating(parser, _records([f"r{i}" for i in range(50)]), {})
    assert errors == [] and parser.calls == 1 and result.events.height == 50


def test_when_most_records_fail_the_splitting_stops_and_says_so() -> None:
    texts = [f"record {i} BOOM" for i in range(10_000)]
    parser = _Picky()
    result, errors = parse_isolating(parser, _records(texts), {}, max_parses=40)
    assert parser.calls == 1 + 40
    assert result.rejects.height == 10_000 and result.events.height == 0  # nothing lost
    assert any("not split further" in e for e in errors)


def test_detection_survives_one_record_that_makes_the_parser_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """One hostile line in the first 64 KiB no longer makes the whole file 'unrecognised'."""
    lines = [LINE.format(i=i, s=i % 60) for i in range(200)]
    lines[3] = lines[3].replace("/p?i=3", "/p?i=BOOM")
    sample = "\n".join(lines).encode()
    original = ApacheAccess.parse

    def fragile(self: ApacheAccess, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        if records.get_column("text").str.contains("BOOM").any():
            raise pl.exceptions.ShapeError("arguments for `filter` have different lengths")
        return original(self, records, state)

    monkeypatch.setattr(ApacheAccess, "parse", fragile)
    assert get_parser("apache.access").score(_records(lines), "access.log") == pytest.approx(199 / 200)
    assert detect_sample(sample, "access.log").parser == "apache.access"
