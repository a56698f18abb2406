"""PostgreSQL's real output (tests/data/real/postgresql-*): every record parsed, events match the workload.

Two runs of the same workload on fresh clusters, each logging to stderr (two different
``log_line_prefix``), csvlog and jsonlog at once, with pgaudit.  The oracle is
``capture.json``: every connection attempt and every statement sent, in order.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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

FOLDER = capture_dir("postgresql-")
CAPTURE = load_capture(FOLDER)
ZONE = CAPTURE["server_timezone"]
RUNS = sorted(CAPTURE["runs"])
FORMATS = {"log": "postgresql.log", "csv": "postgresql.csv", "json": "postgresql.json"}
MAIN_FILES = [f"{run}/postgresql.{ext}" for run in RUNS for ext in FORMATS]
#: the zone abbreviation the server wrote (CET) is this offset during the capture
OFFSET = ZoneInfo(ZONE).utcoffset(datetime.fromisoformat(CAPTURE["capture_started_utc"]).replace(tzinfo=None))


def _sources() -> list[SourceConfig]:
    """stderr needs the run's log_line_prefix; csvlog and jsonlog describe themselves."""
    out = []
    for run in RUNS:
        prefix = CAPTURE["runs"][run]["config"]["log_line_prefix"]
        out += [
            SourceConfig(
                path=f"{run}/*.log", format="postgresql.log", timezone=ZONE, options={"log_line_prefix": prefix}
            ),
            SourceConfig(path=f"{run}/*.csv", format="postgresql.csv", timezone=ZONE),
            SourceConfig(path=f"{run}/*.json", format="postgresql.json", timezone=ZONE),
        ]
    return out


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_capture(FOLDER, tmp_path_factory.mktemp("postgresql"), _sources(), capture=CAPTURE)


def _events(got: Ingested, path: str) -> pl.DataFrame:
    """One file's events with the pgaudit class and statement kind pulled out of ``labels``."""
    return got.file(path).with_columns(
        pl.col("labels").str.json_path_match("$.audit_class").alias("_audit"),
        pl.col("labels").str.json_path_match("$.statement_kind").alias("_stmt"),
        pl.col("labels").str.json_path_match("$.detail").alias("_detail"),
    )


def _run(path: str) -> dict:
    return CAPTURE["runs"][path.split("/")[0]]


def _statements(path: str) -> list[tuple[dict, dict]]:
    return [(s, st) for s in _run(path)["sessions"] for st in s.get("statements", [])]


def _logged(sql: str) -> str:
    """psql sends the statement with its ';' and the server logs it as sent."""
    return sql + ";"


def _audited(sql: str) -> str:
    """pgaudit's statement field: as sent, but everything after PASSWORD is <REDACTED>."""
    return re.sub(r"PASSWORD '.*$", "PASSWORD <REDACTED>", _logged(sql), flags=re.S)


def test_zero_rejects_and_every_line_accounted_for(got: Ingested) -> None:
    assert_no_rejects(got)
    assert {r["path"] for r in got.manifest["files"]} == {f["path"] for f in CAPTURE["files"]}
    for entry in CAPTURE["files"]:
        report = got.report(entry["path"])
        assert report["lines_read"] == entry["lines"], entry["path"]
        assert report["parser"] == FORMATS[entry["path"].rsplit(".", 1)[1]], entry["path"]
        assert report["time_flags"] == {}, entry["path"]


def test_records_are_the_text_as_written(got: Ingested) -> None:
    # multi-line statements (TAB continuations in stderr, quoted newlines in csvlog) stay whole
    for entry in CAPTURE["files"]:
        lines = file_lines(FOLDER / entry["path"])
        events = got.file(entry["path"])
        covered = 0
        for line, n, original in events.select("log.file.line", "log.file.lines", "event.original").iter_rows():
            assert original == "\n".join(lines[line - 1 : line - 1 + n]), (entry["path"], line)
            covered += n
        assert covered == len(lines), entry["path"]


def test_times_inside_the_capture_window_with_the_right_zone(got: Ingested) -> None:
    assert_in_window(got.events, CAPTURE, "postgresql")
    offset = f"{'+' if OFFSET >= timedelta(0) else '-'}{abs(OFFSET) // timedelta(hours=1):02d}:00"
    for entry in CAPTURE["files"]:
        ev = got.file(entry["path"])
        # the server writes its zone as an abbreviation (CET): read as the zone's offset
        assert set(ev.get_column("time.zone").to_list()) == {offset}, entry["path"]
        assert ev.get_column("time.original").str.ends_with(" CET").all(), entry["path"]
    # %t has no milliseconds, %m has
    assert got.file("run1/postgresql.log").get_column("@timestamp").dt.millisecond().max() > 0
    assert got.file("run2/postgresql.log").get_column("@timestamp").dt.millisecond().max() == 0


@pytest.mark.parametrize("path", MAIN_FILES)
def test_counts_match_the_ledger(got: Ingested, path: str) -> None:
    ev = _events(got, path)
    expected = got.file_entry(path)["expected"]
    action = pl.col("event.action")
    reason = pl.col("event.reason")
    counters = {
        "connection_received": pl.col("message").str.contains(": connection received: host=", literal=True),
        "connection_authorized": (action == "db_connect") & (pl.col("event.outcome") == "success"),
        "password_authentication_failed": (action == "db_connect_failed")
        & reason.str.starts_with("password authentication failed for user "),
        "role_does_not_exist_details": pl.col("_detail").str.contains(r'^Role ".*" does not exist\.'),
        "database_does_not_exist": (action == "db_connect_failed")
        & reason.str.contains(r'^database ".*" does not exist$'),
        "disconnections": action == "db_disconnect",
        "errors": (pl.col("log.level") == "ERROR") & (pl.col("event.outcome") == "failure"),
        "pgaudit_lines": pl.col("_audit").is_not_null(),
        # log_statement=all: "statement: ..."; log_min_duration_statement=0: "duration: ...  statement: ..."
        "statement_lines": (pl.col("_stmt") == "statement") & pl.col("event.duration").is_null(),
        "duration_lines": (pl.col("_stmt") == "statement") & pl.col("event.duration").is_not_null(),
    }
    assert set(expected) <= set(counters), set(expected) - set(counters)
    for key in counters:
        assert count(ev, counters[key]) == expected.get(key, 0), (path, key)


@pytest.mark.parametrize("path", MAIN_FILES)
def test_logins_match_the_ledger(got: Ingested, path: str) -> None:
    ev = _events(got, path)
    sessions = _run(path)["sessions"]
    totals = _run(path)["expected"]
    received = ev.filter(pl.col("message").str.contains(": connection received: host=", literal=True))
    assert received.height == len(sessions) == totals["db_connection_attempts"]
    failed_pids = set(ev.filter(pl.col("event.action") == "db_connect_failed").get_column("db.connection_id"))
    for e, s in zip(received.iter_rows(named=True), sessions, strict=True):
        pid = e["db.connection_id"]
        mine = ev.filter(pl.col("db.connection_id") == pid)
        assert (pid not in failed_pids) == s["login_ok"], s["n"]
        assert e["source.ip"] == ("127.0.0.1" if s["via"].startswith("tcp") else None), s["n"]
        who = mine.filter(pl.col("event.action").is_in(["db_connect", "db_connect_failed"]))
        assert set(who.get_column("db.user").to_list()) == {s["user"]}, s["n"]
        if s["login_ok"]:
            assert mine.filter(pl.col("event.action") == "db_disconnect").height == 1, s["n"]
            continue
        fatal = mine.filter(pl.col("event.action") == "db_connect_failed").row(0, named=True)
        if s["failure"] == "database_does_not_exist":
            assert fatal["event.reason"] == f'database "{s["database"]}" does not exist', s["n"]
            assert fatal["db.name"] == s["database"]
        else:
            assert fatal["event.reason"] == f'password authentication failed for user "{s["user"]}"', s["n"]
            unknown = (fatal["_detail"] or "").startswith(f'Role "{s["user"]}" does not exist.')
            assert unknown == (s["failure"] == "unknown_user"), s["n"]
    failed = ev.filter(pl.col("event.action") == "db_connect_failed")
    assert dict(failed.get_column("db.user").value_counts().iter_rows()) == totals["db_failed_logins_by_user"]
    ended = ev.filter(pl.col("event.action") == "db_disconnect")
    assert dict(ended.get_column("db.user").value_counts().iter_rows()) == totals["db_successful_logins_by_user"]
    assert count(received, pl.col("source.ip") == "127.0.0.1") == totals["db_connections_tcp"]
    assert count(received, pl.col("source.ip").is_null()) == totals["db_connections_socket"]


@pytest.mark.parametrize("path", MAIN_FILES)
def test_every_statement_found(got: Ingested, path: str) -> None:
    ev = _events(got, path)
    statements = _statements(path)
    settings = _run(path)["config"]["settings"]
    logged = ev.filter(pl.col("_stmt") == "statement")
    if settings["log_statement"] == "all":
        # logged when received, as sent; a statement that does not parse is not
        expect = [(s, st) for s, st in statements if "syntax_error" not in st["tags"]]
    else:
        # log_min_duration_statement=0: logged when it finishes; a failed one is not
        expect = [(s, st) for s, st in statements if st["ok"]]
    assert logged.height == len(expect), path
    for e, (s, st) in zip(logged.iter_rows(named=True), expect, strict=True):
        assert e["db.query.text"] == _logged(st["sql"]), (path, st["sql"][:60])  # passwords in clear
        assert e["db.user"] == s["user"], (path, s["n"])
        assert e["db.name"] == s["database"], (path, s["n"])
    # the four failures: the ERROR with the statement that caused it
    errors = ev.filter(pl.col("log.level") == "ERROR")
    failed = [st for _, st in statements if not st["ok"]]
    assert len(failed) == _run(path)["expected"]["statements_failed"]
    assert errors.get_column("db.query.text").to_list() == [_logged(st["sql"]) for st in failed]
    assert errors.get_column("event.reason").str.contains("^(permission denied|ORDER BY|syntax error|relation)").all()


@pytest.mark.parametrize("path", MAIN_FILES)
def test_pgaudit_records(got: Ingested, path: str) -> None:
    audit = _events(got, path).filter(pl.col("_audit").is_not_null())
    # one AUDIT line per successful statement, two for CREATE TABLE ... PRIMARY KEY
    expect = []
    for s, st in _statements(path):
        if st["ok"]:
            expect += [(s, st)] * (2 if "implicit_index" in st["tags"] else 1)
    assert audit.height == len(expect)
    for e, (s, st) in zip(audit.iter_rows(named=True), expect, strict=True):
        assert e["db.query.text"] == _audited(st["sql"]), (path, st["sql"][:60])  # CSV decoded
        assert e["db.user"] == s["user"], (path, s["n"])
    # pgaudit's class of each statement is the workload's tag for it
    classes = dict(audit.get_column("_audit").value_counts().iter_rows())
    ok = [st for _, st in _statements(path) if st["ok"]]
    assert classes == {
        cls: sum(tag in st["tags"] for st in ok) + (tag == "ddl") * sum("implicit_index" in st["tags"] for st in ok)
        for tag, cls in (("ddl", "DDL"), ("read", "READ"), ("role", "ROLE"), ("write", "WRITE"))
    }
    # the implicit index of the primary key is its own audit record
    pkey = audit.filter(pl.col("object.id") == "public.patients_pkey")
    assert pkey.select("db.operation", "object.type").rows() == [("CREATE INDEX", "INDEX")]


@pytest.mark.parametrize("path", MAIN_FILES)
def test_bulk_select_pagination_ddl_and_password_change(got: Ingested, path: str) -> None:
    ev = _events(got, path)
    statements = [st for _, st in _statements(path)]
    text = pl.col("db.query.text")
    # the bulk SELECT: as a statement and as a READ audit record (row counts are not logged)
    bulk = next(st["sql"] for st in statements if "bulk_select" in st["tags"])
    assert count(ev, (text == _logged(bulk)) & (pl.col("_stmt") == "statement")) == 1
    assert count(ev, (text == _logged(bulk)) & (pl.col("_audit") == "READ")) == 1
    # every page of the LIMIT/OFFSET loop, in order, in both kinds of record
    pages = [st["sql"] for st in statements if "pagination" in st["tags"]]
    assert len(pages) == _run(path)["expected"]["pagination_queries"]
    for kind in ("_stmt", "_audit"):
        found = ev.filter(pl.col(kind).is_not_null() & text.str.contains(r"LIMIT 50 OFFSET \d+;$"))
        assert found.get_column("db.query.text").to_list() == [_logged(p) for p in pages], (path, kind)
    # DDL and the password change, with the password in clear in the statement only
    for st in statements:
        if "ddl" in st["tags"] or "password_change" in st["tags"]:
            assert count(ev, (text == _logged(st["sql"])) & (pl.col("_stmt") == "statement")) == 1, st["sql"]
            assert count(ev, (text == _audited(st["sql"])) & pl.col("_audit").is_not_null()) >= 1, st["sql"]
    change = next(st["sql"] for st in statements if "password_change" in st["tags"])
    assert count(ev, text == "ALTER USER auditor PASSWORD <REDACTED>") == 1
    assert count(ev, text == _logged(change)) == 1


@pytest.mark.parametrize("path", MAIN_FILES)
def test_multiline_quotes_and_encodings(got: Ingested, path: str) -> None:
    ev = _events(got, path)
    statements = [st for _, st in _statements(path)]
    text = "\n".join(t for t in ev.get_column("db.query.text").to_list() if t)
    for st in statements:
        if "multiline" in st["tags"]:
            assert "\n" in st["sql"]
            assert _logged(st["sql"]) in text, (path, st["sql"][:40])
    hostile = CAPTURE["hostile"]
    assert hostile["quote_literal_sql_standard"] in text
    assert "E'O\\'Brien, Jr.'" in text
    assert "'said \"ouch\", then left'" in text  # doubled quotes of pgaudit's CSV undone
    for word in hostile["utf8_names"] + hostile["latin1_names"]:
        assert word in text, (path, word)
    # a LATIN1 client's statements are converted to UTF-8 by the server: nothing to decode
    assert not any("latin1_decoded" in tags for tags in ev.get_column("tags").to_list())
    # one record per statement however many lines it spans (TAB continuations in stderr,
    # quoted newlines in csvlog; jsonlog escapes them)
    create = next(st["sql"] for st in statements if "implicit_index" in st["tags"])
    record = ev.filter((pl.col("db.query.text") == _logged(create)) & (pl.col("_stmt") == "statement"))
    lines = 1 if path.endswith(".json") else create.count("\n") + 1
    assert record.get_column("log.file.lines").to_list() == [lines], path


@pytest.mark.parametrize("run", RUNS)
def test_three_destinations_tell_the_same_story(got: Ingested, run: str) -> None:
    # stderr, csvlog and jsonlog were written at once by the same server: same records,
    # same meaning, same instants (stderr's %t to the second)
    keys = ["event.action", "event.outcome", "db.user", "db.name", "source.ip", "db.connection_id", "db.query.text"]
    frames = {ext: got.file(f"{run}/postgresql.{ext}") for ext in FORMATS}
    ref = frames["json"].select(keys).rows()
    for ext, ev in frames.items():
        assert ev.select(keys).rows() == ref, (run, ext)
    truncate = "1s" if "%t" in CAPTURE["runs"][run]["config"]["log_line_prefix"] else "1ms"
    times = {ext: ev.get_column("@timestamp").dt.truncate(truncate).to_list() for ext, ev in frames.items()}
    assert times["log"] == times["csv"] == times["json"], run


@pytest.mark.parametrize("run", RUNS)
def test_startup_lines(got: Ingested, run: str) -> None:
    # written before the logging collector started; HINT belongs to the line above it
    ev = got.file(f"{run}/startup.log")
    assert ev.height == 2
    assert (
        ev.get_column("event.original").to_list()[1].split("\n")[1].split("HINT:  ")[1].startswith("Future log output")
    )
    first_main = got.file(f"{run}/postgresql.log").get_column("@timestamp").min()
    assert ev.get_column("@timestamp").max() <= first_main


# -- configuration variants (tests/data/real/postgresql_variants-*): verbose errors with the RDS prefix, syslog ------

VFOLDER = capture_dir("postgresql_variants-")
VCAPTURE = load_capture(VFOLDER)
VERBOSE = ["verbose/postgresql.log", "verbose/postgresql.csv", "verbose/postgresql.json"]
SYSLOG = "syslog/syslog.log"


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """No format, no prefix: detection and prefix inference as a new user would meet them."""
    sources = [SourceConfig(path="**", timezone=ZONE)]
    return ingest_capture(VFOLDER, tmp_path_factory.mktemp("pg-variants"), sources, capture=VCAPTURE)


def test_variants_read_without_help(variants: Ingested) -> None:
    assert_no_rejects(variants)
    for path in [*VERBOSE, SYSLOG]:
        if path not in [f["path"] for f in VCAPTURE["files"]]:
            continue  # the syslog run is skipped where /dev/log was taken
        assert_in_window(variants.file(path), VCAPTURE, path)
    assert variants.report("verbose/postgresql.log")["parser"] == "postgresql.log"
    assert variants.report("verbose/postgresql.log")["inferred"] == {
        "log_line_prefix": VCAPTURE["runs"]["verbose"]["config"]["log_line_prefix"]
    }
    if "syslog" in VCAPTURE["runs"]:
        assert variants.report(SYSLOG)["parser"] == "postgresql.syslog"
        assert variants.report(SYSLOG)["inferred"] == {
            "log_line_prefix": VCAPTURE["runs"]["syslog"]["config"]["log_line_prefix"]
        }


@pytest.mark.parametrize("path", [*VERBOSE, SYSLOG])
def test_variant_logins_and_failures_match_the_ledger(variants: Ingested, path: str) -> None:
    run = VCAPTURE["runs"].get(path.split("/")[0])
    if run is None:
        pytest.skip("the syslog run was not captured (/dev/log was taken)")
    events = variants.file(path)
    exp = run["expected"]
    reasons = exp["db_failed_logins_by_reason"]
    action, outcome = pl.col("event.action"), pl.col("event.outcome")
    assert count(events, action == "db_connect_failed") == exp["db_failed_logins"]
    # a login to a missing database is authorized first, then refused
    assert count(events, action == "db_connect") == exp["db_successful_logins"] + reasons["database_does_not_exist"]
    assert count(events, action == "db_disconnect") == exp["db_successful_logins"]
    assert count(events, (action == "db_query") & (outcome == "failure")) == exp["statements_failed"]
    sent = [st for s in run["sessions"] for st in s["statements"]]
    logged = events.filter(pl.col("labels").str.json_path_match("$.statement_kind") == "statement")
    assert logged.height == sum(1 for st in sent if "syntax_error" not in st["tags"])
    for st in sent:
        if "lateral_unnest" in st["tags"] or "information_schema" in st["tags"]:
            assert count(logged, pl.col("db.query.text") == st["sql"] + ";") == 1, st["sql"]


def test_verbose_stderr_csvlog_and_jsonlog_give_the_same_events(variants: Ingested) -> None:
    """log_error_verbosity = verbose: the SQLSTATE after the level is error.code, the actions are csvlog's."""
    keys = ["event.action", "event.outcome", "error.code", "db.user", "db.name", "db.query.text"]
    seen = [variants.file(p).sort("@timestamp", "log.offset", maintain_order=True).select(keys) for p in VERBOSE]
    assert seen[0].to_dicts() == seen[1].to_dicts() == seen[2].to_dicts()
    errors = seen[0].filter(pl.col("event.outcome") == "failure")
    assert errors.get_column("error.code").null_count() == 0
    assert "28P01" in errors.get_column("error.code").to_list()  # password authentication failed
