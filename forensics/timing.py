"""Time you can defend: zone decisions, DST flags and clock-skew correction.

Parsers hand over the wall-clock time as written (``_ts``) and, when the record carries
one, its UTC offset (``_offset``).  Here that becomes ``time.recorded`` (UTC as the
source's clock said it), ``time.zone``/``time.zone_source`` (which zone was used and why)
and ``time.flags``; ``@timestamp`` is ``time.recorded`` minus the source's clock skew.
Nothing is shifted silently: every decision is a column or a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from forensics.schema import UTC_US

ZONE_SOURCES = ("record", "source", "case", "assumed_utc")


@dataclass(frozen=True)
class ZoneDecision:
    """Which zone reads a source's naive timestamps, and why."""

    zone: str
    source: str  # one of ZONE_SOURCES (record is decided per event)


def decide_zone(source_tz: str | None, case_tz: str | None) -> ZoneDecision:
    """Source config beats the case default (or ``--tz``); with neither, UTC is assumed (and warned)."""
    if source_tz:
        return ZoneDecision(source_tz, "source")
    if case_tz:
        return ZoneDecision(case_tz, "case")
    return ZoneDecision("UTC", "assumed_utc")


def _format_offset(seconds: pl.Expr) -> pl.Expr:
    sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    a = seconds.abs()
    hh = (a // 3600).cast(pl.String).str.zfill(2)
    mm = ((a % 3600) // 60).cast(pl.String).str.zfill(2)
    return pl.concat_str([sign, hh, pl.lit(":"), mm])


def localize(events: pl.DataFrame, decision: ZoneDecision, state: dict[str, Any] | None = None) -> pl.DataFrame:
    """Fill the ``time.*`` columns from ``_ts``/``_offset``.

    Records with an offset are exact (``record``).  Naive records take the decided zone;
    inside a DST fall-back hour both readings are kept (``time.earliest``/``time.latest``)
    and resolved from file order when the local clock visibly goes back; a time that does
    not exist (spring-forward gap) is read with the offset in force before the change and
    flagged ``dst_nonexistent``.
    """
    state = {} if state is None else state
    if "_offset" not in events.columns:
        events = events.with_columns(_offset=pl.lit(None, dtype=pl.Int32))
    if "time.flags" not in events.columns:
        events = events.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"))
    ts = pl.col("_ts").cast(pl.Datetime("us"))
    has_offset = pl.col("_offset").is_not_null()
    exact = (ts - pl.duration(seconds=pl.col("_offset").cast(pl.Int64))).dt.replace_time_zone("UTC")
    zone = decision.zone
    early = ts.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    late = ts.dt.replace_time_zone(zone, ambiguous="latest", non_existent="null").dt.convert_time_zone("UTC")
    gap = (ts - pl.duration(hours=1)).dt.replace_time_zone(
        zone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC") + pl.duration(hours=1)
    df = events.with_columns(
        _early=pl.when(has_offset).then(exact).otherwise(early).cast(UTC_US),
        _late=pl.when(has_offset).then(exact).otherwise(late).cast(UTC_US),
        _gap=gap.cast(UTC_US),
    )
    ambiguous = ~has_offset & (pl.col("_early") != pl.col("_late"))
    nonexistent = ~has_offset & pl.col("_early").is_null() & pl.col("_ts").is_not_null()
    df = df.with_columns(_amb=ambiguous.fill_null(False), _nonex=nonexistent.fill_null(False))
    df = resolve_fall_back(df, state)
    recorded = (
        pl.when(pl.col("_nonex"))
        .then(pl.col("_gap"))
        .when(pl.col("_amb") & pl.col("_amb_late").fill_null(False))
        .then(pl.col("_late"))
        .otherwise(pl.col("_early"))
    )
    new_flags = pl.concat_list(
        [
            pl.when(pl.col("_amb") & pl.col("_amb_resolved")).then(pl.lit("dst_ambiguous_resolved")),
            pl.when(pl.col("_amb") & ~pl.col("_amb_resolved")).then(pl.lit("dst_ambiguous")),
            pl.when(pl.col("_nonex")).then(pl.lit("dst_nonexistent")),
        ]
    ).list.drop_nulls()
    df = df.with_columns(
        pl.when(has_offset).then(pl.lit("record")).otherwise(pl.lit(decision.source)).alias("time.zone_source"),
        pl.when(has_offset).then(_format_offset(pl.col("_offset"))).otherwise(pl.lit(zone)).alias("time.zone"),
        recorded.alias("time.recorded"),
        pl.when(pl.col("_amb") & ~pl.col("_amb_resolved")).then(pl.col("_early")).alias("time.earliest"),
        pl.when(pl.col("_amb") & ~pl.col("_amb_resolved")).then(pl.col("_late")).alias("time.latest"),
        pl.concat_list([pl.col("time.flags").fill_null([]), new_flags]).alias("time.flags"),
    )
    return df.drop("_early", "_late", "_gap", "_amb", "_nonex", "_amb_late", "_amb_resolved")


def resolve_fall_back(df: pl.DataFrame, state: dict[str, Any]) -> pl.DataFrame:
    """Decide, in file order, which ambiguous records fall after the clock went back.

    Rule: within a source read oldest file first, once a naive local time is seen to go
    backwards inside the repeated hour (or a time after the repeated hour is seen), the
    later ambiguous records are in the second pass (standard time).  Records before any
    such sign, when a later sign proves they were in the first pass, are resolved too;
    otherwise they stay ``dst_ambiguous`` with both candidate instants.
    Adds ``_amb_late`` (bool) and ``_amb_resolved`` (bool).
    """
    if not df.get_column("_amb").any():
        return df.with_columns(_amb_late=pl.lit(False), _amb_resolved=pl.lit(False))
    # Position of the repeated hour a record belongs to: the UTC instant of its 'late' reading.
    order = pl.int_range(pl.len())
    work = df.with_columns(_pos=order)
    amb = work.filter(pl.col("_amb")).select("_pos", "_ts", "_late")
    crossed: dict[str, Any] = state.setdefault("dst_crossed", {})
    late_flags: list[bool] = []
    resolved: list[bool] = []
    last_seen: dict[str, Any] = state.setdefault("dst_last", {})
    for ts, late in zip(amb.get_column("_ts").to_list(), amb.get_column("_late").to_list()):
        key = late.strftime("%Y-%m-%d")
        prev = last_seen.get(key)
        if crossed.get(key):
            late_flags.append(True)
            resolved.append(True)
        elif prev is not None and ts < prev - _BACKSTEP:
            crossed[key] = True
            late_flags.append(True)
            resolved.append(True)
        else:
            late_flags.append(False)
            resolved.append(False)
        last_seen[key] = ts if prev is None or ts > prev else prev
    marks = amb.select("_pos").with_columns(
        _amb_late=pl.Series(late_flags, dtype=pl.Boolean), _amb_resolved=pl.Series(resolved, dtype=pl.Boolean)
    )
    out = work.join(marks, on="_pos", how="left").sort("_pos").drop("_pos")
    return out.with_columns(pl.col("_amb_late").fill_null(False), pl.col("_amb_resolved").fill_null(False))


#: A naive clock going back by more than this inside the repeated hour marks the change.
_BACKSTEP = __import__("datetime").timedelta(minutes=5)


def apply_skew(events: pl.LazyFrame, skews: dict[str, float]) -> pl.LazyFrame:
    """``@timestamp`` = ``time.recorded`` minus the skew of the event's source (seconds).

    ``skews`` maps a ``log.source`` to seconds its clock is ahead; sources not named keep
    ``@timestamp`` = ``time.recorded``.
    """
    if not skews:
        return events.with_columns(
            pl.col("time.recorded").alias("@timestamp"), pl.lit(None, dtype=pl.Float64).alias("time.skew")
        )
    table = pl.LazyFrame(
        {"log.source": list(skews), "_skew": list(skews.values())},
        schema={"log.source": pl.String, "_skew": pl.Float64},
    )
    return (
        events.join(table, on="log.source", how="left", maintain_order="left")
        .with_columns(
            (
                pl.col("time.recorded")
                - pl.duration(microseconds=(pl.col("_skew").fill_null(0) * 1e6).round().cast(pl.Int64))
            ).alias("@timestamp"),
            pl.col("_skew").alias("time.skew"),
            pl.when(pl.col("_skew").is_not_null() & (pl.col("_skew") != 0))
            .then(pl.concat_list([pl.col("time.flags"), pl.lit(["skew_corrected"])]))
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
        )
        .drop("_skew")
    )
