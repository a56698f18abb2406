"""Sessions: web split by silence, ids in time order, session ids as keys, app and database sessions."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate import correlate
from forensics.correlate.sessions import sessionize_db, sessionize_web
from forensics.correlate.thresholds import Thresholds
from tests.correlate.builder import CHROME, FIREFOX, Case, config, utc


def _web(rows):
    return pl.DataFrame(
        rows,
        schema={"@timestamp": pl.Datetime("us", "UTC"), "source.ip": pl.String, "user_agent.original": pl.String},
        orient="row",
    )


def test_split_by_idle_gap_and_key():
    t0 = utc(2024, 10, 21, 8, 0)
    rows = [
        (t0, "10.0.0.1", "A"),
        (t0 + timedelta(minutes=10), "10.0.0.1", "A"),
        (t0 + timedelta(minutes=11), "10.0.0.1", "B"),  # another browser on the same desk
        (t0 + timedelta(minutes=12), "10.0.0.2", "A"),
        (t0 + timedelta(minutes=50), "10.0.0.1", "A"),  # 40 min of silence: a new session
    ]
    out = sessionize_web(_web(rows), Thresholds(web_idle_gap=1800))
    assert out.get_column("session.web").to_list() == ["W000001", "W000001", "W000002", "W000003", "W000004"]


def test_ids_do_not_depend_on_row_order():
    t0 = utc(2024, 10, 21, 8, 0)
    rows = [(t0 + timedelta(seconds=97 * i), f"10.0.0.{i % 3}", "A" if i % 2 else "B") for i in range(40)]
    df = _web(rows)
    a = sessionize_web(df)
    b = sessionize_web(df.reverse()).reverse()
    assert a.get_column("session.web").to_list() == b.get_column("session.web").to_list()
    assert a.height == df.height


def test_logged_session_id_is_the_key():
    t0 = utc(2024, 10, 21, 8, 0)
    df = _web([(t0, "10.0.0.1", "A"), (t0 + timedelta(seconds=5), "10.0.0.9", "B")]).with_columns(
        pl.Series("session.id", ["abc", "abc"])
    )
    assert sessionize_web(df).get_column("session.web").n_unique() == 1


def test_db_sessions_by_host_and_connection():
    t0 = utc(2024, 10, 21, 8, 0)
    df = pl.DataFrame(
        {
            "@timestamp": [t0, t0 + timedelta(seconds=1), t0 + timedelta(seconds=2), t0 + timedelta(days=3)],
            "host.name": ["db02", "db01", "db02", "db02"],
            "db.connection_id": [5, 5, 5, 5],
        }
    )
    ids = sessionize_db(df).get_column("session.db").to_list()
    assert ids[0] == ids[2] and ids[0] != ids[1] and ids[3] not in (ids[0], ids[1])


def test_sessions_table(tmp_path):
    c = Case()
    t = utc(2024, 10, 21, 8, 0)
    c.web(t, "10.20.1.5", method="POST", ua=CHROME)
    c.login(t + timedelta(seconds=1), "a.petit", 1105, "s1", "10.20.1.5", CHROME)
    for k in range(5):
        c.web(
            t + timedelta(minutes=k + 1),
            "10.20.1.5",
            query=f"m=dPpatients&tab=vw_full_patients&patient_id={k}",
            nbytes=100,
        )
    c.session_end(t + timedelta(minutes=6), "a.petit", 1105, "s1", "10.20.1.5", CHROME)
    c.web(t, "10.20.1.6", ua=FIREFOX)
    c.db(t + timedelta(seconds=30), 7, "db_connect")
    c.db(t + timedelta(seconds=31), 7, "db_query", "SELECT 1", rows=1)
    r = correlate(c.frame(), config(tmp_path))
    s = r.sessions
    web = s.filter(pl.col("kind") == "web").sort("session")
    assert web.height == 2
    first = web.row(0, named=True)
    assert first["account"] == "a.petit" and first["events"] == 6 and first["bytes"] == 5000 + 500
    assert first["link_reasons"] and "login of a.petit" in first["link_reasons"][0]
    app = s.filter(pl.col("kind") == "app").row(0, named=True)
    assert app["account"] == "a.petit" and app["auth_method"] == "standard"
    db = s.filter(pl.col("kind") == "db").row(0, named=True)
    assert db["key"] == "db02 connection 7" and db["events"] == 2 and db["rows_returned"] == 1
