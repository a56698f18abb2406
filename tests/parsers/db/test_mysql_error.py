"""mysql.error: connection events with outcome, three timestamp styles, continuation lines."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.base import get_parser, split_match
from parsers.db.mysql_error import LINE, split_lines

PARSER = get_parser("mysql.error")


def parse(text: str) -> list[dict]:
    result = PARSER.parse(records_from_text(text, PARSER), {})
    assert result.rejects.height == 0
    return result.events.sort("_rec").to_dicts()


def test_access_denied_in_the_three_styles() -> None:
    events = parse(
        "2024-10-27  0:40:58 5531206 [Warning] Access denied for user 'mediboard'@'10.10.1.99' (using password: YES)\n"
        "2024-10-26T22:40:58.001234Z 31 [Note] [MY-010926] [Server] Access denied for user 'root'@'localhost' (using password: NO)\n"
        "241027  0:40:58 [Warning] Access denied for user 'x'@'app01.hds.local' (using password: YES)\n"
    )
    mariadb, mysql8, old = events
    for e in events:
        assert (e["event.action"], e["event.outcome"], e["db.operation"]) == ("db_connect_failed", "failure", "CONNECT")
    assert (mariadb["db.user"], mariadb["source.ip"], mariadb["db.connection_id"]) == (
        "mediboard",
        "10.10.1.99",
        5531206,
    )
    assert (mariadb["_ts"].isoformat(), mariadb["_offset"], mariadb["db.system"]) == (
        "2024-10-27T00:40:58",
        None,
        "mariadb",
    )
    assert (mysql8["_offset"], mysql8["db.system"], mysql8["log.level"]) == (0, "mysql", "Note")
    assert json.loads(mysql8["labels"])["error_code"] == "MY-010926"
    assert (old["_ts"].isoformat(), old["source.ip"]) == ("2024-10-27T00:40:58", None)
    assert json.loads(old["labels"])["client_host"] == "app01.hds.local"


def test_aborted_connection() -> None:
    (event,) = parse(
        "2024-10-27  0:41:34 5531207 [Warning] Aborted connection 5531207 to db: 'mediboard' user: 'mediboard' "
        "host: '10.10.1.21' (Got an error reading communication packets)\n"
    )
    assert (event["event.action"], event["event.outcome"], event["db.operation"]) == (
        "db_disconnect",
        "failure",
        "DISCONNECT",
    )
    assert (event["db.user"], event["db.name"], event["source.ip"]) == ("mediboard", "mediboard", "10.10.1.21")
    assert event["event.reason"] == "Got an error reading communication packets"


def test_placeholders_of_unauthenticated_connections_are_not_names() -> None:
    (event,) = parse(
        "2024-10-27T00:41:34.5+01:00 13 [Note] Aborted connection 13 to db: 'unconnected' user: 'unauthenticated' "
        "host: '10.10.1.99' (Got an error reading communication packets)\n"
    )
    assert (event["db.user"], event["db.name"], event["_offset"]) == (None, None, 3600)


def test_other_lines_are_kept_with_their_continuation() -> None:
    server, error = parse(
        "2024-10-26 18:00:02 0 [Note] /usr/sbin/mariadbd: ready for connections.\n"
        "Version: '10.11.6-MariaDB-0+deb12u1-log'  socket: '/run/mysqld/mysqld.sock'  port: 3306  Debian 12\n"
        "2024-10-27  3:00:00 0 [ERROR] mariadbd: Table './mediboard/user_log' is marked as crashed\n"
    )
    assert server["event.action"] == "log_message" and server["db.connection_id"] is None
    assert server["message"].endswith("port: 3306  Debian 12")
    assert error["event.action"] == "server_error" and error["log.level"] == "ERROR"


_PIECES = st.sampled_from(
    ["2024-10-27T00:41:03.123456Z", "2024-10-27  0:41:03", "241027  0:41:03", " ", "\t", "12", " 0 ", "[Note]",
     "[ERROR]", "[MY-010914]", "[Server]", "[", "]", "x", "Access denied", "\n", "é", "  "]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=9).map("".join), min_size=1, max_size=10))
def test_line_split_reads_what_the_whole_line_regex_reads(texts: list[str]) -> None:
    """The message taken after ``HEAD``'s match is the one ``LINE`` captures, on any text."""
    records = pl.DataFrame({"_rec": list(range(len(texts))), "text": texts})
    want_ok, want_bad = split_match(records, LINE)
    got_ok, got_bad = split_lines(records)
    assert got_ok.to_dicts() == want_ok.to_dicts()
    assert got_bad.to_dicts() == want_bad.to_dicts()
