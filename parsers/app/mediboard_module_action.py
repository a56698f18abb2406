"""Mediboard ``module_action`` dump: reference rows (id -> module and action), no events.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CModuleAction.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.mediboard_dump import MediboardTable, reference_rows
from parsers.base import ParseResult, ParserState, register


@register
class MediboardModuleAction(MediboardTable):
    """Mediboard module_action dump (reference rows: resolves module_action_id)."""

    name = "mediboard.module_action"
    table = "module_action"

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        return reference_rows(rows, self.table, "access_log, long_request_log and datasource_log")
