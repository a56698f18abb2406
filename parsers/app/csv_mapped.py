"""Generic CSV audit log, mapped to the event schema by the case config (``format = "csv"``).

The first line is the header (meta); its names are the source keys of the mapping
(``fields``, ``values``, ``timestamp_format``: see ``parsers.app.generic_map``).
``delimiter`` (default ``,``) sets the separator.  Quoting follows RFC 4180: a quoted
field may hold the delimiter, doubled quotes and newlines, so a record runs until its
quotes balance (a record starts at a line where the quotes of the previous lines are
balanced).  Lines without quotes are split with one vectorised expression; quoted ones
with Python's csv module.  Empty cells are null.  Unmapped columns are kept in
``labels`` (and the source value of an ``event.action``/``event.outcome`` that is not in
the vocabulary), so nothing is dropped.  A row whose field count differs from the
header is a reject.  ``encoding`` (default: UTF-8, else latin-1 per line, as the
reader decodes) re-decodes lines that were not valid UTF-8 with the given codec
(``cp1252``...).  This parser is only chosen by the case config.

Reference: https://www.rfc-editor.org/rfc/rfc4180
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any

import polars as pl

from parsers.app.common import labels_json
from parsers.app.generic_map import MappingError, check_mapping, mapped_events
from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.common import map_distinct


def split_csv_line(text: str, delimiter: str) -> list[str] | None:
    """Fields of one CSV record (None when its quoting is broken)."""
    try:
        rows = list(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error:
        try:  # a record with embedded newlines: let the reader see them as line ends
            rows = list(csv.reader(text.split("\n"), delimiter=delimiter, strict=True))
        except csv.Error:
            return None
    if len(rows) != 1:
        return None
    return rows[0]


@register
class CsvMapped(Parser):
    """Generic CSV audit log with a header line, mapped by the case config (fields, values, timestamp_format)."""

    name = "csv"
    detectable = False
    multiline = True
    option_keys = ("fields", "values", "timestamp_format", "delimiter", "encoding")
    actions = ("*",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fields, self.values = check_mapping(self.options, self.name)
        delimiter = self.options.get("delimiter", ",")
        if delimiter == "\\t":
            delimiter = "\t"
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\n\r':
            raise MappingError(f"delimiter must be one character other than a quote or newline, not {delimiter!r}")
        self.delimiter = delimiter
        self.encoding = self.options.get("encoding")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        quotes = text.str.count_matches('"', literal=True).cum_sum().shift(1).fill_null(0)
        return quotes % 2 == 0

    def _redecode(self, records: pl.DataFrame) -> pl.DataFrame:
        if not self.encoding or str(self.encoding).lower().replace("_", "-") in ("utf-8", "utf8", "latin-1", "latin1"):
            return records
        codec = str(self.encoding)

        def redecode(value: str) -> str:
            try:
                return value.encode("latin-1").decode(codec)
            except (UnicodeError, LookupError):
                return value

        latin = records.filter(pl.col("latin1"))
        if latin.height == 0:
            return records
        fixed = map_distinct(latin, "text", redecode, "")
        return pl.concat([records.filter(~pl.col("latin1")), fixed]).sort("_rec")

    def _split(self, records: pl.DataFrame) -> pl.DataFrame:
        """``_fields`` (List[String]) for every record; null when the quoting is broken."""
        quoted = pl.col("text").str.contains('"', literal=True)
        plain = records.filter(~quoted).with_columns(_fields=pl.col("text").str.split(self.delimiter))
        hard = records.filter(quoted)
        if hard.height:
            texts = hard.get_column("text").to_list()
            parsed = [split_csv_line(t, self.delimiter) for t in texts]
            hard = hard.with_columns(_field_lists(parsed, texts))
        else:
            hard = hard.with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("_fields"))
        return pl.concat([plain, hard]).sort("_rec")

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        records = self._split(self._redecode(records))
        meta = records.clear().select("_rec", pl.lit("").alias("reason"))
        if "header" not in state and records.height:
            first = records.head(1)
            header = first.get_column("_fields")[0]
            state["header"] = _unique([str(h).strip() for h in (header.to_list() if header is not None else [])])
            meta = first.select("_rec", pl.lit("CSV header").alias("reason"))
            records = records.slice(1)
        header: list[str] = state.get("header", [])
        n = len(header)
        broken = records.filter(pl.col("_fields").is_null())
        records = records.filter(pl.col("_fields").is_not_null())
        wrong = records.filter(pl.col("_fields").list.len() != n)
        good = records.filter(pl.col("_fields").list.len() == n)
        rejects = [
            rejects_of(broken, "broken CSV quoting"),
            wrong.select(
                "_rec",
                pl.format("{} fields, the header has {}", pl.col("_fields").list.len(), pl.lit(n)).alias("reason"),
            ),
        ]
        cols = [f"_c{i}" for i in range(n)]
        df = good.select(
            "_rec",
            *[
                pl.col("_fields").list.get(i, null_on_oob=True).pipe(lambda e: pl.when(e != "").then(e)).alias(c)
                for i, c in enumerate(cols)
            ],
            pl.lit(None, dtype=pl.String).alias("_missing"),
        )
        by_name = dict(zip(header, cols))
        source_of = {column: by_name.get(key, "_missing") for column, key in self.fields.items()}
        mapped_keys = set(self.fields.values())
        kept = {h: pl.col(by_name[h]) for h in header if h not in mapped_keys}
        for column in ("event.action", "event.outcome"):
            key = self.fields.get(column)
            if key in by_name:
                kept[key] = pl.col(by_name[key])
        labels = labels_json(kept)
        events, time_rejects = mapped_events(
            df, self.fields, self.values, self.options.get("timestamp_format"), labels, source_of
        )
        rejects.append(time_rejects)
        return ParseResult(events=events, rejects=pl.concat(rejects), meta=meta)


#: characters that may join a record's fields for one vectorised split back (one absent from the text)
_JOINERS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x00")


def _field_lists(parsed: list[list[str] | None], texts: list[str]) -> pl.Series:
    """``parsed`` as the List(String) column ``_fields`` (None stays null).

    Building a list column from Python lists costs more than parsing them: the fields are
    joined by a character that occurs in none of the texts (so in no field) and split back
    in one expression.  Without such a character, or with a record of no field at all, the
    lists are handed over as they are.
    """
    joiner = next((j for j in _JOINERS if not any(j in t for t in texts)), None)
    if joiner is None or any(fields == [] for fields in parsed):
        return pl.Series("_fields", parsed, dtype=pl.List(pl.String))
    joined = pl.Series("_fields", [None if f is None else joiner.join(f) for f in parsed], dtype=pl.String)
    return joined.str.split(joiner)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out
