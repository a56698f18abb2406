"""Mediboard: what its URLs, audit keys and tables mean (the Mediboard application profile).

What a web request did, in words: URL -> activity label (Mediboard first, generic REST second).

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

from datetime import timedelta
from typing import ClassVar

import polars as pl

from forensics.apps import AppProfile, register, with_app_fields
from forensics.apps.activity import (
    ACTIVITIES,
    ACTIVITY_TYPE,
    ADDS,
    DATA_ACTIVITIES,
    RECON_ACTIVITIES,
    STATIC_OR_STATUS,
    STATUS_TAIL,
)

#: The query of a request whose label depends on its module and view.
NEEDS_VIEW = "m=admin|m=Admin|m=system|m=System|ediusers|xport|earch"

#: API resource name -> application object class (so API ids and audit-trail ids compare).
API_OBJECTS = {
    "patients": "CPatient",
    "patient": "CPatient",
    "sejours": "CSejour",
    "sejour": "CSejour",
    "consultations": "CConsultation",
    "operations": "COperation",
}
_ID_PARAMS = "patient_id|sejour_id|consultation_id|consult_id|operation_id"
PARAM_OBJECTS = {
    "patient_id": "CPatient",
    "sejour_id": "CSejour",
    "consultation_id": "CConsultation",
    "consult_id": "CConsultation",
    "operation_id": "COperation",
}

NEEDS = ("url.path", "url.query", "http.request.method", "http.response.status_code")


def _param(query: pl.Expr, name: str) -> pl.Expr:  # kept for callers that want one parameter
    """Value of ``name=`` in a decoded query string (first occurrence), masked by a literal test."""
    masked = pl.when(query.str.contains(f"{name}=", literal=True)).then(query)
    return masked.str.extract(rf"(?:^|&){name}=([^&]*)", 1)


def label_activity(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Add the activity columns to web requests (same rows, same order).

    Needs: ``url.path``, ``url.query``, ``http.request.method``, ``http.response.status_code``.
    Adds: ``activity``, ``activity.module`` (``m``) and ``activity.view`` (``tab``/``a``/
    ``raw``/``dialog`` as ``raw:ajax_export_patients_csv``) for the requests whose label
    depends on them (administration, exports, searches), ``activity.object``
    (``CPatient:48213``) for record views and API records, ``api.offset``, ``api.limit``,
    ``export.date_min``, ``export.date_max``, ``export.all`` (every practitioner, or no
    practitioner filter).  Cheap literal tests pick the rows that need a regular expression.
    """
    path = pl.col("url.path")
    query = pl.col("url.query")
    method = pl.col("http.request.method")
    status = pl.col("http.response.status_code")

    # eager frames do not share sub-expressions: compute the masks once, as columns.  One
    # alternation of literals is a single fast scan (the regex engine's literal search).
    df = df.with_columns(
        path.str.contains("/api/", literal=True).fill_null(False).alias("_is_api"),
        query.str.contains(NEEDS_VIEW).fill_null(False).alias("_needs"),
        query.str.contains("_id=", literal=True).fill_null(False).alias("_has_id"),
        query.str.contains("login=|logout=|format=csv").fill_null(False).alias("_rare"),
        path.str.contains(STATIC_OR_STATUS).fill_null(False).alias("_tail"),
    )
    api_path = pl.when(pl.col("_is_api")).then(path)
    rare = pl.when(pl.col("_rare")).then(query)
    df = df.with_columns(
        (pl.col("_needs") & query.str.contains("xport", literal=True).fill_null(False))
        .or_(api_path.str.contains("xport", literal=True).fill_null(False))
        .alias("_xport"),
        rare.str.contains(r"(?:^|&)login=").fill_null(False).alias("_login"),
        rare.str.contains(r"(?:^|&)logout=").fill_null(False).alias("_logout"),
        rare.str.contains("format=csv", literal=True).fill_null(False).alias("_csv"),
        pl.when(pl.col("_tail")).then(path).str.contains(STATUS_TAIL).fill_null(False).alias("_status"),
    )
    df = df.with_columns((pl.col("_tail") & ~pl.col("_status")).alias("_static"))
    vq = pl.when(pl.col("_needs")).then(query)
    idq = pl.when(pl.col("_has_id")).then(query)
    step1 = [
        vq.str.extract(r"(?:^|&)m=([^&]*)", 1).alias("activity.module"),
        vq.str.extract(r"(?:^|&)(tab|a|raw|dialog)=[^&]", 1).alias("_vk"),
        vq.str.extract(r"(?:^|&)(?:tab|a|raw|dialog)=([^&]+)", 1).alias("_vv"),
        idq.str.extract(f"(?:^|&)({_ID_PARAMS})=\\d", 1).alias("_pid_kind"),
        idq.str.extract(f"(?:^|&)(?:{_ID_PARAMS})=(\\d+)", 1).alias("_pid_value"),
        api_path.str.extract(r"/([A-Za-z_][\w-]*)/\d+/?$", 1).alias("_api_kind"),
        api_path.str.extract(r"/(\d+)/?$", 1).alias("_api_id"),
        api_path.str.extract(r"/([A-Za-z_][\w-]*)/?$", 1).alias("_api_res"),
    ]
    df = df.with_columns(step1)
    df = df.with_columns(
        pl.col("activity.module").str.to_lowercase().alias("_mod"),
        pl.col("_vv").str.to_lowercase().alias("_vvl"),
    )
    mod = pl.col("_mod")
    vv = pl.col("_vvl")
    vk = pl.col("_vk")
    is_api = pl.col("_is_api")
    api_id = pl.col("_api_id")
    pid = pl.col("_pid_value")
    df = df.with_columns(
        ((vv.str.contains("xport", literal=True).fill_null(False)) | (is_api & pl.col("_xport"))).alias("_exportish")
    )
    exportish = pl.col("_exportish")
    is_raw_or_action = vk.is_in(["raw", "a", "dialog"]).fill_null(False)

    # an integer per label while choosing (cheap), one string column at the end
    code = (
        pl.when(pl.col("_static"))
        .then(pl.lit(0, dtype=pl.UInt8))
        .when(pl.col("_status"))
        .then(pl.lit(1, dtype=pl.UInt8))
        .when(pl.col("_logout"))
        .then(pl.lit(2, dtype=pl.UInt8))
        .when(pl.col("_login"))
        .then(pl.lit(3, dtype=pl.UInt8))
        .when(is_api & api_id.is_not_null())
        .then(pl.lit(4, dtype=pl.UInt8))
        .when(is_api & exportish)
        .then(pl.lit(5, dtype=pl.UInt8))
        .when(is_api & pl.col("_api_res").is_not_null())
        .then(pl.lit(6, dtype=pl.UInt8))
        .when(is_api)
        .then(pl.lit(7, dtype=pl.UInt8))
        .when((exportish & is_raw_or_action) | pl.col("_csv"))
        .then(pl.lit(5, dtype=pl.UInt8))
        .when(exportish)
        .then(pl.lit(8, dtype=pl.UInt8))
        .when((mod == "admin") & vv.str.contains("perm|droit|group|function|profil").fill_null(False))
        .then(pl.lit(9, dtype=pl.UInt8))
        .when(mod.is_in(["admin", "system"]) & vv.str.contains("access|authentication|history|log").fill_null(False))
        .then(pl.lit(10, dtype=pl.UInt8))
        .when(mod.is_in(["admin", "mediusers", "dpmediusers"]) & vv.str.contains("user").fill_null(False))
        .then(pl.lit(11, dtype=pl.UInt8))
        .when(mod == "system")
        .then(pl.lit(12, dtype=pl.UInt8))
        .when(mod == "admin")
        .then(pl.lit(13, dtype=pl.UInt8))
        .when(mod.str.contains("patient").fill_null(False) & vv.str.contains("search").fill_null(False))
        .then(pl.lit(14, dtype=pl.UInt8))
        .when(pid.is_not_null())
        .then(pl.lit(15, dtype=pl.UInt8))
        .when((method == "POST") & status.is_in([401, 403]))
        .then(pl.lit(16, dtype=pl.UInt8))
        .when((method == "POST") & (query.is_null() | (query == "")))
        .then(pl.lit(17, dtype=pl.UInt8))
        .otherwise(pl.lit(18, dtype=pl.UInt8))
    )
    activity = pl.col("_code").replace_strict(dict(enumerate(ACTIVITIES)), return_dtype=ACTIVITY_TYPE)
    df = df.with_columns(code.alias("_code"))
    df = df.with_columns(
        activity.alias("activity"),
        pl.when(pl.col("_vv").is_not_null())
        .then(pl.concat_str([vk, pl.lit(":"), pl.col("_vv")]))
        .alias("activity.view"),
    )
    is_detail = pl.col("_code") == ACTIVITIES.index("api_detail")
    is_view = pl.col("_code") == ACTIVITIES.index("patient_view")
    api_res = pl.when(is_detail).then(pl.col("_api_kind"))
    pid_kind = pl.when(is_view).then(pl.col("_pid_kind"))
    obj = (
        pl.when(is_detail)
        .then(
            pl.concat_str(
                [api_res.replace_strict(API_OBJECTS, default=api_res, return_dtype=pl.String), pl.lit(":"), api_id]
            )
        )
        .when(is_view)
        .then(
            pl.concat_str(
                [pid_kind.replace_strict(PARAM_OBJECTS, default=None, return_dtype=pl.String), pl.lit(":"), pid]
            )
        )
    )
    is_list = pl.col("_code") == ACTIVITIES.index("api_list")
    is_export = pl.col("_code") == ACTIVITIES.index("export")
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
    return df.drop(
        [
            "_pid_kind",
            "_pid_value",
            "_api_kind",
            "_api_id",
            "_api_res",
            "_login",
            "_logout",
            "_vk",
            "_vv",
            "_is_api",
            "_xport",
            "_csv",
            "_static",
            "_status",
            "_needs",
            "_code",
            "_mod",
            "_vvl",
            "_exportish",
            "_has_id",
            "_rare",
            "_tail",
        ]
    )


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


#: Mediboard tables that hold patient records (what a large read is a read of).
PATIENT_TABLES = (
    "patients",
    "patient",
    "sejour",
    "consultation",
    "operations",
    "dossier_medical",
    "antecedent",
    "traitement",
    "prescription",
    "observation_medicale",
    "constantes_medicales",
)

#: GET parameters of a long request (``long_request_log.query_params_get``) that say what it did.
REQUEST_PARAMS = (
    "m",
    "tab",
    "a",
    "raw",
    "dialog",
    "date_min",
    "date_max",
    "all_prats",
    "offset",
    "limit",
    "patient_id",
)
#: Keys of ``user_log`` entries that name the account an account change was made to.
TARGET_NAME_KEYS = ("user_username", "username", "login", "user_login", "target_user", "name")
#: the working columns of ``app_fields``: a long request's stored parameters (JSON), and
#: whether the row's ``labels`` hold a ``\u`` escape (``_label``)
_PARAMS = "_query_params_get"
_ESCAPED = "_labels_escaped"


def _label(key: str) -> pl.Expr:
    """The value of ``key`` in the JSON of ``labels``, read only in the rows that can hold it.

    Reading a key parses the row's JSON; most application events (the access and change
    histories) hold none of the keys asked for, so the rows whose text names the key, or has
    a ``\\u`` escape (a key may be written escaped: the working column ``_ESCAPED``), are
    the only ones parsed.  A row without either cannot hold the key: a JSON key is the key's
    characters between quotes, written as they are or escaped.
    """
    labels = pl.col("labels")
    named = labels.str.contains(f'"{key}"', literal=True) | pl.col(_ESCAPED)
    return pl.when(named).then(labels).str.json_path_match(f"$.{key}")


@register
class MediboardProfile(AppProfile):
    """Mediboard (OpenXtrem): ``m=``/``tab=`` URLs, its REST API, its audit tables and patient tables."""

    name: ClassVar[str] = "mediboard"
    dataset_prefixes: ClassVar[tuple[str, ...]] = ("mediboard.",)
    record_tables = PATIENT_TABLES
    record_id_columns = ("patient_id",)

    def label_activity(self, web: pl.DataFrame) -> pl.DataFrame:
        out = label_activity(web)
        assert isinstance(out, pl.DataFrame)
        return out

    def app_fields(self, app: pl.DataFrame) -> pl.DataFrame:
        """The parsers keep Mediboard's own columns in ``labels`` (JSON); here they become typed columns.

        ``auth.method``: ``user_authentication.auth_method`` (lower-cased); ``auth.screen``:
        whether the login recorded a screen size (null when the row has no such column);
        ``request.query``: a long request's ``query_params_get`` as a query string;
        ``user.target.name``: the login an account change was made to.
        """
        if "labels" not in app.columns:
            return with_app_fields(app, {})
        labels = pl.col("labels")
        has_screen_key = labels.str.contains('"screen_width"', literal=True).fill_null(False)
        # an eager frame shares no sub-expression: the stored parameters are read once, as a
        # column, then each parameter from them (about a thousand rows of a million hold any)
        raw = pl.col(_PARAMS)
        parts = []
        for k in REQUEST_PARAMS:
            v = raw.str.json_path_match(f"$.{k}")
            parts.append(pl.when(v.is_not_null()).then(pl.concat_str([pl.lit(f"{k}="), v])))
        query = pl.concat_str(parts, separator="&", ignore_nulls=True)
        out = with_app_fields(
            app.with_columns(labels.str.contains("\\u", literal=True).alias(_ESCAPED)).with_columns(
                _label("query_params_get").alias(_PARAMS)
            ),
            {
                "auth.method": _label("auth_method").str.to_lowercase(),
                "auth.screen": pl.when(has_screen_key).then(_label("screen_width").is_not_null()),
                "request.query": pl.when(raw.is_not_null()).then(pl.when(query != "").then(query)),
                "user.target.name": pl.coalesce([_label(k) for k in TARGET_NAME_KEYS]),
            },
        ).drop(_PARAMS, _ESCAPED)
        return _request_labels(_password_set_by(out))


#: Tables that record who wrote an account (the change histories) and the one that only
#: keeps when its password was last set.
_CHANGE_HISTORIES = ("mediboard.user_log", "mediboard.user_action")
_AUDITED_WRITES = ("password_changed", "account_created")


def _password_set_by(app: pl.DataFrame) -> pl.DataFrame:
    """Attribute the users table's "password last set" to whoever the change history says set it.

    ``users.user_password_last_change`` says when an account's password was set, not by whom:
    read alone it is the account's own change.  When a change history records a write of that
    same account's password, or its creation, at that same time (the same request stores both),
    the password was set by that row's actor (an administrator creating the account, or an
    attacker creating a backdoor), and the account did nothing.  A password set with no such
    row (the ordinary expiry flow) stays the account's own.
    """
    needed = {"event.dataset", "event.action", "@timestamp", "user.id", "user.name", "user.target.id"}
    if app.height == 0 or not needed <= set(app.columns):
        return app
    dataset = pl.col("event.dataset").cast(pl.String)
    is_set = (dataset == "mediboard.users") & (pl.col("event.action") == "password_changed")
    if not app.select(is_set.any()).item():
        return app
    writes = (
        app.filter(
            dataset.is_in(_CHANGE_HISTORIES)
            & pl.col("event.action").is_in(_AUDITED_WRITES)
            & pl.col("user.target.id").is_not_null()
            & pl.col("@timestamp").is_not_null()
        )
        .select(
            pl.col("user.target.id").str.strip_chars().alias("_tid"),
            pl.col("@timestamp").alias("_wts"),
            pl.col("user.id").alias("_by_id"),
            pl.col("user.name").alias("_by_name"),
        )
        .sort("_wts")
    )
    if writes.height == 0:
        return app
    indexed = app.with_row_index("_i")
    sets = (
        indexed.filter(is_set & pl.col("@timestamp").is_not_null())
        .select("_i", pl.col("user.id").str.strip_chars().alias("_tid"), pl.col("@timestamp").alias("_wts"))
        .sort("_wts")
    )
    # the same request writes both rows: within the second the two clocks may round apart
    matched = sets.join_asof(
        writes,
        on="_wts",
        by="_tid",
        strategy="nearest",
        tolerance=timedelta(seconds=2),
        check_sortedness=False,  # both sides are sorted on time just above
    )
    matched = matched.filter(pl.col("_by_id").is_not_null() | pl.col("_by_name").is_not_null())
    if matched.height == 0:
        return app
    out = indexed.join(matched.select("_i", "_by_id", "_by_name"), on="_i", how="left", maintain_order="left")
    hit = pl.col("_by_id").is_not_null() | pl.col("_by_name").is_not_null()
    return out.with_columns(
        pl.when(hit).then(pl.col("_by_id")).otherwise(pl.col("user.id")).alias("user.id"),
        pl.when(hit).then(pl.col("_by_name")).otherwise(pl.col("user.name")).alias("user.name"),
    ).drop("_i", "_by_id", "_by_name")


def _request_labels(app: pl.DataFrame) -> pl.DataFrame:
    """``request.activity``, ``.view``, ``.date_min``, ``.date_max``, ``.offset``, ``.limit``: the
    activity label of the request a long-request row's stored parameters describe (same rows)."""
    if app.height == 0 or app.get_column("request.query").null_count() == app.height:
        return app
    # a label reads its own row only: the rows with stored parameters (a thousand in a
    # million application events) are labelled, and their labels spread back by position
    has = app.get_column("request.query").is_not_null()
    labelled = label_activity(
        app.filter(has).select(
            pl.lit("/index.php").alias("url.path"),
            pl.col("request.query").alias("url.query"),
            pl.lit("GET").alias("http.request.method"),
            pl.lit(200, dtype=pl.Int32).alias("http.response.status_code"),
        )
    )
    assert isinstance(labelled, pl.DataFrame)
    slot = pl.select(pl.when(has).then(has.cast(pl.UInt32).cum_sum() - 1)).to_series()

    def spread(name: str, dtype: pl.DataType) -> pl.Series:
        return labelled.get_column(name).cast(dtype).gather(slot)

    return app.with_columns(
        spread("activity", pl.String).alias("request.activity"),
        spread("activity.view", pl.String).alias("request.view"),
        spread("export.date_min", pl.String).alias("request.date_min"),
        spread("export.date_max", pl.String).alias("request.date_max"),
        spread("api.offset", pl.Int64).alias("request.offset"),
        spread("api.limit", pl.Int64).alias("request.limit"),
    )


__all__ = [
    "ACTIVITIES",
    "ACTIVITY_TYPE",
    "ADDS",
    "API_OBJECTS",
    "DATA_ACTIVITIES",
    "NEEDS",
    "PARAM_OBJECTS",
    "PATIENT_TABLES",
    "RECON_ACTIVITIES",
    "MediboardProfile",
    "activity_of_params",
    "label_activity",
]
