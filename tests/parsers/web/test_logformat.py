"""The format compiler: directive mapping decisions, pasted config lines, split layouts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.web.logformat import compile_apache, compile_nginx


def _slots(fmt: str, nginx: bool = False) -> list[str]:
    compiled = compile_nginx(fmt) if nginx else compile_apache(fmt)
    return [s.name for s in compiled.slots]


def _parse(name: str, fmt: str, line: str) -> dict:
    parser = get_parser(name, {"log_format": fmt})
    result = parser.parse(records_from_text(line, parser), {})
    assert result.rejects.height == 0, result.rejects.to_dicts()
    return result.events.row(0, named=True)


def test_apache_directive_roles() -> None:
    assert _slots('%h %l %u %t "%r" %>s %b') == [
        "peer",
        "label:ident",
        "user",
        "time_clf",
        "time_zone",
        "request",
        "status",
        "bytes_body",
    ]
    # %{c}a is the TCP peer once mod_remoteip rewrote %a into the client
    assert _slots("%a %{c}a") == ["client", "peer"]
    assert _slots("%h %a") == ["peer", "label:remote_ip"]
    # the final status wins; the original one is kept as a label
    assert _slots("%s %>s") == ["label:status_original", "status"]
    # body bytes fill http.response.bytes; %O (with headers) then goes to labels
    assert _slots("%b %O %I") == ["bytes_body", "label:bytes_sent", "bytes_in"]
    assert _slots("%O") == ["bytes_sent"]
    assert _slots("%D %{ms}T") == ["duration_us", "duration_ms"]
    assert _slots("%v %{Host}i %{X-Forwarded-For}i %{Cookie}i %{Set-Cookie}o") == [
        "vhost",
        "label:http.request.header.host",
        "forwarded",
        "label:http.request.header.cookie",
        "label:http.response.header.set-cookie",
    ]
    assert _slots("%{Host}i") == ["host_header"]
    assert _slots("%p %{remote}p %A %P %{tid}P") == [
        "server_port",
        "client_port",
        "local_ip",
        "label:process.pid",
        "label:process.thread.id",
    ]
    assert _slots("%400,501{User-agent}i %!200{Referer}i %<s") == ["user_agent", "referrer", "status"]


def test_apache_nicknames_and_pasted_lines() -> None:
    assert compile_apache("vhost_combined").source.startswith("%v:%p %h")
    pasted = r'LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined'
    assert compile_apache(pasted).source == '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"'
    assert compile_apache("'%h %t'").source == "%h %t"


def test_layouts() -> None:
    assert compile_apache("combined").layout is not None
    assert compile_apache("vhost_combined").layout is not None  # %v:%p split at the last ':'
    assert compile_apache('"%m %U%q %H"').layout is None  # several fields in one quoted segment


def test_remoteip_mapping() -> None:
    row = _parse("apache.access", "%a %{c}a %t", "203.0.113.45 10.10.0.5 [25/Oct/2024:03:25:07 +0200]")
    assert row["source.ip"] == "203.0.113.45"
    assert row["network.peer_ip"] == "10.10.0.5"
    # the client the server resolved stands in for the X-Forwarded-For it did not log
    assert row["network.forwarded_ip"] == "203.0.113.45"


REMOTEIP = '%a %{c}a %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"'


@pytest.mark.parametrize(
    ("line", "client", "peer", "chain"),
    [
        # real Apache 2.4.71 lines (tests/data/real/apache2-2.4.71/remoteip_access.log):
        # XFF 203.0.113.7 sent from the trusted proxy address; mod_remoteip used it and
        # logged what was left of the header: nothing
        (
            '203.0.113.7 127.0.0.1 - - [29/Nov/2026:04:18:53 +0100] "GET / HTTP/1.1" 200 269 "-" "sqlmap/1.7.2" "-"',
            "203.0.113.7",
            "127.0.0.1",
            "203.0.113.7",
        ),
        # from an untrusted peer the header is left alone and %a is the peer
        (
            '127.0.0.23 127.0.0.23 - - [29/Nov/2026:04:18:53 +0100] "GET / HTTP/1.1" 200 269 "-" "x" "203.0.113.7"',
            "127.0.0.23",
            "127.0.0.23",
            "203.0.113.7",
        ),
        # a chain of which mod_remoteip used the right-most address
        (
            '192.0.2.44 10.0.0.5 - - [29/Nov/2026:04:18:53 +0100] "GET / HTTP/1.0" 200 1 "-" "x" "198.51.100.99"',
            "192.0.2.44",
            "10.0.0.5",
            "198.51.100.99, 192.0.2.44",
        ),
    ],
)
def test_remoteip_header_gets_back_what_mod_remoteip_used(line: str, client: str, peer: str, chain: str) -> None:
    row = _parse("apache.access", REMOTEIP, line)
    assert (row["source.ip"], row["network.peer_ip"], row["network.forwarded_ip"]) == (client, peer, chain)


def test_nginx_realip_header_is_left_whole() -> None:
    # nginx's realip module does not edit $http_x_forwarded_for
    row = _parse(
        "nginx.access",
        '$remote_addr $realip_remote_addr [$time_local] "$request" "$http_x_forwarded_for"',
        '203.0.113.7 10.0.0.5 [29/Nov/2026:04:18:53 +0100] "GET / HTTP/1.1" "203.0.113.7"',
    )
    assert (row["source.ip"], row["network.peer_ip"], row["network.forwarded_ip"]) == (
        "203.0.113.7",
        "10.0.0.5",
        "203.0.113.7",
    )


@pytest.mark.parametrize(
    ("fmt", "line", "utc"),
    [
        ("%{%Y-%m-%d %H:%M:%S %z}t", "2024-10-27 02:30:00 +0100", "2024-10-27 01:30:00"),
        ("[%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t]", "[27/Oct/2024 02:30:00.123 +0200]", "2024-10-27 00:30:00.123"),
        ("%{sec}t", "1729992600", "2024-10-27 01:30:00"),
        ("%{msec}t", "1729992600123", "2024-10-27 01:30:00.123"),
        ("%{usec}t", "1729992600123456", "2024-10-27 01:30:00.123456"),
        ("%t", "[27/Oct/2024:02:30:00 +0100]", "2024-10-27 01:30:00"),
    ],
)
def test_apache_times(fmt: str, line: str, utc: str) -> None:
    row = _parse("apache.access", f'{fmt} "%r"', f'{line} "GET / HTTP/1.1"')
    assert row["_ts"] - timedelta(seconds=row["_offset"]) == datetime.fromisoformat(utc)


def test_naive_strftime_time_has_no_offset() -> None:
    row = _parse("apache.access", '%{%Y-%m-%d %H:%M:%S}t "%r"', '2024-10-27 02:30:00 "GET / HTTP/1.1"')
    assert row["_offset"] is None
    assert row["time.original"] == "2024-10-27 02:30:00"


def test_end_time_is_said() -> None:
    row = _parse("apache.access", '%{end:%Y-%m-%d %H:%M:%S}t "%r"', '2024-10-27 02:30:00 "GET / HTTP/1.1"')
    assert row["timestamp_desc"] == "Request completed"


def test_request_in_pieces() -> None:
    row = _parse("apache.access", '%t "%m %U%q %H" %>s', '[27/Oct/2024:02:30:00 +0100] "GET /a?b=%E9 HTTP/1.1" 200')
    assert (row["http.request.method"], row["url.original"], row["url.query"]) == ("GET", "/a?b=%E9", "b=é")


def test_unknown_headers_go_to_labels() -> None:
    row = _parse(
        "apache.access",
        '%h %t "%r" "%{X-Api-Key}i" "%{Location}o" %{UNIQUE_ID}e',
        '1.2.3.4 [27/Oct/2024:02:30:00 +0100] "GET / HTTP/1.1" "k\\"ey" "/login" Zx3',
    )
    assert json.loads(row["labels"]) == {
        "http.request.header.x-api-key": 'k"ey',
        "http.response.header.location": "/login",
    }
    # mod_unique_id's id is the request id the application sees: a schema column
    assert row["http.request.id"] == "Zx3"


def test_nginx_variables() -> None:
    fmt = (
        "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n"
        "                '$status $body_bytes_sent \"$http_referer\" '\n"
        '                \'"$http_user_agent" "$http_x_forwarded_for" $request_time $upstream_response_time\';'
    )
    assert _slots(fmt, nginx=True) == [
        "peer",
        "user",
        "time_clf",
        "time_zone",
        "request",
        "status",
        "bytes_body",
        "referrer",
        "user_agent",
        "forwarded",
        "duration_s",
        "label:upstream_response_time",
    ]
    row = _parse(
        "nginx.access",
        fmt,
        '1.2.3.4 - - [27/Oct/2024:00:15:33 +0000] "GET /x\\x22y HTTP/1.1" 200 5 "-" "UA" "5.6.7.8, 9.9.9.9" 0.250 0.248',
    )
    assert row["url.original"] == '/x"y'
    assert row["event.duration"] == 250_000_000
    assert row["network.forwarded_ip"] == "5.6.7.8, 9.9.9.9"
    assert row["timestamp_desc"] == "Request completed"
    assert json.loads(row["labels"]) == {"upstream_response_time": "0.248"}


def test_nginx_request_in_pieces_and_proxy_add() -> None:
    row = _parse(
        "nginx.access",
        '$proxy_add_x_forwarded_for [$time_iso8601] "$request_method $request_uri $server_protocol" $status',
        '10.20.3.47, 203.0.113.201 [2024-10-27T00:15:33+00:00] "GET /a?b=1 HTTP/2.0" 200',
    )
    assert row["network.peer_ip"] == "203.0.113.201"
    assert row["network.forwarded_ip"] == "10.20.3.47"
    assert (row["http.request.method"], row["url.original"], row["http.version"]) == ("GET", "/a?b=1", "2.0")


def test_reject_reasons_name_the_field() -> None:
    parser = get_parser("apache.access", {"log_format": '%h %l %u %t "%r" %>s %b'})
    lines = "\n".join(
        [
            '1.2.3.4 - - [27/Oct/2024:02:30:00 +0100] "GET / HTTP/1.1" 2000 5',
            '1.2.3.4 - - [27/Oct/2024:02:30:00 +0100] "GET / HTT',
            "something else entirely",
        ]
    )
    result = parser.parse(records_from_text(lines, parser), {})
    reasons = dict(zip(result.rejects.get_column("_rec"), result.rejects.get_column("reason"), strict=True))
    assert reasons == {
        0: "unexpected text after the status",
        1: "line cut short after the request",
        2: "does not match the configured log_format",
    }


def test_nginx_format_given_to_apache_access() -> None:
    row = _parse(
        "apache.access",
        '$remote_addr [$time_local] "$request"',
        '1.2.3.4 [27/Oct/2024:00:15:33 +0000] "GET / HTTP/1.1"',
    )
    assert row["source.ip"] == "1.2.3.4"
    assert row["url.original"] == "/"


def test_format_without_time_is_refused_line_by_line() -> None:
    parser = get_parser("apache.access", {"log_format": '%h "%r" %>s'})
    result = parser.parse(records_from_text('1.2.3.4 "GET / HTTP/1.1" 200', parser), {})
    assert result.events.height == 0
    assert result.rejects.item(0, "reason").startswith("the configured log_format has no time field")


@pytest.mark.parametrize(
    ("name", "fmt", "tail"),
    [
        (
            "nginx.access",
            '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_id',
            "5f3a9c",
        ),
        (
            "nginx.access",
            '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $http_x_request_id',
            "5f3a9c",
        ),
        ("apache.access", '%h %l %u %t "%r" %>s %b %{X-Request-ID}i', "5f3a9c"),
        ("apache.access", '%h %l %u %t "%r" %>s %b %{UNIQUE_ID}e', "5f3a9c"),
    ],
)
def test_request_ids_become_http_request_id(name: str, fmt: str, tail: str) -> None:
    line = f'198.51.100.7 - - [04/Nov/2024:10:00:00 +0000] "GET /api/v1/customers?page=2 HTTP/1.1" 200 512 {tail}'
    assert _parse(name, fmt, line)["http.request.id"] == "5f3a9c"
