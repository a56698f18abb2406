"""Generic JSON-lines audit log, mapped to the event schema by the case config (``format = "jsonl"``).

One JSON object per line.  The mapping (``fields``, ``values``, ``timestamp_format``)
is described in ``parsers.app.generic_map``; dotted keys reach into nested objects
(``client.ip``) and each value is read with a JSON path, without a Python loop per line.
``labels`` holds the whole source object as written, so no key is ever dropped (mapped
keys are also in their schema columns).  A line that is not a JSON object is a reject.
This parser is only chosen by the case config (it is not auto-detected).

Reference: https://jsonlines.org/
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from parsers.app.generic_map import check_mapping, mapped_events
from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.json_fields import json_fields


@register
class JsonLinesMapped(Parser):
    """Generic JSON-lines audit log, mapped by the case config (fields, values, timestamp_format)."""

    name = "jsonl"
    chunk_independent = True
    detectable = False
    option_keys = ("fields", "values", "timestamp_format")
    #: Any action: the mapping decides (unknown values become ``log_message``).
    actions = ("*",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fields, self.values = check_mapping(self.options, self.name)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        # the line parsed once: its compact text says whether it is JSON and gives json_fields its start
        df = records.with_columns(_canon=text.str.json_path_match("$"))
        is_object = text.str.strip_chars().str.starts_with("{") & pl.col("_canon").is_not_null()
        df = df.with_columns(_ok=is_object.fill_null(False))
        bad = df.filter(~pl.col("_ok"))
        ok = df.filter(pl.col("_ok"))
        keys = sorted(set(self.fields.values()))
        source_of = {column: f"_src{keys.index(key)}" for column, key in self.fields.items()}
        ok = json_fields(
            ok.select("_rec", "text", "_canon", pl.col("text").str.strip_chars().alias("_raw")),
            "text",
            {f"_src{i}": tuple(k.split(".")) for i, k in enumerate(keys)},
            canonical="_canon",
        ).drop("text", "_canon")
        events, rejects = mapped_events(
            ok, self.fields, self.values, self.options.get("timestamp_format"), pl.col("_raw"), source_of
        )
        return ParseResult(events=events, rejects=pl.concat([rejects_of(bad, "not a JSON object"), rejects]))
