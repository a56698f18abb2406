"""Managed PostgreSQL JSON wrappers: Google Cloud SQL (Cloud Logging export) and CloudNativePG (invented data)."""

from __future__ import annotations

import json

from forensics.intake.detect import detect_sample
from forensics.intake.reader import records_from_text
from parsers.base import get_parser


def _entry(payload: str, log: str = "cloudsql.googleapis.com%2Fpostgres.log") -> str:
    return json.dumps(
        {
            "insertId": "s=4c1f;i=2a",
            "logName": f"projects/ward-project/logs/{log}",
            "receiveTimestamp": "2025-03-02T10:15:02.000000Z",
            "resource": {
                "labels": {
                    "database_id": "ward-project:ward-db",
                    "project_id": "ward-project",
                    "region": "europe-west1",
                },
                "type": "cloudsql_database",
            },
            "severity": "INFO",
            "textPayload": payload,
            "timestamp": "2025-03-02T10:15:01.123456Z",
        }
    )


CLOUDSQL = (
    "\n".join(
        [
            _entry(
                "2025-03-02 10:15:01.123 UTC [4711]: [3-1] db=wards,user=ward_app LOG:  statement: SELECT name\n\tFROM beds"
            ),
            _entry(
                "2025-03-02 10:15:02.000 UTC [4712]: [1-1] db=wards,user=mallory FATAL:  password authentication failed for "
                'user "mallory"'
            ),
            _entry("2025-03-02 10:15:03.000 UTC [120]: [2-1] db=,user= LOG:  checkpoint starting: time"),
            _entry("mysqld: ready", log="cloudsql.googleapis.com%2Fmysql.err"),
        ]
    )
    + "\n"
)


def test_cloud_sql_text_payload_is_read_as_the_stderr_log() -> None:
    detection = detect_sample(CLOUDSQL.encode(), "cloudsql-postgres.json")
    assert detection.parser == "postgresql.cloudsql"
    parser = get_parser("postgresql.cloudsql")
    state: dict = {}
    result = parser.parse(records_from_text(CLOUDSQL, parser), state)
    assert state["inferred"] == {"log_line_prefix": "%m [%p]: [%l-1] db=%d,user=%u "}
    assert result.rejects.get_column("reason").to_list() == [
        "not a Cloud SQL PostgreSQL log entry (textPayload, postgres.log)"
    ]
    query, failed, checkpoint = result.events.sort("_rec").to_dicts()
    assert (query["db.user"], query["db.name"], query["db.query.text"]) == (
        "ward_app",
        "wards",
        "SELECT name\nFROM beds",
    )
    assert query["host.name"] == "ward-project:ward-db"
    assert json.loads(query["labels"])["insert_id"] == "s=4c1f;i=2a"
    assert (failed["event.action"], failed["db.user"]) == ("db_connect_failed", "mallory")
    assert checkpoint["event.action"] == "log_message" and checkpoint["_offset"] == 0


def _cnpg(record: dict, logger: str = "postgres") -> str:
    return json.dumps(
        {"level": "info", "ts": "2025-03-02T10:15:01.123456789Z", "logger": logger, "msg": "record",
         "logging_pod": "wards-pg-1", "record": record}
    )  # fmt: skip


_BASE = {
    "log_time": "2025-03-02 10:15:01.123 UTC", "user_name": "ward_app", "database_name": "wards",
    "process_id": "4711", "connection_from": "192.0.2.41:50712", "session_id": "65e2fd85.1268",
    "session_line_num": "2", "session_start_time": "2025-03-02 10:15:00 UTC", "virtual_transaction_id": "3/2",
    "transaction_id": "0", "error_severity": "LOG", "sql_state_code": "00000", "application_name": "psql",
    "backend_type": "client backend", "query_id": "0",
}  # fmt: skip

CNPG = (
    "\n".join(
        [
            json.dumps(
                {
                    "level": "info",
                    "ts": "2025-03-02T10:15:00.5Z",
                    "logger": "instance-manager",
                    "msg": "Starting up instance",
                    "logging_pod": "wards-pg-1",
                }
            ),
            _cnpg(
                {
                    **_BASE,
                    "command_tag": "authentication",
                    "message": "connection authorized: user=ward_app database=wards application_name=psql",
                }
            ),
            _cnpg(
                {
                    **_BASE,
                    "command_tag": "SELECT",
                    "audit": {
                        "audit_type": "SESSION",
                        "statement_id": "1",
                        "substatement_id": "1",
                        "class": "READ",
                        "command": "SELECT",
                        "statement": "SELECT ssn, name FROM patients UNION SELECT usename, passwd FROM pg_shadow",
                        "parameter": "<not logged>",
                    },
                },
                logger="pgaudit",
            ),
            _cnpg(
                {
                    **_BASE,
                    "error_severity": "ERROR",
                    "sql_state_code": "42501",
                    "command_tag": "SELECT",
                    "message": "permission denied for table pg_shadow",
                    "query": "SELECT ssn, name FROM patients UNION SELECT usename, passwd FROM pg_shadow",
                }
            ),
        ]
    )
    + "\n"
)


def test_cloudnative_pg_records_pgaudit_and_manager_lines() -> None:
    assert detect_sample(CNPG.encode(), "wards-pg-1.log").parser == "postgresql.cnpg"
    parser = get_parser("postgresql.cnpg")
    result = parser.parse(records_from_text(CNPG, parser), {})
    assert result.rejects.height == 0
    manager, login, audit, error = result.events.sort("_rec").to_dicts()
    assert manager["event.action"] == "log_message" and manager["tags"] == ["cnpg_instance_manager"]
    assert manager["_offset"] == 0 and manager["_ts"].isoformat() == "2025-03-02T10:15:00.500000"
    assert (login["event.action"], login["source.ip"], login["source.port"]) == ("db_connect", "192.0.2.41", 50712)
    assert login["host.name"] == "wards-pg-1"
    assert audit["event.action"] == "db_query" and audit["db.operation"] == "SELECT"
    assert audit["db.query.text"].endswith("FROM pg_shadow")
    assert json.loads(audit["labels"])["audit_class"] == "READ"
    assert (error["event.outcome"], error["error.code"]) == ("failure", "42501")
