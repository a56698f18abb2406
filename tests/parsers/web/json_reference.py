"""``decode_json`` as it was before the chunk's suspect lines were found by one test (commit b809b24).

Kept only to compare: the property tests in ``test_json_shape.py`` check that the current
``parsers.web.edge.decode_json`` gives the same rows and the same rejects, reasons
included, on random mixes of good, broken and wrong-shaped lines.  Here every line of a
failing chunk is read by Python's parser and each wrong-shaped one decoded alone.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from parsers.base import rejects_of

#: Below this many rows a failing decode is retried row by row.
_ROW_BY_ROW = 8


def old_decode_json(records: pl.DataFrame, dtype: pl.Struct, what: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decode ``text`` as JSON objects of ``dtype``: (rows with the fields unnested, rejects).

    Keys absent from ``dtype`` are ignored (they stay in ``event.original``), absent keys
    are null, numbers and booleans read into a String field keep their text.  A line that
    is not an object of that shape (broken JSON, an object where a string was expected)
    makes the decode of its chunk fail: the lines are then checked one by one with Python's
    JSON parser (broken ones are rejects) and the rest decoded in halves until the lines of
    the wrong shape are found, so only the failing lines become rejects.  ``what`` names
    the format in the reject reason.
    """
    text = pl.col("text").str.strip_chars()
    objects = text.str.starts_with("{") & text.str.ends_with("}")
    shaped = records.filter(objects.fill_null(False))
    rejects = [rejects_of(records.filter(~objects.fill_null(False)), f"not a JSON object ({what} writes one per line)")]
    good: list[pl.DataFrame] = []
    try:
        good.append(shaped.with_columns(pl.col("text").str.json_decode(dtype).alias("_j")))
    except pl.exceptions.PolarsError:
        # the slow path, only for a chunk that holds a bad line: broken JSON is found by
        # Python's parser line by line; the lines whose values do not fit ``dtype`` (as
        # Python reads them) are decoded one by one, so each gets the decoder's own verdict,
        # and the others together (cut in halves again only if the guess was wrong)
        parsed = [_loads(t) for t in shaped.get_column("text").to_list()]
        valid = pl.Series([p is not _INVALID for p in parsed], dtype=pl.Boolean)
        shape = _shape(dtype)
        fits = pl.Series([p is not _INVALID and _fits(p, shape) for p in parsed], dtype=pl.Boolean)
        rejects.append(rejects_of(shaped.filter(~valid), f"not valid JSON (a {what} line cut or damaged)"))
        _decode_parts(shaped.filter(fits), dtype, what, good, rejects)
        odd = shaped.filter(valid & ~fits)
        errors = [_decode_error(t, dtype) for t in odd.get_column("text").to_list()]
        failed = pl.Series(errors, dtype=pl.String).is_not_null()
        _decode_parts(odd.filter(~failed), dtype, what, good, rejects)
        reasons = pl.Series("_reason", [f"not a {what} record: {e}" for e in errors if e is not None], dtype=pl.String)
        rejects.append(rejects_of(odd.filter(failed).with_columns(reasons), pl.col("_reason")))
        if len(rejects) > 3:  # the lines of the wrong shape in file order, as the halving gave them
            rejects = [*rejects[:2], pl.concat(rejects[2:]).sort("_rec")]
    fields = [f.name for f in dtype.fields]
    if good:
        out = pl.concat(good).sort("_rec")
    else:
        out = shaped.clear().with_columns(pl.lit(None, dtype=dtype).alias("_j"))
    out = out.unnest("_j") if fields else out.drop("_j")
    return out, pl.concat(rejects)


def _decode_parts(
    df: pl.DataFrame, dtype: pl.Struct, what: str, good: list[pl.DataFrame], rejects: list[pl.DataFrame]
) -> None:
    if df.height == 0:
        return
    try:
        good.append(df.with_columns(pl.col("text").str.json_decode(dtype).alias("_j")))
        return
    except pl.exceptions.PolarsError as exc:
        if df.height == 1:
            reason = str(exc).strip().splitlines()[0][:200]
            rejects.append(rejects_of(df, f"not a {what} record: {reason}"))
            return
    if df.height <= _ROW_BY_ROW:
        for i in range(df.height):
            _decode_parts(df.slice(i, 1), dtype, what, good, rejects)
        return
    half = df.height // 2
    _decode_parts(df.slice(0, half), dtype, what, good, rejects)
    _decode_parts(df.slice(half), dtype, what, good, rejects)


_INVALID = object()


def _decode_error(text: str, dtype: pl.DataType) -> str | None:
    """The decoder's first error line for one JSON text (as ``_decode_parts`` words it), or None."""
    try:
        pl.Series([text], dtype=pl.String).str.json_decode(dtype)
    except pl.exceptions.PolarsError as exc:
        return str(exc).strip().splitlines()[0][:200]
    return None


def _loads(text: str) -> object:
    """The parsed value of a JSON text, or ``_INVALID``."""
    try:
        return json.loads(text)
    except ValueError:
        return _INVALID


#: ``dtype`` as plain Python: ("struct", {name: shape}), ("list", inner shape) or ("value", None)
Shape = tuple[str, Any]


def _shape(dtype: pl.DataType) -> Shape:
    """``dtype`` in the form ``_fits`` walks (a polars dtype's fields are objects built on each access)."""
    if isinstance(dtype, pl.Struct):
        return ("struct", {f.name: _shape(f.dtype) for f in dtype.fields})
    if isinstance(dtype, pl.List):
        return ("list", _shape(dtype.inner))
    return ("value", None)


def _fits(value: object, shape: Shape) -> bool:
    """Whether ``str.json_decode`` should read ``value`` (as Python parsed it) into the dtype of ``shape``.

    Only a guess that sorts lines: the decoder itself decides every line.  A String takes
    any scalar, a Struct an object, a List an array (or a scalar) of what fits its inner type.
    Scalars are checked in their container's loop (a call per header value was most of the time).
    """
    if value is None:
        return True
    kind, inner = shape
    if kind == "value":
        return not isinstance(value, _CONTAINERS)
    if kind == "struct":
        if not isinstance(value, dict):
            return False
        for key, item in value.items():
            field = inner.get(key)
            if field is None or item is None:
                continue
            if field[0] == "value":
                if isinstance(item, _CONTAINERS):
                    return False
            elif not _fits(item, field):
                return False
        return True
    items = value if isinstance(value, list) else [value]
    if inner[0] == "value":
        return not any(isinstance(v, _CONTAINERS) for v in items)
    return all(_fits(v, inner) for v in items)


_CONTAINERS = (dict, list)
