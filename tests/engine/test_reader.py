"""The lossless line reader and record grouping: nothing lost, nothing changed."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.accounting import FileReport
from forensics.intake.reader import MAX_LINE_BYTES, group_records, lines_frame, whole_records
from parsers.base import Parser


class _Single(Parser):
    name = "test.single"


class _Multi(Parser):
    name = "test.multi"
    multiline = True

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.starts_with("#")


def test_utf8_and_latin1_lines_keep_text_and_offsets() -> None:
    raw = "caf\u00e9 ok".encode() + b"\n" + "L\u00e9v\u00eaque".encode("latin-1") + b"\r\n" + b"plain"
    df = lines_frame(raw, 1, 0)
    assert df.get_column("text").to_list() == ["caf\u00e9 ok", "L\u00e9v\u00eaque", "plain"]
    assert df.get_column("latin1").to_list() == [False, True, False]
    # offsets are byte offsets in the file, whatever the encoding of each line
    assert df.get_column("offset").to_list() == [
        0,
        len("caf\u00e9 ok".encode()) + 1,
        len("caf\u00e9 ok".encode()) + 1 + 8 + 1,
    ]
    assert df.get_column("line").to_list() == [1, 2, 3]


def test_nul_and_control_characters_are_kept() -> None:
    df = lines_frame(b"a\x00b\x1b[31mred", 5, 100)
    assert df.get_column("text").to_list() == ["a\x00b\x1b[31mred"]
    assert df.get_column("line").to_list() == [5]
    assert df.get_column("offset").to_list() == [100]


def test_huge_line_is_truncated_and_the_next_line_keeps_its_position() -> None:
    big = b"x" * (MAX_LINE_BYTES + 10)
    df = lines_frame(big + b"\nnext", 1, 0)
    assert df.get_column("truncated").to_list() == [True, False]
    assert len(df.get_column("text")[0]) == MAX_LINE_BYTES
    assert df.get_column("offset")[1] == MAX_LINE_BYTES + 11
    assert df.get_column("line")[1] == 2


def test_multiline_grouping_trailing_blanks_and_orphans() -> None:
    raw = b"orphan\n# a\nbody1\n\nbody2\n\n\n# b\n\n"
    lines = lines_frame(raw.removesuffix(b"\n"), 1, 0)
    records, blanks, orphans = group_records(lines, _Multi())
    assert records.get_column("text").to_list() == ["# a\nbody1\n\nbody2", "# b"]
    assert records.get_column("line").to_list() == [2, 8]
    assert records.get_column("n_lines").to_list() == [4, 1]
    assert orphans.get_column("line").to_list() == [1]
    assert blanks.get_column("line").to_list() == [6, 7, 9]
    assert records.get_column("n_lines").sum() + blanks.height + orphans.height == lines.height


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=30))
def test_every_line_is_a_record_blank_or_orphan(lines_bytes: list[bytes]) -> None:
    raw = b"\n".join(lines_bytes)
    lines = lines_frame(raw, 1, 0)
    assert lines.height == len(lines_bytes)
    # byte offsets are exact whatever the bytes
    expected = []
    pos = 0
    for chunk in lines_bytes:
        expected.append(pos)
        pos += len(chunk) + 1
    assert lines.get_column("offset").to_list() == expected
    for parser in (_Single(), _Multi()):
        records, blanks, orphans = group_records(lines, parser)
        assert records.get_column("n_lines").sum() + blanks.height + orphans.height == lines.height


def _expected_lines(buf: bytes, first_line: int, first_offset: int) -> list[dict[str, object]]:
    """The line reader's contract spelled out line by line (the frame must equal it)."""
    rows: list[dict[str, object]] = []
    offset = first_offset
    for i, raw in enumerate(buf.split(b"\n")):
        try:
            text, latin1 = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, latin1 = raw.decode("latin-1"), True
        truncated = len(raw) > MAX_LINE_BYTES
        if truncated:
            text = text[:MAX_LINE_BYTES]  # characters, as the reader slices the decoded text
        rows.append(
            {
                "line": first_line + i,
                "offset": offset,
                "nbytes": len(raw),
                "text": text.removesuffix("\r"),
                "latin1": latin1,
                "truncated": truncated,
            }
        )
        offset += len(raw) + 1
    return rows


_LINE_BYTES = st.lists(
    st.sampled_from([b"a", b" ", b"\r", b"\xc3\xa9", b"\xe9", b"\x00", b"\xf0\x9f\x98\x80"]), max_size=8
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE_BYTES.map(b"".join), min_size=1, max_size=12))
def test_lines_frame_matches_the_line_by_line_contract(lines_bytes: list[bytes]) -> None:
    # CR inside and at the end of lines, UTF-8 and latin-1 lines mixed, empty lines
    buf = b"\n".join(lines_bytes)
    assert lines_frame(buf, 3, 17).to_dicts() == _expected_lines(buf, 3, 17)


def test_huge_lines_with_cr_and_latin1_follow_the_contract() -> None:
    # every path at once: truncation (ASCII, UTF-8 multi-byte, latin-1), CRLF, a final CR
    lines = [
        b"x" * (MAX_LINE_BYTES + 3) + b"\r",
        "caf\u00e9".encode() + b"\r",
        b"x" * (MAX_LINE_BYTES - 1) + b"\r",
        "\u00e9".encode() * (MAX_LINE_BYTES // 2 + 2) + b"\r",
        b"\xe9" * (MAX_LINE_BYTES + 1),
        b"L\xe9v\xeaque\r",
        b"",
        b"end\r",
    ]
    buf = b"\n".join(lines)
    df = lines_frame(buf, 1, 0)
    assert df.to_dicts() == _expected_lines(buf, 1, 0)
    assert df.get_column("truncated").to_list() == [True, False, False, True, True, False, False, False]
    # the same lines without any CR or huge line take the fast path and still agree
    small = b"\n".join(line.rstrip(b"\r") for line in lines if len(line) <= MAX_LINE_BYTES)
    assert lines_frame(small, 1, 0).to_dicts() == _expected_lines(small, 1, 0)


_TRICKY = st.sampled_from(
    [
        b"\xed\xa0\x80",
        b"\xed\x9f\xbf",
        b"\xc0\x80",
        b"\xc2\x80",
        b"\xf4\x90\x80\x80",
        b"\xf4\x8f\xbf\xbf",
        b"\xef\xbf\xbf",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(st.binary(max_size=6), _TRICKY), max_size=4).map(b"".join), min_size=1, max_size=8))
def test_utf8_validity_is_decided_like_python(parts: list[bytes]) -> None:
    # the fast path lets polars validate UTF-8: surrogates, overlong forms and code points
    # past U+10FFFF must be refused exactly where Python refuses them
    buf = b"\n".join(part.replace(b"\n", b" ") for part in parts)
    assert lines_frame(buf, 1, 0).to_dicts() == _expected_lines(buf, 1, 0)


class _QuoteCount(Parser):
    """A record starts where the quotes above it balance (csv's rule: it depends on the lines before)."""

    name = "test.quotes"
    multiline = True
    calls = 0

    def record_start(self, text: pl.Expr) -> pl.Expr:
        type(self).calls += 1
        return text.str.count_matches('"', literal=True).cum_sum().shift(1).fill_null(0) % 2 == 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["a", '"b', 'c"', '"d"', "", "  "]), min_size=1, max_size=40),
    st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=6),
)
def test_records_read_in_chunks_are_the_records_of_the_whole_file(texts: list[str], cuts: list[int]) -> None:
    # the reader computes record_start once per chunk and group_records reuses it: the records,
    # blanks and orphans must be those of the whole file grouped at once, whatever the cuts
    whole = lines_frame("\n".join(texts).encode(), 1, 0)
    chunks, start = [], 0
    for size in cuts:
        if start < whole.height:
            chunks.append(whole.slice(start, size))
            start += size
    if start < whole.height:
        chunks.append(whole.slice(start))
    parser = _QuoteCount()
    _QuoteCount.calls = 0
    got = [group_records(c, parser) for c in whole_records(iter(chunks), parser, FileReport("x", 0, ""))]
    # once per chunk (held-back lines are counted again with the next chunk's), never per step
    assert _QuoteCount.calls <= len(chunks) + 1
    records, blanks, orphans = group_records(whole, parser)
    lines_of = lambda frames: sorted(x for f in frames for x in f.get_column("line").to_list())  # noqa: E731
    assert lines_of(g[0] for g in got) == records.get_column("line").to_list()
    assert [t for g in got for t in g[0].get_column("text").to_list()] == records.get_column("text").to_list()
    assert lines_of(g[1] for g in got) == sorted(blanks.get_column("line").to_list())
    assert lines_of(g[2] for g in got) == sorted(orphans.get_column("line").to_list())
    for g in got:
        assert all("_start" not in frame.columns for frame in g)


def _grouped_by_hand(texts: list[str]) -> tuple[list[tuple[int, int, str]], list[int], list[int]]:
    """The grouping contract line by line: (records as (line, n_lines, text), blank lines, orphan lines)."""
    records: list[list[int]] = []
    blanks: list[int] = []
    orphans: list[int] = []
    for i, text in enumerate(texts, 1):
        blank = text.strip() == ""
        if text.startswith("#") and not blank:
            records.append([i])
        elif not records:
            (blanks if blank else orphans).append(i)
        else:
            records[-1].append(i)
    out = []
    for rec in records:
        while len(rec) > 1 and texts[rec[-1] - 1].strip() == "":  # trailing blank lines are blank
            blanks.append(rec.pop())
        out.append((rec[0], len(rec), "\n".join(texts[i - 1] for i in rec)))
    return out, sorted(blanks), orphans


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["# a", "#", "b", "", "  ", "c d", "\t"]), min_size=1, max_size=40))
def test_multiline_grouping_follows_the_contract(texts: list[str]) -> None:
    lines = lines_frame("\n".join(texts).encode(), 1, 0)
    records, blanks, orphans = group_records(lines, _Multi())
    expected, expected_blanks, expected_orphans = _grouped_by_hand(texts)
    assert list(zip(*[records.get_column(c).to_list() for c in ("line", "n_lines", "text")])) == expected
    assert records.get_column("_rec").to_list() == list(range(len(expected)))
    assert sorted(blanks.get_column("line").to_list()) == expected_blanks
    assert orphans.get_column("line").to_list() == expected_orphans
