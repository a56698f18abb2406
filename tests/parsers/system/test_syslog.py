"""syslog: goldens (RFC 3164, RFC 5424, rsyslog ISO), .gz, corpus, year handling, every line accounted for."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from forensics.schema import ACTIONS
from parsers.base import get_parser
from tests.golden import IDENTITY_FIELDS, check_golden, parse_file, rows

DATA = Path(__file__).resolve().parents[2] / "data" / "system"
ELASTIC_AUTH = "elastic+examples/Machine Learning/Security Analytics Recipes/suspicious_login_activity/data/auth.log"
FILEBEAT_AUTH = "elastic+beats/filebeat/module/system/auth/test/test.log"
CASES = ["auth.log", "rfc5424.log", "secure"]
#: Decided by the time module for yearless records (the year): kept out of the yearless golden,
#: whose parser side (``_ts`` and the ``year_missing`` flag) is tested directly below.
ENGINE_TIME = ("@timestamp", "time.recorded", "time.flags", "time.earliest", "time.latest")


def _parse(path: Path) -> pl.DataFrame:
    parser = get_parser("syslog")
    return parser.parse(records_from_text(path.read_bytes(), parser), {}).events.sort("_rec")


@pytest.mark.parametrize("case", CASES)
def test_golden_and_gz(case: str, tmp_path: Path, update_goldens: bool) -> None:
    src = DATA / case
    events, rejects, manifest = parse_file(src, tmp_path, tz="Europe/Paris")
    assert manifest["files"][0]["parser"] == "syslog"
    report = manifest["files"][0]
    assert report["lines_read"] == report["lines_in_events"] + report["lines_rejected"]
    assert set(events.get_column("event.action").unique().to_list()) <= set(ACTIONS) & set(get_parser("syslog").actions)
    drop = IDENTITY_FIELDS + (ENGINE_TIME if case == "auth.log" else ())
    events = events.sort("log.file.line")  # file order: the yearless order depends on the inferred year
    check_golden(DATA / f"{case}.golden.jsonl", rows(events, drop=drop), update_goldens)
    gz = tmp_path / f"{case}.gz"
    gz.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    events_gz, rejects_gz, _ = parse_file(gz, tmp_path, tz="Europe/Paris")
    assert rows(events_gz.sort("log.file.line"), drop=drop) == rows(events, drop=drop)
    assert rejects_gz.get_column("reason").to_list() == rejects.get_column("reason").to_list()


def test_auth_log_actions() -> None:
    events = _parse(DATA / "auth.log")
    by_line = {r["_rec"] + 1: r for r in events.to_dicts()}
    expected = {
        1: ("login", "success", "adm.interop", "203.0.113.45"),
        3: ("privilege_use", "success", "adm.interop", None),
        5: ("account_created", "success", "support.xtrem", None),
        6: ("password_changed", "success", "support.xtrem", None),
        7: ("permission_changed", "success", "support.xtrem", None),
        9: ("password_changed", "success", "support.xtrem", None),
        10: ("password_changed", "failure", "ghost", None),
        11: ("permission_changed", "success", "support.xtrem", None),
        12: ("login_failed", "failure", "admin", "203.0.113.10"),
        14: ("login_failed", "failure", None, "203.0.113.10"),
        15: ("login_failed", "failure", "admin", "203.0.113.10"),
        16: ("login_failed", "failure", "root", "203.0.113.11"),
        18: ("login_failed", "failure", "root", "203.0.113.11"),
        19: ("login_failed", "failure", "\x1b[31mevil<script>", "203.0.113.12"),
        20: ("login_failed", "failure", "", "203.0.113.12"),
        21: ("privilege_use", "failure", "intern", None),
        22: ("privilege_use", "failure", "intern", None),
        23: ("privilege_use", "success", "adm.interop", None),
        25: ("logout", "success", "adm.interop", None),
        26: ("log_message", "unknown", None, None),
    }
    for line, (action, outcome, user, ip) in expected.items():
        row = by_line[line]
        got = (row["event.action"], row["event.outcome"], row["user.name"], row["source.ip"])
        assert got == (action, outcome, user, ip), (line, got)
    assert by_line[21]["event.reason"] == "3 incorrect password attempts"
    assert json.loads(by_line[18]["labels"])["repeated"] == 5
    assert by_line[15]["tags"] == ["invalid_user"] and by_line[14]["tags"] == ["pam"]
    assert by_line[26]["log.level"] == "info" and json.loads(by_line[26]["labels"])["facility"] == 10
    assert by_line[29]["source.ip"] == "2001:db8::5"


def test_rfc3164_has_no_year_and_says_so() -> None:
    """The parser writes the year 2000 and flags it; the time module supplies the year."""
    events = _parse(DATA / "auth.log")
    first, after = events.row(0, named=True), events.row(2, named=True)
    assert first["_ts"] == datetime(2000, 12, 31, 23, 59, 58) and first["time.original"] == "Dec 31 23:59:58"
    assert after["_ts"] == datetime(2000, 1, 1, 0, 0, 3) and after["time.original"] == "Jan  1 00:00:03"
    assert all(f == ["year_missing"] for f in events.get_column("time.flags").to_list())
    assert events.get_column("_offset").null_count() == events.height
    feb29 = events.filter(pl.col("time.original") == "Feb 29 12:00:00")
    assert feb29.height == 1  # the year 2000 is a leap year, so Feb 29 parses


def test_new_year_is_inferred_end_to_end(tmp_path: Path) -> None:
    """Across New Year in file order the year goes up by one (done by the time module)."""
    events, _, _ = parse_file(DATA / "auth.log", tmp_path, tz="Europe/Paris", options={"year": 2023})
    flags = set(events.get_column("time.flags").explode().drop_nulls().to_list())
    assert "year_inferred" in flags and "year_missing" not in flags
    local = events.sort("log.file.line").get_column("time.original")
    years = events.sort("log.file.line").get_column("@timestamp").dt.convert_time_zone("Europe/Paris").dt.year()
    assert local[0].startswith("Dec 31") and local[2].startswith("Jan  1")
    assert (years[0], years[2]) == (2023, 2024)  # the configured year of the first record, then New Year


def test_rfc5424_and_iso_stamps_carry_their_offset() -> None:
    events = _parse(DATA / "rfc5424.log")
    assert events.get_column("_offset").to_list() == [3600, 0, 3600, 3600]
    sudo = events.row(1, named=True)
    assert sudo["user.name"] == "support.xtrem"  # the BOM before the message is dropped
    assert json.loads(sudo["labels"])["structured_data"].startswith('[meta sequenceId="1"')
    iso = _parse(DATA / "secure")
    assert iso.get_column("_offset").to_list() == [3600, 7200, 3600]
    assert iso.get_column("event.action").to_list() == ["login", "login_failed", "privilege_use"]


def test_rejects_name_the_problem(tmp_path: Path) -> None:
    _, rejects, _ = parse_file(DATA / "auth.log", tmp_path, fmt="syslog")
    assert dict(zip(rejects.get_column("log.file.line").to_list(), rejects.get_column("reason").to_list())) == {
        30: "unreadable or missing time",
        31: "not a syslog line",
    }
    _, rejects, _ = parse_file(DATA / "rfc5424.log", tmp_path, fmt="syslog")
    assert rejects.get_column("log.file.line").to_list() == [4]


def test_elastic_auth_log_corpus(corpus: Path, tmp_path: Path) -> None:
    path = corpus / ELASTIC_AUTH
    events, rejects, manifest = parse_file(path, tmp_path)
    report = manifest["files"][0]
    assert report["parser"] == "syslog"  # detected, not forced
    assert report["lines_read"] == 7121
    assert rejects.height == 0 and events.height == 7121
    counts = dict(events.group_by("event.action").len().iter_rows())
    assert counts["login"] == 226  # 190 password + 36 publickey "Accepted" lines
    assert counts["account_created"] == 10
    assert events.filter(pl.col("event.action") == "login").get_column("source.ip").null_count() == 0


def test_filebeat_system_auth_corpus(corpus: Path, tmp_path: Path) -> None:
    events, rejects, manifest = parse_file(corpus / FILEBEAT_AUTH, tmp_path)
    assert manifest["files"][0]["parser"] == "syslog"
    assert rejects.height == 0 and events.height == 10
    got = events.sort("log.file.line").select("event.action", "event.outcome", "user.name", "source.ip").rows()
    assert got == [
        ("login", "success", "vagrant", "10.0.2.2"),
        ("login", "success", "vagrant", "192.168.33.1"),
        ("login_failed", "failure", "test", "10.0.2.2"),
        ("login_failed", "failure", "root", "216.160.83.57"),
        ("privilege_use", "success", "vagrant", None),
        ("log_message", "unknown", None, "2.125.160.217"),
        ("privilege_use", "success", "vagrant", None),
        ("privilege_use", "failure", "tsg", None),
        ("log_message", "unknown", None, None),
        ("account_created", "success", "apache", None),
    ]


_LINE = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda mon, day, user, ip, junk: (
            f"{mon} {day:2d} 12:00:00 host sshd[1]: Failed password for {user} from {ip} port 22{junk}"
        ),
        st.sampled_from(["Jan", "Feb", "Mar", "Dec", "Foo"]),
        st.integers(0, 40),
        st.text(max_size=20),
        st.sampled_from(["1.2.3.4", "::1", "x"]),
        st.text(max_size=10),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=15))
def test_every_line_is_an_event_or_a_reject(lines: list[str]) -> None:
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    parser = get_parser("syslog")
    records = records_from_text("\n".join(lines), parser)
    result = parser.parse(records, {})
    seen = set(result.events.get_column("_rec").to_list()) | set(result.rejects.get_column("_rec").to_list())
    assert seen == set(records.get_column("_rec").to_list())
    assert set(result.events.get_column("_rec").to_list()).isdisjoint(result.rejects.get_column("_rec").to_list())
