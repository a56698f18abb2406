"""Mediboard ``user_action`` dump (newer change history) with its ``user_action_data`` values.

Same meaning as ``user_log`` (see ``mediboard_changes``), except that the class is an
id into ``object_class`` and the changed values live in ``user_action_data``
(``user_action_id``, ``field``, ``value``; values may be gzcompressed).  Both are read
from dumps in the same folder when present: ``object.type`` is then the class name,
``fields`` the changed field names and ``data`` the values (decompressed when they
were compressed; tag ``values_decompressed``).  Without them the ids stay in labels
and the events are tagged ``object_class_id_unresolved`` / ``user_action_data_absent``.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserAction.php,
CUserActionData.php, CObjectClass.php
"""

from __future__ import annotations

import zlib
from typing import Any

import polars as pl

from parsers.app.common import decode_ip_column
from parsers.app.mediboard_changes import ACTIONS
from parsers.app.mediboard_dump import MediboardTable, resolve, resolve_user, unreadable_time
from parsers.app.mediboard_user_log import change_events
from parsers.base import ParseResult, ParserState, register

_SCHEMA_COLUMNS = ("user_id", "date", "object_id", "ip_address")
_ZLIB_HEADERS = ("x\x01", "x\x5e", "x\x9c", "x\xda")


def uncompress_value(value: str, latin1: bool) -> str | None:
    """The text of a gzcompress()ed value (zlib stream), or None when it is not one."""
    if not value.startswith(_ZLIB_HEADERS):
        return None
    try:
        raw = value.encode("latin-1" if latin1 else "utf-8")
        out = zlib.decompress(raw)
    except (UnicodeEncodeError, zlib.error):
        return None
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return out.decode("latin-1")


def _json_key(expr: pl.Expr) -> pl.Expr:
    """A string as a JSON string literal (``"key"``)."""
    obj = pl.struct(expr.alias("k")).struct.json_encode()  # {"k":"..."}
    return obj.str.slice(5, obj.str.len_chars() - 6)


def action_data(data: pl.DataFrame) -> pl.DataFrame:
    """Per ``user_action_id``: ``fields`` (space-separated) and ``data`` (JSON object of values)."""
    todo = data.filter(pl.col("value").str.starts_with("x").fill_null(False)).select("value", "latin1").unique()
    if todo.height:
        plain = [uncompress_value(v, bool(f)) for v, f in todo.iter_rows()]
        todo = todo.with_columns(pl.Series("_plain", plain, dtype=pl.String))
        data = data.join(todo, on=["value", "latin1"], how="left", maintain_order="left", nulls_equal=True)
    else:
        data = data.with_columns(pl.lit(None, dtype=pl.String).alias("_plain"))
    data = data.with_columns(
        pl.concat_str(
            [_json_key(pl.col("field")), pl.lit(":"), _json_key(pl.coalesce(pl.col("_plain"), pl.col("value")))]
        ).alias("_pair")
    )
    return data.group_by("user_action_id", maintain_order=True).agg(
        pl.col("field").drop_nulls().str.join(" ").alias("fields"),
        pl.concat_str([pl.lit("{"), pl.col("_pair").drop_nulls().str.join(","), pl.lit("}")]).alias("data"),
        pl.col("_plain").is_not_null().any().alias("_decompressed"),
    )


@register
class MediboardUserAction(MediboardTable):
    """Mediboard user_action dump (changes by user; values from user_action_data)."""

    name = "mediboard.user_action"
    table = "user_action"
    references = ("mediboard.users", "mediboard.object_class", "mediboard.user_action_data")
    actions = ACTIONS

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._data: pl.DataFrame | None = None
        self._data_read = False

    def _action_data(self) -> pl.DataFrame | None:
        if not self._data_read:
            self._data_read = True
            frame = self.siblings.frame("user_action_data")
            if frame is not None and {"user_action_id", "field", "value"} <= set(frame.columns):
                self._data = action_data(frame.with_columns(pl.col("user_action_id").str.strip_chars()))
        return self._data

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings)
        rows = resolve(
            rows,
            self.siblings,
            "object_class_id",
            "object_class",
            "object_class_id",
            {"_class": pl.col("object_class")},
        )
        data = self._action_data()
        if data is None:
            rows = rows.with_columns(
                pl.lit(None, dtype=pl.String).alias("fields"),
                pl.lit(None, dtype=pl.String).alias("data"),
                pl.lit(None, dtype=pl.Boolean).alias("_decompressed"),
            )
        else:
            rows = rows.with_columns(pl.col("user_action_id").str.strip_chars().alias("_uaid")).join(
                data.rename({"user_action_id": "_uaid"}), on="_uaid", how="left", maintain_order="left"
            )
            rows = rows.drop("_uaid")
        rows = decode_ip_column(rows, "ip_address", "_ip")
        tags = {
            "user_action_data_absent": pl.lit(data is None),
            "values_decompressed": pl.col("_decompressed").fill_null(False),
        }
        events = change_events(
            rows,
            "user_action_id",
            pl.col("_class"),
            _SCHEMA_COLUMNS,
            tags,
            shown_class=pl.coalesce(pl.col("_class"), pl.format("object_class_id {}", pl.col("object_class_id"))),
            siblings=self.siblings,
        )
        return ParseResult(events=events, rejects=unreadable_time(rows, ["date"]))
