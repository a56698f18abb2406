"""Column lists of the Mediboard tables, for dumps written without a header line.

A ``mysql --batch`` dump starts with a header line and the parsers use it.  A
``SELECT ... INTO OUTFILE`` dump has no header: the columns are then taken from the
layouts below.  Column sets differ between Mediboard versions, so a table may have
several layouts; the parser picks, per file and per number of fields, the layout whose
typed columns (ids, DATETIMEs, class names, the ``type`` enum...) best fit the values
(ties go to the first layout listed).  A dump in any other column order needs a header
or the column list in the case config (``fields = ["user_id", ...]`` on its
``[[source]]``).

Orders come from the Mediboard classes (property declaration order, which is the order
the setup scripts create the columns in; 2023 and 2014-era versions) and from the
project's sample case (``sample_evidence/mediboard_dump``, whose ``user_log``, ``users``
and ``access_log`` exports choose their own columns).  Layouts of equal width are told
apart by their values (``user_log`` with ``type`` before or after the class); two layouts
whose columns have the same kinds cannot be, and the first listed is used: a
15-column ``user_authentication`` is read with ``authentication_factor_id`` (2023 code),
not ``previous_user_id``.

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 modules/system/classes/*.php,
modules/admin/classes/CUser.php, modules/admin/classes/CLogAccessMedicalData.php
"""

from __future__ import annotations

#: Primary key of each table (an auto-increment id: it orders rows by insertion).
PRIMARY_KEYS: dict[str, str] = {
    "users": "user_id",
    "user_authentication": "user_authentication_id",
    "user_authentication_error": "user_authentication_error_id",
    "user_agent": "user_agent_id",
    "user_log": "user_log_id",
    "user_action": "user_action_id",
    "user_action_data": "user_action_data_id",
    "object_class": "object_class_id",
    "log_access_medical_data": "access_id",
    "long_request_log": "long_request_log_id",
    "access_log": "accesslog_id",
    "module_action": "module_action_id",
    "datasource_log": "datasourcelog_id",
}

_USERS = (
    "user_id",
    "user_username",
    "user_password",
    "user_salt",
    "user_type",
    "user_first_name",
    "user_last_name",
    "user_sexe",
    "user_email",
    "user_phone",
    "user_mobile",
    "internal_phone",
    "user_astreinte",
    "user_astreinte_autre",
    "user_address1",
    "user_city",
    "user_zip",
    "user_country",
    "user_birthday",
    "user_last_login",
    "user_login_errors",
    "lock_datetime",
    "template",
    "profile_id",
    "is_robot",
    "dont_log_connection",
    "user_password_last_change",
    "force_change_password",
    "allow_change_password",
    "ldap_uid",
    "sub_fc",
)

_AUTH = (
    "user_authentication_id",
    "user_id",
    "previous_auth_id",
    "authentication_factor_id",
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
)

_LONG_REQUEST = (
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
)

_ACCESS_LOG = (
    "accesslog_id",
    "module_action_id",
    "period",
    "bot",
    "aggregate",
    "hits",
    "duration",
    "request",
    "nb_requests",
    "nosql_time",
    "nosql_requests",
    "io_time",
    "io_requests",
    "peak_memory",
    "size",
    "errors",
    "warnings",
    "notices",
    "session_wait",
    "session_read",
    "transport_tiers_nb",
    "transport_tiers_time",
    "processus",
    "processor",
)


def _without(columns: tuple[str, ...], *drop: str) -> tuple[str, ...]:
    return tuple(c for c in columns if c not in drop)


#: Header-less layouts per table, most likely first.
LAYOUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # 31 columns (2023); without sub_fc (FranceConnect, added last): 30; 14: the columns the
    # project's sample case selects (with users_mediboard.actif joined in)
    "users": (
        _USERS,
        _without(_USERS, "sub_fc"),
        (
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
        ),
    ),
    # 15 columns with authentication_factor_id ("not used anymore" but still created); 14 without
    "user_authentication": (_AUTH, _without(_AUTH, "authentication_factor_id")),
    "user_authentication_error": (
        (
            "user_authentication_error_id",
            "user_id",
            "login_value",
            "datetime",
            "auth_method",
            "identifier",
            "ip_address",
            "message",
        ),
    ),
    "user_agent": (
        (
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
        ),
    ),
    "user_log": (
        ("user_log_id", "user_id", "date", "object_class", "object_id", "type", "fields", "ip_address", "extra"),
        ("user_log_id", "user_id", "date", "type", "fields", "ip_address", "object_class", "object_id", "extra"),
        ("user_log_id", "object_class", "object_id", "user_id", "date", "type", "fields", "ip_address", "extra"),
    ),
    "user_action": (
        ("user_action_id", "user_id", "date", "object_class_id", "object_id", "type", "ip_address"),
        ("user_action_id", "user_id", "date", "type", "ip_address", "object_id", "object_class_id"),
    ),
    "user_action_data": (("user_action_data_id", "user_action_id", "field", "value"),),
    "object_class": (("object_class_id", "object_class"),),
    "log_access_medical_data": (
        ("access_id", "user_id", "datetime", "group_id", "context", "object_id", "object_class"),
        ("access_id", "user_id", "datetime", "object_class", "object_id", "group_id", "context"),
        ("access_id", "user_id", "datetime", "group_id", "object_id", "object_class"),
    ),
    # 14 with requestUID, 13 without, 11 before query_performance/query_report
    "long_request_log": (
        _LONG_REQUEST,
        _without(_LONG_REQUEST, "requestUID"),
        _without(_LONG_REQUEST, "query_performance", "query_report", "requestUID"),
    ),
    # 24 with transport_tiers_*, 22 without; 16 in the 2014-era class (module_action_id
    # already, no session or nosql columns); 18 as the project's sample case writes it
    "access_log": (
        _ACCESS_LOG,
        _without(_ACCESS_LOG, "transport_tiers_nb", "transport_tiers_time"),
        (
            "accesslog_id",
            "module_action_id",
            "period",
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
            "aggregate",
            "bot",
        ),
        (
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
        ),
    ),
    "module_action": (("module_action_id", "module", "action"),),
    "datasource_log": (
        (
            "datasourcelog_id",
            "module_action_id",
            "datasource",
            "period",
            "aggregate",
            "bot",
            "requests",
            "duration",
            "connections",
            "ping_duration",
            "connection_time",
        ),
        (
            "datasourcelog_id",
            "module_action_id",
            "datasource",
            "period",
            "aggregate",
            "bot",
            "requests",
            "duration",
            "connections",
        ),
        ("datasourcelog_id", "module_action_id", "datasource", "period", "aggregate", "bot", "requests", "duration"),
    ),
}

#: Header names used by other versions, mapped to the names the parsers read.
ALIASES: dict[str, str] = {"id_address": "ip_address"}

_INTS = {
    "nb_update",
    "session_lifetime",
    "screen_width",
    "screen_height",
    "hits",
    "nb_requests",
    "nosql_requests",
    "io_requests",
    "peak_memory",
    "size",
    "errors",
    "warnings",
    "notices",
    "transport_tiers_nb",
    "aggregate",
    "bot",
    "requests",
    "connections",
    "user_type",
    "user_login_errors",
    "template",
    "is_robot",
    "dont_log_connection",
    "force_change_password",
    "allow_change_password",
    "actif",
}
_FLOATS = {
    "duration",
    "request",
    "nosql_time",
    "io_time",
    "session_wait",
    "session_read",
    "transport_tiers_time",
    "processus",
    "processor",
    "ping_duration",
    "connection_time",
}
_DATETIMES = {
    "date",
    "datetime",
    "datetime_login",
    "expiration_datetime",
    "last_session_update",
    "datetime_start",
    "datetime_end",
    "period",
    "lock_datetime",
    "user_last_login",
    "user_password_last_change",
}
_JSON = {"extra", "data", "query_params_get", "query_params_post", "session_data", "query_performance", "query_report"}
_TEXT_IDS = {"session_id", "ldap_uid"}


def kind(column: str) -> str:
    """int, float, datetime, date, class, type, json or text: what a column's values look like."""
    if column in _DATETIMES:
        return "datetime"
    if column == "user_birthday":
        return "date"
    if column in _FLOATS:
        return "float"
    if column in _INTS or (column.endswith("_id") and column not in _TEXT_IDS):
        return "int"
    if column == "object_class":
        return "class"
    if column == "type":
        return "type"
    if column in _JSON:
        return "json"
    return "text"


#: Regex a value of each kind must match (text accepts anything and does not count).
KIND_PATTERNS: dict[str, str] = {
    "int": r"^-?\d+$",
    "float": r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$",
    "datetime": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "class": r"^C[A-Za-z0-9_]+$",
    "type": r"^(?:create|store|merge|delete)$",
    "json": r"^\s*[\[{]",
}

_FILENAME_EXTS = ("tsv", "csv", "txt")
_COMPRESSED = ("", ".gz", ".bz2", ".xz")


def filename_patterns(table: str) -> tuple[str, ...]:
    """``users.tsv``, ``users.csv.gz``, ``mediboard.users.txt``... (fnmatch patterns)."""
    out = []
    for prefix in ("", "*."):
        for ext in _FILENAME_EXTS:
            for comp in _COMPRESSED:
                out.append(f"{prefix}{table}.{ext}{comp}")
    return tuple(out)
