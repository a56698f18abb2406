"""Requests holding raw double quotes (attack payloads the server did not escape) are events."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import parsers.web.access as access_mod
from forensics.intake.reader import records_from_text
from parsers.base import get_parser

LINES = [
    '203.0.113.50 - - [22/Jul/2025:15:45:51 +0200] "GET /q?x=<script>alert("t")</script> HTTP/1.0" 404 1164',
    '203.0.113.50 - - [22/Jul/2025:15:45:52 +0200] "GET /${("a"+"b")}/x.action HTTP/1.0" 404 209 "-" "Mozilla/5.0"',
    '192.0.2.14 - alice [22/Jul/2025:15:45:54 +0200] "GET /index.html HTTP/1.1" 200 2326 "-" "Mozilla/5.0"',
]


def _parse(name: str, options: dict[str, Any], lines: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    parser = get_parser(name, options)
    result = parser.parse(records_from_text("\n".join(lines), parser), {})
    events = result.events.sort("_rec") if result.events.height else result.events
    return events, result.rejects


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("apache.access", {}),
        ("apache.access", {"log_format": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'}),
        ("nginx.access", {"log_format": "combined"}),
    ],
)
def test_raw_quotes_in_the_request_are_events_flagged_irregular(name: str, options: dict[str, Any]) -> None:
    lines = LINES if not options else [line for line in LINES if line.endswith('"')]
    events, rejects = _parse(name, options, lines)
    assert rejects.height == 0 and events.height == len(lines)
    by_url = {r["url.original"]: r for r in events.iter_rows(named=True)}
    if not options:
        hit = by_url['/q?x=<script>alert("t")</script>']
        assert hit["http.response.status_code"] == 404 and hit["http.response.bytes"] == 1164
        assert hit["tags"] == ["line_irregular"]
    hit = by_url['/${("a"+"b")}/x.action']
    assert (hit["http.request.method"], hit["http.version"], hit["http.response.status_code"]) == ("GET", "1.0", 404)
    assert hit["user_agent.original"] == "Mozilla/5.0" and "line_irregular" in hit["tags"]
    assert "line_irregular" not in (by_url["/index.html"]["tags"] or [])


def test_only_refused_lines_take_the_lenient_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vectorised split pass keeps every regular line; the fallback sees only the irregular one."""
    seen: list[int] = []
    original = access_mod.regex_extract

    def spy(df: pl.DataFrame, regex: str, groups: dict[str, str], irregular: bool = False):  # type: ignore[no-untyped-def]
        if irregular:
            seen.append(df.height)
        return original(df, regex, groups, irregular)

    monkeypatch.setattr(access_mod, "regex_extract", spy)
    regular = [LINES[2].replace("2326", str(i)) for i in range(500)]
    events, rejects = _parse("apache.access", {}, [*regular, LINES[1]])
    assert events.height == 501 and rejects.height == 0
    assert seen == [1]


def test_address_fields_are_never_read_leniently() -> None:
    """A quote cannot slip trailing garbage into the forwarded chain (client IP resolution reads it)."""
    line = '10.10.0.5 - - [24/Oct/2024:08:01:05 +0200] "GET / HTTP/1.1" 200 10 "-" "x" 12 "192.0.2.4" junk'
    events, rejects = _parse("apache.access", {}, [line])
    assert events.height == 0 and rejects.height == 1
