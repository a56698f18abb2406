"""Mediboard ``access_log`` dump: hits per module action and period (aggregated counts).

Rows are counters, not requests: for each module/action, period bucket (``aggregate``
minutes: 10, then 60 after a month, then 1440 after a year) and client kind (``bot``
0 human, 1 robot, 2 public) they hold hits, bytes sent (``size``), durations and error
counts, with no user and no IP.  Each row is one ``usage_aggregate`` event at the start
of its bucket; the numbers stay in labels (``http.response.bytes`` is left empty so that
sums over requests never count them twice).  ``module_action_id`` is resolved from a
``module_action`` dump in the same folder.  A night spike of
``dPpatients/ajax_export_patients_csv`` stands out here even when other logs are gone.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/AccessLog/CAccessLog.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import to_int
from parsers.app.mediboard_dump import (
    MediboardTable,
    event_frame,
    message,
    other_columns,
    resolve_module_action,
    unreadable_time,
    unresolved_tags,
)
from parsers.base import ParseResult, ParserState, register


def usage_events(rows: pl.DataFrame, pk: str, counts: list[pl.Expr | str], desc: str) -> pl.DataFrame:
    """One ``usage_aggregate`` event per counter row at the start of its period."""
    module_action = pl.coalesce(
        pl.concat_str([pl.col("_module"), pl.lit("/"), pl.col("_action")]),
        pl.concat_str([pl.lit("module_action_id "), pl.col("module_action_id")]),
    )
    labels = {c: pl.col(c) for c in other_columns(rows, ("period",))}
    labels.update({"module": pl.col("_module"), "action": pl.col("_action")})
    return event_frame(
        rows,
        time_column="period",
        order=to_int(pl.col(pk)),
        columns={
            "event.category": pl.lit("web"),
            "event.action": pl.lit("usage_aggregate"),
            "event.outcome": pl.lit("unknown"),
            "timestamp_desc": pl.lit(desc),
            "message": message([module_action, ": ", *counts, " in the ", pl.col("aggregate"), "-minute period"]),
        },
        labels=labels,
        tags=unresolved_tags(rows),
    ).filter(pl.col("_ts").is_not_null())


@register
class MediboardAccessLog(MediboardTable):
    """Mediboard access_log dump (hits and bytes per module action and period: aggregated counts)."""

    name = "mediboard.access_log"
    table = "access_log"
    references = ("mediboard.module_action",)
    actions = ("usage_aggregate",)

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_module_action(rows, self.siblings)
        counts: list[pl.Expr | str] = [pl.col("hits"), " hits, ", pl.col("size"), " bytes"]
        events = usage_events(rows, "accesslog_id", counts, "Start of the counting period (period)")
        return ParseResult(events=events, rejects=unreadable_time(rows, ["period"]))
