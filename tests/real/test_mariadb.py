"""MariaDB's real output (tests/data/real/mariadb-*): every line parsed, events match the workload.

The server_audit log (rotated by the server), the general log, the slow log and the error
log of one run.  The oracle is ``capture.json``: every connection attempt and every
statement the workload sent, in order, with its outcome and row count.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import polars as pl
import pytest

from forensics.config import SourceConfig
from tests.real.helpers import (
    Ingested,
    assert_in_window,
    assert_no_rejects,
    capture_dir,
    count,
    file_lines,
    ingest_capture,
    load_capture,
)

FOLDER = capture_dir("mariadb-")
CAPTURE = load_capture(FOLDER)
ZONE = CAPTURE["server_timezone"]
SESSIONS = CAPTURE["sessions"]
STATEMENTS = [(s, st) for s in SESSIONS for st in s.get("statements", [])]
AUDIT = CAPTURE["rotation"]["server_audit.log"]["oldest_first"]
PARSERS = {
    "mariadb_audit": "mariadb.audit",
    "mariadb_general": "mysql.general",
    "mariadb_slow": "mysql.slow",
    "mariadb_error": "mysql.error",
}


def _sources() -> list[SourceConfig]:
    """Every MariaDB log is in local time without a zone: the server's zone is the source's."""
    return [
        SourceConfig(path="server_audit.log*", format="mariadb.audit", timezone=ZONE),
        SourceConfig(path="general.log", format="mysql.general", timezone=ZONE),
        SourceConfig(path="slow.log", format="mysql.slow", timezone=ZONE),
        SourceConfig(path="error.log", format="mysql.error", timezone=ZONE),
    ]


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_capture(FOLDER, tmp_path_factory.mktemp("mariadb"), _sources(), capture=CAPTURE)


def _audit(got: Ingested) -> pl.DataFrame:
    """Both audit files, oldest first, each in file order."""
    return pl.concat([got.file(p) for p in AUDIT]).with_columns(
        pl.col("labels").str.json_path_match("$.operation").alias("_op")
    )


def _masked(sql: str) -> str:
    """server_audit masks passwords: ``IDENTIFIED BY *****``, ``PASSWORD(*****)``."""
    sql = re.sub(r"IDENTIFIED BY '[^']*'", "IDENTIFIED BY *****", sql)
    return re.sub(r"PASSWORD\('[^']*'\)", "PASSWORD(*****)", sql)


def _via_tcp(session: dict) -> bool:
    return session["via"].startswith("tcp")


def test_zero_rejects_and_every_line_accounted_for(got: Ingested) -> None:
    assert_no_rejects(got)
    assert {r["path"] for r in got.manifest["files"]} == {f["path"] for f in CAPTURE["files"]}
    for entry in CAPTURE["files"]:
        report = got.report(entry["path"])
        assert report["lines_read"] == entry["lines"], entry["path"]
        assert report["parser"] == PARSERS[entry["kind"]], entry["path"]
        assert report["time_flags"] == {}, entry["path"]
    # the general and slow logs open with the server's three-line banner: not events
    assert got.report("general.log")["lines_meta"] == got.report("slow.log")["lines_meta"] == 3


def test_records_are_the_text_as_written(got: Ingested) -> None:
    # a multi-line record is its lines joined by \n: nothing added, dropped or reordered
    for entry in CAPTURE["files"]:
        lines = file_lines(FOLDER / entry["path"])
        events = got.file(entry["path"]).unique(["log.file.line"], maintain_order=True)
        covered = 0
        for line, n, original in events.select("log.file.line", "log.file.lines", "event.original").iter_rows():
            assert original == "\n".join(lines[line - 1 : line - 1 + n]), (entry["path"], line)
            covered += n
        assert covered + got.report(entry["path"])["lines_meta"] == len(lines), entry["path"]


def test_times_inside_the_capture_window_with_the_right_zone(got: Ingested) -> None:
    assert_in_window(got.events, CAPTURE, "mariadb")
    for entry in CAPTURE["files"]:
        ev = got.file(entry["path"])
        if entry["kind"] == "mariadb_slow":  # SET timestamp=<epoch>: UTC, from the record
            assert set(ev.get_column("time.zone_source").to_list()) == {"record"}
        else:
            assert set(ev.get_column("time.zone").to_list()) == {ZONE}, entry["path"]
    # The slow log's epoch needs no zone; the audit log's local time does.  The same
    # statements must land at the same instants in both (a zone error is an hour).
    slow = got.file("slow.log").get_column("@timestamp").to_list()
    audit = _audit(got).filter(pl.col("_op") == "QUERY").get_column("@timestamp").to_list()
    assert len(slow) == len(audit) == len(STATEMENTS)
    for s, a in zip(slow, audit, strict=True):
        assert abs(s - a) <= timedelta(seconds=1), (s, a)


def test_audit_counts_match_the_ledger(got: Ingested) -> None:
    for path in AUDIT:
        ev = got.file(path).with_columns(pl.col("labels").str.json_path_match("$.operation").alias("_op"))
        expected = got.file_entry(path)["expected"]
        for key, n in expected.items():
            assert key.startswith("audit_"), key
            assert count(ev, pl.col("_op") == key.removeprefix("audit_")) == n, (path, key)
        assert count(ev, pl.col("_op") == "FAILED_CONNECT") == count(ev, pl.col("event.action") == "db_connect_failed")
        assert count(ev, pl.col("_op") == "CONNECT") == count(
            ev, (pl.col("event.action") == "db_connect") & (pl.col("event.outcome") == "success")
        )


def test_logins_match_the_ledger(got: Ingested) -> None:
    totals = CAPTURE["expected"]
    audit = _audit(got)
    failed = audit.filter(pl.col("event.action") == "db_connect_failed")
    ok = audit.filter((pl.col("event.action") == "db_connect") & (pl.col("event.outcome") == "success"))
    assert failed.height == totals["db_failed_logins"]
    assert ok.height == totals["db_successful_logins"]
    assert dict(failed.get_column("db.user").value_counts().iter_rows()) == totals["db_failed_logins_by_user"]
    assert dict(ok.get_column("db.user").value_counts().iter_rows()) == totals["db_successful_logins_by_user"]
    # the error number says why: 1045 wrong password, 1698 unknown user
    reasons = dict(failed.get_column("event.reason").value_counts().iter_rows())
    by_reason = totals["db_failed_logins_by_reason"]
    assert reasons == {"error 1045": by_reason["wrong_password"], "error 1698": by_reason["unknown_user"]}
    # attempts in ledger order: user, TCP (127.0.0.1) or socket (no address)
    attempts = audit.filter(pl.col("_op").is_in(["CONNECT", "FAILED_CONNECT"]))
    assert attempts.height == totals["db_connection_attempts"] == len(SESSIONS)
    for e, s in zip(attempts.iter_rows(named=True), SESSIONS, strict=True):
        assert e["db.user"] == s["user"], s["n"]
        assert e["event.outcome"] == ("success" if s["login_ok"] else "failure"), s["n"]
        assert e["source.ip"] == ("127.0.0.1" if _via_tcp(s) else None), s["n"]
        if not s["login_ok"]:
            assert e["event.reason"] == f"error {s['error_code']}", s["n"]
    assert count(attempts, pl.col("source.ip") == "127.0.0.1") == totals["db_connections_tcp"]
    assert count(attempts, pl.col("source.ip").is_null()) == totals["db_connections_socket"]
    # the same failures in the general and error logs, with the same connection ids
    ids = failed.get_column("db.connection_id").to_list()
    for path in ("general.log", "error.log"):
        denied = got.file(path).filter(pl.col("event.action") == "db_connect_failed")
        assert denied.get_column("db.connection_id").to_list() == ids, path
        assert denied.get_column("db.user").to_list() == failed.get_column("db.user").to_list(), path
        assert set(denied.get_column("source.ip").to_list()) == {"127.0.0.1"}, path
    assert (
        got.file("error.log").filter(pl.col("event.action") == "db_connect_failed").height
        == (got.file_entry("error.log")["expected"]["access_denied_warnings"])
    )


def test_every_statement_in_the_audit_log(got: Ingested) -> None:
    queries = _audit(got).filter(pl.col("_op") == "QUERY")
    assert queries.height == CAPTURE["expected"]["statements_sent"]
    for e, (s, st) in zip(queries.iter_rows(named=True), STATEMENTS, strict=True):
        where = (s["n"], st["sql"][:60])
        assert e["db.query.text"] == _masked(st["sql"]), where  # quotes, \n, UTF-8, latin-1 decoded
        assert e["db.user"] == s["user"], where
        assert e["event.outcome"] == ("success" if st["ok"] else "failure"), where
    failed = queries.filter(pl.col("event.outcome") == "failure")
    assert failed.height == CAPTURE["expected"]["statements_failed"]
    assert failed.get_column("event.reason").to_list() == ["error 1142", "error 1054", "error 1064", "error 1146"]
    # TABLE events name the tables a statement touched, before its QUERY line (same query id)
    bulk = queries.filter(pl.col("db.query.text") == "SELECT * FROM patients")
    qid = bulk.get_column("db.query.id").item()
    reads = _audit(got).filter((pl.col("db.query.id") == qid) & (pl.col("_op") == "READ"))
    assert ["patients"] in reads.get_column("db.tables").to_list()


def test_every_statement_in_the_general_log(got: Ingested) -> None:
    ev = got.file("general.log")
    expected = got.file_entry("general.log")["expected"]
    queries = ev.filter(pl.col("event.action") == "db_query")
    assert queries.height == expected["query_lines"] == len(STATEMENTS)
    for e, (s, st) in zip(queries.iter_rows(named=True), STATEMENTS, strict=True):
        assert e["db.query.text"] == st["sql"], (s["n"], st["sql"][:60])  # passwords in clear
        assert e["db.user"] == s["user"], s["n"]
        assert e["log.file.lines"] == st["sql"].count("\n") + 1, s["n"]  # multi-line kept whole
    # a failed login is two Connect lines: the attempt, then "Access denied"
    connect = ev.filter(pl.col("db.operation") == "CONNECT")
    assert connect.height == expected["connect_lines"]
    assert count(ev, pl.col("event.action") == "db_connect_failed") == expected["access_denied_lines"]
    assert count(ev, pl.col("event.action") == "db_disconnect") == expected["quit_lines"]
    ok = ev.filter((pl.col("event.action") == "db_connect") & (pl.col("event.outcome") == "success"))
    assert (
        dict(ok.get_column("db.user").value_counts().iter_rows()) == CAPTURE["expected"]["db_successful_logins_by_user"]
    )


def test_every_statement_in_the_slow_log(got: Ingested) -> None:
    ev = got.file("slow.log")
    assert ev.height == got.file_entry("slow.log")["expected"]["entries"] == len(STATEMENTS)
    for e, (s, st) in zip(ev.iter_rows(named=True), STATEMENTS, strict=True):
        where = (s["n"], st["sql"][:60])
        assert e["db.query.text"] == st["sql"] + ";", where  # the slow log ends each statement with ';'
        assert e["db.user"] == s["user"], where
        assert e["source.ip"] == ("127.0.0.1" if _via_tcp(s) else None), where
        if "rows" in st:
            assert e["db.rows_returned"] == st["rows"], where
        if not st["ok"]:  # failed statements are logged too, with nothing sent
            assert e["db.rows_returned"] == 0, where
        assert e["event.duration"] > 0, where


def test_bulk_select(got: Ingested) -> None:
    sql = next(st["sql"] for _, st in STATEMENTS if "bulk_select" in st["tags"])
    rows = CAPTURE["expected"]["bulk_select_rows"]
    slow = got.file("slow.log").filter(pl.col("db.query.text") == sql + ";")
    assert slow.select("db.rows_returned", "db.rows_examined").rows() == [(rows, rows)]
    assert slow.get_column("db.tables").to_list() == [["patients"]]
    assert json.loads(slow.get_column("labels").item())["Full_scan"] == "Yes"
    audit = _audit(got).filter(pl.col("db.query.text") == sql)
    general = got.file("general.log").filter(pl.col("db.query.text") == sql)
    assert audit.height == general.height == 1
    for ev in (slow, audit, general):
        assert ev.get_column("db.user").to_list() == ["clinic_app"]


def test_every_pagination_query_found(got: Ingested) -> None:
    pages = [st for _, st in STATEMENTS if "pagination" in st["tags"]]
    assert len(pages) == CAPTURE["expected"]["pagination_queries"]
    offsets = [int(re.search(r"OFFSET (\d+)", st["sql"]).group(1)) for st in pages]
    assert offsets == list(range(0, 50 * len(pages), 50))
    paged = pl.col("db.query.text").str.contains(r"LIMIT 50 OFFSET \d+;?$")
    for name, ev in (
        ("audit", _audit(got).filter(pl.col("_op") == "QUERY")),
        ("general", got.file("general.log")),
        ("slow", got.file("slow.log")),
    ):
        found = ev.filter(paged.fill_null(False))
        got_offsets = [int(re.search(r"OFFSET (\d+)", q).group(1)) for q in found.get_column("db.query.text")]
        assert got_offsets == offsets, name
    slow = got.file("slow.log").filter(paged.fill_null(False))
    assert slow.get_column("db.rows_returned").sum() == CAPTURE["expected"]["pagination_rows"]


def test_ddl_and_password_changes(got: Ingested) -> None:
    audit = _audit(got).filter(pl.col("_op") == "QUERY")
    general = got.file("general.log")
    for tag in ("ddl", "password_change", "create_user"):
        sqls = [st["sql"] for _, st in STATEMENTS if tag in st["tags"]]
        assert len(sqls) == CAPTURE["expected"][f"statements_tagged_{tag}"]
        for sql in sqls:
            assert count(general, pl.col("db.query.text") == sql) == 1, sql
            assert count(audit, pl.col("db.query.text") == _masked(sql)) == 1, sql
    # the audit plugin masks the new password; the general log keeps it as written
    change = audit.filter(pl.col("db.query.text").str.starts_with("ALTER USER 'auditor'"))
    assert change.get_column("db.query.text").item().endswith("IDENTIFIED BY *****")
    assert count(general, pl.col("db.query.text").str.contains("'Audit-Second-2'", literal=True)) == 2
    # DDL: the verb and the table
    ops = dict(zip(audit.get_column("db.query.text"), audit.get_column("db.operation"), strict=True))
    assert ops["ALTER TABLE patients ADD COLUMN notes TEXT NULL"] == "ALTER"
    assert ops["DROP TABLE export_tmp"] == "DROP"
    assert ops["CREATE TABLE export_tmp (id INT, payload TEXT)"] == "CREATE"


def test_hostile_literals_and_encodings(got: Ingested) -> None:
    hostile = CAPTURE["hostile"]
    for name, ev in (
        ("audit", _audit(got).filter(pl.col("_op") == "QUERY")),
        ("general", got.file("general.log")),
        ("slow", got.file("slow.log")),
    ):
        text = "\n".join(t for t in ev.get_column("db.query.text").to_list() if t)
        for literal in (hostile["quote_literal_sql_standard"], hostile["quote_literal_backslash"]):
            assert literal in text, (name, literal)
        for word in hostile["utf8_names"] + hostile["latin1_names"]:
            assert word in text, (name, word)
        assert hostile["sqli"][0] in text, name
        # the latin-1 client's statements are raw latin-1 bytes in the file: decoded, and said so
        latin1 = ev.filter(pl.col("db.query.text").str.contains("Hélène", literal=True).fill_null(False))
        assert latin1.height == CAPTURE["expected"]["statements_tagged_latin1"], name
        assert all("latin1_decoded" in tags for tags in latin1.get_column("tags").to_list()), name


def test_rotated_audit_log_read_in_order(got: Ingested) -> None:
    assert got.source("server_audit.log")["files"] == AUDIT  # oldest first
    old, live = (got.file(p) for p in AUDIT)
    assert old.get_column("@timestamp").max() <= live.get_column("@timestamp").min()
    # the server rotated the file inside a session: the rotation statement is the first
    # line of the new file and its session's DISCONNECT follows it there
    first = live.row(0, named=True)
    rotation = next(st["sql"] for _, st in STATEMENTS if "audit_rotation" in st["tags"])
    assert first["db.query.text"] == rotation and first["log.file.line"] == 1
    session = first["db.connection_id"]
    assert old.filter((pl.col("db.connection_id") == session) & (pl.col("event.action") == "db_connect")).height == 1
    assert (
        live.filter((pl.col("db.connection_id") == session) & (pl.col("event.action") == "db_disconnect")).height == 1
    )
    # query ids keep increasing across the two files
    ids = _audit(got).get_column("db.query.id").drop_nulls().to_list()
    assert ids == sorted(ids)


def test_error_log_shapes(got: Ingested) -> None:
    ev = got.file("error.log")
    # the plugin's line glued to the next one stays one record, kept whole
    glued = ev.filter(pl.col("event.original").str.contains("veiled.261129", literal=True))
    assert glued.height == 1 and glued.get_column("log.file.lines").item() == 1
    # the Version line without a time belongs to "ready for connections"
    ready = ev.filter(pl.col("event.original").str.contains("ready for connections", literal=True))
    assert ready.get_column("event.original").item().split("\n")[1].startswith("Version: '10.11.19-MariaDB")
    warnings = ev.filter(pl.col("event.action") == "db_connect_failed")
    assert set(warnings.get_column("log.level").to_list()) == {"Warning"}


# -- configuration variant (tests/data/real/mariadb_variants-*): a refused database, the audit query limit --------

VFOLDER = capture_dir("mariadb_variants-")
VCAPTURE = load_capture(VFOLDER)
LIMIT = VCAPTURE["config"]["server_audit_query_log_limit"]


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    sources = [
        SourceConfig(
            path="server_audit.log",
            format="mariadb.audit",
            timezone=ZONE,
            options={"server_audit_query_log_limit": LIMIT},
        ),
        SourceConfig(path="general.log", format="mysql.general", timezone=ZONE),
        SourceConfig(path="slow.log", format="mysql.slow", timezone=ZONE),
        SourceConfig(path="error.log", format="mysql.error", timezone=ZONE),
    ]
    return ingest_capture(VFOLDER, tmp_path_factory.mktemp("mariadb-variant"), sources, capture=VCAPTURE)


def test_audit_statements_cut_by_the_limit_are_truncated(variant: Ingested) -> None:
    events = variant.file("server_audit.log")
    assert variant.report("server_audit.log")["rejects"] == 0
    assert_in_window(events, VCAPTURE, "server_audit.log")
    cut = events.filter(pl.col("tags").list.contains("query_truncated"))
    assert cut.height == variant.file_entry("server_audit.log")["expected"]["queries_over_limit"] >= 1
    # the audit plugin masks passwords
    sent = {
        re.sub(r"IDENTIFIED BY '[^']*'", "IDENTIFIED BY *****", st["sql"])
        for s in VCAPTURE["sessions"]
        for st in s["statements"]
    }
    for text in cut.get_column("db.query.text").to_list():
        assert text not in sent and any(sql.startswith(text) for sql in sent), text
    # every other query is whole
    whole = events.filter(pl.col("db.query.text").is_not_null() & ~pl.col("tags").list.contains("query_truncated"))
    assert set(whole.get_column("db.query.text").to_list()) <= sent | {"SELECT DATABASE()"}


def test_a_refused_database_is_a_failed_login_in_the_general_log(variant: Ingested) -> None:
    assert variant.report("general.log")["rejects"] == 0
    events = variant.file("general.log")
    expected = variant.file_entry("general.log")["expected"]
    refused = events.filter(pl.col("event.action") == "db_connect_failed")
    assert refused.height == expected["database_refused_at_login"]
    refusals = [s for s in VCAPTURE["sessions"] if s["failure"] == "database_refused"]
    assert refused.get_column("db.name").to_list() == [s["database"] for s in refusals]
    connects = events.filter(pl.col("event.action") == "db_connect")
    ok = [s for s in VCAPTURE["sessions"] if s["login_ok"]]
    assert count(connects, pl.col("event.outcome") == "failure") == len(refusals)
    assert count(connects, pl.col("event.outcome") == "success") == len(ok)
    in_session = events.filter(
        (pl.col("db.operation") == "INIT DB") & (pl.col("event.outcome") == "failure")
    )  # USE of the refused database later in a session
    assert in_session.height == expected["database_refused_in_session"]


def test_slow_log_of_the_variant(variant: Ingested) -> None:
    assert variant.report("slow.log")["rejects"] == 0
    assert variant.report("slow.log")["events"] == variant.file_entry("slow.log")["expected"]["entries"]
