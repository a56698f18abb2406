"""PgBouncer's real output (tests/data/real/pgbouncer-*): logins through the pooler against the workload's ledger.

Two good sessions, then a wrong password, an unknown user and an unknown database, each
sent through PgBouncer to a PostgreSQL cluster (see scripts/capture_real_logs.py).  The
oracle is ``capture.json``.
"""

from __future__ import annotations

import polars as pl
import pytest

from forensics.config import SourceConfig
from tests.real.helpers import (
    Ingested,
    assert_in_window,
    assert_no_rejects,
    capture_dir,
    count,
    ingest_capture,
    load_capture,
)

FOLDER = capture_dir("pgbouncer-")
CAPTURE = load_capture(FOLDER)
PATH = "pgbouncer.log"


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    # no format given: detection must pick the PgBouncer parser
    return ingest_capture(FOLDER, tmp_path_factory.mktemp("pgbouncer"), [SourceConfig(path="**")], capture=CAPTURE)


def test_detected_every_line_read_inside_the_window(got: Ingested) -> None:
    assert_no_rejects(got)
    assert got.report(PATH)["parser"] == "pgbouncer.log"
    assert got.report(PATH)["events"] == got.file_entry(PATH)["lines"]
    assert_in_window(got.file(PATH), CAPTURE, PATH)


def test_logins_and_refusals_match_the_ledger(got: Ingested) -> None:
    events = got.file(PATH)
    expected = got.file_entry(PATH)["expected"]
    ledger = CAPTURE["expected"]
    action = pl.col("event.action")
    assert count(events, action == "db_connect") == expected["login_attempts"] == ledger["db_connection_attempts"]
    assert count(events, action == "db_connect_failed") == expected["refused_logins"] == ledger["db_failed_logins"]
    logins = events.filter(action == "db_connect")
    assert count(logins, pl.col("event.outcome") == "success") == ledger["db_successful_logins"]
    assert count(logins, pl.col("event.outcome") == "failure") == ledger["db_failed_logins"]
    assert count(events, action == "db_disconnect") == ledger["db_successful_logins"]
    refused = events.filter(action == "db_connect_failed")
    sessions = [s for s in CAPTURE["sessions"] if not s["login_ok"]]
    assert refused.get_column("db.user").to_list() == [s["user"] for s in sessions]
    assert refused.get_column("db.name").to_list() == [s["database"] for s in sessions]
    assert (refused.get_column("source.ip") == "127.0.0.1").all()
