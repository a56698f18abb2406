"""Mediboard ``user_log`` dump (legacy change history): one write per row.

Writes only (reads are never logged here): create/store/merge/delete of an object
class and id, by a user, at ``date``.  See ``mediboard_changes`` for the mapping to
actions (accounts, rights and passwords are named).  ``fields`` (space-separated names
of the changed fields) and ``extra`` (old values as JSON, ``\\u00e9`` escapes kept as
written) go to labels.  ``ip_address`` is VARBINARY(16), decoded to text (tag
``ip_from_application``: the first X-Forwarded-For value, forgeable); a value that is
no address is kept in labels and tagged ``ip_undecodable``.  ``_order`` is
``user_log_id``, which increases with time.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserLog.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import decode_ip_column, to_int
from parsers.app.mediboard_changes import ACTIONS, change_action, change_category, change_message, change_target
from parsers.app.mediboard_dump import (
    MediboardTable,
    Siblings,
    event_frame,
    other_columns,
    resolve_user,
    unreadable_time,
    unresolved_tags,
)
from parsers.base import ParseResult, ParserState, register

_SCHEMA_COLUMNS = ("user_id", "date", "object_class", "object_id", "ip_address")


@register
class MediboardUserLog(MediboardTable):
    """Mediboard user_log dump (create/store/merge/delete of objects, by user)."""

    name = "mediboard.user_log"
    table = "user_log"
    references = ("mediboard.users",)
    actions = ACTIONS

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings)
        rows = decode_ip_column(rows, "ip_address", "_ip")
        return ParseResult(
            events=change_events(rows, "user_log_id", pl.col("object_class"), _SCHEMA_COLUMNS, siblings=self.siblings),
            rejects=unreadable_time(rows, ["date"]),
        )


def change_events(
    rows: pl.DataFrame,
    pk: str,
    object_class: pl.Expr,
    schema_columns: tuple[str, ...],
    extra_tags: dict[str, pl.Expr] | None = None,
    shown_class: pl.Expr | None = None,
    siblings: Siblings | None = None,
) -> pl.DataFrame:
    """Events of a change-history table (user_log or user_action, once resolved).

    The account a change acted on is named by its id only (``CUser`` 1379); with the users
    table among the evidence (``siblings``), its login is read there, so that an account
    created or changed is named as the table names it, and not confused with the actor.
    """
    undecodable = pl.col("ip_address").is_not_null() & pl.col("_ip").is_null()
    tags = {"ip_from_application": pl.col("_ip").is_not_null(), "ip_undecodable": undecodable}
    tags.update(unresolved_tags(rows))
    tags.update(extra_tags or {})
    action = change_action(object_class, pl.col("type"), pl.col("fields"))
    who = pl.coalesce(pl.col("_user_name"), pl.concat_str([pl.lit("user_id "), pl.col("user_id")]))
    labels = {c: pl.col(c) for c in other_columns(rows, schema_columns)}
    stored = [pl.col(c) for c in ("data", "extra") if c in rows.columns]
    values = pl.coalesce(stored) if stored else pl.lit(None, dtype=pl.String)
    target_id, target_name = change_target(object_class, pl.col("object_id"), values)
    if siblings is not None:
        rows = resolve_user(rows.with_columns(target_id.alias("_target_id")), siblings, "_target_id", "_target_login")
        rows = rows.drop("_unres__target_id")  # an id the table does not hold stays an id
        target_id, target_name = pl.col("_target_id"), pl.coalesce(target_name, pl.col("_target_login"))
    labels["ip_address_raw"] = pl.when(undecodable).then(pl.col("ip_address"))
    events = event_frame(
        rows,
        time_column="date",
        order=to_int(pl.col(pk)),
        columns={
            "event.category": change_category(action),
            "event.action": action,
            "event.outcome": pl.lit("success"),
            "timestamp_desc": pl.lit("Object written (date)"),
            "user.id": pl.col("user_id"),
            "user.name": pl.col("_user_name"),
            "source.ip": pl.col("_ip"),
            "object.type": object_class,
            "object.id": pl.col("object_id"),
            "user.target.id": target_id,
            "user.target.name": target_name,
            "message": change_message(
                pl.col("type"),
                object_class if shown_class is None else shown_class,
                pl.col("object_id"),
                who,
                pl.col("fields"),
            ),
        },
        labels=labels,
        tags=tags,
    )
    return events.filter(pl.col("_ts").is_not_null())
