"""Properties of the dump reader: values written by MySQL read back exactly; every record is accounted for."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.app.mediboard_dump import split_fields, split_fields_python, with_fields
from parsers.base import get_parser

#: Latin-1 text that can never look like UTF-8 (no byte in 0x80-0xBF), so the reader's
#: UTF-8-else-latin-1 decoding gives it back.  No CR: the reader drops a line's final CR.
LATIN1_SAFE = st.text(alphabet=st.sampled_from(list("abcXYZ019 <>'\"&;=\t\n\\\0éèàçêôÉÀ")), max_size=12)
UTF8_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
    max_size=12,
)
NO_NEWLINE = st.text(alphabet=st.sampled_from(list("abc 019<>\\\téÀ")), max_size=12)


def outfile_field(value: str | None) -> str:
    """``SELECT ... INTO OUTFILE`` escaping."""
    if value is None:
        return "\\N"
    return value.replace("\\", "\\\\").replace("\t", "\\\t").replace("\n", "\\\n").replace("\0", "\\0")


def batch_field(value: str | None) -> str:
    """``mysql --batch`` escaping."""
    if value is None:
        return "NULL"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\0", "\\0")


COLUMNS = [
    "user_authentication_error_id",
    "user_id",
    "login_value",
    "datetime",
    "auth_method",
    "identifier",
    "ip_address",
    "message",
]


def _rows(texts: st.SearchStrategy[str]) -> st.SearchStrategy[list[list[str | None]]]:
    value = st.one_of(st.none(), texts)
    row = st.tuples(value, value, value, value, st.one_of(st.none(), NO_NEWLINE))
    return st.lists(row.map(list), min_size=1, max_size=6)


def _read_back(data: bytes) -> pl.DataFrame:
    parser = get_parser("mediboard.user_authentication_error")
    records = records_from_text(data, parser)
    result = parser.parse(records, {})
    assert result.rejects.height == 0, result.rejects.to_dicts()
    return result.events.sort("_rec")


def _check(events: pl.DataFrame, rows: list[list[str | None]]) -> None:
    assert events.height == len(rows)
    got_names = events.get_column("user.name").to_list()
    got_reasons = events.get_column("event.reason").to_list()
    got_ips = events.get_column("source.ip").to_list()
    for i, (login, _method, _ident, ip, msg) in enumerate(rows):
        assert (got_names[i], got_ips[i], got_reasons[i]) == (login, ip, msg), i


def _line(i: int, row: list[str | None], field) -> str:
    login, method, ident, ip, msg = row
    values = [str(1000 + i), None, login, "2024-10-25 01:07:55", method, ident, ip, msg]
    return "\t".join(field(v) for v in values)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows(LATIN1_SAFE))
def test_outfile_latin1_values_read_back(rows: list[list[str | None]]) -> None:
    text = "".join(_line(i, r, outfile_field) + "\n" for i, r in enumerate(rows))
    _check(_read_back(text.encode("latin-1")), rows)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows(UTF8_TEXT))
def test_outfile_utf8_values_read_back(rows: list[list[str | None]]) -> None:
    text = "".join(_line(i, r, outfile_field) + "\n" for i, r in enumerate(rows))
    _check(_read_back(text.encode("utf-8")), rows)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rows(UTF8_TEXT.filter(lambda v: v != "NULL")))
def test_batch_values_read_back(rows: list[list[str | None]]) -> None:
    """In a --batch dump the text NULL and a NULL look the same: the test leaves that text out."""
    header = "\t".join(COLUMNS)
    text = header + "\n" + "".join(_line(i, r, batch_field) + "\n" for i, r in enumerate(rows))
    _check(_read_back(text.encode("utf-8")), rows)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab\t\\\nN")), max_size=40))
def test_vectorised_split_matches_the_reference(text: str) -> None:
    got = pl.DataFrame({"t": [text]}).select(split_fields(pl.col("t"))).item().to_list()
    assert got == split_fields_python(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab\t\\\nN")), max_size=30), max_size=8))
def test_split_with_the_fast_path_matches_the_reference_row_by_row(texts: list[str]) -> None:
    """Rows without a backslash take a plain tab split, the others the regex: same fields, same order."""
    got = with_fields(pl.DataFrame({"text": texts}, schema={"text": pl.String}))
    assert got.get_column("text").to_list() == texts
    assert [f.to_list() for f in got.get_column("_fields")] == [split_fields_python(t) for t in texts]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.lists(
                st.text(alphabet=st.sampled_from(list("0123 -:\\Nab\t")), max_size=12), min_size=1, max_size=10
            ).map("\t".join),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(
        ["mediboard.user_authentication_error", "mediboard.user_log", "mediboard.users", "mediboard.user_agent"]
    ),
)
def test_every_record_is_an_event_a_reject_or_meta(lines: list[str], name: str) -> None:
    parser = get_parser(name)
    records = records_from_text("\n".join(line.replace("\r", " ") for line in lines), parser)
    result = parser.parse(records, {})
    events = set(result.events.get_column("_rec").to_list())
    rejects = set(result.rejects.get_column("_rec").to_list())
    meta = set(result.meta.get_column("_rec").to_list())
    assert events | rejects | meta == set(records.get_column("_rec").to_list())
    assert not (events & rejects) and not (meta & rejects)


def test_grouping_follows_escaped_newlines() -> None:
    text = "1\tx\\\ny\\\\\n2\tz\\\n\\\nw\n3\tend\\\\\\\nmore\n"
    records = records_from_text(text, get_parser("mediboard.users"))  # every table groups records alike
    assert records.get_column("n_lines").to_list() == [2, 3, 2]


def test_a_continuation_line_of_tabs_is_not_blank() -> None:
    """``\\`` + newline then only tabs: the value ends with a newline and the next fields are empty."""
    line = "1000\t\\N\tx\t2024-10-25 01:07:55\t\\N\t\\N\t\\\n\t\n"
    events = _read_back(line.encode())
    assert (events.get_column("source.ip")[0], events.get_column("event.reason")[0]) == ("\n", "")


def test_a_line_of_tabs_is_a_row_not_a_blank() -> None:
    parser = get_parser("mediboard.user_authentication_error")
    records = records_from_text("\t\t\t\t\t\t\t\n   \n", parser)
    assert records.height == 1  # the spaces-only line is blank, the tabs-only line is a (bad) row
    result = parser.parse(records, {})
    assert result.rejects.get_column("_rec").to_list() == [0]
