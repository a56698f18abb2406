"""What the three PostgreSQL log formats share: timestamps, message meanings, pgaudit, sessions.

The stderr, csvlog and jsonlog parsers each bring their fields into the same columns
(``PG_COLUMNS``: strings, null when absent) and call ``pg_events``.  Message meanings
(connections, authentication failures, disconnections with session time, statements with
durations, pgaudit records, errors with the statement that caused them) are read here,
once, from the English server messages.
"""

from __future__ import annotations

import polars as pl

from parsers.base import ParserState
from parsers.db.common import (
    CATEGORY,
    add_tag,
    carry_session,
    empty_tags,
    epoch_ts,
    host_or_null,
    ip_or_null,
    null_if_empty,
    with_label_object,
)
from parsers.db.pgaudit import MARKER, NOT_STATEMENTS, RELATIONS, pgaudit_fields, pgaudit_raw
from parsers.db.sql import sql_operation, sql_tables

LEVELS = [
    "DEBUG5", "DEBUG4", "DEBUG3", "DEBUG2", "DEBUG1", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "LOG",
    "FATAL", "PANIC",
]  # fmt: skip
#: lines that belong to the message before them
SECONDARY = ["DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION", "STATEMENT"]
LEVEL_RE = "|".join(LEVELS + SECONDARY)

#: zone abbreviations PostgreSQL prints with %t/%m; ambiguous ones (CST, IST) are left out on purpose
ZONES = {
    "UTC": 0, "GMT": 0, "UCT": 0, "Z": 0, "WET": 0, "WEST": 3600, "BST": 3600, "CET": 3600, "CEST": 7200,
    "MET": 3600, "MEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800, "EST": -18000, "EDT": -14400,
    "CDT": -18000, "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200, "AKST": -32400,
    "AKDT": -28800, "HST": -36000, "JST": 32400, "KST": 32400, "AEST": 36000, "AEDT": 39600,
    "ACST": 34200, "ACDT": 37800, "AWST": 28800, "NZST": 43200, "NZDT": 46800,
}  # fmt: skip

TS_RE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: (?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?"

PG_COLUMNS = [
    "ts", "epoch", "user", "db", "pid", "client", "port", "session", "lnum", "tag", "sqlstate", "level",
    "message", "detail", "hint", "context", "statement", "app", "btype", "qid", "vxid", "xid", "sstart",
    "internal_query", "location",
]  # fmt: skip

_RECEIVED = r"^connection received: host=(?P<host>\S+)(?: port=(?P<port>\d+))?"
_AUTHORIZED = r"^(?:replication )?connection authorized: user=(?P<user>\S+)(?: database=(?P<db>\S+))?"
_AUTH_FAILED = r"^(?:(?P<method>\S+) )?authentication failed for user \"(?P<user>[^\"]*)\""
_NO_HBA = (
    r"^no pg_hba\.conf entry for (?:replication connection from )?host \"(?P<host>[^\"]*)\", "
    r"user \"(?P<user>[^\"]*)\"(?:, database \"(?P<db>[^\"]*)\")?"
)
_NO_ROLE = r"^role \"(?P<user>[^\"]*)\" does not exist"
_NO_DB = r"^database \"(?P<db>[^\"]*)\" does not exist"
_DISCONNECTED = (
    r"^disconnection: session time: (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?) user=(?P<user>\S*) "
    r"database=(?P<db>\S*) host=(?P<host>\S*)(?: port=(?P<port>\d+))?"
)
_STATEMENT = (
    r"(?s)^(?:duration: (?P<dur>[\d.]+) ms\s+)?(?P<kind>statement|execute|parse|bind)(?P<name> [^:]*)?: (?P<sql>.*)$"
)
_DURATION = r"^duration: (?P<dur>[\d.]+) ms\s*$"
#: what a message must start with for ``_STATEMENT`` to be tried
_STATEMENT_STARTS = ("statement: ", "execute ", "parse ", "bind ", "duration: ")


def _only(text: pl.Expr, selected: pl.Expr, pattern: str) -> pl.Expr:
    """``pattern``'s groups on the rows ``selected`` by a cheap test; null struct elsewhere."""
    return pl.when(selected).then(text).otherwise(None).str.extract_groups(pattern)


def pg_time(ts: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(wall clock, offset seconds or null, zone-unknown flag) of ``2024-10-27 00:41:03.123 CEST``."""
    parts = ts.str.extract_groups(r"^(?P<wall>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: (?P<zone>\S+))?$")
    wall = parts.struct.field("wall").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    zone = parts.struct.field("zone")
    named = zone.replace_strict(ZONES, default=None, return_dtype=pl.Int32)
    numeric = zone.str.extract_groups(r"^(?P<sign>[+-])(?P<h>\d\d):?(?P<m>\d\d)?$")
    sign = pl.when(numeric.struct.field("sign") == "-").then(-1).otherwise(1)
    seconds = sign * (
        numeric.struct.field("h").cast(pl.Int32, strict=False) * 3600
        + numeric.struct.field("m").cast(pl.Int32, strict=False).fill_null(0) * 60
    )
    offset = pl.coalesce(named, seconds.cast(pl.Int32))
    unknown = zone.is_not_null() & offset.is_null()
    return wall, offset, unknown


def pg_events(df: pl.DataFrame, state: ParserState, name: str) -> pl.DataFrame:
    """Events from a frame of ``PG_COLUMNS`` (strings) plus ``_rec``, in file order."""
    for col in PG_COLUMNS:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    df = df.with_columns(
        [null_if_empty(pl.col(c)).alias(c) for c in PG_COLUMNS],
    ).with_columns(
        pl.when(pl.col("user") == "[unknown]").then(None).otherwise(pl.col("user")).alias("user"),
        pl.when(pl.col("db") == "[unknown]").then(None).otherwise(pl.col("db")).alias("db"),
        pl.when(pl.col("app") == "[unknown]").then(None).otherwise(pl.col("app")).alias("app"),
    )
    msg = pl.col("message")
    level = pl.col("level")
    first = pl.col("_first")
    # Each message regex runs only on the rows whose cheap prefix test selects it (the other
    # rows are null, which the regex engine skips), and each runs once: its struct is
    # stored as a column before its fields are read.
    df = df.with_columns(
        _first=pl.when(msg.str.contains("\n", literal=True))
        .then(msg.str.splitn("\n", 2).struct.field("field_0"))
        .otherwise(msg)
    )
    fatal = level == "FATAL"
    df = df.with_columns(
        _rx_received=_only(first, msg.str.starts_with("connection received: "), _RECEIVED),
        _rx_authorized=_only(
            first,
            msg.str.starts_with("connection authorized: ") | msg.str.starts_with("replication connection authorized: "),
            _AUTHORIZED,
        ),
        _rx_auth_failed=_only(first, first.str.contains("authentication failed for user", literal=True), _AUTH_FAILED),
        _rx_no_hba=_only(first, msg.str.starts_with("no pg_hba.conf entry for "), _NO_HBA),
        _rx_no_role=_only(first, fatal & msg.str.starts_with('role "'), _NO_ROLE),
        _rx_no_db=_only(first, fatal & msg.str.starts_with('database "'), _NO_DB),
        _rx_gone=_only(first, msg.str.starts_with("disconnection: "), _DISCONNECTED),
        _rx_stmt=_only(msg, pl.any_horizontal([msg.str.starts_with(p) for p in _STATEMENT_STARTS]), _STATEMENT),
        _rx_dur=pl.when(msg.str.starts_with("duration: ")).then(first.str.extract(_DURATION, 1)),
        _rx_audit=pgaudit_raw(pl.when(msg.str.starts_with(MARKER)).then(msg.str.slice(len(MARKER)))),
    )
    received = pl.col("_rx_received")
    authorized = pl.col("_rx_authorized")
    auth_failed = pl.col("_rx_auth_failed")
    no_hba = pl.col("_rx_no_hba")
    no_role = pl.col("_rx_no_role")
    no_db = pl.col("_rx_no_db")
    gone = pl.col("_rx_gone")
    stmt = pl.col("_rx_stmt")
    dur_only = pl.col("_rx_dur")
    df = df.with_columns(
        _received=received.struct.field("host").is_not_null(),
        _authorized=authorized.struct.field("user").is_not_null(),
        _failed=(
            auth_failed.struct.field("user").is_not_null()
            | no_hba.struct.field("host").is_not_null()
            | no_role.struct.field("user").is_not_null()
            | no_db.struct.field("db").is_not_null()
        ),
        _gone=gone.struct.field("user").is_not_null(),
        _kind=stmt.struct.field("kind"),
        _sql=stmt.struct.field("sql"),
        _dur_ms=pl.coalesce(stmt.struct.field("dur"), dur_only),
        _audit=pgaudit_fields(pl.col("_rx_audit")),
        _msg_user=pl.coalesce(
            authorized.struct.field("user"),
            auth_failed.struct.field("user"),
            no_hba.struct.field("user"),
            no_role.struct.field("user"),
            gone.struct.field("user"),
        ),
        _msg_db=pl.coalesce(
            authorized.struct.field("db"),
            no_hba.struct.field("db"),
            no_db.struct.field("db"),
            gone.struct.field("db"),
        ),
        _msg_host=pl.coalesce(received.struct.field("host"), no_hba.struct.field("host"), gone.struct.field("host")),
        _msg_port=pl.coalesce(received.struct.field("port"), gone.struct.field("port")),
        _session_s=(
            gone.struct.field("h").cast(pl.Float64, strict=False) * 3600
            + gone.struct.field("m").cast(pl.Float64, strict=False) * 60
            + gone.struct.field("s").cast(pl.Float64, strict=False)
        ),
    )
    audit_ok = pl.col("_audit").struct.field("audit_type").is_not_null()
    aud = pl.col("_audit")
    severe = level.is_in(["ERROR", "FATAL", "PANIC"])
    executed = pl.col("_kind").is_in(["statement", "execute"])
    failed_statement = severe & pl.col("statement").is_not_null() & ~pl.col("_failed")
    action = (
        pl.when(pl.col("_failed"))
        .then(pl.lit("db_connect_failed"))
        .when(pl.col("_authorized"))
        .then(pl.lit("db_connect"))
        .when(pl.col("_gone"))
        .then(pl.lit("db_disconnect"))
        .when(audit_ok | executed | failed_statement)
        .then(pl.lit("db_query"))
        .when(severe)
        .then(pl.lit("server_error"))
        .otherwise(pl.lit("log_message"))
    )
    outcome = (
        pl.when(pl.col("_failed") | failed_statement)
        .then(pl.lit("failure"))
        .when(pl.col("_authorized") | pl.col("_gone"))
        .then(pl.lit("success"))
        .otherwise(pl.lit("unknown"))
    )
    audit_statement = aud.struct.field("statement")
    audit_statement = pl.when(audit_statement.is_in(NOT_STATEMENTS)).then(None).otherwise(audit_statement)
    query = pl.when(audit_ok).then(audit_statement).when(pl.col("_kind").is_not_null()).then(pl.col("_sql"))
    query = query.otherwise(pl.when(failed_statement).then(pl.col("statement")))
    # the same statement comes back often (its statement: line and its AUDIT line, an
    # application's repeated queries): the SQL scan runs once per distinct text
    df = df.with_columns(_query=query)
    scanned = df.select(pl.col("_query").unique()).drop_nulls()
    scanned = scanned.with_columns(_tables=sql_tables(pl.col("_query")), _operation=sql_operation(pl.col("_query")))
    df = df.join(scanned, on="_query", how="left", maintain_order="left", nulls_equal=False)
    query = pl.col("_query")
    object_name = aud.struct.field("object_name")
    relation = aud.struct.field("object_type").is_in(RELATIONS)
    tables = (
        pl.when(audit_ok & relation & object_name.is_not_null())
        .then(pl.concat_list([object_name.str.split(".").list.last()]))
        .when(query.is_not_null())
        .then(pl.col("_tables"))
    )
    operation = (
        pl.when(audit_ok)
        .then(aud.struct.field("command"))
        .when(pl.col("_failed") | pl.col("_authorized"))
        .then(pl.lit("CONNECT"))
        .when(pl.col("_gone"))
        .then(pl.lit("DISCONNECT"))
        .otherwise(pl.col("_operation"))
    )
    duration = pl.coalesce(
        (pl.col("_dur_ms").cast(pl.Float64, strict=False) * 1e6).round().cast(pl.Int64),
        (pl.col("_session_s") * 1e9).round().cast(pl.Int64),
    )
    rows = aud.struct.field("rows").cast(pl.Int64, strict=False)
    client = pl.coalesce(pl.col("client"), pl.col("_msg_host"))
    wall, offset, unknown_zone = pg_time(pl.col("ts"))
    epoch = pl.col("epoch")
    reason = pl.when(pl.col("_failed") | failed_statement | severe).then(first)
    who = pl.concat_str(
        [pl.coalesce(pl.col("user"), pl.col("_msg_user"), pl.lit("")), pl.lit("@"), client.fill_null("")]
    )
    summary = pl.coalesce(query, msg).str.slice(0, 300).str.replace_all("\n", " ", literal=True)
    df = with_label_object(
        df,
        {
            "client_host": host_or_null(client),
            "session_id": pl.col("session"),
            "session_line": pl.col("lnum"),
            "session_start": pl.col("sstart"),
            "command_tag": pl.col("tag"),
            "sqlstate": pl.col("sqlstate"),
            "application_name": pl.col("app"),
            "backend_type": pl.col("btype"),
            "query_id": pl.col("qid"),
            "virtual_xid": pl.col("vxid"),
            "xid": pl.col("xid"),
            "message": pl.when(query.is_not_null() | audit_ok).then(msg),
            "detail": pl.col("detail"),
            "hint": pl.col("hint"),
            "context": pl.col("context"),
            "statement": pl.when(~failed_statement).then(pl.col("statement")),
            "internal_query": pl.col("internal_query"),
            "location": pl.col("location"),
            "statement_kind": pl.col("_kind"),
            "audit_type": aud.struct.field("audit_type"),
            "audit_statement_id": aud.struct.field("statement_id"),
            "audit_substatement_id": aud.struct.field("substatement_id"),
            "audit_class": aud.struct.field("class"),
            "audit_statement": pl.when(audit_ok & audit_statement.is_null()).then(aud.struct.field("statement")),
            "audit_parameter": aud.struct.field("parameter"),
            "audit_rows": aud.struct.field("rows"),
        },
        name="_labels",
    )
    events = df.select(
        "_rec",
        pl.when(epoch.is_not_null()).then(epoch_ts(epoch)).otherwise(wall).alias("_ts"),
        pl.when(epoch.is_not_null()).then(pl.lit(0, dtype=pl.Int32)).otherwise(offset).alias("_offset"),
        pl.coalesce(pl.col("ts"), epoch).alias("time.original"),
        pl.lit("Logged").alias("timestamp_desc"),
        pl.lit(CATEGORY).alias("event.category"),
        action.alias("event.action"),
        outcome.alias("event.outcome"),
        reason.alias("event.reason"),
        pl.when(pl.col("sqlstate") != "00000").then(pl.col("sqlstate")).alias("error.code"),
        duration.alias("event.duration"),
        level.alias("log.level"),
        pl.lit("postgresql").alias("db.system"),
        pl.coalesce(pl.col("user"), pl.col("_msg_user")).alias("db.user"),
        pl.coalesce(pl.col("db"), pl.col("_msg_db")).alias("db.name"),
        pl.col("pid").cast(pl.Int64, strict=False).alias("db.connection_id"),
        query.alias("db.query.text"),
        operation.alias("db.operation"),
        tables.alias("db.tables"),
        pl.when(aud.struct.field("class") == "READ").then(rows).alias("db.rows_returned"),
        ip_or_null(client).alias("source.ip"),
        pl.coalesce(pl.col("port"), pl.col("_msg_port")).cast(pl.Int32, strict=False).alias("source.port"),
        pl.when(audit_ok).then(aud.struct.field("object_type")).alias("object.type"),
        pl.when(audit_ok).then(object_name).alias("object.id"),
        pl.col("_labels").alias("labels"),
        add_tag(empty_tags(), unknown_zone & epoch.is_null(), "zone_abbreviation_unknown").alias("tags"),
        pl.concat_str(
            [level.fill_null("?"), pl.lit(" "), who, pl.lit(" ["), pl.col("pid").fill_null("?"), pl.lit("]: "), summary]
        ).alias("message"),
        pl.col("_received").alias("_received"),
        pl.col("_authorized").alias("_authorized"),
        pl.col("_gone").alias("_gone"),
    )
    source = state.setdefault("source", {}).setdefault(name, {})
    events = carry_session(
        events,
        source,
        key="db.connection_id",
        values=["db.user", "db.name", "source.ip"],
        start=pl.col("_received"),
        setter=pl.col("_received") | pl.col("_authorized"),
        end=pl.col("_gone"),
    )
    return events.drop("_received", "_authorized", "_gone")
