"""Mediboard ``user_agent`` dump: reference rows (id -> User-Agent string), no events.

Rows carry no time; they are meta and serve to resolve ``user_agent_id`` in
``user_authentication`` dumps of the same folder.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CUserAgent.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.mediboard_dump import MediboardTable, reference_rows
from parsers.base import ParseResult, ParserState, register


@register
class MediboardUserAgent(MediboardTable):
    """Mediboard user_agent dump (reference rows: resolves user_agent_id)."""

    name = "mediboard.user_agent"
    table = "user_agent"

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        return reference_rows(rows, self.table, "user_authentication")
