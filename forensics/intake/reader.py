"""The lossless line reader: bytes of a file -> numbered lines -> records, chunk by chunk.

A file is read in buffers of whole lines of about ``CHUNK_BYTES`` (a line longer than
``MAX_PENDING`` is cut, with a warning); each buffer becomes a lines frame (``line``,
``offset``, ``nbytes``, ``text``, ``latin1``, ``truncated``: UTF-8 where valid, latin-1
otherwise, nothing dropped); a multi-line record is held back until its chunk is complete;
and the lines are grouped into the records a parser receives (``group_records``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from forensics.ingest_messages import note
from forensics.intake.prefetch import prefetch
from forensics.intake.stream import StreamStatus, open_stream
from parsers.base import Parser

if TYPE_CHECKING:
    from forensics.intake.accounting import FileReport


#: Lines longer than this are truncated (flagged); the next line keeps its number/offset.
MAX_LINE_BYTES = 1 << 20


#: Column the reader adds to the lines of a multi-line format: ``record_start`` of each line.
START = "_start"

LINE_COLUMNS = {
    "line": pl.Int64,
    "offset": pl.Int64,
    "nbytes": pl.Int64,
    "text": pl.String,
    "latin1": pl.Boolean,
    "truncated": pl.Boolean,
}


def decode_lines(buf: bytes) -> tuple[pl.Series, pl.Series | None]:
    """Split ``buf`` on ``\\n`` and decode each line: UTF-8 where valid, otherwise latin-1.

    Returns the texts and, when any line needed latin-1, a per-line flag.  The common case
    (all UTF-8) never builds Python strings: the byte lines become a Binary column that
    polars validates and reads as text in one cast.  Once a line is not UTF-8, Python
    decides line by line, but only for the lines that are not ASCII; a latin-1 line is
    re-encoded as UTF-8 bytes in place, and the column is read as text in one cast again.
    """
    raws = buf.split(b"\n")
    try:
        return pl.Series("text", raws, dtype=pl.Binary).cast(pl.String), None
    except pl.exceptions.PolarsError:  # not UTF-8 somewhere (the cast refuses invalid bytes)
        pass
    latin: list[int] = []
    for i, raw in enumerate(raws):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raws[i] = raw.decode("latin-1").encode("utf-8")
            latin.append(i)
    texts = pl.Series("text", raws, dtype=pl.Binary).cast(pl.String)
    flags = pl.Series("latin1", [], dtype=pl.Boolean).extend_constant(False, len(raws))
    return texts, flags.scatter(latin, True)


def lines_frame(buf: bytes, first_line: int, first_offset: int) -> pl.DataFrame:
    """Turn a buffer of whole lines (no trailing newline) into the lines frame.

    ``line`` is 1-based, ``offset`` the byte offset of the line in the decompressed file,
    ``nbytes`` its length without the terminator.  A trailing ``\\r`` is dropped from
    ``text`` (it is the terminator of CRLF files, not content); lines over
    ``MAX_LINE_BYTES`` are truncated and flagged.
    """
    texts, latin1 = decode_lines(buf)
    n = len(texts)
    df = pl.DataFrame([texts])
    if latin1 is None:
        df = df.with_columns(latin1=pl.lit(False))
        nbytes = pl.col("text").str.len_bytes()
    else:
        df = df.with_columns(latin1)
        nbytes = (
            pl.when(pl.col("latin1")).then(pl.col("text").str.len_chars()).otherwise(pl.col("text").str.len_bytes())
        )
    df = df.with_columns(nbytes=nbytes.cast(pl.Int64))
    df = df.with_columns(
        line=pl.int_range(first_line, first_line + n, dtype=pl.Int64),
        offset=(pl.col("nbytes") + 1).cum_sum().shift(1, fill_value=0) + first_offset,
        truncated=pl.col("nbytes") > MAX_LINE_BYTES,
    )
    # Rewriting the text column costs more than the rest of the frame: only pay for the
    # truncation and the CR strip when the buffer needs them (checked on the bytes).
    text: pl.Expr | None = None
    if n and df.get_column("nbytes").max() > MAX_LINE_BYTES:  # type: ignore[operator]
        text = pl.when(pl.col("truncated")).then(pl.col("text").str.slice(0, MAX_LINE_BYTES)).otherwise(pl.col("text"))
    if b"\r" in buf:
        text = (pl.col("text") if text is None else text).str.strip_suffix("\r")
    if text is not None:
        df = df.with_columns(text=text)
    return df.select(list(LINE_COLUMNS))


def group_records(lines: pl.DataFrame, parser: Parser) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Group physical lines into records for ``parser``.

    Returns (records, blank lines, orphan lines).  Records have ``_rec``, ``line``,
    ``offset``, ``n_lines``, ``text`` (lines joined by ``\\n``), ``latin1``, ``truncated``.
    For single-line formats every non-blank line is a record.  For multi-line formats a
    record runs from a start line to the next; trailing blank lines of a record count as
    blank; lines before the first start are orphans (the engine rejects them).
    """
    blank = parser.blank(pl.col("text"))
    multiline = parser.multiline
    if multiline:
        if START not in lines.columns:
            lines = with_starts(lines, parser)
        # the usual case even for multi-line formats: every non-blank line starts a record;
        # then records are lines, and grouping them would only cost time
        starts = lines.select((pl.col(START) | blank).all()).item()
        multiline = not starts
    lines = lines.drop(START, strict=False) if not multiline else lines
    if not multiline:
        is_blank_line = lines.select(blank).to_series()
        if is_blank_line.any() or is_blank_line.null_count():
            blanks, kept = lines.filter(blank), lines.filter(~blank)
        else:  # the common case: no blank line, no copy of the text column
            blanks, kept = lines.clear(), lines
        records = (
            kept.with_columns(n_lines=pl.lit(1, dtype=pl.Int32))
            .with_row_index("_rec")
            .with_columns(pl.col("_rec").cast(pl.Int64))
        )
        return records.select(_record_columns()), blanks, lines.clear()
    df = lines.with_columns(
        pl.col(START) & ~blank,
        _blank=blank,
    ).with_columns(_grp=pl.col(START).cum_sum())
    # a blank line is trailing when no non-blank line follows it inside its record, that is
    # when the next non-blank line starts a record (or there is none): a backward fill, not
    # a window over the records
    next_start = pl.when(~pl.col("_blank")).then(pl.col(START)).backward_fill().fill_null(True)
    df = df.with_columns(_trailing=pl.col("_blank") & next_start)
    orphans = df.filter((pl.col("_grp") == 0) & ~pl.col("_blank")).select(list(LINE_COLUMNS))
    blanks = df.filter(pl.col("_trailing") | ((pl.col("_grp") == 0) & pl.col("_blank"))).select(list(LINE_COLUMNS))
    body = df.filter((pl.col("_grp") > 0) & ~pl.col("_trailing"))
    # most records of most multi-line logs are one line: those are taken as they are and only
    # the others are grouped (joining texts per group is the costly part), then merged in order
    body = body.with_columns(_alone=pl.col(START) & pl.col(START).shift(-1).fill_null(True))
    alone = body.filter(pl.col("_alone")).select(
        "_grp", "line", "offset", pl.lit(1, dtype=pl.Int32).alias("n_lines"), "text", "latin1", "truncated"
    )
    joined = (
        body.filter(~pl.col("_alone"))
        .group_by("_grp", maintain_order=True)
        .agg(
            line=pl.col("line").first(),
            offset=pl.col("offset").first(),
            n_lines=pl.len().cast(pl.Int32),
            text=pl.col("text").str.join("\n"),
            latin1=pl.col("latin1").any(),
            truncated=pl.col("truncated").any(),
        )
    )
    records = alone if joined.height == 0 else joined if alone.height == 0 else alone.merge_sorted(joined, key="_grp")
    records = records.drop("_grp").with_row_index("_rec").with_columns(pl.col("_rec").cast(pl.Int64))
    return records.select(_record_columns()), blanks, orphans


def _record_columns() -> list[str]:
    return ["_rec", "line", "offset", "n_lines", "text", "latin1", "truncated"]


def records_from_text(data: bytes | str, parser: Parser) -> pl.DataFrame:
    """Records of a small in-memory log (tests, detection samples)."""
    buf = data.encode("utf-8") if isinstance(data, str) else data
    if buf.endswith(b"\n"):
        buf = buf[:-1]
    records, _, _ = group_records(lines_frame(buf, 1, 0), parser)
    return records


#: Bytes of decompressed text handled per chunk.
CHUNK_BYTES = 16 << 20


#: A single line longer than this is cut into pieces (the reader still flags truncation);
#: a multi-line record held back between chunks is not held past it either.  With the
#: decompressor's one-block steps this bounds the reader's memory whatever the input.
MAX_PENDING = 32 << 20


def _line_chunks(stream: Iterator[bytes], report: FileReport) -> Iterator[bytes]:
    """Buffers of whole lines (without their final newline) of about CHUNK_BYTES each.

    Every buffer holds at least one line (``b""`` is one empty line).
    """
    pending = bytearray()
    clear = 0  # pending[:clear] is known to hold no line end (a long line being gathered)
    warned = False
    for block in stream:
        pending += block
        while len(pending) >= CHUNK_BYTES:
            # the last line end inside the first CHUNK_BYTES (a longer line: the end of that line);
            # what was searched before is not searched again (a long line arrives block by block)
            cut = pending.rfind(b"\n", 0, CHUNK_BYTES) if clear == 0 else -1
            if cut == -1:
                cut = pending.find(b"\n", max(clear, CHUNK_BYTES), MAX_PENDING)
            if cut == -1:
                if len(pending) < MAX_PENDING:
                    clear = len(pending)
                    break  # wait for the end of this long line
                # no line end in MAX_PENDING bytes: that much becomes one line, and the rest
                # of the line the next one(s); however the bytes came, nothing longer is held
                if not warned:
                    report.warnings.append(note("read.line_split", n=MAX_PENDING))
                    warned = True
                yield bytes(pending[:MAX_PENDING])
                del pending[:MAX_PENDING]
                clear = 0
                continue
            yield bytes(pending[:cut])
            del pending[: cut + 1]
            clear = 0
    if pending:
        if pending.endswith(b"\n"):
            yield bytes(pending[:-1])
        else:
            report.final_newline = False
            report.warnings.append(note("read.no_final_newline"))
            yield bytes(pending)


def with_starts(lines: pl.DataFrame, parser: Parser) -> pl.DataFrame:
    """``lines`` with ``START``: does each line start a record (``parser.record_start``)?

    The reader needs it to hold back a chunk's last record and ``group_records`` to group
    the rest; for some formats it is a regex over every line (a syslog header), so it is
    computed once per line and carried with the lines instead of once per step.
    """
    return lines.with_columns(parser.record_start(pl.col("text")).fill_null(False).alias(START))


def _hold_back_last_record(lines: pl.DataFrame, parser: Parser) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Keep the last (possibly unfinished) record of a chunk for the next chunk.

    Both parts carry ``START``, computed here over the whole chunk (``group_records`` reads it).
    """
    if START not in lines.columns:
        lines = with_starts(lines, parser)
    starts = lines.filter(pl.col(START))
    if starts.height == 0:
        return lines.clear(), lines
    cut = starts.get_column("line").max()
    return lines.filter(pl.col("line") < cut), lines.filter(pl.col("line") >= cut)


def file_lines(path: Path, status: StreamStatus, max_decompressed: int, report: FileReport) -> Iterator[pl.DataFrame]:
    """The lines frames of one file, chunk by chunk, numbered from its first line and byte."""
    next_line, next_offset = 1, 0
    for buf in _line_chunks(open_stream(path, status, max_decompressed), report):
        lines = lines_frame(buf, next_line, next_offset)
        next_line += lines.height
        next_offset += len(buf) + 1
        yield lines


def whole_records(chunks: Iterator[pl.DataFrame], parser: Parser, report: FileReport) -> Iterator[pl.DataFrame]:
    """Chunks cut between records (a multi-line record is held back for the next chunk)."""
    carry: pl.DataFrame | None = None
    warned_record: list[bool] = []
    # the next chunk is read, decompressed and split while this one is parsed
    for lines in prefetch(chunks):
        report.lines_read += lines.height
        if carry is not None:
            # the held-back lines' starts are computed again with the new chunk's (csv's
            # record_start counts quotes from the first line of the frame it is given)
            lines = pl.concat([carry.drop(START), lines])
            carry = None
        if parser.multiline:
            lines, carry = _hold_back_last_record(lines, parser)
            if carry is not None and carry.estimated_size() > MAX_PENDING:
                # a record that never ends (continuation lines only) is not held whole:
                # what is held goes on now; later lines without a start are rejects
                if not warned_record:
                    report.warnings.append(note("read.record_split", n=MAX_PENDING))
                    warned_record.append(True)
                lines, carry = pl.concat([lines, carry]), None
        if lines.height:
            yield lines
    if carry is not None and carry.height:
        yield carry.drop(START)


def dense_records(rec_meta: pl.DataFrame) -> bool:
    """Does ``_rec`` number the records 0..n-1 in order (what ``group_records`` makes)?"""
    return rec_meta.get_column("_rec").equals(pl.int_range(rec_meta.height, dtype=pl.Int64, eager=True))
