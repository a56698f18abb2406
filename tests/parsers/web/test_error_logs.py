"""Web error logs: Apache ErrorLogFormat with ISO times, nginx records cut at 2048 bytes, basic-auth users."""

from __future__ import annotations

import polars as pl

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.web.nginx_error import CUT_BYTES


def _parse(name: str, text: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    parser = get_parser(name)
    result = parser.parse(records_from_text(text, parser), {})
    return result.events.sort("_rec"), result.rejects


def test_apache_iso_time_is_its_own_record_with_its_time() -> None:
    text = (
        "[Tue Jul 22 15:45:50.100000 2025] [core:notice] [pid 10:tid 11] AH00094: Command line: 'apache2'\n"
        "[2025-07-22 15:45:51.323610] [auth_basic:error] [pid 1234:tid 140] [client 192.0.2.10:51234] "
        "AH01618: user mallory not found: /admin\n"
        "[2025-07-22 15:45:52] [auth_basic:error] [pid 1234:tid 140] [client 192.0.2.10:51236] "
        'AH01617: user alice: authentication failure for "/admin": Password Mismatch'
    )
    events, rejects = _parse("apache.error", text)
    assert rejects.height == 0 and events.height == 3  # not glued into the record above
    rows = events.to_dicts()
    assert str(rows[1]["_ts"]) == "2025-07-22 15:45:51.323610"
    assert rows[1]["time.original"] == "2025-07-22 15:45:51.323610"
    assert [r["user.name"] for r in rows] == [None, "mallory", "alice"]
    assert rows[1]["source.ip"] == "192.0.2.10" and rows[1]["source.port"] == 51234


def test_nginx_record_cut_at_2048_bytes_keeps_what_is_there_and_says_so() -> None:
    head = (
        '2025/07/22 15:45:51 [error] 812#812: *33 open() "/srv/x" failed (2: No such file or directory), '
        'client: 198.51.100.23, server: shop.example.org, request: "GET /?q='
    )
    cut = (head + "%27%20OR%201%3D1--" * 200)[:CUT_BYTES]
    whole = (
        '2025/07/22 15:45:52 [error] 812#812: *34 user "alice": password mismatch, client: 192.0.2.10, '
        'server: shop.example.org, request: "GET /admin HTTP/1.1", host: "shop.example.org"'
    )
    events, rejects = _parse("nginx.error", cut + "\n" + whole)
    assert rejects.height == 0
    first, second = events.to_dicts()
    assert first["tags"] == ["message_truncated"]
    assert first["source.ip"] == "198.51.100.23"
    assert first["http.request.method"] == "GET" and first["url.original"].startswith("/?q=%27%20OR")
    assert first["event.reason"] == 'open() "/srv/x" failed (2: No such file or directory)'
    assert second["tags"] is None and second["user.name"] == "alice" and second["url.path"] == "/admin"


def test_nginx_user_not_found() -> None:
    line = (
        '2025/07/22 15:45:50 [error] 812#812: *31 user "mallory" was not found in "/etc/nginx/.htpasswd", '
        'client: 192.0.2.10, server: shop.example.org, request: "GET /admin HTTP/1.1", host: "shop.example.org"'
    )
    events, _ = _parse("nginx.error", line)
    assert events.get_column("user.name").to_list() == ["mallory"]
