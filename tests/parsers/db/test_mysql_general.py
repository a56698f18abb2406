"""mysql.general: blank timestamps, multi-line SQL, Connect forms, and the per-thread session carry."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.engine import ingest
from forensics.intake.reader import group_records, lines_frame, records_from_text
from parsers.base import get_parser
from parsers.db.common import split_match
from parsers.db.mysql_general import LINE, _split_lines
from tests.golden import parse_file

PARSER = get_parser("mysql.general")
BANNER = "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-log (Debian 12). started with:\n"


def parse(text: str, state: dict | None = None) -> list[dict]:
    result = PARSER.parse(records_from_text(text, PARSER), {} if state is None else state)
    assert result.rejects.height == 0
    return result.events.sort("_rec").to_dicts()


def test_blank_timestamp_takes_the_last_one_even_in_the_next_chunk() -> None:
    state: dict = {}
    parse("241027  0:41:03\t5531207 Connect\tmediboard@app01.hds.local on mediboard\n", state)
    (event,) = parse("\t\t5531207 Query\tSET NAMES latin1\n", state)
    assert event["time.original"] == "241027  0:41:03"
    assert event["_ts"].isoformat() == "2024-10-27T00:41:03"
    assert "time_from_previous_line" in event["tags"]


def test_multi_line_query_is_one_record() -> None:
    text = (
        "241027  0:41:04\t5531207 Query\tSELECT patients.patient_id\n"
        "FROM patients\n"
        "LEFT JOIN sejour ON sejour.patient_id = patients.patient_id\n"
        "\t\t5531207 Quit\t\n"
    )
    records = records_from_text(text, PARSER)
    assert records.get_column("n_lines").to_list() == [3, 1]
    query, quit_ = parse(text)
    assert query["db.query.text"] == (
        "SELECT patients.patient_id\nFROM patients\nLEFT JOIN sejour ON sejour.patient_id = patients.patient_id"
    )
    assert query["db.tables"] == ["patients", "sejour"]
    assert quit_["event.action"] == "db_disconnect"


def test_connect_forms() -> None:
    events = parse(
        "241027  0:41:03\t     1 Connect\tmediboard@app01.hds.local on mediboard\n"
        "\t\t     2 Connect\tbackup@10.10.1.30 as anonymous on \n"
        "\t\t     3 Connect\tAccess denied for user 'root'@'10.10.1.99' (using password: YES)\n"
        "2024-10-26T22:41:09.123456Z\t    4 Connect\troot@localhost on mysql using TCP/IP\n"
    )
    one, two, three, four = events
    assert (one["db.user"], one["db.name"], one["source.ip"]) == ("mediboard", "mediboard", None)
    assert '"client_host":"app01.hds.local"' in one["labels"]
    assert (two["db.user"], two["db.name"], two["source.ip"]) == ("backup", None, "10.10.1.30")
    assert '"priv_user":"anonymous"' in two["labels"]
    assert (three["event.action"], three["event.outcome"], three["db.user"], three["source.ip"]) == (
        "db_connect_failed", "failure", "root", "10.10.1.99",
    )  # fmt: skip
    assert '"using_password":"YES"' in three["labels"]
    assert (four["db.name"], four["_offset"]) == ("mysql", 0)
    assert '"connection_type":"TCP/IP"' in four["labels"]


def test_queries_inherit_their_thread_session_across_rotated_files(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "general.log.1").write_text(
        BANNER + "241027  0:41:03\t5531207 Connect\tmediboard@10.10.1.21 on mediboard\n"
    )
    (evidence / "general.log").write_text(
        "241027  0:41:09\t5531207 Query\tSELECT * FROM patients\n\t\t5531299 Query\tSELECT 1\n"
    )
    events = ingest(evidence, tmp_path / "out", format="mysql.general", tz="Europe/Paris").events
    query = events.filter(pl.col("db.connection_id") == 5531207, pl.col("event.action") == "db_query").row(
        0, named=True
    )
    assert (query["db.user"], query["db.name"], query["source.ip"]) == ("mediboard", "mediboard", "10.10.1.21")
    assert "db_session_carried" in query["tags"]
    unknown = events.filter(pl.col("db.connection_id") == 5531299).row(0, named=True)
    assert unknown["db.user"] is None and "db_session_carried" not in unknown["tags"]


def test_restart_banner_forgets_threads() -> None:
    state: dict = {}
    parse("241027  0:41:03\t7 Connect\tmediboard@10.10.1.21 on mediboard\n", state)
    before, after = parse(
        "241027  0:41:04\t7 Query\tSELECT 1\n" + BANNER + "241027  0:45:00\t7 Query\tSELECT 2\n",
        state,
    )
    assert before["db.user"] == "mediboard"
    assert after["db.user"] is None  # thread ids start again after a restart


def test_header_lines_are_meta_and_set_the_system() -> None:
    result = PARSER.parse(records_from_text(BANNER + "241027  0:41:03\t7 Quit\t\n", PARSER), {})
    assert result.meta.get_column("reason").to_list() == ["general log header"]
    assert result.events.get_column("db.system").to_list() == ["mariadb"]


def test_lines_before_the_first_record_are_rejected_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "general.log"
    path.write_text("continuation of a record from a previous file\n241027  0:41:03\t7 Quit\t\n")
    events, rejects, manifest = parse_file(path, tmp_path, fmt="mysql.general", tz="Europe/Paris")
    assert events.height == 1
    assert rejects.get_column("reason").to_list() == ["continuation line without a record start"]
    assert manifest["files"][0]["lines_read"] == 2


def test_record_start_ignores_sql_lines() -> None:
    lines = lines_frame(b"241027  0:41:03\t7 Query\tSELECT 1\n   42 rows FROM x\nWHERE a = 'Query'", 1, 0)
    records, _, _ = group_records(lines, PARSER)
    assert records.height == 1


def test_connect_line_then_access_denied_is_a_failed_attempt() -> None:
    """MariaDB writes the Connect line before checking the password, then the denial on the same thread."""
    events = parse(
        "261129  4:19:01\t     4 Connect\tclinic_app@127.0.0.1 on clinic using TCP/IP\n"
        "\t\t     5 Connect\tclinic_app@127.0.0.1 on clinic using TCP/IP\n"
        "\t\t     4 Connect\tAccess denied for user 'clinic_app'@'127.0.0.1' (using password: YES)\n"
        "\t\t     5 Query\tSELECT 1\n"
        "\t\t     6 Connect\tclinic_app@127.0.0.1 on clinic using TCP/IP\n"
    )
    attempt, ok, denied, query, last = events
    assert (attempt["event.action"], attempt["event.outcome"]) == ("db_connect", "failure")
    assert attempt["event.reason"] == "Access denied for user 'clinic_app'@'127.0.0.1' (using password: YES)"
    assert (denied["event.action"], denied["event.outcome"]) == ("db_connect_failed", "failure")
    assert (ok["event.outcome"], query["db.user"]) == ("success", "clinic_app")
    assert last["event.outcome"] == "unknown"  # nothing after it yet


def test_connect_lines_carry_their_thread_id_as_order() -> None:
    events = parse("241027  2:15:26\t5540871 Connect\tmediboard@10.10.1.21 on mediboard\n\t\t5540871 Query\tSELECT 1\n")
    assert [e["_order"] for e in events] == [5540871, None]


def test_a_refused_database_is_a_failed_login_to_that_database() -> None:
    events = parse(
        BANNER + "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
        "Time\t\t    Id Command\tArgument\n"
        "250302 10:15:01\t     4 Connect\tward_app@192.0.2.41 on payroll using TCP/IP\n"
        "\t\t     4 Init DB\tAccess denied for user 'ward_app'@'192.0.2.41' to database 'payroll'\n"
        "\t\t     5 Connect\tward_app@192.0.2.41 on wards using TCP/IP\n"
        "\t\t     5 Query\tSELECT 1 FROM DUAL\n"
        "\t\t     5 Init DB\tAccess denied for user 'ward_app'@'192.0.2.41' to database 'payroll'\n"
        "\t\t     5 Quit\t\n"
    )
    connect, refused, ok, query, use, quit_ = events
    assert (connect["event.action"], connect["event.outcome"]) == ("db_connect", "failure")
    assert connect["event.reason"] == "Access denied for user 'ward_app'@'192.0.2.41' to database 'payroll'"
    assert (refused["event.action"], refused["event.outcome"], refused["db.name"]) == (
        "db_connect_failed", "failure", "payroll"
    )  # fmt: skip
    assert (refused["db.user"], refused["source.ip"], refused["db.operation"]) == ("ward_app", "192.0.2.41", "CONNECT")
    assert (ok["event.action"], ok["event.outcome"], ok["db.name"]) == ("db_connect", "success", "wards")
    # later in a session (USE payroll) the refusal is a failed command, and the session keeps its database
    assert (use["event.action"], use["event.outcome"], use["db.name"]) == ("db_query", "failure", "payroll")
    assert query["db.name"] == "wards" and quit_["db.name"] == "wards"


_PIECES = st.sampled_from(
    ["241027", "  0:41:03", " 1:02:03", "\t", "\t\t", " ", "  ", "12", " Connect", " Query", " Quit", " Init DB",
     " Binlog Dump", " Binlog Dump GTID", "x", "SELECT 1", "\n", "é", "2024-10-26T22:41:09.123456Z", "Connect"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=8).map("".join), min_size=1, max_size=10))
def test_line_split_reads_what_the_whole_line_regex_reads(texts: list[str]) -> None:
    """The argument taken after ``HEAD``'s match is the one ``LINE`` captures, on any text."""
    records = pl.DataFrame({"_rec": list(range(len(texts))), "text": texts})
    want_ok, want_bad = split_match(records, LINE)
    got_ok, got_bad = _split_lines(records)
    assert got_ok.to_dicts() == want_ok.to_dicts()
    assert got_bad.to_dicts() == want_bad.to_dicts()
