"""HAProxy's real output (tests/data/real/haproxy-*): option httpslog and a custom log-format.

The oracle is ``capture.json`` (the workload's ledger: what was sent through each
frontend and what the client got back), never the logs themselves.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import polars as pl
import pytest

from forensics.config import SourceConfig
from forensics.intake.detect import detect_file
from tests.real.helpers import (
    Ingested,
    assert_in_window,
    assert_no_rejects,
    capture_dir,
    file_lines,
    ingest_capture,
    ledger_time,
    load_capture,
)

FOLDER = capture_dir("haproxy-")
CAPTURE = load_capture(FOLDER)
ZONE = CAPTURE["server_timezone"]
CUSTOM = CAPTURE["config"]["custom_log_format"]


def _expected(path: str) -> list[dict[str, Any]]:
    entry = next(f for f in CAPTURE["files"] if f["path"] == path)
    return entry["expected"]["requests"]


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    # httpslog needs no configuration (detected); the custom log-format is given, as from haproxy.cfg
    return ingest_capture(
        FOLDER,
        tmp_path_factory.mktemp("haproxy"),
        [
            SourceConfig(path="haproxy.log", timezone=ZONE),
            SourceConfig(
                path="haproxy_custom.log", format="haproxy.http", timezone=ZONE, options={"log_format": CUSTOM}
            ),
        ],
    )


def test_every_line_is_read(got: Ingested) -> None:
    assert_no_rejects(got)
    assert got.report("haproxy.log")["parser"] == "haproxy.http"


def test_httpslog_is_detected_without_a_config() -> None:
    assert detect_file(FOLDER / "haproxy.log").parser == "haproxy.http"


@pytest.mark.parametrize("path", ["haproxy.log", "haproxy_custom.log"])
def test_requests_match_the_ledger(got: Ingested, path: str) -> None:
    events = got.file(path)
    requests = events.filter(pl.col("event.action") == "http_request")
    ledger = _expected(path)
    assert requests.height == len(ledger), (path, requests.height, len(ledger))
    for e, r in zip(requests.iter_rows(named=True), ledger, strict=True):
        where = f"{path} line {e['log.file.line']} (ledger request {r['n']})"
        assert e["http.response.status_code"] == r["status"], where
        assert e["source.ip"] == r["source_ip"], where
        if r["status"] == 400:  # HAProxy refused it before reading a request: <BADREQ>
            assert e["url.original"] is None, where
            continue
        assert e["http.request.method"] == r["method"], where
        assert e["url.original"] == r["request_target"], where  # raw quotes back from #22
        assert e["event.outcome"] == ("failure" if r["status"] >= 400 else "success"), where
        sent = ledger_time(r)
        assert timedelta(seconds=-1) <= e["@timestamp"] - sent < timedelta(seconds=2), where
        extra = json.loads(e["labels"])["haproxy.extra"]
        if path == "haproxy_custom.log":
            assert extra == f"[capture.req.hdr(0)]={r['user_agent']}", where
        else:
            assert "[ssl_fc_sni]=-" in extra, where  # plain HTTP: no TLS fields
    # the lines that are not requests are HAProxy's own messages (proxies stopping)
    others = events.filter(pl.col("event.action") != "http_request")
    assert set(others.get_column("event.action")) <= {"log_message"}
    assert events.height == len(file_lines(FOLDER / path))


def test_times_are_in_the_capture_window(got: Ingested) -> None:
    for path in ("haproxy.log", "haproxy_custom.log"):
        assert_in_window(got.file(path), CAPTURE, path)


def test_attack_payloads_are_decoded_and_kept_as_written(got: Ingested) -> None:
    events = got.file("haproxy.log")
    hit = events.filter(pl.col("url.original") == '/q?x=<script>alert("t")</script>').row(0, named=True)
    assert "alert(#22t#22)" in hit["event.original"]
    assert hit["source.ip"] == CAPTURE["addresses"]["attacker"]
