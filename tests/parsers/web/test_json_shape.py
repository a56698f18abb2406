"""The JSON edge decode's slow path: the suspect test, the decoder's order, the same output as before.

``decode_json`` no longer reads every line of a failing chunk with Python's parser nor
decodes each wrong-shaped line alone: these tests check, on random lines written to be
hostile (duplicate keys, escaped keys, numbers spelled several ways, nulls where objects
belong, lists of objects, broken text), that the walk names the node where the decoder
stops with the decoder's own words, and that ``decode_json`` gives the rows and rejects of
the implementation it replaced (``json_reference.old_decode_json``).
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.web import edge, json_shape
from parsers.web.caddy import RECORD as CADDY
from tests.parsers.web.json_reference import old_decode_json
from tests.parsers.web.test_edge_parsers import mutated

S = pl.String
#: nested structs, lists of strings and a list of structs (read column by column by the decoder)
DTYPE = pl.Struct(
    {
        "a": S,
        "b": pl.Struct({"c": S, "d": pl.List(S), "e": pl.Struct({"a": S})}),
        "l": pl.List(S),
        "m": pl.List(pl.Struct({"c": S, "d": pl.List(S)})),
    }
)
KEYS = ["a", "b", "c", "d", "e", "l", "m", "x"]
NUMBERS = ["0", "-0", "1", "-1", "1.0", "1.00", "1e5", "1E+2", "-0.0", "0.5", "1.5e-05"]
NUMBERS += ["18446744073709551616", "-9223372036854775809", "123456789012345678901234567890", "1e400"]
WS = st.sampled_from(["", "", " ", "\t", "  "])


def _key(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(KEYS))
    if draw(st.integers(0, 9)) == 0:  # the same key written with an escape
        return f'"\\u{ord(key[0]):04x}{key[1:]}"'
    return json.dumps(key)


scalars = st.one_of(
    st.sampled_from([*NUMBERS, "true", "false", "null", '"\\ud800"', '"x\\"y"', '"{\\"a\\":[1]}"']),
    st.text(max_size=5).map(json.dumps),
    st.text(max_size=4).map(lambda s: json.dumps(s, ensure_ascii=False)),
)


@st.composite
def objects(draw: st.DrawFn, children: st.SearchStrategy[str]) -> str:
    pairs = [f"{_key(draw)}{draw(WS)}:{draw(WS)}{draw(children)}" for _ in range(draw(st.integers(0, 4)))]
    return "{" + draw(WS) + ",".join(pairs) + draw(WS) + "}"


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        objects(children),
    ),
    max_leaves=8,
)


@st.composite
def fitting(draw: st.DrawFn) -> str:
    """A line of ``DTYPE``'s shape, one of its values sometimes replaced by anything."""

    def pick(good: st.SearchStrategy[str]) -> str:
        return draw(values) if draw(st.integers(0, 5)) == 0 else draw(good)

    mostly = st.one_of(scalars, scalars, scalars, values)  # deeper values of the wrong kind too
    strings = st.lists(mostly, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")
    inner = st.one_of(st.builds(lambda c, d: '{"c":' + c + ',"d":' + d + "}", mostly, strings), st.just("null"), values)
    middle = st.builds(lambda c, d, e: '{"c":' + c + ',"d":' + d + ',"e":{"a":' + e + "}}", mostly, strings, mostly)
    members = {
        "a": lambda: pick(scalars),
        "b": lambda: pick(middle),
        "l": lambda: pick(st.one_of(strings, scalars)),
        "m": lambda: pick(st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")),
        "x": lambda: draw(values),
    }
    keys = draw(st.lists(st.sampled_from(sorted(members)), max_size=6))  # repeats are duplicate keys
    return "{" + ",".join(f"{json.dumps(k)}:{members[k]()}" for k in keys) + "}"


@st.composite
def lines(draw: st.DrawFn) -> str:
    line = draw(st.one_of(fitting(), objects(values)))
    how = draw(st.sampled_from(["keep"] * 6 + ["cut", "insert", "pad"]))
    cut = draw(st.integers(0, len(line)))
    if how == "cut":
        line = line[:cut] + "}"
    elif how == "insert":
        line = line[:cut] + draw(st.sampled_from(["NaN", "\t", "\x01", ",", '"', "\\", "}", "{", " "])) + line[cut:]
    elif how == "pad":
        line = " " + line + "\t"
    return line


def _decoder_reason(line: str, dtype: pl.DataType) -> str | None:
    return edge._decode_error(line, dtype)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines())
def test_the_walk_stops_where_the_decoder_stops(line: str) -> None:
    """For a line both parsers read, the walk's node gives the decoder's own reason for the whole line."""
    try:
        json.loads(line)
    except ValueError:
        return
    if not json_shape.parsable([line])[0]:
        return
    shape = json_shape.shape_of(DTYPE)
    assert shape is not None
    found = json_shape.first_misfit(line, shape)
    expected = _decoder_reason(line, DTYPE)
    if found is None:
        assert expected is None
    else:
        path, a, b = found
        assert expected is not None
        assert _decoder_reason(json_shape.alone(path, line[a:b]), DTYPE) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines())
def test_a_line_the_test_clears_is_valid_json_and_decodes(line: str) -> None:
    """Not suspect: Python reads it; and without escapes in it, the decoder takes it."""
    shape = json_shape.shape_of(DTYPE)
    assert shape is not None
    flagged = pl.select(json_shape.suspects(pl.lit(line, dtype=pl.String), shape)).item()
    if not flagged:
        json.loads(line)
        if "\\" not in line:
            assert _decoder_reason(line, DTYPE) is None


def _same(records: pl.DataFrame, dtype: pl.Struct) -> None:
    """The rows and rejects of the implementation replaced, whichever path the memo chooses first."""
    old_rows, old_rejects = old_decode_json(records, dtype, "Test")
    for memo in (None, {}, {edge._REFUSED: True}):
        rows, rejects = edge.decode_json(records, dtype, "Test", memo)
        assert rows.equals(old_rows)
        assert rejects.sort("_rec").equals(old_rejects.sort("_rec"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), min_size=1, max_size=40))
def test_decode_json_gives_what_it_gave_before(texts: list[str]) -> None:
    """Random mixes of good, broken and wrong-shaped lines: the same rows and the same rejects."""
    records = pl.DataFrame({"_rec": pl.Series(range(len(texts)), dtype=pl.Int64), "text": texts})
    _same(records, DTYPE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.lists(st.integers(0, 7), max_size=6))
def test_decode_json_on_mutated_caddy_lines(case: tuple[str, list[str]], wrong: list[int]) -> None:
    """The edge fixtures' lines cut and padded, some given an object where Caddy writes a string."""
    _, texts = case
    texts = list(texts)
    for i in wrong:
        if i < len(texts):
            texts[i] = texts[i].replace('"method":"', '"method":{"v":"', 1).replace('","host"', '"},"host"', 1)
    records = pl.DataFrame({"_rec": pl.Series(range(len(texts)), dtype=pl.Int64), "text": texts})
    _same(records, CADDY)


def test_a_chunk_with_a_bad_line_sends_the_next_straight_to_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a chunk that held a bad object, the next is not first decoded whole; a clean chunk ends that."""
    calls: list[int] = []
    real = edge.json_shape.suspects

    def counted(text: pl.Expr, shape: object) -> pl.Expr:
        calls.append(1)
        return real(text, shape)  # type: ignore[arg-type]

    monkeypatch.setattr(edge.json_shape, "suspects", counted)
    good = '{"a":"x","l":["y"],"b":{"c":"z"}}'
    bad = '{"a":{"wrong":"shape"}}'

    def chunk(*texts: str) -> pl.DataFrame:
        return pl.DataFrame({"_rec": pl.Series(range(len(texts)), dtype=pl.Int64), "text": list(texts)})

    memo: dict[str, object] = {}
    edge.decode_json(chunk(good, good), DTYPE, "Test", memo)
    assert calls == [] and not memo.get(edge._REFUSED)  # a clean chunk: one decode, no test
    edge.decode_json(chunk(good, bad), DTYPE, "Test", memo)
    assert len(calls) == 1 and memo[edge._REFUSED]  # the whole decode failed, then the test
    rows, rejects = edge.decode_json(chunk(good, good, bad), DTYPE, "Test", memo)
    assert len(calls) == 2 and memo[edge._REFUSED]  # straight to the test
    assert rows.height == 2 and rejects.height == 1
    edge.decode_json(chunk(good), DTYPE, "Test", memo)
    assert len(calls) == 3 and not memo[edge._REFUSED]  # tested, found clean: the mark is cleared
    edge.decode_json(chunk(good), DTYPE, "Test", memo)
    assert len(calls) == 3  # and the next chunk is decoded whole again


def test_a_wrong_shaped_value_is_decoded_alone_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty lines with the same wrong value cost one decode of that value, not one per line."""
    good = '{"a":"N","b":{"c":"x","d":["y"]}}'
    odd = '{"a":"N","b":{"c":{"nested":true},"d":["y"]}}'
    texts = [(odd if i % 10 == 3 else good).replace("N", str(i)) for i in range(200)]
    calls: list[str] = []
    real = edge._decode_error

    def counted(text: str, dtype: pl.DataType) -> str | None:
        calls.append(text)
        return real(text, dtype)

    monkeypatch.setattr(edge, "_decode_error", counted)
    records = pl.DataFrame({"_rec": pl.Series(range(200), dtype=pl.Int64), "text": texts})
    rows, rejects = edge.decode_json(records, DTYPE, "Test")
    assert rows.height == 180
    assert rejects.get_column("_rec").to_list() == [i for i in range(200) if i % 10 == 3]
    assert rejects.get_column("reason").unique().to_list() == [
        'not a Test record: error deserializing JSON: error deserializing value "Object({"nested": Static(Bool(true))})" '
        "as string."
    ]
    assert len(calls) == 1


def test_only_string_leaves_are_read() -> None:
    records = pl.DataFrame({"_rec": [0], "text": ['{"n": 1}']})
    with pytest.raises(TypeError):
        edge.decode_json(records, pl.Struct({"n": pl.Int64}), "Test")


def test_a_key_written_as_itself_is_found_whatever_its_letters() -> None:
    """The suspect test looks for a key as a log writes it: non-ASCII letters raw, not ``\\u`` escaped."""
    shape = json_shape.shape_of(pl.Struct({"clé": S, "n": S}))
    assert shape is not None
    lines = pl.Series(['{"clé":{"x":1}}', '{"clé":"v","n":[1]}', '{"clé":"v","n":"1"}'], dtype=pl.String)
    flagged = pl.select(json_shape.suspects(pl.lit(lines), shape)).to_series().to_list()
    assert flagged == [True, True, False]
