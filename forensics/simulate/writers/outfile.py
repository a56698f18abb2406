"""Mediboard table dumps as ``SELECT ... INTO OUTFILE`` writes them (TSV, no header, latin-1)."""

from __future__ import annotations

from .escape import outfile_field

COLUMNS: dict[str, list[str]] = {
    "users": [
        "user_id",
        "user_username",
        "user_type",
        "user_first_name",
        "user_last_name",
        "user_email",
        "is_robot",
        "dont_log_connection",
        "user_login_errors",
        "lock_datetime",
        "user_password_last_change",
        "force_change_password",
        "template",
        "actif",
    ],
    "user_authentication": [
        "user_authentication_id",
        "user_id",
        "previous_user_id",
        "previous_auth_id",
        "auth_method",
        "datetime_login",
        "expiration_datetime",
        "last_session_update",
        "nb_update",
        "session_lifetime",
        "ip_address",
        "session_id",
        "screen_width",
        "screen_height",
        "user_agent_id",
    ],
    "user_authentication_error": [
        "user_authentication_error_id",
        "user_id",
        "login_value",
        "datetime",
        "auth_method",
        "identifier",
        "ip_address",
        "message",
    ],
    "user_agent": [
        "user_agent_id",
        "user_agent_string",
        "browser_name",
        "browser_version",
        "platform_name",
        "platform_version",
        "device_name",
        "device_maker",
        "device_type",
        "pointing_method",
    ],
    "user_log": [
        "user_log_id",
        "user_id",
        "date",
        "object_class",
        "object_id",
        "type",
        "fields",
        "ip_address",
        "extra",
    ],
    "log_access_medical_data": [
        "access_id",
        "user_id",
        "datetime",
        "group_id",
        "context",
        "object_id",
        "object_class",
    ],
    "long_request_log": [
        "long_request_log_id",
        "user_id",
        "datetime_start",
        "datetime_end",
        "duration",
        "server_addr",
        "module_action_id",
        "session_id",
        "query_params_get",
        "query_params_post",
        "session_data",
        "query_performance",
        "query_report",
        "requestUID",
    ],
    "access_log": [
        "accesslog_id",
        "module_action_id",
        "period",
        "aggregate",
        "bot",
        "hits",
        "duration",
        "processus",
        "processor",
        "request",
        "nb_requests",
        "peak_memory",
        "size",
        "errors",
        "warnings",
        "notices",
        "session_wait",
        "session_read",
    ],
    "datasource_log": [
        "datasourcelog_id",
        "module_action_id",
        "datasource",
        "period",
        "aggregate",
        "bot",
        "requests",
        "duration",
        "connections",
    ],
    "module_action": ["module_action_id", "module", "action"],
}


def dump_table(rows: list[list[object]]) -> bytes:
    """One row per line, fields separated by TAB, ``\\N`` for NULL, MySQL escaping, latin-1 bytes."""
    text = "".join("\t".join(outfile_field(v) for v in row) + "\n" for row in rows)
    return text.encode("latin-1")


def schema_sql() -> str:
    """Column order of every dump (the dumps themselves have no header line)."""
    parts = [
        "-- Column order of the files in mediboard_dump/ (SELECT * ... INTO OUTFILE, no header).",
        "-- user_log.ip_address was exported as CONCAT('0x', HEX(ip_address)) (VARBINARY(16), inet_pton).",
        "-- All DATETIME values are naive Europe/Paris time from the app01 PHP clock.",
        "",
    ]
    for table, cols in COLUMNS.items():
        body = ",\n".join(f"  `{c}`" for c in cols)
        parts.append(f"CREATE TABLE `{table}` (\n{body}\n);\n")
    return "\n".join(parts)
