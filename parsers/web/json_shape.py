"""Which JSON lines do not fit a typed decode, and the decoder's reason for each, without one decode per line.

``str.json_decode(dtype)`` fails a whole chunk when one line holds a value of the wrong
shape (an object where a string belongs).  Decoding each such line alone gives its reason,
but a decoder call costs about 0.1 ms: with one wrong-shaped line in ten that was a third
of the parse.  This module does the same work in proportion to the bad lines:

* ``suspects``: one expression over every line that is true for each line that may not
  decode (not strict JSON, or a key of ``dtype`` followed by a value of the wrong kind).
  It may flag too much (a key name met at another depth), never too little for a line
  written without escapes in its keys; a line it misses still fails the decode of the
  others, which then finds it by halving, so a miss costs time, not correctness.
* ``first_misfit``: the node where the decoder stops on one line, found by walking the
  line's text in the decoder's own order (polars deserialises column by column: a struct's
  rows are checked to be objects or null, then each field in the dtype's order, depth
  first; a list's rows to be arrays or scalars, then all their items as one column; a
  String takes any scalar).  It gives the node's path and the exact text of its value.
* ``reason``: the decoder's error for that node, from decoding a line holding only that
  value at that path (the error names the value and the expected kind, nothing else of
  the line), once for each distinct (path, value).

Only dtypes whose leaves are all String are handled (``supported``): a number read into
an integer field fails or not by its value, which the walk does not model.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

#: ``dtype`` as plain Python: ("struct", {name: shape}), ("list", inner shape) or ("string", None)
Shape = tuple[str, Any]
#: the path of a node from the line's top: ("key", name) into an object, ("item",) into an array
Step = tuple[str, ...]
#: where the decoder stops: (path, start, end) of the value's text in the line
Misfit = tuple[tuple[Step, ...], int, int]

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def shape_of(dtype: pl.DataType) -> Shape | None:
    """``dtype`` as a ``Shape``, or None when a leaf is not String (the walk models String leaves only)."""
    if isinstance(dtype, pl.Struct):
        fields = {}
        for f in dtype.fields:
            sub = shape_of(f.dtype)
            if sub is None:
                return None
            fields[f.name] = sub
        return ("struct", fields)
    if isinstance(dtype, pl.List):
        inner = shape_of(dtype.inner)
        return None if inner is None else ("list", inner)
    return ("string", None) if dtype == pl.String else None


def suspects(text: pl.Expr, shape: Shape) -> pl.Expr:
    """True for every line ``str.json_decode`` of ``shape`` might refuse (and for some it takes).

    A line is suspect when it is not strict JSON (``json_path_match("$")`` is null: serde's
    strict reading, which Python's parser accepts a superset of), or when, anywhere in the
    line, a key of ``shape`` is followed by a value of a kind its field refuses: an object
    or an array for a String, anything but an object or null for a Struct, an object for a
    List, an array holding an object or an array for a List of String, anything but null
    for a List of anything else.
    """
    kinds: dict[str, set[str]] = {}
    _keys(shape, kinds)
    alternatives = []
    string = r'"(?:[^"\\]|\\.)*"'
    for key, wanted in sorted(kinds.items()):
        name = re.escape(json.dumps(key, ensure_ascii=False)) + r"[ \t\n\r]*:[ \t\n\r]*"
        bad: list[str] = []
        if "string" in wanted:
            bad.append(r"[\[{]")
        if "struct" in wanted:
            bad.append(r"[^ \t\n\r{n]")
        if "list" in wanted:
            bad.append(r"\{")
            bad.append(rf"\[(?:{string}|[^\[\]{{}}\"])*[\[{{]")
        if "other" in wanted:
            bad.append(r"[^ \t\n\r n]")  # a list of structs or of lists: anything but null is worth a look
        alternatives.append(name + "(?:" + "|".join(bad) + ")")
    flagged = text.str.json_path_match("$").is_null()
    if alternatives:
        flagged = flagged | text.str.contains("|".join(alternatives))
    return flagged.fill_null(True)


def _keys(shape: Shape, kinds: dict[str, set[str]]) -> None:
    """Each key of ``shape`` (at any depth) and the kinds of field it names."""
    kind, inner = shape
    if kind == "struct":
        for name, sub in inner.items():
            sub_kind = sub[0]
            if sub_kind == "list" and sub[1][0] != "string":
                sub_kind = "other"
            kinds.setdefault(name, set()).add(sub_kind)
            _keys(sub, kinds)
    elif kind == "list":
        _keys(inner, kinds)


def first_misfit(line: str, shape: Shape) -> Misfit | None:
    """Where ``str.json_decode`` of ``shape`` stops on ``line`` (valid JSON for Python), or None if it does not.

    The walk follows the decoder: the first of duplicate keys is the one read; the line
    must also be one the decoder can parse (the caller checks that in one call).
    """
    start = _WS.match(line).end()
    _, end = _DECODER.raw_decode(line, start)
    return _column(line, [(start, end)], shape, ())


def _column(line: str, spans: list[tuple[int, int]], shape: Shape, path: tuple[Step, ...]) -> Misfit | None:
    """The first misfit among the values at ``spans``, read as one column of ``shape``."""
    kind, inner = shape
    if kind == "string":
        for a, b in spans:
            if line[a] in "{[":
                return path, a, b
        return None
    if kind == "struct":
        objects = []
        for a, b in spans:
            c = line[a]
            if c == "{":
                objects.append(_members(line, a))
            elif c != "n":  # null is a null struct
                return path, a, b
        for name, sub in inner.items():
            column = [m[name] for m in objects if name in m]
            if column:
                found = _column(line, column, sub, (*path, ("key", name)))
                if found is not None:
                    return found
        return None
    items: list[tuple[int, int]] = []
    for a, b in spans:
        c = line[a]
        if c == "{":
            return path, a, b
        if c == "[":
            items += _items(line, a)
        elif c != "n":  # a scalar is a list of one; null a null list
            items.append((a, b))
    return _column(line, items, inner, (*path, ("item",))) if items else None


def _members(line: str, i: int) -> dict[str, tuple[int, int]]:
    """The value span of each key of the object at ``i`` (the first of duplicate keys)."""
    out: dict[str, tuple[int, int]] = {}
    i = _WS.match(line, i + 1).end()
    if line[i] == "}":
        return out
    while True:
        key, i = json.decoder.scanstring(line, i + 1)  # type: ignore[attr-defined]
        i = _WS.match(line, _WS.match(line, i).end() + 1).end()  # past the colon
        _, end = _DECODER.raw_decode(line, i)
        out.setdefault(key, (i, end))
        i = _WS.match(line, end).end()
        if line[i] == "}":
            return out
        i = _WS.match(line, i + 1).end()


def _items(line: str, i: int) -> list[tuple[int, int]]:
    """The value span of each item of the array at ``i``."""
    out: list[tuple[int, int]] = []
    i = _WS.match(line, i + 1).end()
    if line[i] == "]":
        return out
    while True:
        _, end = _DECODER.raw_decode(line, i)
        out.append((i, end))
        i = _WS.match(line, end).end()
        if line[i] == "]":
            return out
        i = _WS.match(line, i + 1).end()


def alone(path: tuple[Step, ...], value: str) -> str:
    """A JSON line holding only ``value`` at ``path``: the decoder stops there with the same words."""
    text = value
    for step in reversed(path):
        text = "{" + json.dumps(step[1]) + ":" + text + "}" if step[0] == "key" else "[" + text + "]"
    return text


def parsable(texts: list[str]) -> list[bool]:
    """Whether the decoder parses each text as JSON (what it would then read is not asked).

    One call for all when all parse; else halves, so a few unparsable texts cost a few
    calls each, not one call per text.
    """
    if not texts:
        return []
    try:
        pl.Series(texts, dtype=pl.String).str.json_decode(pl.Struct([]))
    except pl.exceptions.PolarsError:
        if len(texts) == 1:
            return [False]
        half = len(texts) // 2
        return parsable(texts[:half]) + parsable(texts[half:])
    return [True] * len(texts)
