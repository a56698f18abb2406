"""The request line split into method, target and version, whatever characters the target holds.

Servers that do not escape bytes above 0x7F (nginx with ``escape=none``, proxies, the
simulator's logs) write a search for ``Bénard`` as it is.  Lengths of such a target differ in
bytes and in characters, and polars' ``str.find`` changed from bytes (up to 2.1) to characters
(2.2): the split once cut ``/q?nom=Bénard HTTP/1.1`` into ``/q?nom=Bénar`` and ``d HTTP/1.1``
under one of them.  These tests hold the split to what the line says under any of them.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.web.common import with_request

TARGETS = ["/mediboard/index.php?m=dPpatients&nom=Bénard", "/q?nom=Lévêque&x=ü", "/données/été", "/日本/語?q=é", "/a"]


def _split(requests: list[str | None]) -> list[tuple[Any, Any, Any]]:
    lf = pl.LazyFrame({"r": requests}, schema={"r": pl.String})
    out = with_request(lf, "r").collect()
    return list(zip(out["http.request.method"], out["url.original"], out["http.version"], strict=True))


def test_a_target_with_characters_of_several_bytes_is_kept_whole() -> None:
    got = _split([f"GET {t} HTTP/1.1" for t in TARGETS] + [f"POST {t}" for t in TARGETS])
    assert got == [("GET", t, "1.1") for t in TARGETS] + [("POST", t, None) for t in TARGETS]


def test_what_is_not_a_request_line_gives_nulls() -> None:
    # a method that is not a token, no target, nothing but a version, a TLS handshake
    got = _split(["GÉT /é HTTP/1.1", "GET HTTP/1.1", "GET  HTTP/1.1", "\\x16\\x03\\x01é", "-", None])
    assert got == [(None, None, None)] * 6


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["GET", "POST", "PROPFIND", "M-SEARCH"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=25).filter(
        lambda t: not t.startswith(" ") and "HTTP/" not in t and t.strip() == t
    ),
    st.sampled_from(["", " HTTP/1.0", " HTTP/1.1", " HTTP/2.0"]),
)
def test_the_split_gives_back_the_parts_of_the_line(method: str, target: str, version: str) -> None:
    assert _split([f"{method} {target}{version}"]) == [(method, target, version[6:] or None)]


@pytest.mark.parametrize(
    ("name", "options", "line"),
    [
        (
            "apache.access",
            {},
            '192.0.2.14 - - [22/Jul/2025:15:45:54 +0200] "GET {t} HTTP/1.1" 200 2326 "-" "Mozilla/5.0"',
        ),
        (
            "nginx.access",
            {"log_format": "combined"},
            '192.0.2.14 - - [22/Jul/2025:15:45:54 +0200] "GET {t} HTTP/1.1" 200 2326 "-" "Mozilla/5.0"',
        ),
        (
            "traefik.access",
            {},
            '192.0.2.14 - - [22/Jul/2025:15:45:54 +0200] "GET {t} HTTP/1.1" 200 2326 "-" "Mozilla/5.0" 7 '
            '"web@docker" "http://10.0.0.5:80" 12ms',
        ),
    ],
)
def test_access_logs_keep_the_target_as_written(name: str, options: dict[str, Any], line: str) -> None:
    parser = get_parser(name, options)
    lines = [line.replace("{t}", t) for t in TARGETS]
    result = parser.parse(records_from_text("\n".join(lines), parser), {})
    assert result.rejects.height == 0
    events = result.events.sort("_rec")
    assert events.get_column("url.original").to_list() == TARGETS
    assert events.get_column("http.version").to_list() == ["1.1"] * len(TARGETS)
    assert events.get_column("url.path").to_list() == [t.split("?")[0] for t in TARGETS]
