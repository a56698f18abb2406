"""Any web application, described by the case config: URL patterns, record ids, record tables.

The generic profile needs nothing but ``case.toml``.  Its audit trail is read by the
mapped parsers (``jsonl.mapped``/``csv.mapped`` with ``[source.fields]`` and
``[source.values]``), which already fill schema columns (``user.name``, ``session.id``,
``event.action``, ``object.id``...).  What the URLs of the application mean is said in an
``[app]`` table; every key has a default that fits common web applications and REST APIs::

    [app]
    profile = "generic"
    login = '(?i)/(?:login|signin|sign_in|auth(?:enticate)?|sessions?)/?$'
    logout = '(?i)/(?:logout|signout|sign_out)/?$'
    export = '(?i)export|download|\\.csv$'
    accounts = '(?i)/admin/(?:users|accounts|members)'
    permissions = '(?i)/admin/(?:roles|permissions|groups|rights)'
    audit = '(?i)/admin/(?:audit|logs?|history|access)'
    system = '(?i)/admin/(?:system|settings|config)'
    admin = '(?i)/admin(?:/|$)'
    search = '(?i)search'
    record_params = ["id", "record_id", "patient_id", "customer_id"]
    record_path = '/(?P<kind>[A-Za-z_][\\w-]*)/(?P<id>\\d+|[0-9a-fA-F-]{36})/?$'
    list_params = ["offset", "start", "limit", "per_page", "size", "page"]
    record_tables = ["patients", "customers", "records"]
    record_id_columns = ["id", "patient_id", "customer_id"]

Patterns are regular expressions matched against the URL path (``login``, ``logout``,
``accounts``... ``admin``, ``record_path``) or the path and query (``export``,
``search``).  A record view names its record by one of ``record_params`` in the query, or
by a path ending in a kind and an id (``/customers/4821``); ``activity.object`` is then
``kind:id`` (the parameter name, or the path's kind), which the exfiltration estimate
counts as distinct records.  A collection page (``/api/customers?offset=200&limit=100``,
``?page=3&per_page=50``) gives ``api.offset``/``api.limit``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from forensics.apps import AppProfile, register
from forensics.apps.activity import ACTIVITIES, ACTIVITY_TYPE, STATIC_OR_STATUS, STATUS_TAIL


@register
class GenericProfile(AppProfile):
    """Any web application: URL patterns, record ids and record tables from the case config."""

    name: ClassVar[str] = "generic"
    defaults: ClassVar[dict[str, Any]] = {
        "login": r"(?i)/(?:login|signin|sign_in|auth(?:enticate)?|sessions?)/?$",
        "logout": r"(?i)/(?:logout|signout|sign_out)/?$",
        "export": r"(?i)export|download|\.csv$|format=csv",
        "accounts": r"(?i)/admin/(?:users|accounts|members)",
        "permissions": r"(?i)/admin/(?:roles|permissions|groups|rights)",
        "audit": r"(?i)/admin/(?:audit|logs?|history|access)",
        "system": r"(?i)/admin/(?:system|settings|config)",
        "admin": r"(?i)/admin(?:/|$)",
        "search": r"(?i)search",
        "record_params": ["id", "record_id", "patient_id", "customer_id"],
        "record_path": r"/(?P<kind>[A-Za-z_][\w-]*)/(?P<id>\d+|[0-9a-fA-F-]{36})/?$",
        "list_params": ["offset", "start", "limit", "per_page", "size", "page"],
        "record_tables": ["patients", "customers", "records"],
        "record_id_columns": ["id", "patient_id", "customer_id"],
    }

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.record_tables = tuple(self.options["record_tables"])
        self.record_id_columns = tuple(self.options["record_id_columns"])

    def label_activity(self, web: pl.DataFrame) -> pl.DataFrame:
        """Add the activity columns from the configured patterns (same rows, same order)."""
        o = self.options
        path = pl.col("url.path").fill_null("")
        query = pl.col("url.query").fill_null("")
        target = pl.concat_str([path, pl.lit("?"), query])
        method = pl.col("http.request.method")
        status = pl.col("http.response.status_code")
        params = "|".join(o["record_params"])
        web = web.with_columns(
            query.str.extract(rf"(?:^|&)({params})=([^&]+)", 1).alias("_pk"),
            query.str.extract(rf"(?:^|&)(?:{params})=([^&]+)", 1).alias("_pv"),
            path.str.extract(o["record_path"], 1).alias("_rk"),
            path.str.extract(o["record_path"], 2).alias("_rv"),
            query.str.extract(r"(?:^|&)(?:offset|start)=(\d{1,12})", 1).cast(pl.Int64, strict=False).alias("_off"),
            query.str.extract(r"(?:^|&)(?:limit|count|per_page|size)=(\d{1,9})", 1)
            .cast(pl.Int64, strict=False)
            .alias("_lim"),
            query.str.extract(r"(?:^|&)page=(\d{1,9})", 1).cast(pl.Int64, strict=False).alias("_page"),
        )
        # a collection page: an offset or a page number, or (on an API path that names no
        # record) a page size or a cursor (``limit=50&after=...``: the first page of a cursor
        # listing has only its size)
        cursor = query.str.contains(
            r"(?:^|&)(?:after|cursor|next|page_token|pageToken|starting_after|page\[(?:after|cursor)\])="
        )
        is_list = (
            pl.col("_off").is_not_null()
            | pl.col("_page").is_not_null()
            | (
                path.str.contains("/api/", literal=True)
                & pl.col("_rv").is_null()
                & (pl.col("_lim").is_not_null() | cursor)
            )
        )
        is_api = path.str.contains("/api/", literal=True)
        refused = (method == "POST") & status.is_in([401, 403])
        rules: list[tuple[pl.Expr, str]] = [
            (path.str.contains(STATIC_OR_STATUS) & ~path.str.contains(STATUS_TAIL), "static"),
            (path.str.contains(STATUS_TAIL), "status"),
            (path.str.contains(o["logout"]), "logout"),
            (path.str.contains(o["login"]) & refused, "login_failed"),
            (path.str.contains(o["login"]) & (method == "POST"), "login"),
            (target.str.contains(o["export"]), "export"),
            (path.str.contains(o["permissions"]), "admin_permissions"),
            (path.str.contains(o["audit"]), "admin_audit"),
            (path.str.contains(o["accounts"]), "admin_accounts"),
            (path.str.contains(o["system"]), "admin_system"),
            (path.str.contains(o["admin"]), "admin_other"),
            (pl.col("_rv").is_not_null() & is_api, "api_detail"),
            (is_list, "api_list"),
            (target.str.contains(o["search"]), "patient_search"),
            (pl.col("_pv").is_not_null() | pl.col("_rv").is_not_null(), "patient_view"),
            (is_api, "api_other"),
            (refused, "login_failed"),
            ((method == "POST") & (query == ""), "form_post"),
        ]
        label = pl.lit("page")
        for cond, name in reversed(rules):
            assert name in ACTIVITIES, name
            label = pl.when(cond.fill_null(False)).then(pl.lit(name)).otherwise(label)
        web = web.with_columns(label.cast(ACTIVITY_TYPE).alias("activity"))
        act = pl.col("activity")
        per_page = pl.col("_lim")
        obj = (
            pl.when(act.is_in(["api_detail", "patient_view"]) & pl.col("_rv").is_not_null())
            .then(pl.concat_str([pl.col("_rk"), pl.lit(":"), pl.col("_rv")]))
            .when(act == "patient_view")
            .then(pl.concat_str([pl.col("_pk"), pl.lit(":"), pl.col("_pv")]))
        )
        export = act == "export"
        return web.with_columns(
            pl.lit(None, dtype=pl.String).alias("activity.module"),
            pl.when(act.is_in(["export", "admin_accounts", "admin_permissions", "admin_audit", "admin_system"]))
            .then(path)
            .alias("activity.view"),
            obj.alias("activity.object"),
            pl.when(act == "api_list")
            .then(pl.coalesce(pl.col("_off"), (pl.col("_page") - 1).clip(lower_bound=0) * per_page))
            .alias("api.offset"),
            pl.when(act == "api_list").then(per_page).alias("api.limit"),
            pl.when(export)
            .then(query.str.extract(r"(?:^|&)(?:date_min|from|start_date)=([^&]*)", 1))
            .alias("export.date_min"),
            pl.when(export)
            .then(query.str.extract(r"(?:^|&)(?:date_max|to|end_date)=([^&]*)", 1))
            .alias("export.date_max"),
            pl.when(export).then(pl.lit(True)).alias("export.all"),
        ).drop("_pk", "_pv", "_rk", "_rv", "_off", "_lim", "_page")
