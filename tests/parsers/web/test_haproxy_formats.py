"""HAProxy: option httpslog without a config, any log-format with one."""

from __future__ import annotations

import json
import re

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.web.haproxy_format import UNDATED, compile_haproxy

HTTPSLOG_LINE = (
    "Jul 22 15:45:52 lb1 haproxy[812]: 203.0.113.66:40001 [22/Jul/2025:15:45:52.001] fe_https~ be_app/app1 "
    '0/0/1/3/4 404 153 - - ---- 1/1/0/0/0 0/0 {shop.example.org|sqlmap/1.7} "GET /q?id=1 HTTP/1.1" '
    "0/00/0/0/0 shop.example.org/TLSv1.2/ECDHE-RSA-AES128-GCM-SHA256"
)


def test_httpslog_is_a_request_with_the_accept_date_not_a_message() -> None:
    parser = get_parser("haproxy.http")
    result = parser.parse(records_from_text(HTTPSLOG_LINE, parser), {})
    row = result.events.row(0, named=True)
    assert row["event.action"] == "http_request"
    assert str(row["_ts"]) == "2025-07-22 15:45:52.001000"  # the accept date, year included
    assert (row["source.ip"], row["source.port"], row["http.response.status_code"]) == ("203.0.113.66", 40001, 404)
    assert row["url.original"] == "/q?id=1" and row["event.duration"] == 4_000_000
    extra = json.loads(row["labels"])["haproxy.extra"]
    assert "[ssl_fc_sni]=shop.example.org" in extra and "sslv=TLSv1.2" in extra


def test_configured_log_format() -> None:
    fmt = 'log-format "%ci:%cp [%t] %ft %b/%s %HM %HU %HV %ST %B %Tt %[capture.req.hdr(0)]"'
    parser = get_parser("haproxy.http", {"log_format": fmt})
    line = (
        "<134>Jul 22 15:45:51 lb1 haproxy[812]: 198.51.100.4:4444 [22/Jul/2025:15:45:51.323] fe be/s1 "
        "POST /login HTTP/1.1 403 12 7 curl/8.0"
    )
    result = parser.parse(records_from_text(line, parser), {})
    row = result.events.row(0, named=True)
    assert (row["http.request.method"], row["url.original"], row["http.version"]) == ("POST", "/login", "1.1")
    assert row["http.response.status_code"] == 403 and row["event.duration"] == 7_000_000
    assert json.loads(row["labels"])["haproxy.extra"] == "[capture.req.hdr(0)]=curl/8.0"


def test_log_format_without_a_date_is_refused_clearly_line_by_line() -> None:
    parser = get_parser("haproxy.http", {"log_format": "%ci:%cp %ST %{+Q}r"})
    line = 'Jul 22 15:45:51 lb1 haproxy[812]: 198.51.100.4:4444 403 "GET / HTTP/1.1"'
    result = parser.parse(records_from_text(line, parser), {})
    assert result.events.height == 0
    assert result.rejects.get_column("reason").to_list() == [UNDATED]


def test_log_format_from_the_case_config() -> None:
    from forensics.config import config_from_dict

    fmt = "%ci:%cp [%tr] %ft %b/%s %ST %B %Ta %{+Q}r"
    cfg = config_from_dict({"source": [{"path": "lb/*.log", "format": "haproxy.http", "log_format": fmt}]})
    assert cfg.sources[0].options == {"log_format": fmt}


def test_captured_headers_may_be_absent_with_their_space() -> None:
    fmt = compile_haproxy("%ci:%cp [%tr] %ft %b/%s %ST %B %hr %hs %{+Q}r")
    assert re.match(fmt.regex, '192.0.2.1:5 [22/Jul/2025:15:45:51.323] f b/s 200 5 "GET / HTTP/1.1"')
    assert re.match(fmt.regex, '192.0.2.1:5 [22/Jul/2025:15:45:51.323] f b/s 200 5 {h} "GET / HTTP/1.1"')
