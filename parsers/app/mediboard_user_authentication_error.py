"""Mediboard ``user_authentication_error`` dump: one failed login per row.

``user.name`` is the login string that was tried (``login_value``), kept exactly as
typed, hostile text included; ``user.id`` is null when the name matched no account
(spraying of guessed names shows as many null ids).  ``event.reason`` is the message
shown to the user.  ``source.ip`` is the address Mediboard stored (first X-Forwarded-For
value, forgeable: tag ``ip_from_application``).  When ``user_id`` is set and a ``users``
dump lies in the same folder, the account's own name goes to labels as
``account_username``.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserAuthenticationError.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import to_int
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

_SCHEMA_COLUMNS = ("user_id", "login_value", "datetime", "ip_address", "message")


@register
class MediboardUserAuthenticationError(MediboardTable):
    """Mediboard user_authentication_error dump (failed logins with the login string tried)."""

    name = "mediboard.user_authentication_error"
    table = "user_authentication_error"
    references = ("mediboard.users",)
    actions = ("login_failed",)

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings, out="account_username")
        tags = {
            "ip_from_application": pl.col("ip_address").is_not_null(),
            "unknown_account": pl.col("user_id").is_null(),
        }
        tags.update(unresolved_tags(rows))
        labels = other_columns(rows, _SCHEMA_COLUMNS)
        events = event_frame(
            rows,
            time_column="datetime",
            order=to_int(pl.col("user_authentication_error_id")),
            columns={
                "event.category": pl.lit("authentication"),
                "event.action": pl.lit("login_failed"),
                "event.outcome": pl.lit("failure"),
                "event.reason": pl.col("message"),
                "timestamp_desc": pl.lit("Failed login (datetime)"),
                "user.id": pl.col("user_id"),
                "user.name": pl.col("login_value"),
                "source.ip": pl.col("ip_address"),
                "message": message(
                    [
                        "Failed login as ",
                        pl.col("login_value"),
                        pl.when(pl.col("user_id").is_null()).then(pl.lit(" (no such account)")),
                        " from ",
                        pl.col("ip_address"),
                        pl.when(pl.col("message").is_not_null()).then(pl.concat_str([pl.lit(": "), pl.col("message")])),
                    ]
                ),
            },
            labels=labels,
            tags=tags,
        ).filter(pl.col("_ts").is_not_null())
        return ParseResult(events=events, rejects=unreadable_time(rows, ["datetime"]))
