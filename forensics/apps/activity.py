"""The activity vocabulary every application profile labels web requests with.

A profile (``forensics/apps/<name>.py``) decides *which* requests are logins, exports,
record views or administration; the labels themselves, and the groups detectors reason
about (data access, reconnaissance), are the same for every application, so detectors
never need to know which application they look at.
"""

from __future__ import annotations

import polars as pl

STATIC_OR_STATUS = r"(?:\.(?:js|css|png|gif|jpe?g|ico|svg|woff2?|ttf|eot|map|webp)|/status\.php|/health(?:z|check)?|/ping|/server-status)$"
STATUS_TAIL = r"(?:/status\.php|/health(?:z|check)?|/ping|/server-status)$"
STATIC_SUFFIXES = (
    ".js",
    ".css",
    ".png",
    ".gif",
    ".jpg",
    ".jpeg",
    ".ico",
    ".svg",
    ".woff",
    ".woff2",
    ".ttf",
    ".eot",
    ".map",
    ".webp",
)
STATUS_SUFFIXES = ("/status.php", "/health", "/healthz", "/healthcheck", "/ping", "/server-status")

#: Every label, in the order the rules are tried.
ACTIVITIES = (
    "static",
    "status",
    "logout",
    "login",
    "api_detail",
    "export",
    "api_list",
    "api_other",
    "export_form",
    "admin_permissions",
    "admin_audit",
    "admin_accounts",
    "admin_system",
    "admin_other",
    "patient_search",
    "patient_view",
    "login_failed",
    "form_post",
    "page",
)

#: The type of the ``activity`` column: one byte per request, compares with plain strings.
ACTIVITY_TYPE = pl.Enum(ACTIVITIES)

#: Activities that expose patient data (used by bulk collection and exfiltration).
DATA_ACTIVITIES = ("patient_view", "export", "api_list", "api_detail")
#: Activities that look at accounts, permissions or the audit trail (reconnaissance).
RECON_ACTIVITIES = {
    "admin_accounts": "T1087",
    "admin_permissions": "T1069",
    "admin_audit": "T1087",
    "admin_system": None,
}

ADDS = (
    "activity",
    "activity.module",
    "activity.view",
    "activity.object",
    "api.offset",
    "api.limit",
    "export.date_min",
    "export.date_max",
    "export.all",
)
