"""The lossless line reader and record grouping: nothing lost, nothing changed."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.base import MAX_LINE_BYTES, Parser, group_records, lines_frame


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
