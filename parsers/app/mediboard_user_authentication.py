"""Mediboard ``user_authentication`` dump: one login per row, plus the session's last activity.

Each row becomes a ``login`` event at ``datetime_login`` and a ``session_end`` event at
``last_session_update`` (the last request seen for the session; Mediboard has no
logout column).  ``source.ip`` is the address Mediboard stored: the first
X-Forwarded-For or Client-IP value, which the client can forge, hence the tag
``ip_from_application``.  Stateless API logins (``session_id`` ``stateless...``) are
aggregated by Mediboard into one row per user, method and day that keeps only the first
IP: they are tagged ``stateless_aggregate`` and ``nb_update`` counts the requests.
``user_id`` and ``user_agent_id`` are resolved from ``users`` and ``user_agent`` dumps
in the same folder.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserAuthentication.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import to_int
from parsers.app.mediboard_dump import (
    MediboardTable,
    event_frame,
    message,
    other_columns,
    resolve,
    resolve_user,
    unreadable_time,
    unresolved_tags,
)
from parsers.base import ParseResult, ParserState, register

#: Columns shown in schema fields; every other column (times included) goes to labels.
_SCHEMA_COLUMNS = ("user_id", "session_id", "ip_address")


@register
class MediboardUserAuthentication(MediboardTable):
    """Mediboard user_authentication dump (logins and last session activity), batch or OUTFILE form."""

    name = "mediboard.user_authentication"
    table = "user_authentication"
    references = ("mediboard.users", "mediboard.user_agent")
    actions = ("login", "session_end")

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings)
        rows = resolve(
            rows,
            self.siblings,
            "user_agent_id",
            "user_agent",
            "user_agent_id",
            {"_user_agent": pl.col("user_agent_string")},
        )
        stateless = pl.col("session_id").str.starts_with("stateless").fill_null(False)
        tags = {"ip_from_application": pl.col("ip_address").is_not_null(), "stateless_aggregate": stateless}
        tags.update(unresolved_tags(rows))
        who = pl.coalesce(pl.col("_user_name"), pl.concat_str([pl.lit("user_id "), pl.col("user_id")]))
        common = {
            "event.category": pl.lit("authentication"),
            "event.outcome": pl.lit("success"),
            "user.id": pl.col("user_id"),
            "user.name": pl.col("_user_name"),
            "session.id": pl.col("session_id"),
            "source.ip": pl.col("ip_address"),
            "user_agent.original": pl.col("_user_agent"),
        }
        labels = other_columns(rows, _SCHEMA_COLUMNS)
        login = event_frame(
            rows,
            time_column="datetime_login",
            order=to_int(pl.col("user_authentication_id")),
            columns={
                **common,
                "event.action": pl.lit("login"),
                "timestamp_desc": pl.lit("Login (datetime_login)"),
                "message": message(
                    [
                        "Login ",
                        who,
                        " (",
                        pl.col("auth_method"),
                        ") from ",
                        pl.col("ip_address"),
                        pl.when(stateless).then(
                            pl.format(", stateless API session, {} further requests that day", pl.col("nb_update"))
                        ),
                    ]
                ),
            },
            labels=labels,
            tags=tags,
        )
        end = event_frame(
            rows.filter(pl.col("last_session_update").is_not_null()),
            time_column="last_session_update",
            order=None,
            columns={
                **common,
                "event.action": pl.lit("session_end"),
                # updated in place on every request: not in the order of the rows
                "_unordered": pl.lit(True),
                "timestamp_desc": pl.lit("Last session activity (last_session_update)"),
                "message": message(
                    ["Last activity of the session of ", who, " (", pl.col("nb_update"), " updates since the login)"]
                ),
            },
            labels=labels,
            tags=tags,
        )
        events = pl.concat([login, end], how="diagonal").filter(pl.col("_ts").is_not_null())
        rejects = unreadable_time(rows, ["datetime_login", "last_session_update"])
        return ParseResult(events=events, rejects=rejects)
