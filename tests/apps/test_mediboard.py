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
