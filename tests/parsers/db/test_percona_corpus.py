"""percona-toolkit's general and slow log samples against the records its own tests expect.

Expected records are read from ``t/lib/GeneralLogParser.t`` and ``t/lib/SlowLogParser.t``
(see ``perl_data``).  Compared: timestamps, thread ids, users, hosts/IPs, databases,
Rows_sent and the statement text.  The parser is called directly (not through the
engine) because several samples have no timestamp at all, which the engine rightly
rejects; the engine path is covered by the goldens.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from tests.parsers.db.perl_data import expected_records

PERCONA = "percona+percona-toolkit/t/lib"
GENERAL_SAMPLES = ["genlog001.txt", "genlog002.txt", "genlog003.txt", "genlog004.txt", "pt-1573-general-log-system.log"]
SLOW_SAMPLES = [
    "mysql5.7.log", "slow001.txt", "slow002.txt", "microslow001.txt", "slow003.txt", "slow005.txt", "slow006.txt",
    "slow007.txt", "slow008.txt", "slow025.txt", "slow031.txt", "slow056.txt", "slow060.txt", "slow061.txt",
]  # fmt: skip


def _parse(fmt: str, path: Path) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    parser = get_parser(fmt)
    records = records_from_text(path.read_bytes(), parser)
    result = parser.parse(records, {})
    events = result.events.sort("_rec").to_dicts()
    for e in events:
        e["_labels"] = json.loads(e.get("labels") or "{}")
    return events, result.rejects


def _client(event: dict[str, Any]) -> str | None:
    """The client as percona-toolkit's ``host``: the host name when logged, else the address."""
    return event["_labels"].get("client_host") or event.get("source.ip")


def _statement(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s*;\s*$", "", text)


@pytest.mark.parametrize("sample", GENERAL_SAMPLES)
def test_general_log_sample(corpus: Path, sample: str) -> None:
    expected = expected_records((corpus / PERCONA / "GeneralLogParser.t").read_text(), sample)
    events, rejects = _parse("mysql.general", corpus / PERCONA / "samples" / "genlogs" / sample)
    assert rejects.height == 0
    assert len(events) == len(expected)
    for want, got in zip(expected, events, strict=True):
        where = f"{sample} record {want.get('pos_in_log')}"
        assert got["db.connection_id"] == int(want["Thread_id"]), where
        if want.get("ts") is not None:
            assert got["time.original"] == want["ts"], where
        else:
            assert "time_from_previous_line" in got["tags"] or got["time.original"] is None, where
        if want["cmd"] == "Query":
            assert got["_labels"]["command"] == "Query", where
            assert got["db.query.text"] == want["arg"], where
        else:
            command = want["arg"].removeprefix("administrator command: ")
            assert got["_labels"]["command"] == command.split(" for user")[0].replace("Access denied", "Connect"), where
        if "user" in want:
            assert got["db.user"] == want["user"], where
        if "host" in want:
            assert _client(got) == want["host"], where
        if "db" in want:
            assert got["db.name"] == want["db"], where


def test_general_log_57_sample_parses_whole(corpus: Path) -> None:
    """genlog005 (MySQL 5.7 ISO timestamps) has no expectations upstream: everything must parse."""
    events, rejects = _parse("mysql.general", corpus / PERCONA / "samples" / "genlogs" / "genlog005.txt")
    assert rejects.height == 0
    assert len(events) == 13
    assert {e["_offset"] for e in events} == {0}
    assert events[0]["db.user"] == "phpmyadmin" and events[0]["event.action"] == "db_connect"


@pytest.mark.parametrize("sample", SLOW_SAMPLES)
def test_slow_log_sample(corpus: Path, sample: str) -> None:
    expected = expected_records((corpus / PERCONA / "SlowLogParser.t").read_text(), sample)
    events, rejects = _parse("mysql.slow", corpus / PERCONA / "samples" / "slowlogs" / sample)
    assert rejects.height == 0
    assert len(events) == len(expected)
    for want, got in zip(expected, events, strict=True):
        where = f"{sample} record {want.get('pos_in_log')}"
        labels = got["_labels"]
        if want.get("timestamp") is not None:  # SET timestamp wins
            assert got["time.original"] == want["timestamp"], where
            assert got["_offset"] == 0, where
        if want.get("ts") is not None:
            header = labels.get("time_header") or got["time.original"]
            assert re.sub(r"\s+", " ", header).startswith(re.sub(r"\s+", " ", want["ts"])), where
        if want.get("Thread_id") is not None:
            assert got["db.connection_id"] == int(want["Thread_id"]), where
        if want.get("user") is not None:
            assert got["db.user"] == want["user"].strip("[]"), where
        if want.get("ip"):
            assert got["source.ip"] == want["ip"], where
        if want.get("host"):
            assert _client(got) == want["host"], where
        if want.get("Rows_sent") is not None:
            assert got["db.rows_returned"] == int(want["Rows_sent"]), where
        if want.get("Schema"):
            assert got["db.name"] == want["Schema"], where
        elif want.get("db"):
            assert got["db.name"] == want["db"], where
        if want.get("arg") and want["arg"] != "/* No query */":
            assert _statement(got["db.query.text"]) == want["arg"], where
