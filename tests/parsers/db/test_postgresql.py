"""PostgreSQL: the log_line_prefix compiler, record grouping, zones, sessions, csvlog and jsonlog details."""

from __future__ import annotations

import json
import re

import pytest

from parsers.base import get_parser, records_from_text
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
    assert rejects == []  # not a record start: the engine reports it as an orphan line


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
