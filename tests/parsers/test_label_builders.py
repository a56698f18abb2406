"""The label builders evaluate their JSON once: same text as the when/then they replaced.

``parsers.web.edge.labels_of`` and ``parsers.db.common.labels_json`` returned
``when(<json> != "{}" / <body> == "").then(...)``, which built the JSON twice per row (no
common-subexpression elimination inside one expression).  They now end in one
``replace("{}", None)``; these tests hold them to the old formulation (kept here as the
reference) on values with nulls, dashes, empty strings, quotes and escapes.  The tags of the
application tables are built once per distinct set (``tag_column``): the same lists as one per
row (``tag_list``).
"""

from __future__ import annotations

import json
import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.app.common import tag_column, tag_list
from parsers.db.common import json_quote, labels_json
from parsers.web.edge import dash, labels_of

VALUES = st.one_of(st.none(), st.sampled_from(["-", "", "x", 'a "q"', "back\\slash", "tab\tnew\nline", "{}", "null"]))


def _old_labels_of(pairs: list[tuple[str, pl.Expr]]) -> pl.Expr:
    items = {k: e.cast(pl.String) for k, e in pairs}
    encoded = pl.struct([e.alias(k) for k, e in items.items()]).struct.json_encode()
    keys = "|".join(re.escape(json.dumps(k)[1:-1]) for k in items)
    cleaned = encoded.str.replace_all(f'"(?:{keys})":null,?', "").str.replace(r",\}$", "}")
    return pl.when(cleaned != "{}").then(cleaned)


def _old_labels_json(pairs: list[tuple[str, pl.Expr]], raw: list[pl.Expr]) -> pl.Expr:
    items = [pl.concat_str([pl.lit(json.dumps(key) + ":"), json_quote(expr)]) for key, expr in pairs]
    lists = [pl.concat_list(items)] if items else []
    lists.extend(raw)
    body = pl.concat_list(lists).list.drop_nulls().list.join(",")
    return pl.when(body == "").then(None).otherwise(pl.concat_str([pl.lit("{"), body, pl.lit("}")]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(VALUES, VALUES, VALUES), max_size=25))
def test_web_labels_equal_the_double_evaluation(rows: list[tuple[str | None, str | None, str | None]]) -> None:
    df = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String, "c": pl.String}, orient="row")
    pairs = [("aws.a", dash(pl.col("a"))), ("tls.b", dash(pl.col("b"))), ("c", pl.col("c"))]
    got = df.select(labels_of(pairs).alias("l"))
    assert got.equals(df.select(_old_labels_of(pairs).alias("l")))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(VALUES, VALUES, st.booleans()), max_size=25))
def test_db_labels_equal_the_double_evaluation(rows: list[tuple[str | None, str | None, bool]]) -> None:
    df = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String, "r": pl.Boolean}, orient="row")
    pairs = [("a", pl.col("a")), ("b", pl.col("b"))]
    raw = [pl.when(pl.col("r")).then(pl.lit(['"Q":"1"'])).otherwise(pl.lit([], dtype=pl.List(pl.String)))]
    got = df.select(labels_json(pairs, raw).alias("l"))
    assert got.equals(df.select(_old_labels_json(pairs, raw).alias("l")))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(*[st.one_of(st.none(), st.booleans())] * 4), max_size=40), st.integers(0, 4))
def test_tags_per_distinct_set_equal_tags_per_row(rows: list[tuple[bool | None, ...]], used: int) -> None:
    df = pl.DataFrame(rows, schema={f"c{i}": pl.Boolean for i in range(4)}, orient="row")
    conditions = {f"tag_{3 - i}": pl.col(f"c{i}") for i in range(used)}  # names not in bit order
    got = df.select(tag_column(df, conditions).alias("tags"))
    assert got.equals(df.select(tag_list(conditions).alias("tags")))
