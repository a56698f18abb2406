"""Helpers shared by the load balancer, CDN and proxy parsers (AWS, Cloudflare, Caddy, Traefik).

Their logs are written by software, not by a configurable format string: the fields are
fixed, so each parser is one regex or one typed JSON decode.  What they share is here:

* ``decode_json``: one JSON object per line decoded into typed columns in one polars
  kernel; a line that is not a JSON object of the expected shape costs only itself (broken
  JSON is found line by line, then lines of the wrong shape by cutting the chunk in
  halves; those are rejects);
* ``iso_time``: an ISO 8601 stamp into the wall clock as written and its offset;
* ``epoch_time``: a Unix time in s, ms, µs or ns (told apart by its size) into UTC;
* ``address_port``: ``ip:port`` / ``[v6]:port`` into its two parts;
* ``web_event``: the columns every access event carries (category, action, outcome,
  message) and the URL parts;
* ``labels_of``: the ``labels`` JSON of many optional fields, in a few kernels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from parsers.base import offset_seconds, rejects_of
from parsers.web.common import decode_urls, http_outcome, with_url_parts

#: Below this many rows a failing decode is retried row by row.
_ROW_BY_ROW = 8


def decode_json(records: pl.DataFrame, dtype: pl.Struct, what: str) -> tuple[pl.DataFrame, pl.DataFrame]:
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


ISO = r"^(?P<wall>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)(?P<zone>Z|[+-]\d{2}:?\d{2})?$"


def iso_time(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(``_ts``, ``_offset``) of an ISO 8601 stamp: the wall clock as written, the offset or null."""
    parts = expr.str.extract_groups(ISO)
    wall = parts.struct.field("wall").str.replace(",", ".", literal=True).str.replace("T", " ", literal=True)
    ts = wall.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    zone = parts.struct.field("zone")
    return ts, pl.when(zone.is_not_null()).then(offset_seconds(zone)).cast(pl.Int32)


def epoch_time(expr: pl.Expr) -> pl.Expr:
    """A Unix time (text) as a naive UTC datetime: seconds, ms, µs or ns told apart by size.

    Seconds may carry a fraction (``1646861401.5241024``); the integer part's digit count
    says the unit (10 digits: s, 13: ms, 16: µs, 19: ns), which holds from 2001 to 2286.
    """
    parts = expr.str.extract_groups(r"^(?P<i>\d+)(?:\.(?P<f>\d*))?$")
    whole = parts.struct.field("i")
    frac = parts.struct.field("f").fill_null("")
    digits = whole.str.len_chars()
    n = whole.cast(pl.Int64, strict=False)
    # microseconds since the epoch, for each unit
    frac_us = pl.concat_str([frac, pl.lit("000000")]).str.slice(0, 6).cast(pl.Int64, strict=False)
    micros = (
        pl.when(digits <= 11)
        .then(n * 1_000_000 + frac_us)
        .when(digits <= 14)
        .then(n * 1000 + pl.concat_str([frac, pl.lit("000")]).str.slice(0, 3).cast(pl.Int64, strict=False))
        .when(digits <= 17)
        .then(n)
        .otherwise(n // 1000)
    )
    return micros.cast(pl.Datetime("us"))


def seconds_ns(expr: pl.Expr) -> pl.Expr:
    """Seconds written as text (``0.338``) -> Int64 nanoseconds; negative values (``-1``: not measured) -> null."""
    value = expr.cast(pl.Float64, strict=False)
    return pl.when(value >= 0).then((value * 1e9).round().cast(pl.Int64))


def address_port(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(address, port) of ``ip:port``, ``[v6]:port`` or a bare address; ``-`` and ``""`` give nulls."""
    parts = expr.str.extract_groups(r"^\[?(?P<a>.*?)\]?(?::(?P<p>\d+))?$")
    addr = parts.struct.field("a")
    addr = pl.when(expr.is_in(["-", ""]).fill_null(True)).then(None).otherwise(addr)
    # a bare IPv6 address (several colons, no brackets) has no port: the last group is not one
    bare_v6 = ~expr.str.starts_with("[") & (expr.str.count_matches(":", literal=True) > 1)
    addr = pl.when(bare_v6).then(expr).otherwise(addr)
    port = pl.when(bare_v6).then(None).otherwise(parts.struct.field("p")).cast(pl.Int32, strict=False)
    return addr, port


def web_event(lf: pl.LazyFrame, request_shown: pl.Expr, timestamp_desc: str) -> pl.DataFrame:
    """Finish an access event: URL parts from ``url.original``, category, action, outcome, message.

    ``request_shown`` is what the message says before `` -> status``.
    """
    lf = with_url_parts(lf)
    status = pl.col("http.response.status_code")
    lf = lf.with_columns(
        pl.lit("web").alias("event.category"),
        pl.lit("http_request").alias("event.action"),
        http_outcome(status).alias("event.outcome"),
        pl.lit(timestamp_desc).alias("timestamp_desc"),
        pl.concat_str([request_shown.fill_null("-"), pl.lit(" -> "), status.cast(pl.String).fill_null("-")]).alias(
            "message"
        ),
    )
    return decode_urls(lf.collect())


def labels_of(pairs: Sequence[tuple[str, pl.Expr]]) -> pl.Expr:
    """The ``labels`` JSON of the non-null values (null when all are null).

    All values are encoded in one struct kernel, then the ``"key":null`` members are cut
    with one regex over the known keys (inside a JSON string every quote is escaped, so a
    value can never hold ``"key":null``).  With the dozens of fields these logs carry this
    is several times faster than one piece per key.  A key named twice (a repeated
    ``#Fields:`` name) gets ``#2``.
    """
    items: dict[str, pl.Expr] = {}
    for key, expr in pairs:
        name, n = key, 1
        while name in items:
            n += 1
            name = f"{key}#{n}"
        items[name] = expr.cast(pl.String)
    if not items:
        return pl.lit(None, dtype=pl.String)
    encoded = pl.struct([e.alias(k) for k, e in items.items()]).struct.json_encode()
    keys = "|".join(re.escape(json.dumps(k)[1:-1]) for k in items)
    cleaned = encoded.str.replace_all(f'"(?:{keys})":null,?', "").str.replace(r",\}$", "}")
    return pl.when(cleaned != "{}").then(cleaned)


def dash(expr: pl.Expr) -> pl.Expr:
    """``-`` and the empty string are 'no value'."""
    return pl.when(expr.is_in(["-", ""])).then(None).otherwise(expr)


def no_events() -> pl.DataFrame:
    """The empty events frame (a chunk without any event)."""
    return pl.DataFrame({"_rec": []}, schema={"_rec": pl.Int64})
