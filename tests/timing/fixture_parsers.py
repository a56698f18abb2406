"""Tiny parsers that exercise the time path through the real engine.

They stand in for the naive-time formats (MariaDB audit/general/slow, error logs, Mediboard
tables, application.log, syslog) until those parsers exist; the tests are parametrised over
(format, fixture) so the real parsers can be added to the same lists.  They are registered
only for the duration of a test (see ``conftest.py``), so they never show up in
``forensics formats`` or in detection.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, offset_seconds, rejects_of, split_match

# 2024-10-27 02:15:26[.ffffff][+01:00|Z][,id] message
_LINE = (
    r"^(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?)(?P<off>Z|[+-]\d\d:?\d\d)?"
    r"(?:,(?P<id>\d+))? (?P<msg>.*)$"
)
# Oct 27 02:15:26 host message (RFC 3164 style: no year)
_YEARLESS = r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<time>\d\d:\d\d:\d\d) (?P<msg>.*)$"


class _Naive(Parser):
    """Test parser: ISO-like local time, optional offset, optional id.

    Reference: tests/timing/fixture_parsers.py (test fixture format).
    """

    detectable = False
    use_ids = False

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        ok, bad = split_match(records, _LINE)
        text = pl.col("ts").str.replace("T", " ", literal=True)
        ts = (
            pl.when(text.str.contains(r"\."))
            .then(text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"))
            .otherwise(text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"))
        )
        cols = [
            "_rec",
            pl.concat_str([pl.col("ts"), pl.col("off").fill_null("")]).alias("time.original"),
            ts.alias("_ts"),
            offset_seconds(pl.col("off")).alias("_offset"),
            pl.col("msg").alias("message"),
            pl.when(pl.col("msg").str.starts_with("CONNECT"))
            .then(pl.lit("db_connect"))
            .otherwise(pl.lit("log_message"))
            .alias("event.action"),
        ]
        if self.use_ids:
            cols.append(pl.col("id").cast(pl.Int64, strict=False).alias("_order"))
        df = ok.select(cols)
        return ParseResult(events=df, rejects=rejects_of(bad, "not a test line"))


class NaiveIds(_Naive):
    """Test parser: naive local time with a monotonic id (like server_audit, Mediboard tables).

    Reference: tests/timing/fixture_parsers.py (test fixture format).
    """

    name = "test.naive_ids"
    use_ids = True


class NaiveNoIds(_Naive):
    """Test parser: naive local time without ids (like error logs, application.log).

    Reference: tests/timing/fixture_parsers.py (test fixture format).
    """

    name = "test.naive"


class Yearless(Parser):
    """Test parser: RFC 3164 style time without a year.

    Reference: tests/timing/fixture_parsers.py (test fixture format).
    """

    name = "test.yearless"
    detectable = False

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        ok, bad = split_match(records, _YEARLESS)
        day = pl.col("day").str.strip_chars().str.zfill(2)
        text = pl.concat_str([pl.lit("2000 "), pl.col("mon"), pl.lit(" "), day, pl.lit(" "), pl.col("time")])
        df = ok.select(
            "_rec",
            pl.concat_str([pl.col("mon"), pl.lit(" "), pl.col("day"), pl.lit(" "), pl.col("time")]).alias(
                "time.original"
            ),
            text.str.to_datetime("%Y %b %d %H:%M:%S", strict=False, time_unit="us").alias("_ts"),
            pl.lit(["year_missing"], dtype=pl.List(pl.String)).alias("time.flags"),
            pl.col("msg").alias("message"),
            pl.lit("log_message").alias("event.action"),
        )
        return ParseResult(events=df, rejects=rejects_of(bad, "not a test line"))


TEST_PARSERS: tuple[type[Parser], ...] = (NaiveIds, NaiveNoIds, Yearless)
