"""Mediboard ``users`` dump: the accounts (id -> login name, type, robot flags).

The table is reference data (other dumps resolve ``user_id`` with it) but a few of its
columns are dated facts, and those become events:

* ``user_password_last_change`` -> ``password_changed`` (set when the password is set:
  at account creation and at each change; a password never changed since 2019 shows
  as a 2019 event);
* ``lock_datetime`` -> ``log_message`` "account locked" (too many failed logins).

Every other column (``user_type`` with its name, ``is_robot``, ``dont_log_connection``,
``user_login_errors``, ``template``...) goes to the labels of these events.  A row with
none of these dates is meta (a reference row).  The password hash and salt are kept in
labels like every other column: the source is evidence; redaction is done on display.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/admin/classes/CUser.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import to_datetime
from parsers.app.mediboard_dump import MediboardTable, event_frame, message, other_columns
from parsers.base import ParseResult, ParserState, register

#: CUser::$types (the profile names; 1 is Administrator).
USER_TYPES = {
    "1": "Administrator",
    "2": "Hotesse",
    "3": "Chirurgien",
    "4": "Anesthésiste",
    "5": "Directeur",
    "6": "Comptable",
    "7": "Infirmière",
    "8": "PMSI",
    "9": "Qualite",
    "10": "Secrétaire",
    "12": "Surveillante de bloc",
    "13": "Médecin",
    "14": "Personnel",
    "15": "Rééducateur",
    "16": "Sage Femme",
    "17": "Pharmacien",
    "18": "Aide soignant",
    "19": "Dentiste",
    "20": "Préparateur",
    "21": "Diététicien",
    "22": "Patient",
    "23": "ASSC",
    "24": "IADE",
    "25": "Assistante sociale",
}

_SCHEMA_COLUMNS = ("user_id", "user_username")


@register
class MediboardUsers(MediboardTable):
    """Mediboard users dump (accounts; password-set and lock dates become events)."""

    name = "mediboard.users"
    table = "users"
    actions = ("password_changed", "log_message")

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = rows.with_columns(
            pl.col("user_type").str.strip_chars().replace_strict(USER_TYPES, default=None).alias("user_type_name")
        )
        labels = other_columns(rows, _SCHEMA_COLUMNS)
        columns = {
            "user.id": pl.col("user_id"),
            "user.name": pl.col("user_username"),
            "event.category": pl.lit("iam"),
            # both times are updated in place on the user's row: not in the order of the rows
            "_unordered": pl.lit(True),
        }
        robot = pl.when(pl.col("is_robot") == "1").then(pl.lit(", robot account"))
        password = event_frame(
            rows,
            time_column="user_password_last_change",
            order=None,
            columns={
                **columns,
                "event.action": pl.lit("password_changed"),
                "event.outcome": pl.lit("success"),
                # the row is the account's own: the password set is its own
                "user.target.id": pl.col("user_id"),
                "user.target.name": pl.col("user_username"),
                "timestamp_desc": pl.lit("Password last set (users.user_password_last_change)"),
                "message": message(
                    ["Password of ", pl.col("user_username"), " last set (", pl.col("user_type_name"), robot, ")"]
                ),
            },
            labels=labels,
        )
        locked = event_frame(
            rows,
            time_column="lock_datetime",
            order=None,
            columns={
                **columns,
                "event.action": pl.lit("log_message"),
                "event.outcome": pl.lit("unknown"),
                "timestamp_desc": pl.lit("Account locked after failed logins (users.lock_datetime)"),
                "message": message(
                    ["Account ", pl.col("user_username"), " locked (", pl.col("user_login_errors"), " login errors)"]
                ),
            },
            labels=labels,
        )
        events = pl.concat([password, locked], how="diagonal_relaxed").filter(pl.col("_ts").is_not_null())
        dated = pl.any_horizontal(
            [to_datetime(pl.col(c)).is_not_null() for c in ("user_password_last_change", "lock_datetime")]
        )
        meta = rows.filter(~dated).select(
            pl.col("_rec"), pl.lit("reference row of users (no dated column; resolves user_id)").alias("reason")
        )
        return ParseResult(events=events, meta=meta)
