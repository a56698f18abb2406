"""W3C variants: raw spaces, quoted values, cs-uri and s-reason, and the FTP service's log."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from forensics.intake.detect import detect_file
from forensics.intake.reader import records_from_text
from parsers.base import get_parser

DATA = Path(__file__).resolve().parents[2] / "data" / "web" / "iis_w3c"


def _parse(name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    parser = get_parser("iis.w3c")
    result = parser.parse(records_from_text((DATA / name).read_bytes(), parser), {})
    return result.events.sort("_rec"), result.rejects


@pytest.mark.parametrize(
    "name",
    ["httperr.log", "advanced_logging.log", "incapsula.log", "oracle_webcache.log", "spaces_in_values.log", "ftp.log"],
)
def test_detected_as_w3c(name: str) -> None:
    assert detect_file(DATA / name).parser == "iis.w3c"


def test_raw_spaces_go_back_to_the_free_text_field() -> None:
    events, rejects = _parse("spaces_in_values.log")
    first = events.row(0, named=True)
    assert first["user_agent.original"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert (first["http.response.status_code"], first["event.duration"]) == (200, 15_000_000)
    assert first["tags"] == ["line_irregular"] and events.row(1, named=True)["tags"] == []
    assert rejects.get_column("reason").to_list() == ["6 values but the #Fields: header names 15"]


def test_quoted_values() -> None:
    events, rejects = _parse("advanced_logging.log")
    assert rejects.height == 0
    first = events.row(0, named=True)
    assert str(first["_ts"]) == "2025-07-22 17:45:51.120000" and first["_offset"] is None  # local time
    assert first["url.query"] == 'q="x"' and first["user_agent.original"] == "Mozilla/5.0 (X11; Linux x86_64)"
    events, _ = _parse("incapsula.log")
    assert events.get_column("url.domain").to_list() == ["shop.example.org"] * 2
    assert events.get_column("url.path").to_list() == ["/login", "/p"]
    events, _ = _parse("oracle_webcache.log")
    assert events.get_column("user_agent.original").to_list()[1] == "Nikto/2.5.0"


def test_cs_uri_and_s_reason() -> None:
    events, _ = _parse("httperr.log")
    row = events.row(0, named=True)
    assert row["url.original"] == "/x?y=%27%20OR%201=1" and row["url.path"] == "/x"
    assert row["event.reason"] == "BadRequest"
    assert events.get_column("event.reason").to_list()[1] == "Timer_ConnectionIdle"


def test_ftp_log_gives_ftp_events_not_http_requests() -> None:
    events, rejects = _parse("ftp.log")
    assert rejects.height == 0
    assert "http_request" not in events.get_column("event.action").to_list()
    assert events.get_column("event.action").to_list() == [
        "log_message", "log_message", "login_failed", "login", "log_message", "logout"
    ]  # fmt: skip
    assert not {"http.response.status_code", "url.original", "http.request.method"} & set(events.columns)
    assert all(t == ["iis_ftp"] for t in events.get_column("tags").to_list())
    assert events.row(2, named=True)["user.name"] == "administrator"
