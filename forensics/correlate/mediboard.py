"""What a web request did, in words: URL -> activity label (Mediboard first, generic REST second).

Mediboard routes by query parameters: ``m`` (module) and one of ``tab``/``a``/``raw``/
``dialog`` (the view or action); ``raw`` views stream files (the patient CSV export is
``m=dPpatients&raw=ajax_export_patients_csv``).  The REST API lives under ``/api/`` with
``offset``/``limit`` pagination (``/api/dossierpatient/patients?offset=0&limit=100``) and
one record per id (``/api/dossierpatient/patients/48213``).

Activity labels (column ``activity``):

==================  ==============================================================
``static``          images, scripts, style sheets
``status``          health checks (``status.php``, ``/health``...)
``login``           a login request (``login=`` parameter)
``login_failed``    a POST answered 401/403 (the failed login form)
``form_post``       a POST without parameters (login form or any form: bodies are not logged)
``logout``          ``logout=`` parameter
``admin_accounts``  account lists and account editors (ATT&CK T1087)
``admin_permissions`` permission and group editors (T1069)
``admin_audit``     the audit trails themselves (who-accessed-what, login history)
``admin_system``    ``m=system`` views (versions, modules, configuration)
``admin_other``     any other ``m=admin`` view
``patient_search``  patient search
``patient_view``    a view that names one record (``patient_id``, ``sejour_id``...)
``export_form``     the form of an export (``tab=vw_export_...``)
``export``          a bulk export (``raw=``/``a=`` with ``export`` in the name, ``format=csv``)
``api_list``        an API collection (``/api/.../patients``), with offset/limit
``api_detail``      one API record (``/api/.../patients/48213``)
``api_other``       any other ``/api/`` request
``page``            everything else
==================  ==============================================================

Extraction is masked (regexes only run on rows whose text contains the parameter), so
the cost follows the interesting rows, not the 10 million static hits.
"""

from __future__ import annotations

import polars as pl

STATIC_EXT = r"\.(?:js|css|png|gif|jpe?g|ico|svg|woff2?|ttf|eot|map|webp)$"
STATUS_PATH = r"(?:/status\.php|/health(?:z|check)?|/ping|/server-status)$"

#: Activities that expose patient data (used by bulk collection and exfiltration).
DATA_ACTIVITIES = ("patient_view", "export", "api_list", "api_detail")
#: Activities that look at accounts, permissions or the audit trail (reconnaissance).
RECON_ACTIVITIES = {
    "admin_accounts": "T1087",
    "admin_permissions": "T1069",
    "admin_audit": "T1087",
    "admin_system": None,
}

#: API resource name -> application object class (so API ids and audit-trail ids compare).
API_OBJECTS = {
    "patients": "CPatient",
    "patient": "CPatient",
    "sejours": "CSejour",
    "sejour": "CSejour",
    "consultations": "CConsultation",
    "operations": "COperation",
}
PARAM_OBJECTS = {
    "patient_id": "CPatient",
    "sejour_id": "CSejour",
    "consultation_id": "CConsultation",
    "consult_id": "CConsultation",
    "operation_id": "COperation",
}

NEEDS = ("url.path", "url.query", "http.request.method", "http.response.status_code")
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


def _param(query: pl.Expr, name: str) -> pl.Expr:
    """Value of ``name=`` in a decoded query string (first occurrence), masked by a literal test."""
    masked = pl.when(query.str.contains(f"{name}=", literal=True)).then(query)
    return masked.str.extract(rf"(?:^|&){name}=([^&]*)", 1)


def label_activity(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Add the activity columns to web requests (same rows, same order).

    Needs: ``url.path``, ``url.query``, ``http.request.method``, ``http.response.status_code``.
    Adds: ``activity``, ``activity.module`` (``m``), ``activity.view`` (``tab``/``a``/
    ``raw``/``dialog`` as ``raw:ajax_export_patients_csv``), ``activity.object``
    (``CPatient:48213``), ``api.offset``, ``api.limit``, ``export.date_min``,
    ``export.date_max``, ``export.all`` (every practitioner, or no practitioner filter).
    """
    path = pl.col("url.path").fill_null("")
    query = pl.col("url.query")
    method = pl.col("http.request.method").fill_null("").str.to_uppercase()
    status = pl.col("http.response.status_code")
    lower_path = path.str.to_lowercase()
    is_api = lower_path.str.contains("/api/", literal=True)

    view_kind = pl.when(query.str.contains("=", literal=True)).then(query)
    view = view_kind.str.extract_groups(r"(?:^|&)(tab|a|raw|dialog)=([^&]*)")
    step1 = [
        _param(query, "m").alias("activity.module"),
        pl.when(view.struct.field("2").is_not_null() & (view.struct.field("2") != ""))
        .then(pl.concat_str([view.struct.field("1"), pl.lit(":"), view.struct.field("2")]))
        .alias("activity.view"),
        pl.when(query.str.contains("_id=", literal=True))
        .then(query)
        .str.extract_groups(r"(?:^|&)(patient_id|sejour_id|consultation_id|consult_id|operation_id)=(\d+)")
        .alias("_pid"),
        pl.when(is_api).then(path).str.extract_groups(r"/([A-Za-z_][\w-]*)/(\d+)/?$").alias("_api"),
        pl.when(is_api).then(path).str.extract(r"/([A-Za-z_][\w-]*)/?$", 1).alias("_api_res"),
        pl.when(query.str.contains("login=", literal=True)).then(query).str.contains(r"(?:^|&)login=").alias("_login"),
        pl.when(query.str.contains("logout=", literal=True))
        .then(query)
        .str.contains(r"(?:^|&)logout=")
        .alias("_logout"),
    ]
    df = df.with_columns(step1)
    module = pl.col("activity.module").fill_null("").str.to_lowercase()
    v = pl.col("activity.view").fill_null("").str.to_lowercase()
    v_name = v.str.replace(r"^[a-z]+:", "")
    is_raw_or_action = v.str.starts_with("raw:") | v.str.starts_with("a:") | v.str.starts_with("dialog:")
    api_id = pl.col("_api").struct.field("2")
    api_res = pl.col("_api").struct.field("1")
    pid_kind = pl.col("_pid").struct.field("1")
    pid = pl.col("_pid").struct.field("2")
    exportish = v_name.str.contains("export") | lower_path.str.contains("export", literal=True)
    csvish = query.fill_null("").str.contains("format=csv", literal=True)

    activity = (
        pl.when(lower_path.str.contains(STATIC_EXT))
        .then(pl.lit("static"))
        .when(lower_path.str.contains(STATUS_PATH))
        .then(pl.lit("status"))
        .when(pl.col("_logout").fill_null(False))
        .then(pl.lit("logout"))
        .when(pl.col("_login").fill_null(False))
        .then(pl.lit("login"))
        .when(is_api & api_id.is_not_null())
        .then(pl.lit("api_detail"))
        .when(is_api & exportish)
        .then(pl.lit("export"))
        .when(is_api & pl.col("_api_res").is_not_null())
        .then(pl.lit("api_list"))
        .when(is_api)
        .then(pl.lit("api_other"))
        .when((exportish & is_raw_or_action) | csvish)
        .then(pl.lit("export"))
        .when(exportish)
        .then(pl.lit("export_form"))
        .when((module == "admin") & v_name.str.contains("perm|droit|group|function|profil"))
        .then(pl.lit("admin_permissions"))
        .when(module.is_in(["admin", "system"]) & v_name.str.contains("access|authentication|history|log"))
        .then(pl.lit("admin_audit"))
        .when(module.is_in(["admin", "mediusers", "dpmediusers"]) & v_name.str.contains("user"))
        .then(pl.lit("admin_accounts"))
        .when(module == "system")
        .then(pl.lit("admin_system"))
        .when(module == "admin")
        .then(pl.lit("admin_other"))
        .when(v_name.str.contains("search") & module.str.contains("patient"))
        .then(pl.lit("patient_search"))
        .when(pid.is_not_null())
        .then(pl.lit("patient_view"))
        .when((method == "POST") & status.is_in([401, 403]))
        .then(pl.lit("login_failed"))
        .when((method == "POST") & query.fill_null("").eq(""))
        .then(pl.lit("form_post"))
        .otherwise(pl.lit("page"))
    )
    param_class = pl.col("_pid_class")
    obj = (
        pl.when(pl.col("activity") == "api_detail")
        .then(
            pl.concat_str(
                [api_res.replace_strict(API_OBJECTS, default=api_res, return_dtype=pl.String), pl.lit(":"), api_id]
            )
        )
        .when(pl.col("activity") == "patient_view")
        .then(pl.concat_str([param_class, pl.lit(":"), pid]))
    )
    df = df.with_columns(
        activity.alias("activity"),
        pid_kind.replace_strict(PARAM_OBJECTS, default=None, return_dtype=pl.String).alias("_pid_class"),
    )
    is_list = pl.col("activity") == "api_list"
    is_export = pl.col("activity") == "export"
    list_q = pl.when(is_list).then(query)
    export_q = pl.when(is_export).then(query)
    prats = export_q.str.contains(r"(?:^|&)(?:all_prats=(?:on|1|true)|praticien_id(?:\[\])?=&|praticien_id(?:\[\])?=$)")
    named_prats = export_q.str.contains(r"(?:^|&)praticien_id(?:\[\])?=\d")
    df = df.with_columns(
        obj.alias("activity.object"),
        list_q.str.extract(r"(?:^|&)(?:offset|start)=(\d{1,12})", 1).cast(pl.Int64, strict=False).alias("api.offset"),
        list_q.str.extract(r"(?:^|&)(?:limit|count|per_page|size)=(\d{1,9})", 1)
        .cast(pl.Int64, strict=False)
        .alias("api.limit"),
        export_q.str.extract(r"(?:^|&)date_min=([^&]*)", 1).alias("export.date_min"),
        export_q.str.extract(r"(?:^|&)date_max=([^&]*)", 1).alias("export.date_max"),
        pl.when(is_export).then(prats.fill_null(False) | ~named_prats.fill_null(False)).alias("export.all"),
    )
    return df.drop(["_pid", "_api", "_api_res", "_login", "_logout", "_pid_class"])


def activity_of_params(params: dict[str, str]) -> str:
    """Label for a parameter dict (``long_request_log.query_params_get``), same rules as URLs."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    frame = pl.DataFrame(
        {
            "url.path": ["/index.php"],
            "url.query": [query],
            "http.request.method": ["GET"],
            "http.response.status_code": [200],
        },
        schema={
            "url.path": pl.String,
            "url.query": pl.String,
            "http.request.method": pl.String,
            "http.response.status_code": pl.Int32,
        },
    )
    return str(label_activity(frame).get_column("activity")[0])  # type: ignore[union-attr]
