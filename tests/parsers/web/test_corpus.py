"""Conformance with logs written by others (``../shared/corpus``): Filebeat and Elastic samples.

Filebeat's expectations are compared field by field, matched on ``log.offset``.  Its test
harness reads zone-less logs (error logs) in ``-02:00``, so those files are read with
``Etc/GMT+2``.  Documented differences, checked rather than skipped:

* Apache writes ``-`` for a zero ``%b``; Filebeat drops the field, we record 0 bytes.
* IIS logs the query in its own field: Filebeat's ``url.original`` is ``cs-uri-stem``
  alone, ours is the request target ``stem?query`` (as in every other access log), so
  Filebeat's value is compared with the part before ``?``.
* Filebeat's nginx module picks the first public address of a forwarded list; we resolve
  the client as mod_remoteip does (right-most untrusted of XFF + peer), which gives the
  same answers with the private ranges and CloudFront's ``204.246.0.0/16`` trusted.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.golden import parse_file

FILEBEAT = "elastic+beats/filebeat/module"
PRIVATE = ("10.0.0.0/8", "127.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "204.246.0.0/16")


def _expected(corpus: Path, rel: str) -> list[dict[str, Any]]:
    return json.loads((corpus / FILEBEAT / rel).read_text(encoding="utf-8"))


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _by_offset(events: pl.DataFrame) -> dict[int, dict[str, Any]]:
    return {row["log.offset"]: row for row in events.to_dicts()}


def _same_instant(ours: datetime, theirs: str) -> None:
    # Filebeat keeps milliseconds
    assert ours.replace(microsecond=ours.microsecond // 1000 * 1000) == _instant(theirs)


def _check_access(ours: dict[str, Any], exp: dict[str, Any], raw_line: str) -> None:
    _same_instant(ours["@timestamp"], exp["@timestamp"])
    if "source.ip" in exp or "source.address" not in exp:
        assert ours["source.ip"] == exp.get("source.ip")
    else:  # a host name (HostnameLookups) is no IP: Filebeat and we keep it as source.address
        assert ours["source.ip"] is None
        assert json.loads(ours["labels"])["source.address"] == exp["source.address"]
    method = exp.get("http.request.method")
    assert (ours["http.request.method"] or "").lower() == (method or "").lower()
    assert ours["http.response.status_code"] == exp.get("http.response.status_code")
    body = exp.get("http.response.body.bytes")
    if body is None and re.search(r'"(?: \d{3})? -(?: |$)', raw_line):
        body = 0  # CLF "-" is zero bytes
    assert ours["http.response.bytes"] == body
    assert ours["user_agent.original"] == (
        exp.get("user_agent.original") if exp.get("user_agent.original") != "-" else None
    )


@pytest.mark.parametrize("name", ["test.log", "test-vhost.log", "ssl-request.log"])
def test_filebeat_apache_access(corpus: Path, tmp_path: Path, name: str) -> None:
    path = corpus / FILEBEAT / "apache/access/test" / name
    events, rejects, _ = parse_file(path, tmp_path, fmt="apache.access")
    assert rejects.height == 0
    expected = _expected(corpus, f"apache/access/test/{name}-expected.json")
    got = _by_offset(events)
    # test.log has one more line (a vhost one) than its expectation file
    assert {e["log.offset"] for e in expected} <= set(got)
    assert len(got) == sum(1 for line in path.read_text().splitlines() if line.strip())
    for exp in expected:
        ours = got[exp["log.offset"]]
        _check_access(ours, exp, ours["event.original"])
        assert ours["url.original"] == exp.get("url.original")
        if "url.query" in exp:
            assert ours["url.query"] == exp["url.query"]
        if "destination.domain" in exp:
            assert ours["url.domain"] == exp["destination.domain"]


@pytest.mark.parametrize("fmt", ["apache.access", "nginx.access"])
def test_filebeat_nginx_access(corpus: Path, tmp_path: Path, fmt: str) -> None:
    path = corpus / FILEBEAT / "nginx/access/test/test.log"
    events, rejects, _ = parse_file(path, tmp_path, fmt=fmt, trusted_proxies=PRIVATE)
    assert rejects.height == 0
    expected = _expected(corpus, "nginx/access/test/test.log-expected.json")
    got = _by_offset(events)
    assert sorted(got) == sorted(e["log.offset"] for e in expected)
    for exp in expected:
        ours = got[exp["log.offset"]]
        assert ours["event.original"] == exp["event.original"]
        _check_access(ours, exp, ours["event.original"])
        assert ours["url.original"] == exp.get("url.original")


def test_filebeat_iis(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILEBEAT / "iis/access/test/test.log"
    events, rejects, manifest = parse_file(path, tmp_path, fmt="iis.w3c")
    assert rejects.height == 0
    assert manifest["files"][0]["lines_meta"] == 12
    expected = _expected(corpus, "iis/access/test/test.log-expected.json")
    got = _by_offset(events)
    assert sorted(got) == sorted(e["log.offset"] for e in expected)
    for exp in expected:
        ours = got[exp["log.offset"]]
        _check_access(ours, exp, ours["event.original"])
        assert ours["url.original"].split("?", 1)[0] == exp["url.original"]
        assert ours["url.query"] == exp.get("url.query")
        assert ours["event.duration"] == exp["event.duration"]
        assert ours["http.request.bytes"] == exp.get("http.request.body.bytes")
        assert ours["url.domain"] == exp.get("url.domain")


def test_filebeat_apache_error(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILEBEAT / "apache/error/test/test.log"
    events, rejects, _ = parse_file(path, tmp_path, fmt="apache.error", tz="Etc/GMT+2")
    assert rejects.height == 0
    expected = _expected(corpus, "apache/error/test/test.log-expected.json")
    got = _by_offset(events)
    assert sorted(got) == sorted(e["log.offset"] for e in expected)
    for exp in expected:
        ours = got[exp["log.offset"]]
        _same_instant(ours["@timestamp"], exp["@timestamp"])
        assert ours["source.ip"] == exp.get("source.ip")
        assert ours["source.port"] == (int(exp["source.port"]) if "source.port" in exp else None)
        assert ours["log.level"] == exp["log.level"]
        assert ours["message"] == exp["message"]
        assert ours["event.original"] == exp["event.original"]


def test_filebeat_nginx_error(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILEBEAT / "nginx/error/test/error.log"
    events, rejects, manifest = parse_file(path, tmp_path, fmt="nginx.error", tz="Etc/GMT+2")
    assert rejects.height == 0
    assert manifest["files"][0]["lines_read"] == 6
    expected = _expected(corpus, "nginx/error/test/error.log-expected.json")
    assert events.height == len(expected) == 4
    got = _by_offset(events)
    for exp in expected:
        ours = got[exp["log.offset"]]
        _same_instant(ours["@timestamp"], exp["@timestamp"])
        assert ours["log.level"] == exp["log.level"]
        assert ours["message"] == exp["message"]
        assert json.loads(ours["labels"])["nginx.connection_id"] == str(exp["nginx.error.connection_id"])
    assert got[500]["log.file.lines"] == 3


def test_filebeat_haproxy(corpus: Path, tmp_path: Path) -> None:
    path = corpus / FILEBEAT / "haproxy/log/test/haproxy.log"
    events, rejects, _ = parse_file(path, tmp_path, fmt="haproxy.http")
    assert rejects.height == 0
    assert events.height == 10
    assert set(events.get_column("event.action")) == {"http_request"}
    first = events.sort("log.offset").row(0, named=True)
    assert first["source.ip"] == "1.2.3.4"
    assert first["source.port"] == 38862
    assert first["http.response.status_code"] == 304
    assert first["url.original"] == "/component---src-pages-index-js-4b15624544f97cf0bb8f.js"
    assert first["time.original"] == "30/Jul/2018:09:03:52.726"


def test_elastic_apache_logs_zero_rejects(corpus: Path, tmp_path: Path) -> None:
    """10,000 combined lines: all events; line 8899 lost its closing ``)"`` and is tagged."""
    path = corpus / "elastic+examples" / "Common Data Formats" / "apache_logs" / "apache_logs"
    events, rejects, manifest = parse_file(path, tmp_path)
    assert manifest["files"][0]["parser"] == "apache.access"
    assert rejects.height == 0, rejects.get_column("reason").value_counts()
    assert events.height == 10_000
    malformed = events.filter(pl.col("tags").list.contains("line_malformed"))
    assert malformed.get_column("log.file.line").to_list() == [8899]
    row = malformed.row(0, named=True)
    assert row["user_agent.original"] == "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"
    assert row["http.response.status_code"] == 200
    assert events.get_column("source.ip").null_count() == 0
    assert events.get_column("http.request.method").null_count() == 0
