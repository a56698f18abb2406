"""Helpers the database parsers share: labels as JSON, timestamps, client hosts, session carry.

Everything here is a polars expression or works once per distinct value, so the parsers
stay vectorised.  The session carry (``carry_session``) is the one piece of cross-record
memory: it lets a query inherit the account and database of the connection it runs on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from parsers.base import ParserState
from parsers.base import split_match as base_split_match

CATEGORY = "database"

#: An IPv4 address, or something made only of hex digits, colons and dots with a colon (IPv6).
_IP = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%\w+)?)$"

#: MySQL/MariaDB short timestamps: ``241027  0:41:03`` (YYMMDD, hour padded with a space).
SHORT_TS = r"\d{6}\s+\d{1,2}:\d\d:\d\d(?:\.\d+)?"
#: ISO 8601 timestamps as MySQL >= 5.7 writes them, with ``Z`` or an offset.
ISO_TS = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"


def split_match(records: pl.DataFrame, pattern: str, column: str = "text") -> tuple[pl.DataFrame, pl.DataFrame]:
    """``parsers.base.split_match`` for patterns whose first group is optional.

    The base helper tells matched rows by their first group; an empty sentinel group put
    in front makes that test right whatever the pattern's first real group is.
    """
    flags = ""
    body = pattern
    if body.startswith("(?"):
        # keep leading inline flags such as (?s) in front
        end = body.index(")") + 1
        if body[2 : end - 1].isalpha():
            flags, body = body[:end], body[end:]
    anchored = body.startswith("^")
    sentinel = f"{flags}{'^' if anchored else ''}(?P<_hit>){body[1:] if anchored else body}"
    matched, unmatched = base_split_match(records, sentinel, column)
    return matched.drop("_hit"), unmatched


def no_events() -> pl.DataFrame:
    """The empty events frame a parser returns when a batch holds no usable record."""
    return pl.DataFrame(schema={"_rec": pl.Int64, "_ts": pl.Datetime("us")})


def null_if_empty(expr: pl.Expr) -> pl.Expr:
    """An empty string is no value."""
    return pl.when(expr == "").then(None).otherwise(expr)


def is_ip(expr: pl.Expr) -> pl.Expr:
    """True when the text looks like an IPv4 or IPv6 address (not a host name)."""
    return expr.str.contains(_IP).fill_null(False)


def ip_or_null(expr: pl.Expr) -> pl.Expr:
    """The value when it is an IP address, else null (host names go to labels)."""
    return pl.when(is_ip(expr)).then(expr).otherwise(None)


def host_or_null(expr: pl.Expr) -> pl.Expr:
    """The value when it is a host name (not an IP, not empty), else null."""
    return pl.when(is_ip(expr) | (expr == "")).then(None).otherwise(expr)


def json_quote(expr: pl.Expr) -> pl.Expr:
    """A string (or number) as a JSON literal; null stays null."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    return pl.when(expr.is_null()).then(None).otherwise(encoded.str.slice(5).str.strip_suffix("}"))


def labels_json(pairs: Sequence[tuple[str, pl.Expr]], raw_pairs: Iterable[pl.Expr] = ()) -> pl.Expr:
    """A JSON object string from (key, expression) pairs; null values are left out.

    ``raw_pairs`` are list expressions of already formatted ``"key":value`` strings (for
    sources with open-ended key/value lists such as slow-log header lines).
    """
    items = [pl.concat_str([pl.lit(json.dumps(key) + ":"), json_quote(expr)]) for key, expr in pairs]
    lists = [pl.concat_list(items)] if items else []
    lists.extend(raw_pairs)
    body = pl.concat_list(lists).list.drop_nulls().list.join(",")
    # one expression over the body (a when/then using it twice would build it twice)
    return pl.concat_str([pl.lit("{"), body, pl.lit("}")]).replace("{}", None)


def label_object(fields: dict[str, pl.Expr]) -> pl.Expr:
    """A JSON object string of ``fields`` without the null ones (null when all are null).

    Keys must be plain identifiers (written as they are); each value is written by the JSON
    encoder with its own type, and the non-null members are joined.  (Cutting the null
    members out of the whole encoded object instead scanned it once more, and the ``,}`` it
    left behind could be found first inside a value such as ``{a,}``.)
    """
    for key in fields:
        if not key.replace("_", "").isalnum():
            raise ValueError(f"label key {key!r} must be a plain identifier")
    members = [pl.concat_str([pl.lit(f'"{key}":'), json_quote(expr)]) for key, expr in fields.items()]
    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.concat_str([pl.lit("{"), body, pl.lit("}")]).replace("{}", None)


_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def with_label_object(df: pl.DataFrame, fields: dict[str, pl.Expr], name: str = "labels") -> pl.DataFrame:
    """``label_object`` for a whole frame, fast on the hot path.

    A field none of whose values needs JSON escaping (quotes, backslashes, control
    characters) in this batch is a plain concatenation; only the fields holding such a
    value go through the JSON encoder, one field at a time, so a long quoted statement
    does not make every other label pay.  The result is the same text either way.
    """
    temp = {f"_lbl_{i}": expr.cast(pl.String) for i, expr in enumerate(fields.values())}
    df = df.with_columns(**temp)
    names = list(temp)
    escape = df.select([pl.col(c).str.contains(_NEEDS_ESCAPE).any().fill_null(False) for c in names]).row(0)
    # a field null on every row of the batch adds nothing: it is left out of the concatenation
    present = [df.get_column(c).null_count() < df.height for c in names]
    parts = [
        pl.concat_str([pl.lit(f'"{key}":'), json_quote(pl.col(c))])
        if needs
        else pl.concat_str([pl.lit(f'"{key}":"'), pl.col(c), pl.lit('"')])
        for key, c, needs, there in zip(fields, names, escape, present, strict=True)
        if there
    ]
    if not parts:
        return df.with_columns(pl.lit(None, dtype=pl.String).alias(name)).drop(names)
    # the body is stored once, then wrapped (an expression using it twice would build it twice)
    df = df.with_columns(pl.concat_str(parts, separator=",", ignore_nulls=True).alias(name))
    body = pl.col(name)
    value = pl.when(body == "").then(None).otherwise(pl.concat_str([pl.lit("{"), body, pl.lit("}")]))
    return df.with_columns(value.alias(name)).drop(names)


def short_ts(expr: pl.Expr) -> pl.Expr:
    """``241027  0:41:03`` / ``071015 21:43:52`` (naive local) -> Datetime."""
    clean = expr.str.strip_chars().str.replace_all(r"\s+", " ")
    return clean.str.to_datetime("%y%m%d %H:%M:%S%.f", strict=False, time_unit="us")


def iso_ts(expr: pl.Expr) -> pl.Expr:
    """The wall-clock part of an ISO 8601 timestamp (zone handled by ``iso_offset``)."""
    wall = expr.str.extract(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)", 0).str.replace(" ", "T", literal=True)
    return wall.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")


def iso_offset(expr: pl.Expr) -> pl.Expr:
    """Seconds east of UTC of an ISO 8601 timestamp (``Z`` = 0); null when it has no zone."""
    zone = expr.str.extract(r"(Z|[+-]\d\d:?\d\d)$", 1)
    sign = pl.when(zone.str.slice(0, 1) == "-").then(-1).otherwise(1)
    digits = zone.str.replace(":", "", literal=True)
    value = sign * (
        digits.str.slice(1, 2).cast(pl.Int32, strict=False) * 3600
        + digits.str.slice(3, 2).cast(pl.Int32, strict=False) * 60
    )
    return pl.when(zone == "Z").then(pl.lit(0)).otherwise(value).cast(pl.Int32)


def epoch_ts(expr: pl.Expr) -> pl.Expr:
    """Seconds since the epoch (text, may have a fraction) -> naive UTC Datetime("us")."""
    micros = (expr.cast(pl.Float64, strict=False) * 1_000_000).round().cast(pl.Int64)
    return pl.from_epoch(micros, time_unit="us").cast(pl.Datetime("us"))


def seconds_to_ns(expr: pl.Expr) -> pl.Expr:
    """``27.514902`` (seconds, text) -> nanoseconds (Int64)."""
    return (expr.cast(pl.Float64, strict=False) * 1e9).round().cast(pl.Int64)


def add_tag(tags: pl.Expr, condition: pl.Expr, tag: str) -> pl.Expr:
    """Append ``tag`` to a list column where ``condition`` holds."""
    extra = pl.when(condition.fill_null(False)).then(pl.lit([tag])).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    return pl.concat_list([tags.fill_null(pl.lit([], dtype=pl.List(pl.String))), extra])


def empty_tags() -> pl.Expr:
    return pl.lit([], dtype=pl.List(pl.String))


def carry_session(
    df: pl.DataFrame,
    state: ParserState,
    *,
    key: str,
    values: Sequence[str],
    start: pl.Expr,
    setter: pl.Expr,
    reset: pl.Expr | None = None,
    end: pl.Expr | None = None,
    tag: str = "db_session_carried",
) -> pl.DataFrame:
    """Fill missing session values (account, database, client) from the connection's earlier records.

    A session is one connection id between a ``start`` record (a successful connect)
    and the next start of the same id; ``setter`` records (the start, ``Init DB``, a
    PostgreSQL ``connection authorized``) bring values, the other records of the session
    inherit them where their own value is null, and are tagged ``tag`` so the inference
    is visible.  ``reset`` marks a server restart (ids start again).  The map of open
    sessions is kept in ``state`` (the caller passes ``state["source"]`` so rotated files
    continue one another); ``end`` records close a session in that map.  ``df`` must be in
    file order.
    """
    if df.height == 0:
        return df
    seed: dict[Any, list[Any]] = state.setdefault("sessions", {})
    reset_expr = reset if reset is not None else pl.lit(False)
    end_expr = end if end is not None else pl.lit(False)
    work = df.with_columns(
        _start=start.fill_null(False),
        _setter=setter.fill_null(False),
        _end=end_expr.fill_null(False),
        _epoch=reset_expr.fill_null(False).cast(pl.Int32).cum_sum(),
        _pos=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    # a session ends at its start's successor or just after an ``end`` record of the same id
    after_end = pl.col("_end").shift(1).over(key, "_epoch").fill_null(False)
    work = work.with_columns(_seg=(pl.col("_start") | after_end).cast(pl.Int32).cum_sum().over(key, "_epoch"))
    groups = [key, "_epoch", "_seg"]
    carried = [
        pl.when(pl.col("_setter")).then(pl.col(v)).otherwise(None).forward_fill().over(groups).alias(f"_c_{v}")
        for v in values
    ]
    work = work.with_columns(carried)
    if seed:
        keys = list(seed)
        seed_df = pl.DataFrame(
            {key: keys, **{f"_s_{v}": [seed[k][i] for k in keys] for i, v in enumerate(values)}},
            schema={key: work.schema[key], **{f"_s_{v}": work.schema[v] for v in values}},
        )
        work = work.join(seed_df, on=key, how="left", maintain_order="left")
        first = (pl.col("_epoch") == 0) & (pl.col("_seg") == 0)
        work = work.with_columns(
            [
                pl.when(first).then(pl.coalesce(f"_c_{v}", f"_s_{v}")).otherwise(f"_c_{v}").alias(f"_c_{v}")
                for v in values
            ]
        ).drop([f"_s_{v}" for v in values])
    inherited = pl.any_horizontal([pl.col(v).is_null() & pl.col(f"_c_{v}").is_not_null() for v in values])
    work = work.with_columns(_inherited=inherited)
    # the map for the next chunk: last state of each id in the last epoch, without closed sessions
    last_epoch = work.get_column("_epoch").max()
    if last_epoch:
        seed.clear()
    tail = (
        work.filter(pl.col("_epoch") == last_epoch)
        .group_by(key)
        .agg(pl.col("_end").last(), *[pl.col(f"_c_{v}").last() for v in values])
    )
    for row in tail.iter_rows():
        k, ended, vals = row[0], row[1], list(row[2:])
        if k is None:
            continue
        if ended or all(v is None for v in vals):
            seed.pop(k, None)
        else:
            seed[k] = vals
    out = work.with_columns([pl.coalesce(v, f"_c_{v}").alias(v) for v in values])
    if "tags" in out.columns:
        out = out.with_columns(add_tag(pl.col("tags"), pl.col("_inherited"), tag).alias("tags"))
    else:
        out = out.with_columns(pl.when(pl.col("_inherited")).then(pl.lit([tag])).otherwise(empty_tags()).alias("tags"))
    return out.sort("_pos").drop(
        ["_start", "_setter", "_end", "_epoch", "_pos", "_seg", "_inherited", *[f"_c_{v}" for v in values]]
    )
