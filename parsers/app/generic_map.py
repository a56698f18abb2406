"""Mapping any application's audit records onto the event schema, from the case config.

A ``[[source]]`` with ``format = "jsonl"`` or ``"csv"`` says how its records map:

* ``fields``: schema column -> source key (``"user.name" = "actor"``); for JSON a dotted
  key reaches into nested objects (``"source.ip" = "client.ip"``).  ``@timestamp`` is
  required: it names the record's time.
* ``values`` (optional): per schema column, source value -> our value
  (``[source.values."event.action"] "LOGIN_OK" = "login"``).
* ``timestamp_format`` (optional): a chrono/strftime format (``%Y-%m-%dT%H:%M:%S%.f%z``).
  ISO 8601 (``T`` or space, optional fraction, optional ``Z``/offset) and epoch seconds
  (9-11 digits, optional fraction) or milliseconds (12-14 digits) are recognised without
  it, and also for values the format does not read.

A record whose mapped timestamp is missing or unreadable is a reject that says so.
``event.action`` must end in the action vocabulary (``forensics.schema.ACTIONS``): an
unknown value becomes ``log_message`` with the tag ``action_unmapped`` (the source value
stays in labels); the same goes for ``event.outcome`` (``success``/``failure``/``unknown``,
tag ``outcome_unmapped``).  Unmapped source keys are kept in ``labels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from forensics.schema import ACTIONS, EVENT_SCHEMA
from parsers.app.common import STR_LIST, tag_column
from parsers.base import offset_seconds

#: Columns the engine fills; a mapping may not set them.
RESERVED = {
    "event.id",
    "event.dataset",
    "event.original",
    "log.source",
    "log.file.path",
    "log.file.sha256",
    "log.file.line",
    "log.file.lines",
    "log.offset",
    "time.zone",
    "time.zone_source",
    "time.flags",
    "time.recorded",
    "time.earliest",
    "time.latest",
    "time.skew",
    "time.original",
    "related.ip",
    "related.user",
    "tags",
}
OUTCOMES = ["success", "failure", "unknown"]

ISO_RX = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)(?P<frac>[.,]\d{1,9})?\s*"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
EPOCH_S_RX = r"^\d{9,11}(?:\.\d{1,9})?$"
EPOCH_MS_RX = r"^\d{12,14}$"
TRAILING_OFFSET_RX = r"(Z|[+-]\d{2}:?\d{2})\s*$"


class MappingError(ValueError):
    """The ``fields``/``values`` of a source do not describe a usable mapping."""


def check_mapping(options: Mapping[str, Any], fmt: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Validate and normalise ``fields`` and ``values``; raise MappingError with the key at fault."""
    fields = options.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        raise MappingError(
            f'format "{fmt}" needs a [source.fields] table mapping schema columns to source keys, '
            'at least "@timestamp" = "<key of the time>"'
        )
    out: dict[str, str] = {}
    for column, key in fields.items():
        if column != "@timestamp" and column not in EVENT_SCHEMA:
            raise MappingError(f"[source.fields] {column!r} is not an event schema column (see forensics.schema)")
        if column in RESERVED:
            raise MappingError(f"[source.fields] {column!r} is filled by the engine and cannot be mapped")
        if not isinstance(key, str) or not key:
            raise MappingError(f"[source.fields] {column!r} must name a source key (a non-empty string)")
        out[column] = key
    if "@timestamp" not in out:
        raise MappingError('[source.fields] must map "@timestamp" to the key that holds the time')
    values = options.get("values") or {}
    if not isinstance(values, Mapping):
        raise MappingError("[source.values] must be a table of tables (schema column -> source value -> value)")
    vals: dict[str, dict[str, str]] = {}
    for column, table in values.items():
        if column not in out:
            raise MappingError(f"[source.values] {column!r} is not mapped in [source.fields]")
        if not isinstance(table, Mapping):
            raise MappingError(f"[source.values.{column!r}] must be a table of source value = value")
        vals[column] = {str(k): str(v) for k, v in table.items()}
    return out, vals


def parse_time(raw: pl.Expr, timestamp_format: str | None, df: pl.DataFrame) -> pl.DataFrame:
    """Add ``_ts`` (wall clock as written), ``_offset`` and ``time.original`` from ``raw``.

    With ``timestamp_format``, values it does not read fall back to ISO 8601 / epoch
    (unambiguous forms, so the fallback cannot misread a date).
    """
    df = df.with_columns(raw.str.strip_chars().alias("time.original"))
    df = _auto_time(df)
    if not timestamp_format:
        return df
    text = pl.col("time.original")
    parsed = df.select(text.str.to_datetime(timestamp_format, strict=False, time_unit="us").alias("p")).get_column("p")
    if getattr(parsed.dtype, "time_zone", None) is not None:
        offset = pl.coalesce(offset_seconds(text.str.extract(TRAILING_OFFSET_RX, 1)), pl.lit(0, dtype=pl.Int32))
        utc = parsed.dt.replace_time_zone(None)
        fmt_ts = pl.col("_fmt") + pl.duration(seconds=offset)
        fmt_offset = offset
    else:
        utc = parsed
        fmt_ts = pl.col("_fmt")
        fmt_offset = pl.lit(None, dtype=pl.Int32)
    df = df.with_columns(utc.alias("_fmt"))
    ok = pl.col("_fmt").is_not_null()
    return df.with_columns(
        pl.when(ok).then(fmt_ts).otherwise(pl.col("_ts")).alias("_ts"),
        pl.when(ok).then(fmt_offset).otherwise(pl.col("_offset")).alias("_offset"),
    ).drop("_fmt")


def _auto_time(df: pl.DataFrame) -> pl.DataFrame:
    """ISO 8601 (``T`` or space, fraction, ``Z``/offset) or epoch seconds/ms from ``time.original``."""
    text = pl.col("time.original")
    iso = text.str.extract_groups(ISO_RX)
    df = df.with_columns(_iso=iso)
    clock = pl.col("_iso").struct.field("clock")
    clock = pl.when(clock.str.len_chars() == 5).then(pl.concat_str([clock, pl.lit(":00")])).otherwise(clock)
    frac = pl.col("_iso").struct.field("frac").str.replace(",", ".", literal=True).fill_null("")
    iso_ts = pl.concat_str([pl.col("_iso").struct.field("date"), pl.lit(" "), clock, frac]).str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
    )
    zone = pl.col("_iso").struct.field("zone")
    zone = pl.when(zone.str.len_chars() == 3).then(pl.concat_str([zone, pl.lit("00")])).otherwise(zone)
    seconds = text.cast(pl.Float64, strict=False)
    epoch_s = text.str.contains(EPOCH_S_RX)
    epoch_ms = text.str.contains(EPOCH_MS_RX)
    micros = (
        pl.when(epoch_s)
        .then((seconds * 1e6).round())
        .when(epoch_ms)
        .then(text.cast(pl.Int64, strict=False) * 1000)
        .cast(pl.Int64)
    )
    epoch_ts = pl.from_epoch(micros, time_unit="us")
    is_epoch = (epoch_s | epoch_ms).fill_null(False)
    return df.with_columns(
        pl.when(is_epoch).then(epoch_ts).otherwise(iso_ts).alias("_ts"),
        pl.when(is_epoch).then(pl.lit(0, dtype=pl.Int32)).otherwise(offset_seconds(zone)).alias("_offset"),
    ).drop("_iso")


def _cast(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return expr
    if dtype == STR_LIST:
        return expr.str.split(",").list.eval(pl.element().str.strip_chars())
    if dtype.is_integer() or dtype.is_float():
        return expr.str.strip_chars().cast(dtype, strict=False)
    return expr.cast(dtype, strict=False)


def mapped_events(
    df: pl.DataFrame,
    fields: Mapping[str, str],
    values: Mapping[str, Mapping[str, str]],
    timestamp_format: str | None,
    labels: pl.Expr,
    source_of: Mapping[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Events and rejects from ``df`` (``_rec`` + one String column per mapped source key).

    ``source_of`` maps each schema column to the name of its column in ``df``.
    """
    ts_key = fields["@timestamp"]
    work = parse_time(pl.col(source_of["@timestamp"]), timestamp_format, df)
    missing = work.filter(pl.col("time.original").is_null() | (pl.col("time.original") == ""))
    unreadable = work.filter(
        pl.col("_ts").is_null() & pl.col("time.original").is_not_null() & (pl.col("time.original") != "")
    )
    rejects = pl.concat(
        [
            missing.select("_rec", pl.lit(f"mapped timestamp field {ts_key!r} is missing").alias("reason")),
            unreadable.select(
                "_rec",
                pl.format(
                    "timestamp {} in {} is not "
                    + ("in the configured timestamp_format, " if timestamp_format else "")
                    + "ISO 8601 or epoch seconds/ms",
                    pl.col("time.original").str.slice(0, 60),
                    pl.lit(repr(ts_key)),
                ).alias("reason"),
            ),
        ]
    )
    work = work.filter(pl.col("_ts").is_not_null())
    columns: dict[str, pl.Expr] = {}
    for column in fields:
        if column == "@timestamp":
            continue
        expr = pl.col(source_of[column])
        if column in values:
            expr = expr.replace(dict(values[column]))
        columns[column] = _cast(expr, EVENT_SCHEMA[column])
    action = columns.get("event.action")
    outcome = columns.get("event.outcome")
    tag_conditions: dict[str, pl.Expr] = {}
    if action is not None:
        tag_conditions["action_unmapped"] = action.is_not_null() & ~action.is_in(list(ACTIONS))
        columns["event.action"] = pl.when(action.is_in(list(ACTIONS))).then(action).otherwise(pl.lit("log_message"))
    else:
        columns["event.action"] = pl.lit("log_message")
    if outcome is not None:
        tag_conditions["outcome_unmapped"] = outcome.is_not_null() & ~outcome.is_in(OUTCOMES)
        columns["event.outcome"] = pl.when(outcome.is_in(OUTCOMES)).then(outcome).otherwise(pl.lit("unknown"))
    else:
        columns["event.outcome"] = pl.lit("unknown")
    columns.setdefault("event.category", pl.lit("application"))
    columns.setdefault("timestamp_desc", pl.lit(f"Event time ({ts_key})"))
    events = work.select(
        "_rec",
        "_ts",
        "_offset",
        "time.original",
        *[e.alias(n) for n, e in columns.items()],
        labels.alias("labels"),
        tag_column(work, tag_conditions).alias("tags"),
    )
    return events, rejects
