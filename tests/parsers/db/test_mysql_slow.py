"""mysql.slow: SET timestamp against # Time, blocks without # Time, cut blocks, admin commands."""

from __future__ import annotations

import json
from pathlib import Path

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from tests.golden import parse_file

PARSER = get_parser("mysql.slow")

BLOCK = """# Time: 241027  0:41:33
# User@Host: mediboard[mediboard] @ app01.hds.local [10.10.1.21]
# Thread_id: 5531207  Schema: mediboard  QC_hit: No
# Query_time: 27.514902  Lock_time: 0.000094  Rows_sent: 5873  Rows_examined: 2210488
# Rows_affected: 0  Bytes_sent: 2870112
SET timestamp=1729982466;
SELECT * FROM `patients` WHERE (`patient_id` IN ('31877','31880'));
"""


def parse(text: str, state: dict | None = None) -> tuple[list[dict], list[str]]:
    result = PARSER.parse(records_from_text(text, PARSER), {} if state is None else state)
    return result.events.sort("_rec").to_dicts(), result.rejects.get_column("reason").to_list()


def test_set_timestamp_wins_and_time_header_is_kept() -> None:
    (event,), rejects = parse(BLOCK)
    assert rejects == []
    assert event["_ts"].isoformat() == "2024-10-26T22:41:06" and event["_offset"] == 0
    assert event["time.original"] == "1729982466" and event["timestamp_desc"] == "Query started"
    labels = json.loads(event["labels"])
    assert labels["time_header"] == "241027  0:41:33"
    assert labels["Bytes_sent"] == "2870112" and labels["QC_hit"] == "No"
    assert event["event.duration"] == 27_514_902_000
    assert (event["db.rows_returned"], event["db.rows_examined"]) == (5873, 2210488)
    assert (event["db.user"], event["db.name"], event["db.connection_id"]) == ("mediboard", "mediboard", 5531207)
    assert event["source.ip"] == "10.10.1.21" and labels["client_host"] == "app01.hds.local"
    assert event["db.system"] == "mariadb"
    assert event["db.query.text"] == "SELECT * FROM `patients` WHERE (`patient_id` IN ('31877','31880'));"


def test_without_set_timestamp_the_time_header_is_used() -> None:
    (naive,), _ = parse(BLOCK.replace("SET timestamp=1729982466;\n", ""))
    assert naive["_ts"].isoformat() == "2024-10-27T00:41:33" and naive["_offset"] is None
    assert naive["timestamp_desc"] == "Query logged"
    iso = BLOCK.replace("241027  0:41:33", "2024-10-26T22:41:33.123456Z").replace("SET timestamp=1729982466;\n", "")
    (utc,), _ = parse(iso)
    assert utc["_ts"].isoformat() == "2024-10-26T22:41:33.123456" and utc["_offset"] == 0
    assert utc["db.system"] == "mariadb"  # QC_hit is MariaDB's


def test_block_without_any_time_takes_the_previous_header_across_chunks() -> None:
    state: dict = {}
    parse(BLOCK.replace("SET timestamp=1729982466;\n", ""), state)
    no_time = BLOCK.replace("# Time: 241027  0:41:33\n", "").replace("SET timestamp=1729982466;\n", "")
    (event,), _ = parse(no_time, state)
    assert event["time.original"] == "241027  0:41:33"
    assert event["tags"] == ["time_from_previous_block"]


def test_block_starts_at_user_host_when_there_is_no_time_line() -> None:
    text = BLOCK + BLOCK.replace("# Time: 241027  0:41:33\n", "")
    records = records_from_text(text, PARSER)
    assert records.get_column("n_lines").to_list() == [7, 6]


def test_cut_block_at_end_of_file_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "slow.log"
    path.write_text(
        BLOCK + "# Time: 241027  0:42:00\n# User@Host: mediboard[mediboard] @  [10.10.1.21]\n# Query_time: 3"
    )
    events, rejects, manifest = parse_file(path, tmp_path, fmt="mysql.slow", tz="Europe/Paris")
    assert events.height == 1
    assert rejects.get_column("reason").to_list() == ["slow log block without a statement (cut short?)"]
    assert rejects.get_column("log.file.lines").to_list() == [3]
    assert manifest["files"][0]["final_newline"] is False


def test_administrator_command_and_use() -> None:
    events, _ = parse(
        "# User@Host: meow[meow] @  [1.2.3.8]\n# Thread_id: 5  Schema: db1\n"
        "# Query_time: 0.000002  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n"
        "# administrator command: Quit;\n"
        "# User@Host: meow[meow] @  [1.2.3.8]\n"
        "# Query_time: 0.000899  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n"
        "use archive;\nSET timestamp=1729982466;\nSELECT 1 FROM t;\n"
    )
    quit_, select = events
    assert (quit_["db.query.text"], quit_["db.operation"], quit_["db.tables"]) == (
        "administrator command: Quit", "QUIT", None,
    )  # fmt: skip
    assert (select["db.name"], select["db.query.text"], select["db.tables"]) == ("archive", "SELECT 1 FROM t;", ["t"])


def test_latin1_statement(tmp_path: Path) -> None:
    path = tmp_path / "slow.log"
    path.write_bytes(BLOCK.replace("'31877'", "'L\u00e9v\u00eaque'").encode("latin-1"))
    events, rejects, _ = parse_file(path, tmp_path, fmt="mysql.slow", tz="Europe/Paris")
    assert rejects.height == 0
    row = events.row(0, named=True)
    assert "'Lévêque'" in row["db.query.text"] and "latin1_decoded" in row["tags"]


def test_microseconds_of_the_time_header_are_kept() -> None:
    """MySQL 8: ``# Time:`` is the UTC end with microseconds, ``SET timestamp`` the start second."""
    events, rejects = parse(
        "# Time: 2025-03-02T10:15:09.250000Z\n"
        "# User@Host: ward_app[ward_app] @  [192.0.2.41]  Id:    12\n"
        "# Query_time: 2.100000  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 40\n"
        "SET timestamp=1740910507;\n"
        "SELECT name FROM beds, LATERAL (SELECT 1) x;\n"
        "# Time: 2025-03-02T10:15:20.500000Z\n"
        "# User@Host: ward_app[ward_app] @  [192.0.2.41]  Id:    12\n"
        "# Query_time: 0.100000  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 40\n"
        "SET timestamp=1740910500;\n"
        "SELECT 2;\n"
    )
    assert rejects == []
    precise, inconsistent = events
    # 10:15:09.25 - 2.1 s = 10:15:07.15, inside the SET timestamp second (1740910507 = 10:15:07)
    assert precise["_ts"].isoformat() == "2025-03-02T10:15:07.150000"
    assert precise["tags"] == ["start_from_time_header"]
    # an end that does not fall back into the SET timestamp second leaves the whole second alone
    assert inconsistent["_ts"].isoformat() == "2025-03-02T10:15:00"
    assert inconsistent["tags"] == []
