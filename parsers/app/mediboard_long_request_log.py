"""Mediboard ``long_request_log`` dump: requests slower than the threshold, with their parameters.

A row is written when a request takes longer than 10 s (humans) or 100 s (robots).  It
keeps the filtered GET and POST parameters as JSON, so a slow bulk export leaves its
exact parameters here.  One event per row at ``datetime_start`` with ``event.duration``
(``duration`` seconds, else end minus start); ``query_params_get``/``_post`` and the
other JSON columns go to labels as nested JSON, and ``url.query`` is rebuilt from the
GET parameters for display (``a=1&b[]=2``, not percent-encoded).  ``module_action_id``
is resolved from a ``module_action`` dump in the same folder.  The action is
``export`` when the module action or the ``a``/``raw``/``dosql``/``tab`` parameter
names an export, ``api_call`` for stateless API sessions, otherwise ``log_message``.
``_order`` is left empty: rows are inserted when the request ends, so the key does not
order start times.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/CLongRequestLog.php,
includes/long_request_log.php
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from parsers.app.common import to_datetime, to_float
from parsers.app.mediboard_dump import (
    MediboardTable,
    event_frame,
    message,
    other_columns,
    resolve_module_action,
    resolve_user,
    unreadable_time,
    unresolved_tags,
)
from parsers.base import ParseResult, ParserState, register
from parsers.web.common import map_distinct

_SCHEMA_COLUMNS = ("user_id", "datetime_start", "server_addr", "session_id", "duration")
EXPORT_RX = r"(?i)export"


def query_from_json(text: str) -> str:
    """``{"m":"x","ids":["1","2"]}`` -> ``m=x&ids[]=1&ids[]=2`` (for display); '' when not an object."""
    try:
        obj = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(obj, dict):
        return ""
    pairs: list[str] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                add(f"{key}[]", item)
        elif isinstance(value, dict):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        else:
            pairs.append(f"{key}={'' if value is None else value}")

    for key, value in obj.items():
        add(str(key), value)
    return "&".join(pairs)


#: The GET parameters that name what a slow request did (module, then the action's names).
_PARAMS = ("m", "a", "raw", "dosql", "tab")


@register
class MediboardLongRequestLog(MediboardTable):
    """Mediboard long_request_log dump (slow requests with their GET/POST parameters)."""

    name = "mediboard.long_request_log"
    table = "long_request_log"
    references = ("mediboard.users", "mediboard.module_action")
    actions = ("export", "api_call", "log_message")

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        rows = resolve_user(rows, self.siblings)
        rows = resolve_module_action(rows, self.siblings)
        get = pl.col("query_params_get")
        rows = rows.with_columns(get.alias("_query"))
        rows = map_distinct(rows, "_query", query_from_json, "{")
        rows = rows.with_columns(pl.when(pl.col("_query") != "").then(pl.col("_query")).alias("_query"))
        # each parameter read once, as a working column: an eager frame shares no sub-expression,
        # and the message and the export test would each have parsed the JSON again
        rows = rows.with_columns(get.str.json_path_match(f"$.{k}").alias(f"_param_{k}") for k in _PARAMS)
        param = {k: pl.col(f"_param_{k}") for k in _PARAMS}
        module = pl.coalesce(pl.col("_module"), param["m"])
        action_name = pl.coalesce(pl.col("_action"), param["raw"], param["a"], param["dosql"], param["tab"])
        export = pl.any_horizontal(
            [pl.col("_action").str.contains(EXPORT_RX)]
            + [param[k].str.contains(EXPORT_RX) for k in ("a", "raw", "dosql", "tab")]
        ).fill_null(False)
        stateless = pl.col("session_id").str.starts_with("stateless").fill_null(False)
        action = (
            pl.when(export)
            .then(pl.lit("export"))
            .when(stateless)
            .then(pl.lit("api_call"))
            .otherwise(pl.lit("log_message"))
        )
        seconds = pl.coalesce(
            to_float(pl.col("duration")),
            (to_datetime(pl.col("datetime_end")) - to_datetime(pl.col("datetime_start"))).dt.total_microseconds() / 1e6,
        )
        who = pl.coalesce(
            pl.col("_user_name"), pl.concat_str([pl.lit("user_id "), pl.col("user_id")]), pl.lit("anonymous")
        )
        labels = {c: pl.col(c) for c in other_columns(rows, _SCHEMA_COLUMNS)}
        labels.update({"duration": pl.col("duration"), "module": pl.col("_module"), "action": pl.col("_action")})
        events = event_frame(
            rows,
            time_column="datetime_start",
            order=None,
            columns={
                "event.category": pl.lit("web"),
                "event.action": action,
                "event.outcome": pl.lit("unknown"),
                "event.duration": (seconds * 1e9).round().cast(pl.Int64),
                "timestamp_desc": pl.lit("Slow request started (datetime_start)"),
                "user.id": pl.col("user_id"),
                "user.name": pl.col("_user_name"),
                "session.id": pl.col("session_id"),
                "destination.ip": pl.col("server_addr"),
                "url.query": pl.col("_query"),
                "message": message(
                    ["Slow request ", module, "/", action_name, " (", pl.col("duration"), " s) by ", who]
                ),
            },
            labels=labels,
            tags=unresolved_tags(rows),
        ).filter(pl.col("_ts").is_not_null())
        return ParseResult(events=events, rejects=unreadable_time(rows, ["datetime_start"]))
