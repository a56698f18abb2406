"""URL -> activity labels, and the row-keeping property of the labeller."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.apps.mediboard import ACTIVITIES, ADDS, activity_of_params, label_activity

SCHEMA = {
    "url.path": pl.String,
    "url.query": pl.String,
    "http.request.method": pl.String,
    "http.response.status_code": pl.Int32,
}

CASES = [
    ("/mediboard/index.php", "m=admin&tab=vw_edit_users", "GET", 200, "admin_accounts", None),
    ("/mediboard/index.php", "m=admin&tab=edit_perms", "GET", 200, "admin_permissions", None),
    ("/mediboard/index.php", "m=admin&tab=vw_list_medical_access", "GET", 200, "admin_audit", None),
    ("/mediboard/index.php", "m=admin&tab=vw_user_authentication", "GET", 200, "admin_audit", None),
    ("/mediboard/index.php", "m=system&tab=about", "GET", 200, "admin_system", None),
    ("/mediboard/index.php", "m=admin&tab=configure", "GET", 200, "admin_other", None),
    ("/mediboard/index.php", "m=mediusers&a=edit_mediuser&user_id=3", "GET", 200, "admin_accounts", None),
    ("/mediboard/index.php", "m=dPpatients&a=ajax_search_patient&nom=a", "GET", 200, "patient_search", None),
    (
        "/mediboard/index.php",
        "m=dPpatients&tab=vw_full_patients&patient_id=48213",
        "GET",
        200,
        "patient_view",
        "CPatient:48213",
    ),
    ("/mediboard/index.php", "m=dPhospi&tab=vw_sejour&sejour_id=77", "GET", 200, "patient_view", "CSejour:77"),
    ("/mediboard/index.php", "m=dPpatients&tab=vw_export_patients_csv", "GET", 200, "export_form", None),
    (
        "/mediboard/index.php",
        "m=dPpatients&raw=ajax_export_patients_csv&date_min=2019-01-01&date_max=2019-01-31&patient_id=&all_prats=on",
        "GET",
        200,
        "export",
        None,
    ),
    ("/mediboard/index.php", "m=dPpatients&a=do_export_patients&date_min=2020-01-01", "GET", 200, "export", None),
    ("/mediboard/api/dossierpatient/patients", "offset=61300&limit=100", "GET", 200, "api_list", None),
    ("/mediboard/api/dossierpatient/patients/48213", None, "GET", 200, "api_detail", "CPatient:48213"),
    ("/mediboard/api/status", None, "GET", 200, "api_list", None),
    ("/mediboard/index.php", None, "POST", 401, "login_failed", None),
    ("/mediboard/index.php", None, "POST", 200, "form_post", None),
    ("/mediboard/index.php", "logout=-1", "GET", 200, "logout", None),
    ("/mediboard/index.php", "login=bot.stats:St4ts2023&m=stats", "GET", 200, "login", None),
    ("/mediboard/status.php", None, "GET", 200, "status", None),
    ("/mediboard/style/mediboard_ext/images/icons/loading.gif", None, "GET", 200, "static", None),
    ("/mediboard/index.php", "m=dPcabinet&tab=edit_planning", "GET", 200, "page", None),
    ("/mediboard/index.php", "m=dPpatients&tab=vw_full_patients&patient_id=", "GET", 200, "page", None),
    (None, None, None, None, "page", None),
]


@pytest.mark.parametrize(("path", "query", "method", "status", "activity", "obj"), CASES)
def test_labels(path, query, method, status, activity, obj):
    df = pl.DataFrame([(path, query, method, status)], schema=SCHEMA, orient="row")
    out = label_activity(df)
    assert out.get_column("activity")[0] == activity
    assert out.get_column("activity.object")[0] == obj


def test_export_parameters():
    df = pl.DataFrame(
        [
            (
                "/mediboard/index.php",
                "m=dPpatients&raw=ajax_export_patients_csv&date_min=2019-01-01&date_max=2019-01-31&patient_id=&all_prats=on",
                "GET",
                200,
            ),
            (
                "/mediboard/index.php",
                "m=dPpatients&raw=ajax_export_patients_csv&praticien_id[]=212&praticien_id[]=219&date_min=2024-09-01&date_max=2024-09-30&patient_id=",
                "GET",
                200,
            ),
            ("/mediboard/api/dossierpatient/patients", "limit=100&offset=200", "GET", 200),
        ],
        schema=SCHEMA,
        orient="row",
    )
    out = label_activity(df).to_dicts()
    assert out[0]["export.date_min"] == "2019-01-01" and out[0]["export.date_max"] == "2019-01-31"
    assert out[0]["export.all"] is True and out[1]["export.all"] is False
    assert out[0]["activity.view"] == "raw:ajax_export_patients_csv"
    assert (out[2]["api.offset"], out[2]["api.limit"]) == (200, 100)


def test_params_of_long_requests():
    assert (
        activity_of_params({"m": "dPpatients", "raw": "ajax_export_patients_csv", "date_min": "2019-01-01"}) == "export"
    )
    assert activity_of_params({"m": "admin", "tab": "vw_edit_users"}) == "admin_accounts"


def test_lazy_and_eager_agree():
    df = pl.DataFrame([c[:4] for c in CASES], schema=SCHEMA, orient="row")
    eager = label_activity(df)
    lazy = label_activity(df.lazy()).collect()
    assert eager.equals(lazy)
    assert set(ADDS) <= set(eager.columns)
    assert set(eager.get_column("activity").unique().to_list()) <= set(ACTIVITIES)


_pieces = st.sampled_from(
    [*"am=&?/_.%éx0129:<>\"'\\ ", "tab=", "raw=", "/api/", "export", "patient_id=", "m=admin", "login=", ".js"]
)
text = st.lists(_pieces, max_size=20).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | text,
            st.none() | text,
            st.sampled_from([None, "GET", "POST"]),
            st.sampled_from([None, 200, 401, 500]),
        ),
        max_size=30,
    )
)
def test_hostile_urls_keep_every_row(rows):
    df = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    out = label_activity(df)
    assert out.height == df.height
    assert out.select(list(SCHEMA)).equals(df)
    assert out.get_column("activity").null_count() == 0


def _app_rows(rows: list[tuple[str, str, str, str | None, str | None, str | None]]) -> pl.DataFrame:
    """(time, dataset, action, user.id, user.name, user.target.id) rows of an application frame."""
    from datetime import datetime

    return pl.DataFrame(
        {
            "@timestamp": [datetime.fromisoformat(r[0]) for r in rows],
            "event.dataset": [r[1] for r in rows],
            "event.action": [r[2] for r in rows],
            "user.id": [r[3] for r in rows],
            "user.name": [r[4] for r in rows],
            "user.target.id": [r[5] for r in rows],
        },
        schema_overrides={"@timestamp": pl.Datetime("us", "UTC")},
    )


def test_password_set_with_an_account_is_the_creators_not_the_new_accounts() -> None:
    """The users table says when a password was set; the change history says who set it."""
    from forensics.apps.mediboard import _password_set_by

    app = _app_rows(
        [
            # adm.si creates 1379 and sets its password in one request
            ("2024-10-24T21:02:24.993+00:00", "mediboard.user_log", "account_created", "746", "adm.si", "1379"),
            ("2024-10-24T21:02:24.993+00:00", "mediboard.user_log", "password_changed", "746", "adm.si", "1379"),
            ("2024-10-24T21:02:25.400+00:00", "mediboard.users", "password_changed", "1379", "adm.maintenance", "1379"),
            # look-alike: a password renewed with no audit row (the expiry flow) stays the owner's
            ("2024-10-22T08:00:00+00:00", "mediboard.users", "password_changed", "1342", "c.picard", "1342"),
            # look-alike: another account's password set at the same time is not attributed
            ("2024-10-24T21:02:24.993+00:00", "mediboard.users", "password_changed", "1300", "b.durand", "1300"),
        ]
    )
    out = _password_set_by(app)
    assert out.height == app.height
    users = out.filter(pl.col("event.dataset") == "mediboard.users")
    assert users.select("user.id", "user.name").rows() == [
        ("746", "adm.si"),
        ("1342", "c.picard"),
        ("1300", "b.durand"),
    ]
    assert users.get_column("user.target.id").to_list() == ["1379", "1342", "1300"]


def test_change_history_names_the_account_acted_on_from_the_users_table(tmp_path) -> None:
    """``CUser 1377`` is resolved to its login through the users table of the same evidence."""
    from tests.parsers.app.dumps import DATA, ingest_folder

    events, _, _ = ingest_folder(DATA / "mediboard_outfile", tmp_path)
    log = events.filter(pl.col("event.dataset") == "mediboard.user_log")
    on_account = log.filter(pl.col("object.type").is_in(["CUser", "CMediusers"]))
    assert on_account.height and on_account.get_column("user.target.name").null_count() == 0
    # the actor stays the actor: the object's login never becomes user.name
    assert (on_account.get_column("user.name") != on_account.get_column("user.target.name")).all()


def _reference_app_fields(app: pl.DataFrame) -> pl.DataFrame:
    """``MediboardProfile.app_fields`` as first written: every key read from every row's JSON,
    and every row's stored parameters labelled (the formulation the faster one must equal)."""
    from forensics.apps import with_app_fields
    from forensics.apps.mediboard import REQUEST_PARAMS, TARGET_NAME_KEYS, _password_set_by

    def label(key: str) -> pl.Expr:
        return pl.col("labels").str.json_path_match(f"$.{key}")

    has_screen_key = pl.col("labels").str.contains('"screen_width"', literal=True).fill_null(False)
    raw = label("query_params_get")
    parts = []
    for k in REQUEST_PARAMS:
        v = raw.str.json_path_match(f"$.{k}")
        parts.append(pl.when(v.is_not_null()).then(pl.concat_str([pl.lit(f"{k}="), v])))
    query = pl.concat_str(parts, separator="&", ignore_nulls=True)
    out = _password_set_by(
        with_app_fields(
            app,
            {
                "auth.method": label("auth_method").str.to_lowercase(),
                "auth.screen": pl.when(has_screen_key).then(label("screen_width").is_not_null()),
                "request.query": pl.when(raw.is_not_null()).then(pl.when(query != "").then(query)),
                "user.target.name": pl.coalesce([label(k) for k in TARGET_NAME_KEYS]),
            },
        )
    )
    if out.get_column("request.query").null_count() == out.height:
        return out
    labelled = label_activity(
        out.select(
            pl.lit("/index.php").alias("url.path"),
            pl.col("request.query").alias("url.query"),
            pl.lit("GET").alias("http.request.method"),
            pl.lit(200, dtype=pl.Int32).alias("http.response.status_code"),
        )
    )
    has = pl.col("request.query").is_not_null()
    return out.with_columns(
        pl.when(has).then(labelled.get_column("activity").cast(pl.String)).alias("request.activity"),
        pl.when(has).then(labelled.get_column("activity.view")).cast(pl.String).alias("request.view"),
        pl.when(has).then(labelled.get_column("export.date_min")).cast(pl.String).alias("request.date_min"),
        pl.when(has).then(labelled.get_column("export.date_max")).cast(pl.String).alias("request.date_max"),
        pl.when(has).then(labelled.get_column("api.offset")).cast(pl.Int64).alias("request.offset"),
        pl.when(has).then(labelled.get_column("api.limit")).cast(pl.Int64).alias("request.limit"),
    )


#: Keys as a parser writes them, written escaped (``\u`` is the only way to escape a letter in
#: JSON), nested, repeated, near misses, and values of every JSON kind.
_KEYS = st.sampled_from(
    [
        "auth_method",
        "screen_width",
        "login",
        "name",
        "username",
        "target_user",
        "user_login",
        "user_username",
        "query_params_get",
        "n\\u0061me",
        "\\u006cogin",
        "auth\\u005fmethod",
        "names",
        "Login",
        "type",
        "",
    ]
)
_VALUES = st.sampled_from(
    [
        '"adm.si"',
        '"Basic"',
        '"CARD"',
        "1920",
        "null",
        "true",
        '{"m":"dPpatients","raw":"ajax_export_patients_csv","date_min":"2019-01-01","offset":"10","limit":"100"}',
        '{"m":"admin","tab":"vw_edit_users"}',
        '"{\\"m\\":\\"admin\\"}"',
        '{"name":"nested"}',
        "[1,2]",
        '"x\\u0022y"',
        "{}",
    ]
)
_LABELS = (
    st.none()
    | st.sampled_from(["", "{", "not json", "[]", '"login"'])
    | st.lists(st.tuples(_KEYS, _VALUES), max_size=5).map(lambda kv: "{" + ",".join(f'"{k}":{v}' for k, v in kv) + "}")
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_LABELS, st.sampled_from(["mediboard.user_log", "mediboard.long_request_log"])), max_size=12))
def test_app_fields_equal_the_reference_whatever_the_labels(rows) -> None:
    """Reading only the rows whose ``labels`` name a key (or hold an escape) changes no value."""
    from datetime import datetime

    from forensics.apps.mediboard import MediboardProfile

    app = pl.DataFrame(
        {
            "@timestamp": [datetime(2024, 10, 24, 21, 0, i % 60) for i in range(len(rows))],
            "event.dataset": [r[1] for r in rows],
            "event.action": ["record_update"] * len(rows),
            "user.id": ["746"] * len(rows),
            "user.name": ["adm.si"] * len(rows),
            "user.target.id": [None] * len(rows),
            "labels": [r[0] for r in rows],
        },
        schema_overrides={"@timestamp": pl.Datetime("us", "UTC"), "user.target.id": pl.String, "labels": pl.String},
    )
    out = MediboardProfile().app_fields(app)
    expected = _reference_app_fields(app)
    assert out.columns == expected.columns
    assert out.equals(expected, null_equal=True)


def test_app_fields_read_an_escaped_key() -> None:
    """A key written with a ``\\u`` escape is the same key: the quick test must not skip it."""
    from forensics.apps.mediboard import MediboardProfile

    app = pl.DataFrame(
        {"labels": ['{"n\\u0061me":"adm.si","auth\\u005fmethod":"Basic"}', '{"name":"b.durand"}', '{"type":"x"}']}
    )
    out = MediboardProfile().app_fields(app)
    assert out.get_column("user.target.name").to_list() == ["adm.si", "b.durand", None]
    assert out.get_column("auth.method").to_list() == ["basic", None, None]
