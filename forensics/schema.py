"""The normalized event schema: one frame shape for every source.

Names follow the Elastic Common Schema where it has a field, plaso/Timesketch for the
timeline trio (``@timestamp``, ``timestamp_desc``, ``message``) and OpenTelemetry for
``db.*``.  ``conform`` adds missing columns as typed nulls and fixes the order, so frames
from any parser concatenate.  This module is the contract other tools read: add fields,
never rename them.
"""

from __future__ import annotations

import polars as pl

UTC_US = pl.Datetime("us", "UTC")
STR_LIST = pl.List(pl.String)

#: name -> (dtype, description).  The order here is the column order of every output.
FIELDS: dict[str, tuple[pl.DataType, str]] = {
    # timeline
    "@timestamp": (UTC_US, "When it happened, UTC, after clock-skew correction."),
    "timestamp_desc": (pl.String, "What the timestamp means (request received, login, session end...)."),
    "message": (pl.String, "One-line human summary of the event."),
    # what
    "event.id": (pl.String, "Stable id: first 16 hex of the file SHA-256, byte offset, index in record."),
    "event.dataset": (pl.String, "Parser name that produced the event (see `forensics formats`)."),
    "event.category": (pl.String, "web, database, authentication, iam, application, process, network."),
    "event.action": (pl.String, "What was done, from the documented action vocabulary (ACTIONS)."),
    "event.outcome": (pl.String, "success, failure or unknown."),
    "event.reason": (pl.String, "Why, as the source says it (error message, failure reason)."),
    "error.code": (pl.String, "Error code as the source writes it (PostgreSQL SQLSTATE such as 28P01)."),
    "event.duration": (pl.Int64, "Duration in nanoseconds (ECS convention)."),
    "log.level": (pl.String, "Severity as written by the source (error, warn, notice, INFO...)."),
    # who / where
    "host.name": (pl.String, "Host that wrote the log (case config `host`, else first folder)."),
    "source.ip": (pl.String, "Client address: after trusted-proxy resolution when configured."),
    "source.port": (pl.Int32, "Client port when logged."),
    "network.peer_ip": (pl.String, "TCP peer as the server logged it (often the reverse proxy)."),
    "network.forwarded_ip": (pl.String, "X-Forwarded-For chain exactly as logged."),
    "network.forwarded_first": (pl.String, "First X-Forwarded-For element (what applications store; forgeable)."),
    "destination.ip": (pl.String, "Server address when logged."),
    "user.name": (pl.String, "Account name (application, HTTP auth, database or system)."),
    "user.id": (pl.String, "Account id when the source gives one."),
    "session.id": (pl.String, "Session identifier (application session, cookie, stateless API id)."),
    "user.target.name": (
        pl.String,
        "Account an account change acted on: the account, API key or service principal created, granted or "
        "whose password was set (ECS).",
    ),
    "user.target.id": (pl.String, "Id of that target account when the source gives one (ECS)."),
    "user.changes.roles": (
        STR_LIST,
        "Roles or permissions granted to the target by the change (ECS user.changes.roles).",
    ),
    "user_agent.original": (pl.String, "User-Agent as logged (unescaped)."),
    # web
    "http.request.method": (pl.String, "HTTP method."),
    "http.version": (pl.String, "HTTP protocol version."),
    "url.original": (pl.String, "Request target exactly as logged."),
    "url.path": (pl.String, "Path, percent-decoded for display (UTF-8, else latin-1)."),
    "url.query": (pl.String, "Query string, percent-decoded for display (UTF-8, else latin-1)."),
    "url.domain": (pl.String, "Virtual host / server name when logged."),
    "http.response.status_code": (pl.Int32, "HTTP status."),
    "http.response.bytes": (pl.Int64, "Bytes sent to the client (%b/%O/$body_bytes_sent...)."),
    "http.request.bytes": (pl.Int64, "Bytes received from the client when logged."),
    "http.request.referrer": (pl.String, "Referer header."),
    "http.request.id": (
        pl.String,
        "Request id shared by the web server and the application (X-Request-ID, $request_id, %L) (ECS).",
    ),
    # database
    "db.system": (pl.String, "mariadb, mysql or postgresql."),
    "db.user": (pl.String, "Database account."),
    "db.name": (pl.String, "Database (schema) name."),
    "db.connection_id": (pl.Int64, "Thread / connection id / backend pid."),
    "db.query.id": (pl.Int64, "Query id when the source numbers queries (server_audit)."),
    "db.query.text": (pl.String, "SQL text as logged (may be truncated by the server)."),
    "db.operation": (pl.String, "SELECT, INSERT, UPDATE, DELETE, CONNECT, DISCONNECT, DDL verb..."),
    "db.tables": (STR_LIST, "Tables named in the statement (light scan, not a full SQL parser)."),
    "db.rows_returned": (pl.Int64, "Rows sent to the client."),
    "db.rows_examined": (pl.Int64, "Rows examined by the server."),
    # application
    "object.type": (pl.String, "Object class touched (CPatient, CSejour, CUser...)."),
    "object.id": (pl.String, "Object id (a patient record, a stay...)."),
    "object.count": (
        pl.Int64,
        "How many records the request returned, when the application says so (the items of an API page).",
    ),
    "labels": (pl.String, "JSON object of source fields with no schema column (nothing is dropped)."),
    # provenance
    "log.source": (pl.String, "Source: the rotation set the file belongs to (path without rotation suffix)."),
    "log.file.path": (pl.String, "File path relative to the evidence root."),
    "log.file.sha256": (pl.String, "SHA-256 of the file as received (compressed bytes for .gz)."),
    "log.file.line": (pl.Int64, "1-based line number of the record's first line (decompressed)."),
    "log.file.lines": (pl.Int32, "Number of physical lines the record spans."),
    "log.offset": (pl.Int64, "Byte offset of the record in the (decompressed) file."),
    "event.original": (pl.String, "The raw record, exactly as read (lines joined by \\n)."),
    # time
    "time.original": (pl.String, "The timestamp text as written."),
    "time.zone": (pl.String, "Zone or offset used to read the timestamp."),
    "time.zone_source": (pl.String, "record, source, case or assumed_utc."),
    "time.flags": (
        STR_LIST,
        "dst_ambiguous, dst_ambiguous_resolved, dst_nonexistent, year_inferred, skew_corrected, rounded...",
    ),
    "time.recorded": (UTC_US, "UTC as the source's clock said it (before skew correction)."),
    "time.earliest": (UTC_US, "Earliest possible instant when the time is uncertain."),
    "time.latest": (UTC_US, "Latest possible instant when the time is uncertain."),
    "time.skew": (pl.Float64, "Seconds subtracted from time.recorded to get @timestamp."),
    "event.start": (
        UTC_US,
        "When the activity began, for records stamped when it ended (nginx): @timestamp minus event.duration. "
        "Null when the stamp is the start (then @timestamp is the start) or the duration is unknown.",
    ),
    # pivots
    "related.ip": (STR_LIST, "Every IP named by the event."),
    "related.user": (STR_LIST, "Every account named by the event."),
    "tags": (STR_LIST, "Flags: latin1_decoded, line_truncated, xff_spoof_candidate, ..."),
}

EVENT_SCHEMA = pl.Schema({name: dtype for name, (dtype, _) in FIELDS.items()})

#: Columns of OUT/rejects.parquet.
REJECT_SCHEMA = pl.Schema(
    {
        "log.file.path": pl.String,
        "log.file.sha256": pl.String,
        "log.file.line": pl.Int64,
        "log.file.lines": pl.Int32,
        "log.offset": pl.Int64,
        "event.dataset": pl.String,
        "reason": pl.String,
        "event.original": pl.String,
    }
)

#: The action vocabulary every parser maps into (`event.action`).
ACTIONS: dict[str, str] = {
    "http_request": "A web request (access logs).",
    "login": "A successful authentication.",
    "login_failed": "A failed authentication attempt.",
    "logout": "An explicit logout.",
    "session_end": "The last known activity of a session (no explicit logout).",
    "record_read": "A record (e.g. a patient file) was viewed.",
    "record_create": "A record was created.",
    "record_update": "A record was modified.",
    "record_delete": "A record was deleted.",
    "export": "A bulk export was requested.",
    "api_call": "An API request.",
    "account_created": "An account was created.",
    "permission_changed": "Rights of an account were changed.",
    "password_changed": "A password was changed.",
    "privilege_use": "Use of elevated privileges (sudo, admin view).",
    "db_connect": "A database connection was opened.",
    "db_disconnect": "A database connection was closed.",
    "db_connect_failed": "A database connection was refused.",
    "db_query": "A database statement was executed.",
    "server_error": "A server-side error (error logs).",
    "log_message": "Any other log line.",
    "usage_aggregate": "An aggregated usage counter (hits per period), not a single event.",
}


#: ``timestamp_desc`` of records stamped when the activity ended (nginx writes ``$time_local``
#: when a request completes; Apache's ``%t`` is when it was received).
COMPLETION_STAMPS = ("Request completed",)


def activity_start(
    stamp: pl.Expr,
    desc: pl.Expr | None = None,
    duration_ns: pl.Expr | None = None,
) -> pl.Expr:
    """When the activity began, read from its stamp: the stamp minus the duration for records
    stamped at completion, else the stamp itself.

    The one place this rule lives: clock-skew anchors read it from ``time.recorded``, the
    engine fills ``event.start`` from ``@timestamp``, the correlator orders requests by it.
    """
    desc = pl.col("timestamp_desc") if desc is None else desc
    duration_ns = pl.col("event.duration") if duration_ns is None else duration_ns
    completed = desc.is_in(COMPLETION_STAMPS).fill_null(False) & duration_ns.is_not_null()
    return pl.when(completed).then(stamp - pl.duration(microseconds=duration_ns // 1000)).otherwise(stamp)


def empty_events() -> pl.DataFrame:
    """An empty frame with the event schema."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def conform(df: pl.DataFrame | pl.LazyFrame, *, extra: bool = False) -> pl.DataFrame | pl.LazyFrame:
    """Add missing schema columns as typed nulls, cast known ones, and fix the order.

    Columns that are not in the schema are dropped unless ``extra`` is true (then they
    are kept after the schema columns), so private working columns never leak out.
    """
    names = df.collect_schema().names()
    present = set(names)
    cols = []
    for name, dtype in EVENT_SCHEMA.items():
        if name in present:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    if extra:
        cols.extend(pl.col(n) for n in names if n not in EVENT_SCHEMA)
    return df.select(cols)
