"""Helpers shared by the web parsers: request splitting, Apache unescaping, URL decoding.

Decoding runs in Python once per *distinct* value that needs it (values with a backslash
or a ``%``), never once per line, so the hot path stays in polars.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

import polars as pl

_APACHE_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)")


def unescape_apache(value: str) -> str:
    """Undo Apache/nginx log escaping: ``\\"``, ``\\\\``, ``\\n``, ``\\t`` and ``\\xhh`` bytes.

    The ``\\xhh`` bytes are gathered and decoded as UTF-8 when valid, otherwise latin-1.
    """
    out = bytearray()
    pos = 0
    for m in _APACHE_ESCAPE.finditer(value):
        out += value[pos : m.start()].encode("utf-8", "surrogatepass")
        code = m.group(1)
        if code.startswith("x") and len(code) == 3:
            out.append(int(code[1:], 16))
        else:
            out += {"n": b"\n", "t": b"\t", "r": b"\r", "v": b"\v", "b": b"\b"}.get(
                code, code.encode("utf-8", "surrogatepass")
            )
        pos = m.end()
    out += value[pos:].encode("utf-8", "surrogatepass")
    return _decode(bytes(out))


def percent_decode(value: str) -> str:
    """``%E9`` -> ``é`` for display: UTF-8 when the bytes are valid UTF-8, else latin-1."""
    return _decode(unquote_to_bytes(value))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def map_distinct(df: pl.DataFrame, column: str, func: Callable[[str], str], needs: str) -> pl.DataFrame:
    """Replace ``column`` by ``func(value)`` where the value contains ``needs``, per distinct value."""
    if column not in df.columns or df.height == 0:
        return df
    mask = pl.col(column).str.contains(needs, literal=True).fill_null(False)
    todo = df.filter(mask).get_column(column).unique()
    if todo.len() == 0:
        return df
    mapping = pl.DataFrame(
        {"_k": todo, "_v": [func(v) for v in todo.to_list()]}, schema={"_k": pl.String, "_v": pl.String}
    )
    return (
        df.join(mapping, left_on=column, right_on="_k", how="left", maintain_order="left")
        .with_columns(pl.coalesce(pl.col("_v"), pl.col(column)).alias(column))
        .drop("_v")
    )


def split_request(request: pl.Expr) -> list[pl.Expr]:
    """``"GET /a?b=1 HTTP/1.1"`` -> method, url.original, http.version (HTTP/0.9 lines have no version)."""
    parts = request.str.splitn(" ", 3)
    method = parts.struct.field("field_0")
    target = parts.struct.field("field_1")
    version = parts.struct.field("field_2").str.strip_prefix("HTTP/")
    ok = target.is_not_null()
    return [
        pl.when(ok).then(method).alias("http.request.method"),
        pl.when(ok).then(target).alias("url.original"),
        pl.when(ok).then(version).alias("http.version"),
    ]


def url_parts(df: pl.DataFrame) -> pl.DataFrame:
    """``url.path`` and ``url.query`` from ``url.original``, percent-decoded for display."""
    target = pl.col("url.original")
    parts = target.str.splitn("?", 2)
    df = df.with_columns(
        parts.struct.field("field_0").alias("url.path"),
        parts.struct.field("field_1").alias("url.query"),
    )
    df = map_distinct(df, "url.path", percent_decode, "%")
    return map_distinct(df, "url.query", percent_decode, "%")
