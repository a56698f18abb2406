"""Mediboard ``log_access_medical_data`` dump: patient-record reads, rounded in time.

Each row means "user U opened object O (a stay, patient, operation or consultation) at
least once during the period starting at ``datetime``": Mediboard rounds the time down
(``round_datetime``, one hour by default) and de-duplicates rows, so counts are lower
bounds and the exact times are lost.  Events are ``record_read`` with a time flag that
says how the value was rounded: ``rounded_hour`` (the default setting; a row at
``HH:00:00``), or, for rows whose time shows a finer setting, ``rounded_10min`` /
``rounded_minute``.  Views run on the replica and the bulk CSV export write no row here.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/admin/classes/CLogAccessMedicalData.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import to_datetime, to_int
from parsers.app.mediboard_dump import (
    MediboardTable,
    event_frame,
    message,
    other_columns,
    resolve_user,
    unreadable_time,
    unresolved_tags,
)
from parsers.base import ParseResult, ParserState, register

_SCHEMA_COLUMNS = ("user_id", "datetime", "object_class", "object_id")


def rounding_flags(ts: pl.Expr) -> pl.Expr:
    """``time.flags`` for a rounded DATETIME: the coarsest rounding its value allows."""
    minute, second = ts.dt.minute(), ts.dt.second()
    flag = (
        pl.when(second != 0)
        .then(None)
        .when(minute == 0)
        .then(pl.lit("rounded_hour"))
        .when(minute % 10 == 0)
        .then(pl.lit("rounded_10min"))
        .otherwise(pl.lit("rounded_minute"))
    )
    return pl.concat_list([flag]).list.drop_nulls()


@register
class MediboardLogAccessMedicalData(MediboardTable):
    """Mediboard log_access_medical_data dump (record reads, time rounded down to the hour)."""

    name = "mediboard.log_access_medical_data"
    table = "log_access_medical_data"
    references = ("mediboard.users",)
    actions = ("record_read",)

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings)
        who = pl.coalesce(pl.col("_user_name"), pl.concat_str([pl.lit("user_id "), pl.col("user_id")]))
        events = event_frame(
            rows,
            time_column="datetime",
            order=to_int(pl.col("access_id")),
            columns={
                "event.category": pl.lit("application"),
                "event.action": pl.lit("record_read"),
                "event.outcome": pl.lit("success"),
                "timestamp_desc": pl.lit("Record opened at least once in the period starting here (rounded datetime)"),
                "user.id": pl.col("user_id"),
                "user.name": pl.col("_user_name"),
                "object.type": pl.col("object_class"),
                "object.id": pl.col("object_id"),
                "message": message(
                    [
                        who,
                        " opened ",
                        pl.col("object_class"),
                        " ",
                        pl.col("object_id"),
                        pl.when(pl.col("context").is_not_null()).then(pl.format(" ({})", pl.col("context"))),
                    ]
                ),
            },
            labels=other_columns(rows, _SCHEMA_COLUMNS),
            tags=unresolved_tags(rows),
            flags=rounding_flags(to_datetime(pl.col("datetime"))),
        ).filter(pl.col("_ts").is_not_null())
        return ParseResult(events=events, rejects=unreadable_time(rows, ["datetime"]))
