"""Parsing chunks ahead of the engine, and a failing record costs only itself.

A parser that carries state from chunk to chunk parses one chunk ahead in one thread; a
``chunk_independent`` parser parses several chunks at once.  A chunk whose parse raises
is parsed again in halves (``parsers.base.parse_isolating``), so only the records that
make the parser fail become rejects.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from forensics.intake.prefetch import prefetch
from forensics.intake.reader import group_records
from parsers.base import Parser, ParseResult, ParserState, parse_isolating

#: Chunks of one file parsed at once by a ``chunk_independent`` parser.
PARSE_WORKERS = min(2, os.cpu_count() or 1)


@dataclass
class Parsed:
    """One chunk of lines, grouped into records and parsed."""

    lines: pl.DataFrame
    records: pl.DataFrame
    blanks: pl.DataFrame
    orphans: pl.DataFrame
    result: ParseResult | None
    error: str | None = None


def _parse_chunk(lines: pl.DataFrame, parser: Parser, state: ParserState) -> Parsed:
    records, blanks, orphans = group_records(lines, parser)
    if not records.height:
        return Parsed(lines, records, blanks, orphans, None)
    # a failing parse is retried in halves so that only the records that fail are rejects
    result, errors = parse_isolating(parser, records, state)
    if not errors:
        return Parsed(lines, records, blanks, orphans, result)
    failed = result.rejects.filter(pl.col("reason").is_in(errors)).height
    summary = f"{failed} record(s) made the parser fail and are rejects carrying the error; first: {errors[0]}"
    return Parsed(lines, records, blanks, orphans, result, summary)


def parse_ahead(chunks: Iterator[pl.DataFrame], parser: Parser, state: ParserState) -> Iterator[Parsed]:
    """Parsed chunks in file order, parsed ahead of the engine's own work on them.

    A parser that carries state from chunk to chunk parses in one thread, in order, one
    chunk ahead.  A ``chunk_independent`` parser parses several chunks at once: the first
    chunk alone (its state hints, such as which layout to try first, are then frozen),
    every later chunk with its own copy of that state, so the result never depends on
    which thread finished first.
    """
    if not parser.chunk_independent or PARSE_WORKERS < 2:
        yield from prefetch(_parse_chunk(c, parser, state) for c in chunks)
        return
    first = next(chunks, None)
    if first is None:
        return
    yield _parse_chunk(first, parser, state)
    frozen = state.for_chunk()  # the hints the first chunk left, for every later chunk

    with ThreadPoolExecutor(max_workers=PARSE_WORKERS, thread_name_prefix="parse") as pool:
        pending: deque[Future[Parsed]] = deque()
        for lines in chunks:
            pending.append(pool.submit(_parse_chunk, lines, parser, frozen.for_chunk()))
            if len(pending) > PARSE_WORKERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
