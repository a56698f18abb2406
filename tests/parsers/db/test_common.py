"""Shared helpers: labels as JSON objects, IP versus host name."""

from __future__ import annotations

import json

import polars as pl
import pytest

from parsers.db.common import host_or_null, ip_or_null, label_object, labels_json, with_label_object


def test_label_object_leaves_out_nulls_and_escapes_values() -> None:
    df = pl.DataFrame(
        {
            "a": [None, 'x"y', None, "\x00\x1b[31m", None],
            "b": ["1", None, None, '"a":null,', None],
            "c": [None, None, "z\\", "", None],
        }
    )
    out = df.select(label_object({"a": pl.col("a"), "b": pl.col("b"), "c": pl.col("c")})).to_series().to_list()
    assert out[4] is None
    decoded = [json.loads(v) for v in out[:4]]
    assert decoded == [{"b": "1"}, {"a": 'x"y'}, {"c": "z\\"}, {"a": "\x00\x1b[31m", "b": '"a":null,', "c": ""}]


def test_label_object_keeps_a_value_ending_like_the_object() -> None:
    # a value holding ",}" before a null last member: the object stays valid JSON, the value whole
    df = pl.DataFrame({"q": ["SELECT '{a,}'", "x,}y"], "n": [None, 7]}, schema={"q": pl.String, "n": pl.Int64})
    out = df.select(label_object({"q": pl.col("q"), "n": pl.col("n")})).to_series().to_list()
    assert [json.loads(v) for v in out] == [{"q": "SELECT '{a,}'"}, {"q": "x,}y", "n": 7}]


def test_label_object_rejects_odd_keys() -> None:
    with pytest.raises(ValueError):
        label_object({"a b": pl.lit("x")})


def test_labels_json_with_raw_pairs() -> None:
    df = pl.DataFrame({"v": ["x", None]})
    out = df.select(labels_json([("k", pl.col("v"))], raw_pairs=[pl.lit(['"Q":"1"'])])).to_series().to_list()
    assert [json.loads(v) for v in out] == [{"k": "x", "Q": "1"}, {"Q": "1"}]


@pytest.mark.parametrize(
    ("value", "ip", "host"),
    [("10.10.1.21", "10.10.1.21", None), ("::1", "::1", None), ("::ffff:10.1.2.3", "::ffff:10.1.2.3", None),
     ("app01.hds.local", None, "app01.hds.local"), ("localhost", None, "localhost"), ("", None, None)],
)  # fmt: skip
def test_ip_or_host(value: str, ip: str | None, host: str | None) -> None:
    row = pl.select(ip=ip_or_null(pl.lit(value)), host=host_or_null(pl.lit(value))).row(0)
    assert row == (ip, host)


@pytest.mark.parametrize("hostile", [False, True])
def test_with_label_object_matches_the_encoder(hostile: bool) -> None:
    values = ["db02", None, "", "a b", "Zoé"] + (['x"y', "back\\slash", "\x1b[31m"] if hostile else [])
    df = pl.DataFrame({"a": values, "b": list(reversed(values))})
    fields = {"a": pl.col("a"), "b": pl.col("b")}
    fast = with_label_object(df, fields).get_column("labels")
    assert fast.to_list() == df.select(label_object(fields)).to_series().to_list()
    assert [c for c in with_label_object(df, fields).columns] == ["a", "b", "labels"]
