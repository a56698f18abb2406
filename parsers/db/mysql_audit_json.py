"""MySQL Enterprise Audit JSON and Percona Server audit_log JSON records.

Reference: https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-formats.html#audit-log-file-json-format
and https://docs.percona.com/percona-server/8.0/audit-log-plugin.html

MySQL Enterprise writes a JSON array (``[``, one object per event, often spread over
several lines, ``]``) with ``timestamp`` (UTC, ``YYYY-MM-DD hh:mm:ss``), ``class``
(connection, general, table_access, audit), ``event``, ``connection_id``, ``account``,
``login`` and a per-class data object.  Percona writes one ``{"audit_record": {...}}`` per
line with ``name``, ``record``, ``timestamp`` (UTC), ``connection_id``, ``status``,
``sqltext``, ``user``, ``host``, ``ip``, ``db``.  A record starts at a line opening an
object (``{``, ``,{`` or ``[{``); the array brackets alone are meta.
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.audit_common import COLUMNS, carry_connection_db, name_style_events
from parsers.db.common import no_events, seconds_to_ns
from parsers.json_fields import json_fields

_START = r"^\s*[\[,]?\s*\{"
_BRACKET = r"^\s*[\[\]]\s*,?\s*$"

_ENTERPRISE_NAMES = {
    ("connection", "connect"): "Connect",
    ("connection", "change_user"): "Change user",
    ("connection", "disconnect"): "Quit",
    ("audit", "startup"): "Audit",
    ("audit", "shutdown"): "NoAudit",
}


#: every JSON path either style is read at (``$.a.b`` -> column ``_j.a.b``); ``json_fields``
#: reads them all with a few parses of each record instead of one parse per path
_PERCONA_KEYS = [{"ts": "timestamp", "login_user": "__none__"}.get(c, c) for c in COLUMNS] + ["os_login"]
_PATHS = [f"$.audit_record.{key}" for key in _PERCONA_KEYS] + [
    "$.class", "$.timestamp", "$.event", "$.id", "$.connection_id",
    "$.general_data.command", "$.general_data.sql_command", "$.general_data.status", "$.general_data.query",
    "$.table_access_data.sql_command", "$.table_access_data.query", "$.table_access_data.db",
    "$.table_access_data.table", "$.connection_data.status", "$.connection_data.db",
    "$.connection_data.connection_type", "$.account.user", "$.account.host", "$.login.ip", "$.login.os",
    "$.login.proxy", "$.login.user", "$.query_statistics.rows_sent", "$.query_statistics.rows_examined",
    "$.query_statistics.query_time",
]  # fmt: skip


def _column(path: str) -> str:
    return "_j." + path.removeprefix("$.")


def _path(path: str) -> pl.Expr:
    """The text at ``path`` of the record's JSON (``json_path_match``'s), read by ``_with_paths``."""
    if path not in _PATHS:
        raise KeyError(f"{path} is not in _PATHS")
    return pl.col(_column(path))


def _with_paths(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with a column per ``_PATHS`` item, read from ``_json``."""
    return json_fields(df, "_json", {_column(p): tuple(p.removeprefix("$.").split(".")) for p in _PATHS})


@register
class MysqlAuditJson(Parser):
    """MySQL Enterprise Audit / Percona audit_log JSON records (UTC timestamps)."""

    name = "mysql.audit_json"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message")
    multiline = True
    literals = ('"audit_record"', '"connection_id"', '"class"')
    filenames = ("*audit*.json", "*audit*.log", "audit.log*")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_START) | text.str.contains(_BRACKET)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        brackets = records.filter(text.str.contains(r"^\s*[\[\]]\s*,?\s*$"))
        body = records.filter(~text.str.contains(r"^\s*[\[\]]\s*,?\s*$"))
        clean = text.str.replace(r"^\s*[\[,]?\s*", "").str.replace(r"[\s,\]]*$", "")
        df = _with_paths(body.with_columns(_json=clean))
        percona = _path("$.audit_record.name").is_not_null()
        enterprise = _path("$.class").is_not_null() & _path("$.timestamp").is_not_null()
        df = df.with_columns(_percona=percona, _enterprise=enterprise)
        bad = df.filter(~pl.col("_percona") & ~pl.col("_enterprise"))
        rejects = rejects_of(bad, "not an audit log JSON record")
        meta = rejects_of(brackets, "JSON array bracket")
        frames = []
        per = df.filter(pl.col("_percona"))
        if per.height:
            frames.append(name_style_events(per.select("_rec", *[self._percona(c) for c in COLUMNS])))
        ent = df.filter(pl.col("_enterprise") & ~pl.col("_percona"))
        if ent.height:
            frames.append(self._enterprise(ent))
        if not frames:
            return ParseResult(events=no_events(), rejects=rejects, meta=meta)
        events = pl.concat(frames, how="diagonal_relaxed").sort("_rec")
        events = carry_connection_db(events, state, self.name)
        return ParseResult(events=events, rejects=rejects, meta=meta)

    @staticmethod
    def _percona(column: str) -> pl.Expr:
        if column == "os_user":
            return pl.coalesce(_path("$.audit_record.os_user"), _path("$.audit_record.os_login")).alias(column)
        key = {"ts": "timestamp", "login_user": "__none__"}.get(column, column)
        return _path(f"$.audit_record.{key}").alias(column)

    @staticmethod
    def _enterprise(df: pl.DataFrame) -> pl.DataFrame:
        klass = _path("$.class")
        event = _path("$.event")
        mapped = pl.concat_str([klass, pl.lit("/"), event]).replace_strict(
            {f"{k}/{e}": v for (k, e), v in _ENTERPRISE_NAMES.items()}, default=None
        )
        general_cmd = _path("$.general_data.command")
        table_event = pl.when(klass == "table_access").then(event)
        name = pl.coalesce(mapped, general_cmd, pl.concat_str([klass, pl.lit(" "), event]))
        cols = {
            "name": name,
            "record": _path("$.id"),
            "ts": _path("$.timestamp"),
            "command_class": pl.coalesce(_path("$.general_data.sql_command"), _path("$.table_access_data.sql_command")),
            "connection_id": _path("$.connection_id"),
            "status": pl.coalesce(_path("$.connection_data.status"), _path("$.general_data.status")),
            "sqltext": pl.coalesce(_path("$.general_data.query"), _path("$.table_access_data.query")),
            "user": pl.lit(None, dtype=pl.String),
            "priv_user": _path("$.account.user"),
            "host": _path("$.account.host"),
            "ip": _path("$.login.ip"),
            "os_user": _path("$.login.os"),
            "db": pl.coalesce(_path("$.table_access_data.db"), _path("$.connection_data.db")),
            "connection_type": _path("$.connection_data.connection_type"),
            "proxy_user": _path("$.login.proxy"),
            "login_user": _path("$.login.user"),
        }
        work = df.with_columns(
            _table_event=table_event,
            _table=_path("$.table_access_data.table"),
            _rows_sent=_path("$.query_statistics.rows_sent"),
            _rows_examined=_path("$.query_statistics.rows_examined"),
            _query_time=_path("$.query_statistics.query_time"),
            **cols,
        )
        events = name_style_events(work)
        extra = work.select(
            "_rec",
            "_table_event",
            "_table",
            pl.col("_rows_sent").cast(pl.Int64, strict=False).alias("db.rows_returned"),
            pl.col("_rows_examined").cast(pl.Int64, strict=False).alias("db.rows_examined"),
            seconds_to_ns(pl.col("_query_time")).alias("event.duration"),
        )
        events = events.join(extra, on="_rec", how="left", maintain_order="left")
        is_table = pl.col("_table_event").is_not_null()
        return events.with_columns(
            # the documented format: "timestamp" is a UTC value
            pl.lit(0, dtype=pl.Int32).alias("_offset"),
            pl.when(is_table)
            .then(pl.col("_table_event").str.to_uppercase())
            .otherwise(pl.col("db.operation"))
            .alias("db.operation"),
            pl.when(is_table & pl.col("_table").is_not_null())
            .then(pl.concat_list([pl.col("_table")]))
            .otherwise(pl.col("db.tables"))
            .alias("db.tables"),
        ).drop("_table_event", "_table")
