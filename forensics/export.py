"""Exports for other tools: JSON lines, CSV (formula-safe) and Timesketch.

CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
CR) are prefixed with a single quote, as OWASP recommends.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.redact import redact_frame

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TIMESKETCH_FIELDS = ["message", "datetime", "timestamp_desc"]


def neutralise_formulas(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix every string cell that starts like a formula with ``'``."""
    starts = "^[" + "".join("\\" + c if c in "-+" else c for c in "=+-@") + "\t\r]"
    return df.with_columns(
        pl.when(pl.col(c).str.contains(starts)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in df.schema.items()
        if t == pl.String
    )


def _flatten(df: pl.DataFrame) -> pl.DataFrame:
    """Lists become JSON arrays, times ISO 8601 with Z, so CSV keeps every value."""
    cols = []
    for c, t in df.schema.items():
        if isinstance(t, pl.List):
            cols.append(
                pl.when(pl.col(c).is_null())
                .then(None)
                .otherwise(pl.col(c).list.eval(pl.element().cast(pl.String)).cast(pl.List(pl.String)).list.join("|"))
                .alias(c)
            )
        elif isinstance(t, pl.Datetime):
            cols.append(pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").alias(c))
        else:
            cols.append(pl.col(c))
    return df.select(cols)


def timesketch_frame(events: pl.DataFrame) -> pl.DataFrame:
    """Timesketch wants ``message``, ``datetime`` (ISO 8601) and ``timestamp_desc`` first."""
    ts = events.with_columns(
        pl.col("@timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").alias("datetime"),
        pl.col("@timestamp").dt.epoch("us").alias("timestamp"),
        pl.coalesce(pl.col("message"), pl.col("event.original")).alias("message"),
        pl.col("timestamp_desc").fill_null("Event time"),
    )
    rest = [c for c in ts.columns if c not in TIMESKETCH_FIELDS and c != "timestamp"]
    return ts.select([*TIMESKETCH_FIELDS, "timestamp", *rest])


def export_events(events: pl.DataFrame, fmt: str, out: Path, *, keep_secrets: bool = False) -> Path:
    """Write ``events`` as ``jsonl``, ``csv`` or ``timesketch`` (CSV, or JSONL if ``out`` ends in .jsonl).

    Secrets written into logs by accident (a password in a URL, a session cookie...: see
    ``forensics.redact``) are masked unless ``keep_secrets``; ``events.parquet`` keeps the
    text exactly as written.
    """
    if not keep_secrets:
        events = redact_frame(events)
    if fmt == "timesketch":
        events = timesketch_frame(events)
        fmt = "jsonl" if out.suffix == ".jsonl" else "csv"
    if fmt == "jsonl":
        _flatten_times(events).write_ndjson(out)
    elif fmt == "csv":
        neutralise_formulas(_flatten(events)).write_csv(out)
    else:
        raise ValueError(f"unknown export format {fmt!r} (jsonl, csv, timesketch)")
    return out


def _flatten_times(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ") for c, t in df.schema.items() if isinstance(t, pl.Datetime)
    )
