"""Helpers shared by the load balancer, CDN and proxy parsers (AWS, Cloudflare, Caddy, Traefik).

Their logs are written by software, not by a configurable format string: the fields are
fixed, so each parser is one regex or one typed JSON decode.  What they share is here:

* ``decode_json``: one JSON object per line decoded into typed columns in one polars
  kernel; a line that is not a JSON object of the expected shape costs only itself (the
  lines that may be broken or of the wrong shape are found by one test over the chunk,
  only those are read by Python, and the others are decoded together; see
  ``json_shape``);
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

import polars as pl

from parsers.base import offset_seconds, rejects_of
from parsers.web import json_shape
from parsers.web.common import decode_urls, http_outcome, with_url_parts

#: Below this many rows a failing decode is retried row by row.
_ROW_BY_ROW = 8
#: The key ``decode_json`` keeps in its ``memo``: the last chunk decoded held a bad JSON object.
_REFUSED = "decode_json.refused"


def decode_json(
    records: pl.DataFrame, dtype: pl.Struct, what: str, memo: dict[str, object] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decode ``text`` as JSON objects of ``dtype``: (rows with the fields unnested, rejects).

    Keys absent from ``dtype`` are ignored (they stay in ``event.original``), absent keys
    are null, numbers and booleans read into a String field keep their text.  ``dtype``'s
    leaves must be String.  A line that is not an object of that shape (broken JSON, an
    object where a string was expected) makes the decode of its chunk fail: the lines that
    may be at fault are then found by one test over the chunk (``json_shape.suspects``), the
    others decoded together, and only the suspects are read by Python's parser, each
    wrong-shaped one getting the decoder's own reason (``_decode_suspects``).  ``what``
    names the format in the reject reason.

    ``memo`` is a dict the chunks of one source share (the parser's own in ``state["source"]``): a
    chunk that held a bad line marks it, and the next chunk goes straight to the test instead
    of first trying the whole chunk, which a file with a bad line every few thousand would
    fail chunk after chunk (that failed try cost as much as the decode itself); a chunk found
    clean clears the mark.  Either way the rows and rejects are the same: the mark only
    chooses which of two equal paths is tried first.
    """
    shape = json_shape.shape_of(dtype)
    if shape is None:
        raise TypeError(f"decode_json reads String leaves only, not {dtype}")
    text = pl.col("text").str.strip_chars()
    objects = text.str.starts_with("{") & text.str.ends_with("}")
    shaped = records.filter(objects.fill_null(False))
    rejects = [rejects_of(records.filter(~objects.fill_null(False)), f"not a JSON object ({what} writes one per line)")]
    good: list[pl.DataFrame] = []
    decoded = None
    if memo is None or not memo.get(_REFUSED):
        try:
            decoded = shaped.with_columns(pl.col("text").str.json_decode(dtype).alias("_j"))
        except pl.exceptions.PolarsError:
            pass
    if decoded is not None:
        good.append(decoded)
    else:
        # the slow path, only for a chunk that holds a bad line; a clean line the test flags
        # costs a Python parse, a bad line it misses a halving of the others' decode
        flagged = shaped.with_columns(json_shape.suspects(pl.col("text"), shape).alias("_suspect"))
        _decode_parts(flagged.filter(~pl.col("_suspect")).drop("_suspect"), dtype, what, good, rejects)
        _decode_suspects(flagged.filter(pl.col("_suspect")).drop("_suspect"), dtype, shape, what, good, rejects)
        if memo is not None:  # a bad JSON object here: the next chunk likely holds one too
            memo[_REFUSED] = any(r.height for r in rejects[1:])
        if len(rejects) > 1:  # the bad JSON objects in file order
            rejects = [rejects[0], pl.concat(rejects[1:]).sort("_rec")]
    fields = [f.name for f in dtype.fields]
    if good:
        out = pl.concat(good).sort("_rec")
    else:
        out = shaped.clear().with_columns(pl.lit(None, dtype=dtype).alias("_j"))
    out = out.unnest("_j") if fields else out.drop("_j")
    return out, pl.concat(rejects)


def _decode_suspects(
    df: pl.DataFrame,
    dtype: pl.Struct,
    shape: json_shape.Shape,
    what: str,
    good: list[pl.DataFrame],
    rejects: list[pl.DataFrame],
) -> None:
    """The suspect lines: broken JSON (for Python's parser) and wrong shapes are rejects, the rest rows.

    A line Python cannot parse is "not valid JSON"; the decoder's verdict on the others is
    read by walking each line (``json_shape.first_misfit``); its error text for a misfit
    comes from one decode per distinct (path, value), once the decoder is known to parse
    the line (``json_shape.parsable``; a line it cannot parse is decoded alone, for the
    parser's error).  The lines that fit are decoded together.
    """
    if df.height == 0:
        return
    texts = df.get_column("text").to_list()
    valid = [_loads(t) is not _INVALID for t in texts]
    misfits = [json_shape.first_misfit(t, shape) if ok else None for t, ok in zip(texts, valid, strict=True)]
    odd = [i for i, m in enumerate(misfits) if m is not None]
    errors: list[str | None] = [None] * len(texts)
    said: dict[tuple[object, str], str | None] = {}
    for i, parses in zip(odd, json_shape.parsable([texts[i] for i in odd]), strict=True):
        path, a, b = misfits[i]  # type: ignore[misc]
        key = (path, texts[i][a:b])
        if parses and key not in said:
            said[key] = _decode_error(json_shape.alone(path, key[1]), dtype)
        errors[i] = said[key] if parses and said[key] is not None else _decode_error(texts[i], dtype)
    valid_s = pl.Series(valid, dtype=pl.Boolean)
    failed = pl.Series([e is not None for e in errors], dtype=pl.Boolean)
    rejects.append(rejects_of(df.filter(~valid_s), f"not valid JSON (a {what} line cut or damaged)"))
    _decode_parts(df.filter(valid_s & ~failed), dtype, what, good, rejects)
    reasons = pl.Series("_reason", [f"not a {what} record: {e}" for e in errors if e is not None], dtype=pl.String)
    rejects.append(rejects_of(df.filter(failed).with_columns(reasons), pl.col("_reason")))


def _decode_parts(
    df: pl.DataFrame, dtype: pl.Struct, what: str, good: list[pl.DataFrame], rejects: list[pl.DataFrame]
) -> None:
    """Decode ``df`` at once; if that fails, in halves (row by row below ``_ROW_BY_ROW``): each failing line a reject."""
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
    # not ``when(cleaned != "{}").then(cleaned)``: that evaluated the encoding and the regex
    # twice (no common-subexpression elimination inside one expression), half of this cost
    return cleaned.replace("{}", None)


def dash(expr: pl.Expr) -> pl.Expr:
    """``-`` and the empty string are 'no value'."""
    return pl.when(expr.is_in(["-", ""])).then(None).otherwise(expr)


def no_events() -> pl.DataFrame:
    """The empty events frame (a chunk without any event)."""
    return pl.DataFrame({"_rec": []}, schema={"_rec": pl.Int64})
