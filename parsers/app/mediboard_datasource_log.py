"""Mediboard ``datasource_log`` dump: SQL requests per module action, datasource and period.

Like ``access_log``, rows are aggregated counters (``usage_aggregate`` events at the
start of the period); ``datasource`` says which database served them (``std`` the
primary, ``slave`` the replica that exports and reports read).  Older versions have
no ``connections``/``ping_duration``/``connection_time`` columns.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CDataSourceLog.php
"""

from __future__ import annotations

import polars as pl

from parsers.app.mediboard_access_log import usage_events
from parsers.app.mediboard_dump import MediboardTable, resolve_module_action, unreadable_time
from parsers.base import ParseResult, ParserState, register


@register
class MediboardDatasourceLog(MediboardTable):
    """Mediboard datasource_log dump (SQL requests per module action, datasource and period)."""

    name = "mediboard.datasource_log"
    table = "datasource_log"
    references = ("mediboard.module_action",)
    actions = ("usage_aggregate",)

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_module_action(rows, self.siblings)
        counts: list[pl.Expr | str] = [pl.col("requests"), " SQL requests on ", pl.col("datasource")]
        events = usage_events(rows, "datasourcelog_id", counts, "Start of the counting period (period)")
        return ParseResult(events=events, rejects=unreadable_time(rows, ["period"]))
