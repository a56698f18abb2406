"""What a Mediboard change-history row means: ``user_log`` and ``user_action`` share it.

``type`` create/store/merge/delete maps to record_create/record_update/record_delete,
with the account and rights cases named for what they are:

* any change to ``CPermModule`` / ``CPermObject`` (module and object rights) -> ``permission_changed``;
* ``create`` of ``CUser`` / ``CMediusers`` -> ``account_created``;
* ``store`` whose changed fields include ``user_password`` -> ``password_changed``;
* ``store`` of ``CUser`` / ``CMediusers`` changing ``user_type`` (the profile: 1 is
  Administrator) -> ``permission_changed``.

The address column is VARBINARY(16) (``inet_pton``): it is decoded to text whatever way
the dump wrote it (hex ``0xCB00712D``, raw bytes, text).
"""

from __future__ import annotations

import polars as pl

PERMISSION_CLASSES = ["CPermModule", "CPermObject"]
ACCOUNT_CLASSES = ["CUser", "CMediusers"]
ACTIONS = (
    "record_create",
    "record_update",
    "record_delete",
    "account_created",
    "permission_changed",
    "password_changed",
    "log_message",
)


def _has_field(fields: pl.Expr, name: str) -> pl.Expr:
    return fields.str.contains(rf"(?:^|\s){name}(?:\s|$)").fill_null(False)


def change_action(object_class: pl.Expr, change_type: pl.Expr, fields: pl.Expr) -> pl.Expr:
    """``event.action`` of a change row (unknown types are ``log_message``)."""
    account = object_class.is_in(ACCOUNT_CLASSES).fill_null(False)
    return (
        pl.when(object_class.is_in(PERMISSION_CLASSES).fill_null(False) & change_type.is_not_null())
        .then(pl.lit("permission_changed"))
        .when(account & (change_type == "create"))
        .then(pl.lit("account_created"))
        .when((change_type == "store") & _has_field(fields, "user_password"))
        .then(pl.lit("password_changed"))
        .when(account & (change_type == "store") & _has_field(fields, "user_type"))
        .then(pl.lit("permission_changed"))
        .when(change_type == "create")
        .then(pl.lit("record_create"))
        .when(change_type.is_in(["store", "merge"]))
        .then(pl.lit("record_update"))
        .when(change_type == "delete")
        .then(pl.lit("record_delete"))
        .otherwise(pl.lit("log_message"))
    )


def change_target(object_class: pl.Expr, object_id: pl.Expr, values: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``user.target.id`` and ``user.target.name`` of a change: the account it acted on.

    A change to ``CUser``/``CMediusers`` acts on that user (its id is the object id; its login
    is in the values when the row stored ``user_username``); a change to a right
    (``CPermModule``/``CPermObject``) acts on the ``user_id`` the right belongs to.
    ``values`` is the JSON text of the stored values (null when none).
    """
    account = object_class.is_in(ACCOUNT_CLASSES).fill_null(False)
    perm = object_class.is_in(PERMISSION_CLASSES).fill_null(False)
    target_id = pl.when(account).then(object_id).when(perm).then(values.str.json_path_match("$.user_id"))
    target_name = pl.when(account).then(values.str.json_path_match("$.user_username"))
    return target_id, target_name


def change_category(action: pl.Expr) -> pl.Expr:
    """``iam`` for accounts and rights, ``application`` for other records."""
    return (
        pl.when(action.is_in(["account_created", "permission_changed", "password_changed"]))
        .then(pl.lit("iam"))
        .otherwise(pl.lit("application"))
    )


def change_message(
    change_type: pl.Expr, object_class: pl.Expr, object_id: pl.Expr, who: pl.Expr, fields: pl.Expr
) -> pl.Expr:
    """``store CUser 1377 by adm.interop (fields: user_password)``."""
    return pl.concat_str(
        [
            change_type,
            pl.lit(" "),
            object_class,
            pl.lit(" "),
            object_id,
            pl.lit(" by "),
            who,
            pl.when(fields.is_not_null() & (fields != "")).then(
                pl.concat_str([pl.lit(" (fields: "), fields, pl.lit(")")])
            ),
        ],
        ignore_nulls=True,
    )
