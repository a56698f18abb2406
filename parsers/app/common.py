"""Helpers shared by the application and auth parsers: labels JSON, typed casts, IP bytes, tags.

``labels`` is a JSON object of source fields that have no schema column.  It is built
with polars expressions (one ``json_encode`` per key), never with a Python loop per row;
keys whose value is null are left out so the object only says what the source said.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping

import polars as pl

STR_LIST = pl.List(pl.String)


def _encoded_pair(key: str, value: pl.Expr) -> pl.Expr:
    """``"key":<value as JSON>`` (the braces of a one-key object stripped)."""
    return pl.struct(value.alias(key)).struct.json_encode().str.strip_prefix("{").str.strip_suffix("}")


def _plain_pair(key: str, value: pl.Expr) -> pl.Expr:
    """``"key":"<value>"`` for text that needs no JSON escape: what ``_encoded_pair`` writes, without the encoder."""
    return pl.concat_str([pl.lit(json.dumps(key) + ':"'), value, pl.lit('"')])


#: a character the JSON encoder escapes in a string
NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def plain_text_columns(df: pl.DataFrame, columns: Iterable[str]) -> set[str]:
    """The String ``columns`` of ``df`` none of whose values needs a JSON escape (``labels_json(plain=...)``)."""
    names = [c for c in columns if c in df.columns and df.schema[c] == pl.String]
    if not names or df.height == 0:
        return set(names)
    found = df.select([pl.col(c).str.contains(NEEDS_ESCAPE).any().fill_null(False) for c in names]).row(0)
    return {c for c, escape in zip(names, found, strict=True) if not escape}


def raw_json_pair(key: str, value: pl.Expr) -> pl.Expr:
    """``"key":<value>`` embedding ``value`` as-is when it is a valid JSON object or array.

    Anything else (truncated JSON, plain text) is embedded as a JSON string, so the
    labels object is always valid JSON and the source text is never rewritten.
    """
    text = value.cast(pl.String)
    stripped = text.str.strip_chars()
    is_container = stripped.str.contains(r"^[\[{]") & text.str.json_path_match("$").is_not_null()
    raw = pl.concat_str([pl.lit(json.dumps(key) + ":"), stripped])
    return pl.when(is_container.fill_null(False)).then(raw).otherwise(_encoded_pair(key, text))


def labels_json(
    items: Mapping[str, pl.Expr],
    raw_json: Iterable[str] = (),
    numeric: Mapping[str, pl.DataType] | None = None,
    plain: Iterable[str] = (),
) -> pl.Expr:
    """A JSON object of the non-null ``items`` (key -> expression), or null when all are null.

    Keys named in ``raw_json`` hold JSON text that is embedded as nested JSON when valid.
    Keys in ``numeric`` hold text that is written as a JSON number when it casts to the
    given type, and as the text itself otherwise (nothing is dropped).  Keys in ``plain``
    hold text known to need no JSON escape (``plain_text_columns``): their strings are
    written by concatenation instead of the JSON encoder, the same text for less work.
    """
    raw = set(raw_json)
    numbers = dict(numeric or {})
    simple = set(plain)
    pieces = []
    for key, expr in items.items():
        as_text = _plain_pair(key, expr) if key in simple else _encoded_pair(key, expr)
        if key in raw:
            pair = raw_json_pair(key, expr)
        elif key in numbers:
            cast = expr.str.strip_chars().cast(numbers[key], strict=False)
            number = cast.is_not_null() & (cast.is_finite() if numbers[key].is_float() else pl.lit(True))
            as_number = pl.concat_str([pl.lit(json.dumps(key) + ":"), cast.cast(pl.String)])
            pair = pl.when(number).then(as_number).otherwise(as_text)
        else:
            pair = as_text
        pieces.append(pl.when(expr.is_not_null()).then(pair))
    if not pieces:
        return pl.lit(None, dtype=pl.String)
    body = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    # one expression over the body (a when/then using it twice would build it twice)
    return pl.concat_str([pl.lit("{"), body, pl.lit("}")]).replace("{}", None)


def tag_list(conditions: Mapping[str, pl.Expr]) -> pl.Expr:
    """``tags`` list holding each name whose condition is true."""
    if not conditions:
        return pl.lit([], dtype=STR_LIST)
    parts = [pl.when(cond.fill_null(False)).then(pl.lit(name)) for name, cond in conditions.items()]
    return pl.concat_list(parts).list.drop_nulls()


def tag_column(frame: pl.DataFrame, conditions: Mapping[str, pl.Expr]) -> pl.Expr:
    """``tag_list`` of the rows of ``frame``, built once per distinct set of tags.

    Each row's conditions make one bit mask; the list of each distinct mask (a handful: most
    rows have none) is built once and gathered.  Building a list per row from every
    condition (``tag_list``) cost more than the rest of a table's columns together.  The
    same lists, names in the order of ``conditions``.
    """
    if not conditions or len(conditions) > 63:
        return tag_list(conditions)
    names = list(conditions)
    bits = [cond.fill_null(False).cast(pl.UInt64) * (1 << i) for i, cond in enumerate(conditions.values())]
    mask = frame.select(pl.sum_horizontal(bits).alias("_m")).to_series()
    seen = mask.unique().sort().to_list()
    lists = pl.Series([[n for i, n in enumerate(names) if k >> i & 1] for k in seen], dtype=STR_LIST)
    at = mask.replace_strict(seen, list(range(len(seen))), return_dtype=pl.UInt32)
    return pl.lit(lists.gather(at))


def to_int(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().cast(pl.Int64, strict=False)


def to_float(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().cast(pl.Float64, strict=False)


def to_datetime(expr: pl.Expr, fmt: str = "%Y-%m-%d %H:%M:%S") -> pl.Expr:
    """Naive ``Datetime("us")``; MySQL zero dates and impossible dates become null."""
    return expr.str.to_datetime(fmt, strict=False, time_unit="us")


def ip_from_bytes(value: str | None, latin1: bool) -> str | None:
    """Text form of an address stored as VARBINARY(16) (``inet_pton``).

    Accepts the hex form a client prints (``0xCB00712D``), the raw 4 or 16 bytes (as the
    dump wrote them, re-encoded the way the line was decoded), or an address already in
    text form.  Returns None when the value is none of these.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if text[:2] in ("0x", "0X") and len(text) in (10, 34):
        try:
            return str(ipaddress.ip_address(bytes.fromhex(text[2:])))
        except ValueError:
            return None
    try:
        raw = value.encode("latin-1" if latin1 else "utf-8")
    except UnicodeEncodeError:
        return None
    if len(raw) in (4, 16):
        return str(ipaddress.ip_address(raw))
    return None


def decode_ip_column(df: pl.DataFrame, column: str, out: str, latin1: str = "latin1") -> pl.DataFrame:
    """Add ``out``: the decoded address of ``column``, once per distinct (value, encoding)."""
    if df.height == 0:
        return df.with_columns(pl.lit(None, dtype=pl.String).alias(out))
    pairs = df.select(pl.col(column), pl.col(latin1).fill_null(False)).unique().drop_nulls(column)
    decoded = [ip_from_bytes(v, bool(f)) for v, f in pairs.iter_rows()]
    mapping = pairs.with_columns(pl.Series(out, decoded, dtype=pl.String))
    return df.join(mapping, on=[column, latin1], how="left", maintain_order="left", nulls_equal=True)
