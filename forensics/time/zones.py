"""Zones: each chunk's wall-clock times read in the decided zone, with every doubt a flag.

Parsers hand over the wall-clock time as written (``_ts``) and, when the record carries
one, its UTC offset (``_offset``).  Here, per chunk (``localize``), that becomes
``time.recorded`` (UTC as the source's clock said it), ``time.zone``/``time.zone_source``
(which zone was used and why) and ``time.flags``: the spring-forward gap is flagged, the
candidate instants of the repeated fall-back hour are kept (and remembered for
``forensics.time.dst``), and yearless records get their New Year count and wait for the
second pass (``forensics.time.second_pass``), which decides their year.  Nothing is
shifted silently: every decision is a column, a flag or a manifest entry.

See ``docs/time.md`` for the rules and thresholds in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from forensics.schema import UTC_US
from forensics.time import dst, years
from forensics.time.dst import apply_dst, resolve_source

ZONE_SOURCES = ("record", "source", "case", "assumed_utc")


#: Working columns kept in the engine's Parquet parts for rows that need the second pass.
PRIVATE_COLUMNS: dict[str, pl.DataType] = {
    "_t_local": pl.Datetime("us"),
    "_t_offset": pl.Int32(),
    "_t_roll": pl.Int32(),
    "_t_order": pl.Int64(),
    "_t_seq": pl.Int64(),
}


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


def _offset_names(df: pl.DataFrame) -> pl.Expr:
    """``_offset`` as ``+hh:mm``, formatted once per distinct offset (a chunk holds a handful)."""
    offsets = df.get_column("_offset").drop_nulls().unique()
    names = pl.select(_format_offset(pl.lit(offsets))).to_series()
    return pl.col("_offset").replace_strict(offsets, names, default=None, return_dtype=pl.String)


# -- per chunk ---------------------------------------------------------------------------------


def _prepare(events: pl.DataFrame, state: dict[str, Any]) -> pl.DataFrame:
    """Typed ``_offset``/``_order``/``time.flags`` and ``_seq``, the position in the source's order."""
    df = events
    if "_offset" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_offset"))
    if "_order" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("_order"))
    if "time.flags" not in df.columns:
        df = df.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"))
    df = df.with_columns(
        pl.col("_ts").cast(pl.Datetime("us")),
        pl.col("_offset").cast(pl.Int32),
        pl.col("_order").cast(pl.Int64, strict=False),
        pl.col("time.flags").fill_null([]),
    )
    if "_seq" not in df.columns:
        base = int(state.get("seq", 0))
        rank = _file_rank(df) if "log.offset" in df.columns else pl.int_range(pl.len())
        df = df.with_columns((rank.cast(pl.Int64) + base).alias("_seq"))
        state["seq"] = base + df.height
    return df


def _file_rank(df: pl.DataFrame) -> pl.Expr:
    """Each row's rank in the order of ``log.offset`` then ``_sub`` (0-based).

    Records sit at distinct offsets in the common case (one event per record): then the
    rank of the offset alone is the answer, far cheaper than a two-key sort; ties (several
    events of one record) or nulls take the sort.
    """
    offset = pl.col("log.offset")
    keys = ["log.offset", "_sub"] if "_sub" in df.columns else ["log.offset"]
    if rows_in_order(df, keys, ties=False):
        return pl.int_range(pl.len())  # the usual chunk, in file order: the rank is the row number
    unique = df.select((offset.null_count() == 0) & (offset.rank("ordinal") == offset.rank("min")).all()).item()
    if unique:
        return offset.rank("ordinal") - 1
    return pl.int_range(pl.len()).sort_by(keys).arg_sort()


def rows_in_order(df: pl.DataFrame, keys: list[str], *, ties: bool) -> bool:
    """Is every row after (``ties``: or level with) the one before it by ``keys``, with no null?

    Then sorting by ``keys`` would leave the frame as it is (with ``ties``: a stable sort), so
    the sort can be skipped; without ties each row's rank is also its number.  A null answers
    False: where nulls go is the sort's rule, so the sort decides.  Checking costs a few column
    comparisons, sorting a copy of every column.  The part store's ordering
    (``forensics.intake.store``) and the rank of a row in its file (``_file_rank``) both ask.
    """
    if df.height < 2:
        return True  # one row is in order, and its rank is 0, whatever its keys
    if df.select(pl.any_horizontal(pl.col(k).is_null().any() for k in keys)).item():
        return False
    later = pl.lit(False)
    same = pl.lit(True)
    for k in keys:
        prev = pl.col(k).shift(1)
        later = later | (same & (pl.col(k) > prev))
        same = same & (pl.col(k) == prev)
    ok = (later | same) if ties else later
    return bool(df.select(ok.slice(1).all()).item())


def _gap_instants(values: list[datetime], zone: str) -> pl.DataFrame:
    """Local times that do not exist, read with the offset in force before the change (PEP 495 fold=0)."""
    z = ZoneInfo(zone)
    out = []
    for v in values:
        off = v.replace(tzinfo=z, fold=0).utcoffset() or timedelta(0)
        out.append(v - off)
    return pl.DataFrame(
        {"_ts": values, "_gap": out}, schema={"_ts": pl.Datetime("us"), "_gap": pl.Datetime("us")}
    ).with_columns(pl.col("_gap").dt.replace_time_zone("UTC"))


def localize(events: pl.DataFrame, decision: ZoneDecision, state: dict[str, Any] | None = None) -> pl.DataFrame:
    """Fill the ``time.*`` columns of one chunk from ``_ts``/``_offset``.

    Records with an offset are exact (``record``).  Naive records take the decided zone.
    A time that does not exist (spring-forward gap) is read with the offset in force before
    the change and flagged ``dst_nonexistent``.  A time in the repeated fall-back hour is
    flagged ``dst_ambiguous`` with both instants (``time.earliest``/``time.latest``,
    ``time.recorded`` = the earlier) and remembered in ``state`` so that ``time_pass`` can
    decide it from the order of the whole source.  Yearless records (``year_missing``) get
    their New Year count and wait for ``time_pass`` (``time.recorded`` stays null).
    ``state`` is the per-source dict that persists across chunks and files.
    """
    state = {} if state is None else state
    df = _prepare(events, state)
    zone = decision.zone
    yearless = pl.col("time.flags").list.contains("year_missing")
    has_yearless = bool(df.select(yearless.any()).item())
    if has_yearless:
        df = years.mark_rollover(df, yearless, state)
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("_t_roll"))
    ts = pl.when(yearless).then(pl.lit(None, dtype=pl.Datetime("us"))).otherwise(pl.col("_ts"))
    has_offset = pl.col("_offset").is_not_null()
    exact = (ts - pl.duration(seconds=pl.col("_offset").cast(pl.Int64))).dt.replace_time_zone("UTC")
    early = ts.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    late = ts.dt.replace_time_zone(zone, ambiguous="latest", non_existent="null").dt.convert_time_zone("UTC")
    df = df.with_columns(
        pl.when(has_offset).then(exact).otherwise(early).cast(UTC_US).alias("_early"),
        pl.when(has_offset).then(exact).otherwise(late).cast(UTC_US).alias("_late"),
    )
    naive = ~has_offset & ~yearless & pl.col("_ts").is_not_null()
    df = df.with_columns(
        (naive & (pl.col("_early") != pl.col("_late"))).fill_null(False).alias("_amb"),
        (naive & pl.col("_early").is_null()).fill_null(False).alias("_nonex"),
    )
    gaps = df.select(pl.col("_ts").filter(pl.col("_nonex")).unique()).to_series().to_list()
    if gaps:
        df = df.join(_gap_instants(gaps, zone), on="_ts", how="left", maintain_order="left")
    else:
        df = df.with_columns(pl.lit(None, dtype=UTC_US).alias("_gap"))
    _remember_window(df, zone, naive, state)
    recorded = pl.when(pl.col("_nonex")).then(pl.col("_gap")).otherwise(pl.col("_early"))
    df = df.with_columns(
        pl.when(has_offset).then(pl.lit("record")).otherwise(pl.lit(decision.source)).alias("time.zone_source"),
        pl.when(has_offset).then(_offset_names(df)).otherwise(pl.lit(zone)).alias("time.zone"),
        recorded.cast(UTC_US).alias("time.recorded"),
        pl.when(pl.col("_amb")).then(pl.col("_early")).alias("time.earliest"),
        pl.when(pl.col("_amb")).then(pl.col("_late")).alias("time.latest"),
        _dst_flags().alias("time.flags"),
        pl.when(yearless).then(pl.col("_ts")).alias("_t_local"),
        pl.when(yearless).then(pl.col("_offset")).alias("_t_offset"),
        pl.when(yearless).then(pl.col("_order")).alias("_t_order"),
        pl.when(yearless).then(pl.col("_seq")).alias("_t_seq"),
    )
    return df.drop("_early", "_late", "_gap", "_amb", "_nonex", "_seq")


def _dst_flags() -> pl.Expr:
    """``time.flags`` with ``dst_ambiguous`` (``_amb``) or ``dst_nonexistent`` (``_nonex``) appended.

    A time is ambiguous or nonexistent, never both (a nonexistent one has no instant to
    compare).  Rows with neither keep their list as it is; building a list of the new flags
    for every row and concatenating it (``concat_list`` of two ``when`` then
    ``list.drop_nulls``) cost ten times the rest of ``localize``.
    """
    flags = pl.col("time.flags")
    return (
        pl.when(pl.col("_amb"))
        .then(pl.concat_list([flags, pl.lit(["dst_ambiguous"])]))
        .when(pl.col("_nonex"))
        .then(pl.concat_list([flags, pl.lit(["dst_nonexistent"])]))
        .otherwise(flags)
    )


def _remember_window(df: pl.DataFrame, zone: str, naive: pl.Expr, state: dict[str, Any]) -> None:
    """Keep the naive records near a fall-back change (with both instants) for the decision."""
    if zone == "UTC" or df.height == 0:
        return
    # only the columns asked are filtered (filtering the whole chunk copied every column)
    yrs = df.select(pl.col("_ts").filter(naive).dt.year().unique()).to_series().drop_nulls().to_list()
    windows = dst.windows_for_years(zone, yrs)
    if not windows:
        return
    ts = pl.col("_ts")
    which = pl.lit(None, dtype=pl.Datetime("us"))
    for start, stop in windows:
        inside = ts.is_between(start - dst.WINDOW_MARGIN, stop + dst.WINDOW_MARGIN, closed="left")
        which = pl.when(inside).then(pl.lit(start, dtype=pl.Datetime("us"))).otherwise(which)
    path = pl.col("log.file.path") if "log.file.path" in df.columns else pl.lit("")
    eid = pl.col("event.id") if "event.id" in df.columns else pl.col("_seq").cast(pl.String)
    # ``_unordered``: the parser says this time is not in file order (a column updated in place)
    filed = ~pl.col("_unordered").fill_null(False) if "_unordered" in df.columns else pl.lit(True)
    # lazily, so that only the kept columns of the chunk are read and filtered
    keep = (
        df.lazy()
        .filter(naive)
        .with_columns(which.alias("_w"))
        .filter(pl.col("_w").is_not_null())
        .select(
            path.cast(pl.String).alias("log.file.path"),
            eid.cast(pl.String).alias("event.id"),
            "_w",
            "_seq",
            "_order",
            "_early",
            "_late",
            "_amb",
            filed.alias("_filed"),
        )
        .collect()
    )
    if keep.height == 0:
        return
    state.setdefault("dst_rows", []).append(keep)


def with_private(conformed: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Append the second-pass working columns (typed nulls when absent) to a conformed chunk."""
    cols = [
        (events.get_column(n).cast(t) if n in events.columns else pl.Series(n, [None] * events.height, dtype=t))
        for n, t in PRIVATE_COLUMNS.items()
    ]
    return conformed.with_columns(cols)


def localize_all(events: pl.DataFrame, decision: ZoneDecision) -> pl.DataFrame:
    """``localize`` plus the fall-back decision for a frame that holds a whole source (notebooks, tests)."""
    state: dict[str, Any] = {}
    df = localize(events, decision, state)
    if "event.id" not in df.columns:
        df = df.with_row_index("_rid").with_columns(pl.col("_rid").cast(pl.String).alias("event.id")).drop("_rid")
        drop_id = True
    else:
        drop_id = False
    if "log.file.path" not in df.columns:
        df = df.with_columns(pl.lit("").alias("log.file.path"))
        drop_path = True
    else:
        drop_path = False
    out = apply_dst(df, resolve_source(state))
    assert isinstance(out, pl.DataFrame)
    return out.drop([c for c, d in (("event.id", drop_id), ("log.file.path", drop_path)) if d])
