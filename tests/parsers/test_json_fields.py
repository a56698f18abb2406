"""``json_fields`` gives exactly what ``str.json_path_match`` gives, path by path, on any line."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.json_fields import _tree, json_fields, path_text

PATHS = {
    "a": ("a",),
    "b": ("b",),
    "user": ("user",),
    "ip": ("client", "ip"),
    "deep": ("client", "geo", "city"),
    "spaced": ("a key",),
}

HOSTILE = [
    '{"a":"x","b":1,"user":"u","client":{"ip":"192.0.2.1","geo":{"city":"Lyon"}}}',
    '{"a":1.50,"b":1e5,"user":-0.0,"client":{"ip":1.0}}',  # numbers json_decode writes another way
    '{"a":18446744073709551617,"b":-7210339846310981042,"user":true,"client":null}',
    '{"a":{"nested":1},"b":[1,2,{"c":3}],"user":[],"client":[{"ip":"x"}]}',  # containers as values
    '{"a":"first","a":"second","client":{"ip":"a","ip":"b"}}',  # duplicate keys: the last wins
    '{"a":"\\"b\\":{","b":"\\u00e9\\n\\t\\\\","user":"\\u0000"}',  # escapes, a key lookalike in a string
    '{"x":"\\"a\\":[1]","a":"ok"}',
    '  { "a" : "spaced" , "a key" : "v" }  ',
    '{"a":"truncated"',
    "not json at all",
    "",
    "null",
    '"just a string"',
    "[1,2,3]",
    '{"a":"\\ud800"}',  # a lone surrogate: invalid
    '{"client":"a string, not an object","a":null}',
    '{"client":{"ip":{"v":4}},"a":false}',
    '{"b":"x"}{"b":"y"}',
    '{"a": 5.960464477539063e-08,"client":{"ip":5.960464477539063e-08}}',  # a second parse moves the last digit
]


def reference(df: pl.DataFrame) -> pl.DataFrame:
    return df.select([pl.col("text").str.json_path_match(path_text(p)).alias(n) for n, p in PATHS.items()])


def check(lines: list[str]) -> None:
    df = pl.DataFrame({"text": lines}, schema={"text": pl.String})
    got = json_fields(df, "text", PATHS).select(list(PATHS))
    assert got.to_dicts() == reference(df).to_dicts()
    # the same when the caller already holds each line's compact text
    given = df.with_columns(_c=pl.col("text").str.json_path_match("$"))
    assert json_fields(given, "text", PATHS, canonical="_c").select(list(PATHS)).to_dicts() == got.to_dicts()


def test_hostile_lines_read_as_json_path_match_reads_them() -> None:
    check(HOSTILE)
    check(HOSTILE[::-1] * 3)


def test_dotted_paths_read_as_bracketed_ones() -> None:
    df = pl.DataFrame({"text": HOSTILE})
    dotted = df.select(
        [
            pl.col("text").str.json_path_match("$." + ".".join(p)).alias(n)
            for n, p in PATHS.items()
            if " " not in "".join(p)
        ]
    )
    assert dotted.to_dicts() == reference(df).select(dotted.columns).to_dicts()


def test_empty_frame_and_no_paths() -> None:
    empty = pl.DataFrame({"text": []}, schema={"text": pl.String})
    assert json_fields(empty, "text", PATHS).columns == ["text", *PATHS]
    assert json_fields(pl.DataFrame({"text": ['{"a":1}']}), "text", {}).columns == ["text"]


def test_keys_that_need_a_path_escape_take_json_path_match() -> None:
    df = pl.DataFrame({"text": ['{"it\'s":"v","a.b":"w"}']})
    out = json_fields(df, "text", {"q": ("it's",)})
    assert (
        out.get_column("q").to_list() == df.select(pl.col("text").str.json_path_match("$.it's")).to_series().to_list()
    )


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from(list('ab"\\{}[]:, \n\té\x00')), max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "ip", "city", "geo", "z"]), inner, max_size=3),
    ),
    max_leaves=6,
)
OBJECTS = st.dictionaries(st.sampled_from(["a", "b", "user", "client", "a key", "other"]), VALUES, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(OBJECTS.map(json.dumps), st.text(max_size=20)), min_size=1, max_size=8))
def test_any_json_line_reads_as_json_path_match_reads_it(lines: list[str]) -> None:
    check(lines)


def test_nested_paths_are_read_in_one_decode_unless_a_path_is_a_prefix_of_another() -> None:
    """The paths as one tree (one decode of every level); a key both read and entered takes the level-by-level reading."""
    assert _tree(PATHS.values()) is not None
    prefixed = {**PATHS, "client": ("client",), "geo": ("client", "geo")}
    assert _tree(prefixed.values()) is None
    df = pl.DataFrame({"text": HOSTILE}, schema={"text": pl.String})
    got = json_fields(df, "text", prefixed).select(list(prefixed))
    expected = df.select([pl.col("text").str.json_path_match(path_text(p)).alias(n) for n, p in prefixed.items()])
    assert got.to_dicts() == expected.to_dicts()
