"""Mediboard ``object_class`` dump: reference rows (class id -> class name), no events.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CObjectClass.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.mediboard_dump import MediboardTable, reference_rows
from parsers.base import ParseResult, ParserState, register


@register
class MediboardObjectClass(MediboardTable):
    """Mediboard object_class dump (reference rows: resolves object_class_id)."""

    name = "mediboard.object_class"
    table = "object_class"

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        return reference_rows(rows, self.table, "user_action")
