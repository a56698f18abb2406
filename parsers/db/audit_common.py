"""What Percona audit_log and MySQL Enterprise Audit records have in common, whatever their syntax.

Both plugins describe an event with a ``NAME`` (Connect, Quit, Query, Change user, Audit...),
a ``STATUS`` (0 or a MySQL error code), a ``USER`` written ``priv[login] @ host [ip]``,
``HOST``, ``IP``, ``DB``, ``SQLTEXT`` and a UTC ``TIMESTAMP``.  The JSON and XML parsers
extract these into lower-case columns and call ``name_style_events``.
"""

from __future__ import annotations

import html

import polars as pl

from parsers.base import ParserState
from parsers.db.common import (
    CATEGORY,
    carry_session,
    host_or_null,
    ip_or_null,
    iso_ts,
    label_object,
    null_if_empty,
)
from parsers.db.sql import sql_operation, sql_tables
from parsers.web.common import map_distinct

#: ``root[root] @ localhost [127.0.0.1]``
USER_HOST = r"^(?P<priv>[^\[\s]*)(?:\[(?P<login>[^\]]*)\])?\s*(?:@\s*(?P<host>[^\s\[]*)\s*(?:\[(?P<ip>[^\]]*)\])?)?"

COLUMNS = [
    "name", "record", "ts", "command_class", "connection_id", "status", "sqltext", "user", "priv_user",
    "host", "ip", "os_user", "db", "connection_type", "proxy_user", "login_user",
]  # fmt: skip

CONNECT_NAMES = ["Connect", "Change user"]
QUERY_NAMES = ["Query", "Execute", "Prepare", "Init DB", "Fetch", "Field List"]


def xml_unescape(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Decode XML character references (``&lt;``, ``&#10;``...) once per distinct value."""
    for column in columns:
        df = map_distinct(df, column, html.unescape, "&")
    return df


def utc_offset(ts: pl.Expr) -> pl.Expr:
    """0 when the timestamp says it is UTC (``Z``, `` UTC``), else null (naive)."""
    utc = ts.str.contains(r"(?:Z| UTC|\+00:?00)$")
    return pl.when(utc).then(pl.lit(0, dtype=pl.Int32)).otherwise(pl.lit(None, dtype=pl.Int32))


def name_style_events(df: pl.DataFrame) -> pl.DataFrame:
    """Events from a frame holding ``COLUMNS`` (strings) and ``_rec``."""
    name = pl.col("name")
    status = null_if_empty(pl.col("status"))
    failed = status.is_not_null() & (status != "0")
    uh = pl.col("user").str.extract_groups(USER_HOST)
    login = pl.coalesce(null_if_empty(pl.col("login_user")), null_if_empty(uh.struct.field("login")))
    priv = pl.coalesce(null_if_empty(pl.col("priv_user")), null_if_empty(uh.struct.field("priv")))
    host = pl.coalesce(null_if_empty(pl.col("host")), null_if_empty(uh.struct.field("host")))
    ip = pl.coalesce(null_if_empty(pl.col("ip")), null_if_empty(uh.struct.field("ip")))
    sql = null_if_empty(pl.col("sqltext"))
    is_connect = name.is_in(CONNECT_NAMES)
    action = (
        pl.when(is_connect & failed)
        .then(pl.lit("db_connect_failed"))
        .when(is_connect)
        .then(pl.lit("db_connect"))
        .when(name == "Quit")
        .then(pl.lit("db_disconnect"))
        .when(sql.is_not_null() | name.is_in(QUERY_NAMES))
        .then(pl.lit("db_query"))
        .otherwise(pl.lit("log_message"))
    )
    outcome = (
        pl.when(failed).then(pl.lit("failure")).when(status == "0").then(pl.lit("success")).otherwise(pl.lit("unknown"))
    )
    operation = (
        pl.when(is_connect)
        .then(pl.lit("CONNECT"))
        .when(name == "Quit")
        .then(pl.lit("DISCONNECT"))
        .otherwise(pl.coalesce(sql_operation(sql), null_if_empty(pl.col("command_class")).str.to_uppercase()))
    )
    user = pl.coalesce(login, priv)
    who = pl.concat_str([user.fill_null(""), pl.lit("@"), pl.coalesce(ip, host, pl.lit(""))])
    summary = pl.coalesce(sql, pl.lit("")).str.slice(0, 300).str.replace_all("\n", " ", literal=True)
    ts = pl.col("ts")
    return df.select(
        "_rec",
        iso_ts(ts).alias("_ts"),
        utc_offset(ts).alias("_offset"),
        ts.alias("time.original"),
        pl.lit("Audit event").alias("timestamp_desc"),
        pl.lit(CATEGORY).alias("event.category"),
        action.alias("event.action"),
        outcome.alias("event.outcome"),
        pl.when(failed).then(pl.concat_str([pl.lit("error "), status])).alias("event.reason"),
        pl.lit("mysql").alias("db.system"),
        user.alias("db.user"),
        null_if_empty(pl.col("db")).alias("db.name"),
        pl.col("connection_id").cast(pl.Int64, strict=False).alias("db.connection_id"),
        sql.alias("db.query.text"),
        operation.alias("db.operation"),
        pl.when(sql.is_not_null()).then(sql_tables(sql)).alias("db.tables"),
        ip_or_null(ip).alias("source.ip"),
        label_object(
            {
                "name": name,
                "record": null_if_empty(pl.col("record")),
                "command_class": null_if_empty(pl.col("command_class")),
                "status": status,
                "priv_user": priv,
                "client_host": host_or_null(host),
                "os_user": null_if_empty(pl.col("os_user")),
                "proxy_user": null_if_empty(pl.col("proxy_user")),
                "connection_type": null_if_empty(pl.col("connection_type")),
            }
        ).alias("labels"),
        pl.concat_str([name.fill_null("?"), pl.lit(" "), who, pl.lit(": "), summary]).alias("message"),
    )


def carry_connection_db(events: pl.DataFrame, state: ParserState, name: str) -> pl.DataFrame:
    """Queries inherit the database of their connection's connect record (MySQL Enterprise
    general events do not repeat it); kept in ``state["source"]`` across files."""
    source = state.setdefault("source", {}).setdefault(name, {})
    connected = (pl.col("event.action") == "db_connect") & (pl.col("event.outcome") == "success")
    return carry_session(
        events,
        source,
        key="db.connection_id",
        values=["db.name"],
        start=connected,
        setter=connected,
        end=pl.col("event.action") == "db_disconnect",
    )
