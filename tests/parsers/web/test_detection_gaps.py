"""Access logs read without a config: ISO times, key=value extras, an IP before the peer, odd client values."""

from __future__ import annotations

import json

import polars as pl

from forensics.intake.detect import detect_sample
from forensics.intake.reader import records_from_text
from forensics.netaddr import NetworkSet, resolve_client
from parsers.base import get_parser

ISO = (
    '192.0.2.{i} - - [2025-07-22T15:45:{s:02d}+02:00] "GET /p/{i} HTTP/1.1" 200 {i} "-" "Mozilla/5.0" '
    'rt=0.{i:03d} xff_in="{xff}"'
)


def _parse(lines: list[str]) -> pl.DataFrame:
    parser = get_parser("apache.access")
    result = parser.parse(records_from_text("\n".join(lines), parser), {})
    assert result.rejects.height == 0, result.rejects
    return result.events.sort("_rec")


def test_nginx_time_iso8601_with_extras_is_detected_and_read() -> None:
    lines = [ISO.format(i=i, s=i % 60, xff="-" if i % 2 else "198.51.100.9") for i in range(1, 40)]
    assert detect_sample("\n".join(lines).encode(), "access.log").parser == "apache.access"
    events = _parse(lines)
    first, second = events.row(0, named=True), events.row(1, named=True)
    assert str(first["_ts"]) == "2025-07-22 15:45:01" and first["_offset"] == 7200
    assert first["time.original"] == "2025-07-22T15:45:01+02:00"
    assert first["event.duration"] == 1_000_000  # rt=0.001 s
    assert first["network.forwarded_ip"] is None and second["network.forwarded_ip"] == "198.51.100.9"
    assert json.loads(second["labels"])["extras"] == 'rt=0.002 xff_in="198.51.100.9"'


def test_iso_and_clf_lines_mixed_in_one_file() -> None:
    lines = [
        ISO.format(i=1, s=1, xff="-"),
        '192.0.2.2 - - [22/Jul/2025:15:45:02 +0200] "GET /x HTTP/1.1" 200 5 "-" "Mozilla/5.0"',
        '192.0.2.3 - - [2025-07-22T13:45:03Z] "GET /y HTTP/1.1" 404 0',
    ]
    events = _parse(lines)
    assert events.get_column("_offset").to_list() == [7200, 7200, 0]


def test_a_constant_ip_before_varying_peers_is_the_server_not_a_client() -> None:
    lines = [
        f'192.0.2.80 198.51.100.{i} - - [22/Jul/2025:15:45:0{i} +0200] "GET / HTTP/1.1" 200 5 "-" "UA"'
        for i in range(1, 6)
    ]
    events = _parse(lines)
    assert set(events.get_column("destination.ip")) == {"192.0.2.80"}
    assert events.get_column("network.forwarded_ip").null_count() == 5
    assert events.get_column("source.ip").to_list() == [f"198.51.100.{i}" for i in range(1, 6)]


def test_varying_ips_before_one_peer_are_forwarded_clients() -> None:
    lines = [
        f'198.51.100.{i} 10.0.0.5 - - [22/Jul/2025:15:45:0{i} +0200] "GET / HTTP/1.1" 200 5 "-" "UA"'
        for i in range(1, 6)
    ]
    events = _parse(lines)
    assert events.get_column("network.forwarded_ip").to_list() == [f"198.51.100.{i}" for i in range(1, 6)]
    assert events.get_column("destination.ip").null_count() == 5


def test_client_values_that_are_not_bare_ips() -> None:
    tail = ' - - [22/Jul/2025:15:45:51 +0200] "GET / HTTP/1.1" 200 5 "-" "UA"'
    events = _parse([f"{who}{tail}" for who in ("unix:", "localhost", "127.0.0.1:80", "[2001:db8::7]:443", "::1")])
    assert events.get_column("source.ip").to_list() == [None, None, "127.0.0.1", "2001:db8::7", "::1"]
    assert events.get_column("network.peer_ip").to_list() == [None, None, "127.0.0.1", "2001:db8::7", "::1"]
    assert events.get_column("source.port").to_list() == [None, None, 80, 443, None]
    moved = [json.loads(v)["source.address"] if v else None for v in events.get_column("labels").to_list()]
    assert moved == ["unix:", "localhost", None, None, None]


def test_client_resolution_skips_values_that_are_not_addresses() -> None:
    trusted = NetworkSet(["10.0.0.0/8"])
    assert resolve_client("unix:", "198.51.100.4, localhost", trusted) == "198.51.100.4"
    assert resolve_client("localhost", "localhost", trusted) is None
    assert resolve_client("10.0.0.5", "203.0.113.7:5100", trusted) == "203.0.113.7"
