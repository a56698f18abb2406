"""PostgreSQL logs in the JSON wrappers of managed services: Google Cloud SQL and CloudNativePG.

References: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry,
https://cloud.google.com/sql/docs/postgres/logging,
https://cloudnative-pg.io/documentation/current/logging/

* **Cloud SQL** (an export of Cloud Logging, one LogEntry per line): the server's stderr
  line is ``textPayload`` (``2025-03-02 10:15:01.123 UTC [4711]: [3-1] db=wards,user=ward_app
  LOG:  statement: ...``, Cloud SQL's prefix ``%m [%p]: [%l-1] db=%d,user=%u ``, inferred
  like any other); it is read as the stderr log.  ``resource.labels.database_id`` (the
  instance) goes to ``host.name``; ``logName``, ``insertId`` and ``severity`` to labels.
  Only PostgreSQL entries (``logName`` ending in ``postgres.log``) are read.
* **CloudNativePG** (the operator's pod logs, one JSON object per line): PostgreSQL's
  records are ``{"logger":"postgres","msg":"record","record":{...}}`` with the csvlog
  columns as keys (``log_time``, ``user_name``, ``database_name``, ``process_id``,
  ``connection_from``...); pgaudit's are ``"logger":"pgaudit"`` with the audit fields in
  ``record.audit`` (written back into an ``AUDIT:`` message so they read as pgaudit).  The
  instance manager's own lines (other loggers) are ``log_message`` events at their ``ts``.
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import add_tag, no_events
from parsers.db.pg_common import pg_events
from parsers.db.pgaudit import FIELDS as AUDIT_FIELDS
from parsers.db.postgresql_log import PostgresqlLog
from parsers.json_fields import json_fields

_ACTIONS = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message", "server_error")


@register
class PostgresqlCloudSql(Parser):
    """Google Cloud SQL for PostgreSQL, Cloud Logging JSON export (textPayload read as the stderr log)."""

    name = "postgresql.cloudsql"
    actions = _ACTIONS
    literals = ('"textPayload"',)
    option_keys = ("log_line_prefix",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        df = records.with_columns(
            _payload=text.str.json_path_match("$.textPayload"),
            _log=text.str.json_path_match("$.logName"),
            _instance=text.str.json_path_match("$.resource.labels.database_id"),
            _insert=text.str.json_path_match("$.insertId"),
            _severity=text.str.json_path_match("$.severity"),
        )
        postgres = pl.col("_payload").is_not_null() & pl.col("_log").str.contains(r"postgres\.log$").fill_null(False)
        rejects = rejects_of(df.filter(~postgres), "not a Cloud SQL PostgreSQL log entry (textPayload, postgres.log)")
        df = df.filter(postgres)
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        inner = PostgresqlLog(self.options)
        result = inner.parse(df.select("_rec", pl.col("_payload").alias("text")), state)
        events = result.events
        if events.height:
            extra = df.select("_rec", "_instance", "_log", "_insert", "_severity")
            events = events.join(extra, on="_rec", how="left", maintain_order="left").with_columns(
                pl.col("_instance").alias("host.name"),
                _merge_labels(
                    {
                        "cloudsql_instance": pl.col("_instance"),
                        "log_name": pl.col("_log"),
                        "insert_id": pl.col("_insert"),
                        "severity": pl.col("_severity"),
                    }
                ),
            )
            events = events.drop("_instance", "_log", "_insert", "_severity")
        return ParseResult(events=events, rejects=pl.concat([rejects, result.rejects]), meta=result.meta)


#: CloudNativePG ``record`` keys (the csvlog columns) -> the columns ``pg_events`` reads
CNPG_KEYS = {
    "ts": "log_time",
    "user": "user_name",
    "db": "database_name",
    "pid": "process_id",
    "connection_from": "connection_from",
    "session": "session_id",
    "lnum": "session_line_num",
    "tag": "command_tag",
    "sstart": "session_start_time",
    "vxid": "virtual_transaction_id",
    "xid": "transaction_id",
    "level": "error_severity",
    "sqlstate": "sql_state_code",
    "message": "message",
    "detail": "detail",
    "hint": "hint",
    "internal_query": "internal_query",
    "context": "context",
    "statement": "query",
    "location": "location",
    "app": "application_name",
    "btype": "backend_type",
    "qid": "query_id",
}


@register
class PostgresqlCnpg(Parser):
    """CloudNativePG pod logs (JSON: PostgreSQL and pgaudit records, instance manager lines)."""

    name = "postgresql.cnpg"
    actions = _ACTIONS
    literals = ('"logger":"postgres"', '"logger":"pgaudit"', '"logging_pod"')

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df = json_fields(
            records,
            "text",
            {
                "_logger": ("logger",),
                "_jts": ("ts",),
                "_jlevel": ("level",),
                "_jmsg": ("msg",),
                "_pod": ("logging_pod",),
                **{col: ("record", key) for col, key in CNPG_KEYS.items()},
                **{f"_a_{f}": ("record", "audit", f) for f in AUDIT_FIELDS},
            },
        )
        is_record = pl.col("_logger").is_in(["postgres", "pgaudit"]) & pl.col("level").is_not_null()
        is_other = ~is_record & pl.col("_jts").is_not_null() & pl.col("_logger").is_not_null()
        rejects = rejects_of(df.filter(~is_record & ~is_other), "not a CloudNativePG JSON log line")
        audit = pl.col("_a_audit_type").is_not_null()
        audit_message = pl.concat_str(
            [pl.lit("AUDIT: "), pl.concat_str([_csv_field(pl.col(f"_a_{f}")) for f in AUDIT_FIELDS], separator=",")]
        )
        conn = pl.col("connection_from")
        has_port = conn.str.contains(r":\d+$")
        # an instance manager line: its own time (RFC 3339), level and message
        iso = pl.col("_jts").str.extract(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d{1,6})?)\d*(Z|[+-]\d\d:?\d\d)?$", 0)
        manager_ts = pl.concat_str(
            [
                pl.col("_jts").str.slice(0, 10),
                pl.lit(" "),
                pl.col("_jts").str.extract(r"T(\d\d:\d\d:\d\d(?:\.\d{1,6})?)", 1),
                pl.lit(" "),
                pl.col("_jts").str.extract(r"(Z|[+-]\d\d:?\d\d)$", 1).replace("Z", "UTC"),
            ]
        )
        df = df.filter(is_record | is_other).with_columns(
            pl.when(is_record).then(pl.col("ts")).otherwise(pl.when(iso.is_not_null()).then(manager_ts)).alias("ts"),
            pl.when(is_record).then(pl.col("level")).otherwise(pl.col("_jlevel").str.to_uppercase()).alias("level"),
            pl.when(is_record & audit)
            .then(audit_message)
            .when(is_record)
            .then(pl.col("message"))
            .otherwise(pl.col("_jmsg"))
            .alias("message"),
            pl.when(has_port).then(conn.str.replace(r":\d+$", "")).otherwise(conn).alias("client"),
            pl.when(has_port).then(conn.str.extract(r":(\d+)$", 1)).alias("port"),
        )
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        manager = df.select(
            "_rec", (~pl.col("_logger").is_in(["postgres", "pgaudit"])).alias("_manager"), "_pod", "_logger"
        )
        cols = ["_rec", *[c for c in CNPG_KEYS if c != "connection_from"], "client", "port"]
        events = pg_events(df.select(cols), state, self.name)
        events = events.join(manager, on="_rec", how="left", maintain_order="left").with_columns(
            pl.col("_pod").alias("host.name"),
            add_tag(pl.col("tags"), pl.col("_manager"), "cnpg_instance_manager").alias("tags"),
            _merge_labels({"pod": pl.col("_pod"), "logger": pl.col("_logger")}),
        )
        return ParseResult(events=events.drop("_manager", "_pod", "_logger"), rejects=rejects)


def _csv_field(value: pl.Expr) -> pl.Expr:
    """A pgaudit field as pgaudit writes it: CSV-quoted when it holds a comma, a quote or a new line."""
    quoted = pl.concat_str([pl.lit('"'), value.str.replace_all('"', '""', literal=True), pl.lit('"')])
    return pl.when(value.str.contains(r'[,"\n]')).then(quoted).otherwise(value).fill_null("")


def _merge_labels(extra: dict[str, pl.Expr]) -> pl.Expr:
    """``labels`` (a JSON object) with the wrapper's fields appended (null ones left out)."""
    encoded = pl.struct([e.alias(k) for k, e in extra.items()]).struct.json_encode()
    keys = "|".join(extra)
    body = encoded.str.replace_all(rf'"(?:{keys})":null,?', "").str.replace(",}", "}", literal=True)
    body = body.str.strip_prefix("{").str.strip_suffix("}")
    base = pl.col("labels").fill_null("{}").str.strip_suffix("}")
    sep = pl.when((base == "{") | (body == "")).then(pl.lit("")).otherwise(pl.lit(","))
    return pl.concat_str([base, sep, body, pl.lit("}")]).alias("labels")
