"""Mediboard ``user_action_data`` dump: reference rows (values of ``user_action`` changes), no events.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserActionData.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.mediboard_dump import MediboardTable, reference_rows
from parsers.base import ParseResult, ParserState, register


@register
class MediboardUserActionData(MediboardTable):
    """Mediboard user_action_data dump (reference rows: changed values of user_action)."""

    name = "mediboard.user_action_data"
    table = "user_action_data"

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        return reference_rows(rows, self.table, "user_action")
