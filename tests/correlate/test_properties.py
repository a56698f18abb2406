"""Correlators keep every row (and their order) whatever the input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.correlate.dblinks import query_shape
from forensics.correlate.ipcontext import IpContext, classify_ips
from forensics.correlate.prepare import prepare_app
from forensics.correlate.sessions import sessionize_app, sessionize_web

T0 = datetime(2024, 10, 21, tzinfo=UTC)
ips = st.sampled_from([None, "10.20.1.5", "203.0.113.14", "::1", "not-an-ip", "<script>"])
uas = st.sampled_from([None, "A", "python-requests/2.32.3", "x\x00y"])
times = st.integers(0, 7 * 86400).map(lambda s: T0 + timedelta(seconds=s))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(times, ips, uas), max_size=40))
def test_web_sessions_keep_rows(rows):
    df = pl.DataFrame(
        rows,
        schema={"@timestamp": pl.Datetime("us", "UTC"), "source.ip": pl.String, "user_agent.original": pl.String},
        orient="row",
    )
    out = sessionize_web(df)
    assert out.height == df.height and out.drop("session.web").equals(df)
    if df.height:
        assert out.get_column("session.web").null_count() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(ips, max_size=30))
def test_address_labels_keep_rows(values):
    df = pl.DataFrame(
        {"source.ip": values, "i": list(range(len(values)))}, schema={"source.ip": pl.String, "i": pl.Int64}
    )
    out = classify_ips(df, IpContext.from_config(None))
    assert out.get_column("i").to_list() == list(range(len(values)))


sql = st.sampled_from(
    [
        None,
        "",
        "SELECT * FROM patients",
        "select 1",
        "SELECT * FROM `patients` WHERE (`patient_id` IN ('1','2'",
        "DROP TABLE x; --",
        "\\' OR 1=1",
        "é" * 5000,
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(sql, st.none() | st.integers(0, 10**7)), max_size=20))
def test_query_shape_keeps_rows(rows):
    df = pl.DataFrame(
        rows, schema={"db.query.text": pl.String, "db.rows_returned": pl.Int64}, orient="row"
    ).with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("db.tables"))
    out = query_shape(df)
    assert out.height == df.height and out.get_column("db.large").null_count() == 0


names = st.sampled_from([None, "a.petit", "ADM.INTEROP", "<img onerror=x>", "\x1b[31m"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            times,
            st.sampled_from(["login", "login_failed", "session_end", "record_read"]),
            names,
            st.sampled_from([None, "1", "2"]),
            st.sampled_from([None, "s1", "s2"]),
            st.sampled_from([None, "{}", '{"screen_width": null}', "not json"]),
        ),
        max_size=25,
    )
)
def test_application_preparation_keeps_rows(rows):
    df = pl.DataFrame(
        rows,
        schema={
            "@timestamp": pl.Datetime("us", "UTC"),
            "event.action": pl.String,
            "user.name": pl.String,
            "user.id": pl.String,
            "session.id": pl.String,
            "labels": pl.String,
        },
        orient="row",
    ).with_columns(
        pl.lit("mediboard.user_authentication").alias("event.dataset"),
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_row"),
    )
    out = sessionize_app(prepare_app(df))
    assert out.height == df.height
    assert out.get_column("_row").to_list() == df.get_column("_row").to_list()
