"""PostgreSQL: the log_line_prefix compiler, record grouping, zones, sessions, csvlog and jsonlog details."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.db.pg_prefix import KNOWN_PREFIXES, line_pattern

LOG = get_parser("postgresql.log")


def parse(text: str, options: dict | None = None, state: dict | None = None) -> tuple[list[dict], list[str]]:
    parser = get_parser("postgresql.log", options) if options else LOG
    result = parser.parse(records_from_text(text, parser), {} if state is None else state)
    return result.events.sort("_rec").to_dicts(), result.rejects.get_column("reason").to_list()


@pytest.mark.parametrize(
    ("prefix", "line", "groups"),
    [
        ("%m [%p] ", "2024-10-27 00:41:02.118 CEST [81234] LOG:  x", {"ts": "2024-10-27 00:41:02.118 CEST", "pid": "81234"}),
        ("%m [%p] %q%u@%d ", "2024-10-27 00:41:02.118 CEST [81234] mediboard@mediboard LOG:  x",
         {"user": "mediboard", "db": "mediboard"}),
        ("%m [%p] %q%u@%d ", "2024-10-27 00:41:02.118 CEST [1201] LOG:  checkpoint", {"user": None, "db": None}),
        ("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
         "2024-10-27 00:41:02 CEST [81234]: [3-1] user=mediboard,db=mediboard,app=php fpm,client=10.10.1.21 LOG:  x",
         {"ts": "2024-10-27 00:41:02 CEST", "lnum": "3", "app": "php fpm", "client": "10.10.1.21"}),
        ("%n|%r|%-10u|%e|", "1729982462.118|10.10.1.21(51544)|backup    |42P01|ERROR:  x",
         {"epoch": "1729982462.118", "client": "10.10.1.21", "port": "51544", "user": "backup", "sqlstate": "42P01"}),
        ("%m %u %u [%p] 100%% ", "2024-10-27 00:41:02.118 UTC a a [7] 100% LOG:  x", {"user": "a", "pid": "7"}),
    ],
)  # fmt: skip
def test_prefix_compiler(prefix: str, line: str, groups: dict) -> None:
    m = re.match(line_pattern(prefix), line)
    assert m is not None
    for name, value in groups.items():
        assert m.group(name) == value
    assert m.group("msg") == line.split(":  ", 1)[1]


@pytest.mark.parametrize("prefix", KNOWN_PREFIXES)
def test_every_known_prefix_compiles_and_matches_itself(prefix: str) -> None:
    line = (
        prefix.replace("%m", "2024-10-27 00:41:02.118 CEST").replace("%t", "2024-10-27 00:41:02 CEST")
        .replace("%p", "81234").replace("%l", "3").replace("%q", "").replace("%u", "mediboard")
        .replace("%d", "mediboard").replace("%a", "psql").replace("%h", "10.10.1.21")
    ) + "LOG:  statement: SELECT 1"  # fmt: skip
    assert re.match(line_pattern(prefix), line)


def test_details_and_statements_belong_to_their_message() -> None:
    events, rejects = parse(
        '2024-10-26 22:41:05.500 UTC [81234] ERROR:  duplicate key value violates unique constraint "users_pkey"\n'
        "2024-10-26 22:41:05.500 UTC [81234] DETAIL:  Key (user_id)=(1377) already exists.\n"
        "2024-10-26 22:41:05.500 UTC [81234] STATEMENT:  INSERT INTO users (user_id)\n"
        "\t  VALUES (1377)\n"
        "2024-10-26 22:41:06.000 UTC [81234] LOG:  statement: SELECT 1\n"
    )
    assert rejects == []
    error, ok = events
    assert error["event.action"] == "db_query" and error["event.outcome"] == "failure"
    assert error["db.query.text"] == "INSERT INTO users (user_id)\n  VALUES (1377)"
    assert error["db.tables"] == ["users"]
    labels = json.loads(error["labels"])
    assert labels["detail"] == "Key (user_id)=(1377) already exists."
    assert error["event.reason"] == 'duplicate key value violates unique constraint "users_pkey"'
    assert ok["db.query.text"] == "SELECT 1"


def test_session_values_follow_the_backend_pid() -> None:
    state: dict = {}
    parse(
        "2024-10-26 22:41:02.118 UTC [81234] LOG:  connection received: host=10.10.1.21 port=51544\n"
        "2024-10-26 22:41:02.121 UTC [81234] LOG:  connection authorized: user=mediboard database=mediboard\n",
        state=state,
    )
    events, _ = parse(
        "2024-10-26 22:41:04.002 UTC [81234] LOG:  statement: SELECT * FROM patients\n"
        "2024-10-26 22:41:04.003 UTC [99999] LOG:  statement: SELECT 2\n"
        "2024-10-26 22:41:34.200 UTC [81234] LOG:  disconnection: session time: 0:00:32.082 user=mediboard "
        "database=mediboard host=10.10.1.21 port=51544\n"
        "2024-10-26 22:41:35.000 UTC [81234] LOG:  statement: SELECT 3\n",
        state=state,
    )
    query, other, gone, reused = events
    assert (query["db.user"], query["db.name"], query["source.ip"]) == ("mediboard", "mediboard", "10.10.1.21")
    assert "db_session_carried" in query["tags"]
    assert other["db.user"] is None
    assert gone["event.action"] == "db_disconnect" and gone["event.duration"] == 32_082_000_000
    assert reused["db.user"] is None  # after its disconnection a pid has no session until it connects again
    assert "db_session_carried" not in reused["tags"]
    assert 81234 not in state["source"]["postgresql.log"]["sessions"]


def test_zone_abbreviations() -> None:
    events, _ = parse(
        "2024-10-27 02:15:26.114 CEST [1201] LOG:  a\n"
        "2024-10-27 02:15:26.500 CET [1201] LOG:  b\n"
        "2024-10-27 02:15:27.000 +05:30 [1201] LOG:  c\n"
        "2024-10-27 02:15:28.000 CST [1201] LOG:  d\n"
    )
    assert [e["_offset"] for e in events] == [7200, 3600, 19800, None]
    assert events[3]["tags"] == ["zone_abbreviation_unknown"]


def test_configured_prefix_is_used_and_unknown_lines_rejected() -> None:
    options = {"log_line_prefix": "%m %u %d [%p]: "}
    events, rejects = parse(
        "2024-10-27 00:41:04.002 CEST mediboard mediboard [81234]: LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,"
        "public.patients,SELECT * FROM patients,<none>\n",
        options,
    )
    assert rejects == []
    (event,) = events
    assert (event["db.user"], event["object.type"], event["object.id"], event["db.tables"]) == (
        "mediboard", "TABLE", "public.patients", ["patients"],
    )  # fmt: skip
    _, rejects = parse("garbage LOG:  x\n", {"log_line_prefix": "%m [%p] "})
    # its own record (never glued to a message above), rejected with the reason
    assert rejects == [
        "line matches neither log_line_prefix '%m [%p] ' nor another known prefix, and continues no message"
    ]


def test_autodetect_rejects_an_unknown_prefix_with_a_clear_reason() -> None:
    _, rejects = parse("2024-10-27 00:41:04 host=x pid=1 LOG:  statement: SELECT 1\n")
    assert rejects == ["no known log_line_prefix matches; set log_line_prefix for this source"]


def test_csvlog_pgaudit_with_doubled_quotes() -> None:
    parser = get_parser("postgresql.csv")
    text = (
        '2024-10-27 00:41:04.002 CEST,"mediboard","mediboard",81234,"10.10.1.21:51544",671d6f0e.13d52,3,"SELECT",'
        '2024-10-27 00:41:02 CEST,3/13,0,LOG,00000,"AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.patients,'
        '""SELECT nom FROM patients WHERE nom = \'N\'\'Guessan\'"",<not logged>",,,,,,,,,"php-fpm"\n'
    )
    (event,) = parser.parse(records_from_text(text, parser), {}).events.to_dicts()
    assert event["db.query.text"] == "SELECT nom FROM patients WHERE nom = 'N''Guessan'"
    assert (event["source.ip"], event["source.port"], event["_offset"]) == ("10.10.1.21", 51544, 7200)
    assert json.loads(event["labels"])["audit_parameter"] == "<not logged>"


def test_jsonlog_epoch_free_fields() -> None:
    parser = get_parser("postgresql.json")
    line = json.dumps(
        {"timestamp": "2024-10-26 22:41:05.771 UTC", "user": "mediboard", "dbname": "mediboard", "pid": 81234,
         "remote_host": "10.10.1.21", "error_severity": "ERROR", "message": 'relation "x" does not exist',
         "statement": "SELECT * FROM x"}
    )  # fmt: skip
    (event,) = parser.parse(records_from_text(line + "\n", parser), {}).events.to_dicts()
    assert (event["event.action"], event["event.outcome"], event["db.query.text"]) == (
        "db_query",
        "failure",
        "SELECT * FROM x",
    )
    assert event["db.connection_id"] == 81234 and event["_offset"] == 0


# -- prefixes inferred without a config, lines outside the prefix, verbose SQLSTATE ------------------------------

_INFERRED = [
    ("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
     "2025-03-02 10:15:01 UTC [4711]: [3-1] user=ward_app,db=wards,app=psql,client=192.0.2.41 "),
    ("%t [%p]: [%l-1] user=%u,db=%d ", "2025-03-02 10:15:01 UTC [4711]: [3-1] user=ward_app,db=wards "),
    ("%m [%p] user=%u,db=%d ", "2025-03-02 10:15:01.250 UTC [4711] user=ward_app,db=wards "),
    ("%t [%p]: [%l-1] db=%d,user=%u ", "2025-03-02 10:15:01 UTC [4711]: [3-1] db=wards,user=ward_app "),
    ("%m [%p] db=%d,user=%u ", "2025-03-02 10:15:01.250 UTC [4711] db=wards,user=ward_app "),
    ("%t:%r:%u@%d:[%p]:", "2025-03-02 10:15:01 UTC:192.0.2.41(50712):ward_app@wards:[4711]:"),
    ("%m [%p] %q%u@%d ", "2025-03-02 10:15:01.250 UTC [4711] ward_app@wards "),
]  # fmt: skip


@pytest.mark.parametrize(("prefix", "head"), _INFERRED)
def test_common_prefixes_are_inferred_without_a_config(prefix: str, head: str) -> None:
    state: dict = {}
    events, rejects = parse(
        f"{head}LOG:  statement: SELECT name FROM beds WHERE ward = 3;\n"
        f"{head}ERROR:  permission denied for table staff\n"
        f"{head}STATEMENT:  SELECT * FROM staff;\n",
        state=state,
    )
    assert rejects == []
    assert state["inferred"] == {"log_line_prefix": prefix}
    assert [e["event.action"] for e in events] == ["db_query", "db_query"]
    assert all(e["db.user"] == "ward_app" and e["db.name"] == "wards" and e["db.connection_id"] == 4711 for e in events)
    assert events[1]["event.outcome"] == "failure" and events[1]["db.query.text"] == "SELECT * FROM staff;"


def test_rds_background_lines_with_empty_fields() -> None:
    events, rejects = parse(
        "2025-03-02 10:15:00 UTC::@:[3120]:LOG:  checkpoint starting: time\n"
        "2025-03-02 10:15:01 UTC:192.0.2.41(50712):ward_app@wards:[4711]:LOG:  connection authorized: user=ward_app "
        "database=wards\n"
    )
    assert rejects == []
    assert [e["event.action"] for e in events] == ["log_message", "db_connect"]
    assert events[1]["source.ip"] == "192.0.2.41" and events[1]["source.port"] == 50712


def test_a_line_in_another_prefix_is_its_own_record_not_glued_above() -> None:
    text = (
        "2022-06-01 08:00:00.100 UTC [900] ward_app@wards LOG:  statement: SELECT 1\n"
        '2019-02-03 04:05:06 UTC [12]: [1-1] user=old_admin,db=legacy ERROR:  relation "payroll" does not exist\n'
        "2022-06-01 08:00:01.100 UTC [900] ward_app@wards LOG:  statement: SELECT 2\n"
        "pg_ctl: could not start server\n"
        "2022-06-01 08:00:02.100 UTC [900] ward_app@wards LOG:  statement: SELECT\n"
        "\t3\n"
    )
    records = records_from_text(text, LOG)
    assert records.height == 5  # the foreign and the garbage line are records of their own
    state: dict = {}
    events, rejects = parse(text, state=state)
    assert state["inferred"] == {"log_line_prefix": "%m [%p] %q%u@%d "}
    assert [e["db.query.text"] for e in events if e["event.action"] == "db_query"] == [
        "SELECT 1",
        "SELECT 2",
        "SELECT\n3",
    ]
    old = next(e for e in events if e["time.original"].startswith("2019"))
    assert old["event.action"] == "server_error" and old["db.user"] == "old_admin"
    assert old["tags"] == ["log_line_prefix_mismatch"]
    assert old["event.reason"] == 'relation "payroll" does not exist'
    assert len(rejects) == 1 and "continues no message" in rejects[0]


def test_verbose_sqlstate_does_not_defeat_classification() -> None:
    events, rejects = parse(
        "2025-03-02 10:15:01.250 UTC [4711] ward_app@wards FATAL:  28P01: password authentication failed for user "
        '"ward_app"\n'
        '2025-03-02 10:15:01.250 UTC [4711] ward_app@wards DETAIL:  Connection matched pg_hba.conf line 9: "host all '
        'all 192.0.2.0/24 scram-sha-256"\n'
        "2025-03-02 10:15:01.250 UTC [4711] ward_app@wards LOCATION:  auth_failed, auth.c:323\n"
        "2025-03-02 10:15:02.000 UTC [4712] ward_app@wards LOG:  00000: statement: SELECT * FROM beds;\n"
        "2025-03-02 10:15:02.000 UTC [4712] ward_app@wards LOCATION:  exec_simple_query, postgres.c:1073\n"
        '2025-03-02 10:15:03.000 UTC [4712] ward_app@wards ERROR:  42P01: relation "bedz" does not exist at '
        "character 15\n"
        "2025-03-02 10:15:03.000 UTC [4712] ward_app@wards STATEMENT:  SELECT * FROM bedz;\n"
        "2025-03-02 10:15:04.000 UTC [4712] ward_app@wards LOG:  00000: AUDIT: SESSION,1,1,READ,SELECT,,,"
        "SELECT 1,<not logged>\n"
    )
    assert rejects == []
    assert [e["event.action"] for e in events] == ["db_connect_failed", "db_query", "db_query", "db_query"]
    assert [e["error.code"] for e in events] == ["28P01", None, "42P01", None]
    assert events[0]["event.reason"] == 'password authentication failed for user "ward_app"'
    assert events[1]["db.query.text"] == "SELECT * FROM beds;"
    assert json.loads(events[1]["labels"])["location"] == "exec_simple_query, postgres.c:1073"
    assert json.loads(events[3]["labels"])["audit_class"] == "READ"


def test_stderr_and_csvlog_of_one_server_give_the_same_actions() -> None:
    """The same five messages, as a verbose stderr log and as csvlog, read to the same actions and codes."""
    stderr = (
        "2025-03-02 10:15:00.100 UTC [4711] [unknown]@[unknown] LOG:  00000: connection received: host=192.0.2.41 "
        "port=50712\n"
        "2025-03-02 10:15:00.100 UTC [4711] [unknown]@[unknown] LOCATION:  BackendInitialize, postmaster.c:4373\n"
        "2025-03-02 10:15:00.200 UTC [4711] ward_app@wards FATAL:  28P01: password authentication failed for user "
        '"ward_app"\n'
        "2025-03-02 10:15:01.000 UTC [4712] ward_app@wards LOG:  00000: connection authorized: user=ward_app "
        "database=wards\n"
        "2025-03-02 10:15:02.000 UTC [4712] ward_app@wards ERROR:  42501: permission denied for table staff\n"
        "2025-03-02 10:15:02.000 UTC [4712] ward_app@wards STATEMENT:  SELECT * FROM staff;\n"
        "2025-03-02 10:15:03.000 UTC [4712] ward_app@wards LOG:  00000: disconnection: session time: 0:00:02.000 "
        "user=ward_app database=wards host=192.0.2.41 port=50713\n"
    )
    csv = (
        '2025-03-02 10:15:00.100 UTC,,,4711,"192.0.2.41:50712",65e2fd84.1267,1,"",2025-03-02 10:15:00 UTC,,0,LOG,'
        '00000,"connection received: host=192.0.2.41 port=50712",,,,,,,,"BackendInitialize, postmaster.c:4373","",'
        '"not initialized",,0\n'
        '2025-03-02 10:15:00.200 UTC,"ward_app","wards",4711,"192.0.2.41:50712",65e2fd84.1267,2,"authentication",'
        '2025-03-02 10:15:00 UTC,3/1,0,FATAL,28P01,"password authentication failed for user ""ward_app""",,,,,,,,,"",'
        '"client backend",,0\n'
        '2025-03-02 10:15:01.000 UTC,"ward_app","wards",4712,"192.0.2.41:50713",65e2fd85.1268,1,"authentication",'
        '2025-03-02 10:15:01 UTC,3/2,0,LOG,00000,"connection authorized: user=ward_app database=wards",,,,,,,,,"",'
        '"client backend",,0\n'
        '2025-03-02 10:15:02.000 UTC,"ward_app","wards",4712,"192.0.2.41:50713",65e2fd85.1268,2,"SELECT",'
        '2025-03-02 10:15:01 UTC,3/3,0,ERROR,42501,"permission denied for table staff",,,,,,"SELECT * FROM staff;",,,'
        '"psql","client backend",,0\n'
        '2025-03-02 10:15:03.000 UTC,"ward_app","wards",4712,"192.0.2.41:50713",65e2fd85.1268,3,"idle",'
        '2025-03-02 10:15:01 UTC,,0,LOG,00000,"disconnection: session time: 0:00:02.000 user=ward_app database=wards '
        'host=192.0.2.41 port=50713",,,,,,,,,"psql","client backend",,0\n'
    )
    csv_parser = get_parser("postgresql.csv")
    from_csv = csv_parser.parse(records_from_text(csv, csv_parser), {}).events.sort("_rec")
    from_stderr, rejects = parse(stderr)
    assert rejects == []
    keys = ["event.action", "event.outcome", "error.code", "db.user", "db.query.text"]
    assert [{k: e[k] for k in keys} for e in from_stderr] == from_csv.select(keys).to_dicts()


# -- PostgreSQL through syslog and Heroku's logplex -----------------------------------------------------------------

SYSLOG = (
    "Mar  2 10:15:01 ward-db postgres[4711]: [7-1] user=ward_app,db=wards,app=psql,client=192.0.2.41 LOG:  "
    "statement: SELECT name\n"
    "Mar  2 10:15:01 ward-db postgres[4711]: [7-2] #011FROM beds;\n"
    "Mar  2 10:15:02 ward-db postgres[4712]: [1-1] user=ward_app,db=wards,app=[unknown],client=192.0.2.41 FATAL:  "
    'password authentication failed for user "ward_app"\n'
    "Mar  2 10:15:02 ward-db postgres[4712]: [1-2] user=ward_app,db=wards,app=[unknown],client=192.0.2.41 DETAIL:  "
    'Connection matched pg_hba.conf line 9: "host all all 192.0.2.0/24 scram-sha-256"\n'
    "Mar 12 10:15:03 ward-db postgres[3120]: [2-1] user=,db=,app=,client= LOG:  checkpoint starting: time\n"
)


def test_syslog_destination_is_read_as_postgresql_with_db_fields() -> None:
    from forensics.intake.detect import detect_sample

    detection = detect_sample(SYSLOG.encode(), "syslog")
    assert detection.parser == "postgresql.syslog"
    assert detection.inferred == {"log_line_prefix": "user=%u,db=%d,app=%a,client=%h "}
    parser = get_parser("postgresql.syslog")
    result = parser.parse(records_from_text(SYSLOG, parser), {})
    assert result.rejects.height == 0
    query, failed, checkpoint = result.events.sort("_rec").to_dicts()
    assert query["db.query.text"] == "SELECT name\nFROM beds;"  # the #011 part joined back with its new line
    assert (query["db.user"], query["db.name"], query["db.connection_id"], query["host.name"]) == (
        "ward_app", "wards", 4711, "ward-db"
    )  # fmt: skip
    assert query["time.original"] == "Mar  2 10:15:01" and query["time.flags"] == ["year_missing"]
    assert failed["event.action"] == "db_connect_failed" and failed["source.ip"] == "192.0.2.41"
    assert json.loads(failed["labels"])["detail"].startswith("Connection matched pg_hba.conf line 9")
    assert checkpoint["event.action"] == "log_message" and checkpoint["_ts"].day == 12


_SYSLOG_PIECES = st.sampled_from(
    [
        "Mar  2 10:15:01", "Dec 12 23:59:59.5", "2025-03-02T10:15:01.250000+00:00", "2025-03-02T10:15:01Z",
        "<134>1 2025-03-02T10:15:01+01:00 h app 4711 - ", "<13>", " ", "  ", "ward-db", "host]x", "é", "\t",
        "postgres[4711]:", "app[postgres.4711]:", "[DATABASE]", "[7-1]", "[7-12]", "[10-2]", "[x-1]", "#011",
        "LOG:  ", "DETAIL:  ", "user=a,db=b ", "-", "[", "]", ":", "\r",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_SYSLOG_PIECES, max_size=12).map("".join))
@example(SYSLOG.splitlines()[0])
@example(SYSLOG.splitlines()[1])
@example("<134>1 2025-03-02T10:15:02+00:00 host app postgres.4712 - [DATABASE] [3-1]  LOG:  x")
@example("Mar  2 10:15:01 ward-db postgres[4711]: [7-1]")
def test_syslog_header_cut_by_length_reads_what_the_whole_line_regex_reads(line: str) -> None:
    # the body is cut off after the header instead of captured: same groups, same body, same misses
    from parsers.db.postgresql_syslog import HEADER, _rfc3164, header_frame

    frame = pl.DataFrame({"line": [line]})
    whole = frame.select(_rfc3164(pl.col("line")).str.extract_groups(HEADER).alias("h")).unnest("h")
    assert header_frame(frame, "line").drop("line").to_dicts() == whole.to_dicts()


def test_heroku_logplex_lines() -> None:
    parser = get_parser("postgresql.syslog")
    state: dict = {}
    text = (
        "2025-03-02T10:15:01.250000+00:00 app[postgres.4711]: [DATABASE] [7-1] sql_error_code = 28P01 FATAL:  "
        'password authentication failed for user "ward_app"\n'
        "2025-03-02T10:15:02.250000+00:00 app[postgres.4712]: [DATABASE] [3-1] sql_error_code = 00000 LOG:  "
        "duration: 1.5 ms  statement: SELECT 1 FROM information_schema.tables\n"
    )
    result = parser.parse(records_from_text(text, parser), state)
    assert result.rejects.height == 0
    assert state["inferred"] == {"log_line_prefix": "sql_error_code = %e "}
    failed, query = result.events.sort("_rec").to_dicts()
    assert (failed["event.action"], failed["error.code"], failed["db.connection_id"]) == (
        "db_connect_failed",
        "28P01",
        4712 - 1,
    )
    assert (failed["_offset"], failed["time.original"]) == (0, "2025-03-02T10:15:01.250000+00:00")
    assert json.loads(failed["labels"])["heroku_database"] == "DATABASE"
    assert query["event.action"] == "db_query" and query["event.duration"] == 1_500_000


def test_rfc5424_headers_rsyslog_template_and_logplex_drain() -> None:
    parser = get_parser("postgresql.syslog")
    text = (
        "<134>1 2025-03-02T10:15:01.250000+01:00 ward-db postgres 4711 - - [7-1] user=ward_app,db=wards,app=psql,"
        "client=192.0.2.41 LOG:  statement: SELECT name\n"
        "<134>1 2025-03-02T10:15:01.250000+01:00 ward-db postgres 4711 - - [7-2] #011FROM beds;\n"
        "<134>1 2025-03-02T10:15:02+00:00 host app postgres.4712 - [DATABASE] [3-1] user=ward_app,db=wards,app=psql,"
        "client=192.0.2.41 LOG:  statement: SELECT 1\n"
    )
    result = parser.parse(records_from_text(text, parser), {})
    assert result.rejects.height == 0
    first, second = result.events.sort("_rec").to_dicts()
    assert (first["db.query.text"], first["_offset"], first["db.connection_id"]) == (
        "SELECT name\nFROM beds;",
        3600,
        4711,
    )
    assert (second["db.connection_id"], second["_offset"], second["host.name"]) == (4712, 0, "host")
    assert json.loads(second["labels"])["heroku_database"] == "DATABASE"
