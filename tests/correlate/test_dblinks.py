"""Database shape extraction and web <-> database ties."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.apps.mediboard import MediboardProfile
from forensics.correlate import correlate
from forensics.correlate.dblinks import query_shape
from tests.correlate.builder import FIREFOX, PYREQ, Case, config, utc

MEDIBOARD = MediboardProfile()


def _shape(sql, rows=None, tables=None):
    df = pl.DataFrame(
        {"db.query.text": [sql], "db.rows_returned": [rows], "db.tables": [tables]},
        schema={"db.query.text": pl.String, "db.rows_returned": pl.Int64, "db.tables": pl.List(pl.String)},
    )
    return query_shape(df, record_tables=MEDIBOARD.record_tables, record_id_columns=MEDIBOARD.record_id_columns).row(
        0, named=True
    )


def test_shapes():
    s = _shape(
        "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON x WHERE (sejour.sortie BETWEEN '2019-01-01' AND '2019-01-31')"
    )
    assert s["db.patient"] and (s["db.date_min"], s["db.date_max"]) == ("2019-01-01", "2019-01-31")
    s = _shape("SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT 61300, 100")
    assert (s["db.offset"], s["db.limit"]) == (61300, 100) and s["db.select_star"] and not s["db.large"]
    s = _shape("select * from patients limit 100 offset 200")
    assert (s["db.offset"], s["db.limit"]) == (200, 100)
    s = _shape("SELECT `patients`.* FROM `patients` WHERE `patients`.`patient_id` = '48213'")
    assert s["db.object"] == "48213" and not s["db.large"]
    ids = ",".join(f"'{i}'" for i in range(80))
    s = _shape(f"SELECT * FROM `patients` WHERE (`patient_id` IN ({ids}")  # cut by the audit log
    assert s["db.in_list"] == 80 and s["db.large"] and s["db.object"] is None
    assert _shape("SELECT * FROM patients")["db.large"]
    assert _shape("SELECT count(*) FROM sessions", rows=5000)["db.large"]
    assert not _shape("SELECT name FROM users WHERE id = 3")["db.patient"]
    assert not _shape(None)["db.large"]


def test_export_tied_by_date_range_and_connection(tmp_path):
    c = Case()
    t = utc(2024, 10, 26, 21, 44, 10)
    q = "m=dPpatients&raw=ajax_export_patients_csv&date_min=2019-01-01&date_max=2019-01-31&patient_id=&all_prats=on"
    c.web(t, "203.0.113.45", query=q, ua=FIREFOX, nbytes=2_900_000, duration=29)
    c.db(t - timedelta(seconds=5), 99, "db_connect")
    c.db(
        t - timedelta(seconds=4),
        99,
        "db_query",
        "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id WHERE (sejour.sortie BETWEEN '2019-01-01' AND '2019-01-31')",
        tables=["patients", "sejour"],
    )
    c.db(
        t + timedelta(seconds=20),
        99,
        "db_query",
        "SELECT * FROM `patients` WHERE (`patient_id` IN ('1','2'));",
        rows=5873,
        tables=["patients"],
        dataset="mysql.slow",
    )
    # another connection at the same time, another range: not tied
    c.db(
        t + timedelta(seconds=3),
        100,
        "db_query",
        "SELECT x FROM patients WHERE (sejour.sortie BETWEEN '2020-01-01' AND '2020-01-31')",
        tables=["patients"],
    )
    r = correlate(c.frame(), config(tmp_path))
    links = r.context.db_links
    hows = sorted(links.get_column("how").to_list())
    assert hows == ["connection: same database connection during the request", "shape: same date range"]
    assert links.get_column("rows_returned").max() == 5873
    assert "db02" in links.get_column("reason")[0]


def test_api_page_tied_by_offset(tmp_path):
    c = Case()
    t = utc(2024, 10, 27, 0, 15, 33)
    c.web(
        t,
        "203.0.113.201",
        "/mediboard/api/dossierpatient/patients",
        "offset=61300&limit=100",
        ua=PYREQ,
        xff="10.20.3.47, 203.0.113.201",
    )
    c.db(
        t - timedelta(seconds=7),
        5540871,
        "db_query",
        "SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT 61300, 100",
        tables=["patients"],
    )
    c.db(
        t - timedelta(seconds=7),
        5540872,
        "db_query",
        "SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT 61400, 100",
        tables=["patients"],
    )
    r = correlate(c.frame(), config(tmp_path))
    links = r.context.db_links
    assert links.height == 1 and links.get_column("how")[0] == "shape: same offset and limit"


def test_a_query_names_its_records_only_when_its_id_list_was_logged_whole():
    s = _shape("SELECT * FROM `patients` WHERE (`patient_id` IN ('7','8','9'))", rows=3)
    assert s["db.record_ids"] == ["7", "8", "9"]
    assert _shape("SELECT * FROM `patients` WHERE (`patient_id` IN ('7','8','9")["db.record_ids"] is None  # cut
    # an IN list on another column (the practitioners of an export's selection) names no record
    s = _shape(
        "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id "
        "WHERE (sejour.praticien_id IN ('4','5'))",
        tables=["patients", "sejour"],
    )
    assert s["db.record_ids"] is None


def test_an_export_stamped_when_it_ended_is_tied_from_its_start(tmp_path):
    """A proxy stamps a request when it completes: its queries ran up to its duration earlier."""
    c = Case()
    start = utc(2024, 10, 26, 21, 44, 10)
    q = "m=dPpatients&raw=ajax_export_patients_csv&date_min=2019-01-01&date_max=2019-01-31&patient_id=&all_prats=on"
    row = c.web(start + timedelta(seconds=29), "203.0.113.45", query=q, ua=FIREFOX, nbytes=2_900_000, duration=29)
    row["timestamp_desc"] = "Request completed"
    c.db(
        start + timedelta(seconds=1),
        99,
        "db_query",
        "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id "
        "WHERE (sejour.sortie BETWEEN '2019-01-01' AND '2019-01-31')",
        tables=["patients", "sejour"],
    )
    r = correlate(c.frame(), config(tmp_path))
    links = r.context.db_links
    assert links.get_column("how").to_list() == ["shape: same date range"]
