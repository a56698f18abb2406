"""nginx's real output (tests/data/real/nginx-*): every line parsed, and the events match the workload.

The oracle is ``capture.json`` (the workload's ledger), never the logs themselves.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polars as pl
import pytest

from forensics.config import SourceConfig
from tests.real.helpers import (
    Ingested,
    assert_in_window,
    assert_no_rejects,
    assert_requests_match,
    capture_dir,
    count,
    expected_client,
    file_lines,
    ingest_capture,
    load_capture,
    nginx_escape,
    xff_list,
)

FOLDER = capture_dir("nginx-")
CAPTURE = load_capture(FOLDER)
ZONE = CAPTURE["server_timezone"]
FORMATS = CAPTURE["config"]["log_formats"]
ATTACKER = CAPTURE["addresses"]["attacker"]
ACCESS_FILES = [f["path"] for f in CAPTURE["files"] if f["kind"] == "nginx_access"]
ROTATED = CAPTURE["rotation"]["access.log"]["oldest_first"]
#: formats whose logged X-Forwarded-For is the header the client sent (nginx is the edge)
XFF_FORMATS = {name for name, fmt in FORMATS.items() if "$http_x_forwarded_for" in fmt}


def _sources(combined_format: bool = False) -> list[SourceConfig]:
    """As an investigator with nginx.conf would configure the case.

    ``combined`` is nginx's built-in format, read by default; ``main`` is custom and is
    given exactly as the server interpreted it.  ``combined_format`` also passes the
    built-in one explicitly.
    """
    combined = {"log_format": FORMATS["combined"]} if combined_format else {}
    return [
        SourceConfig(
            path="access_main.log", format="nginx.access", timezone=ZONE, options={"log_format": FORMATS["main"]}
        ),
        SourceConfig(path="access.log*", format="nginx.access", timezone=ZONE, options=combined),
        SourceConfig(path="error.log", format="nginx.error", timezone=ZONE),
    ]


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_capture(FOLDER, tmp_path_factory.mktemp("nginx"), _sources(), capture=CAPTURE)


def _requests(path: str) -> list[dict]:
    """The ledger requests one access log records: by rotation phase, or all for the unrotated log."""
    nginx = [r for r in CAPTURE["requests"] if r["target"].startswith("nginx_")]
    if path in ROTATED:
        phase = ROTATED.index(path) + 1  # oldest file = phase 1
        return [r for r in nginx if r["nginx_log_phase"] == phase]
    return nginx


def _format_of(path: str) -> str:
    return next(f["log_format"] for f in CAPTURE["files"] if f["path"] == path)


def test_zero_rejects_and_every_line_accounted_for(got: Ingested) -> None:
    assert_no_rejects(got)
    assert {r["path"] for r in got.manifest["files"]} == {f["path"] for f in CAPTURE["files"]}
    for entry in CAPTURE["files"]:
        report = got.report(entry["path"])
        assert report["lines_read"] == entry["lines"], entry["path"]
        assert report["parser"] == ("nginx.error" if entry["kind"] == "nginx_error" else "nginx.access")
        assert report["time_flags"] == {}, entry["path"]


def test_event_original_is_the_line_as_written(got: Ingested) -> None:
    for entry in CAPTURE["files"]:
        events = got.file(entry["path"])
        assert events.get_column("event.original").to_list() == file_lines(FOLDER / entry["path"]), entry["path"]
        assert events.get_column("log.file.line").to_list() == list(range(1, entry["lines"] + 1))


def test_times_inside_the_capture_window_with_the_right_zone(got: Ingested) -> None:
    assert_in_window(got.events, CAPTURE, "nginx")
    for path in ACCESS_FILES:  # $time_local carries its offset
        ev = got.file(path)
        assert set(ev.get_column("time.zone_source").to_list()) == {"record"}, path
        assert set(ev.get_column("time.zone").to_list()) == {"+01:00"}, path
    errors = got.file("error.log")  # naive local time: the server zone from capture.json
    assert set(errors.get_column("time.zone_source").to_list()) == {"source"}
    assert set(errors.get_column("time.zone").to_list()) == {ZONE}


@pytest.mark.parametrize("path", ACCESS_FILES)
def test_access_counts_match_the_ledger(got: Ingested, path: str) -> None:
    events = got.file(path)
    expected = dict(got.file_entry(path)["expected"])
    user = pl.col("user.name").is_not_null()
    status = pl.col("http.response.status_code")
    counters = {
        "http_requests": pl.lit(True),
        "post_requests": pl.col("http.request.method") == "POST",
        "head_requests": pl.col("http.request.method") == "HEAD",
        "basic_auth_attempts": user,
        "basic_auth_failures": user & (status == 401),
        "basic_auth_successes": user & (status < 400),
        "requests_from_attacker_ip": pl.col("source.ip") == ATTACKER,
    }
    if _format_of(path) in XFF_FORMATS:
        counters["requests_with_client_xff"] = pl.col("network.forwarded_ip").is_not_null()
    # A request nginx refuses with 400 is logged before its headers are read ("-" for the
    # User-Agent), so the log cannot tell which requests were sent without one; the
    # per-request test compares the User-Agent of every other request.
    not_in_log = {"requests_sent_without_user_agent"}
    if _format_of(path) not in XFF_FORMATS:
        not_in_log.add("requests_with_client_xff")  # combined logs no X-Forwarded-For
    for key in list(expected):
        m = re.fullmatch(r"http_(\d{3})", key)
        if m:
            counters[key] = status == int(m.group(1))
    unchecked = set(expected) - set(counters) - not_in_log
    assert not unchecked, f"capture.json has counts this test does not check: {unchecked}"
    for key, predicate in counters.items():
        assert count(events, predicate) == expected.pop(key), f"{path}: {key}"
    # every status the log holds is one the ledger counted
    assert set(events.get_column("http.response.status_code").unique().to_list()) == {
        int(k[5:]) for k in got.file_entry(path)["expected"] if re.fullmatch(r"http_\d{3}", k)
    }


def test_totals_match_the_ledger(got: Ingested) -> None:
    # access_main.log is never rotated: it holds all the requests of the rotated set
    main = got.file("access_main.log")
    rotated = pl.concat([got.file(p) for p in ROTATED])
    totals = CAPTURE["expected"]
    assert main.height == rotated.height == totals["http_requests"]
    for code in (401, 404, 500):
        n = totals[f"http_{code}"]
        assert count(main, pl.col("http.response.status_code") == code) == n
        assert count(rotated, pl.col("http.response.status_code") == code) == n
    failures = pl.col("user.name").is_not_null() & (pl.col("http.response.status_code") == 401)
    assert count(main, failures) == count(rotated, failures) == totals["basic_auth_failures"]
    via_proxy = [r for r in CAPTURE["requests"] if r["target"] == "nginx_proxy"]
    assert len(via_proxy) == totals["requests_via_proxy"]


@pytest.mark.parametrize("path", ACCESS_FILES)
def test_each_request_decoded_as_sent(got: Ingested, path: str) -> None:
    assert_requests_match(
        got.file(path),
        _requests(path),
        escape=nginx_escape,
        source_ip=lambda r: r["source_ip"],  # nginx is the edge: $remote_addr is the client
        http_version=lambda r: r["protocol"].removeprefix("HTTP/"),
        what=path,
    )


def test_hostile_strings_decoded(got: Ingested) -> None:
    hostile = CAPTURE["hostile"]
    ev = got.file("access_main.log")

    def one(predicate: pl.Expr) -> dict:
        rows = ev.filter(predicate).to_dicts()
        assert len(rows) == 1, predicate
        return rows[0]

    for key in ("user_agent_xss", "user_agent_backslash", "user_agent_utf8"):
        row = one(pl.col("user_agent.original") == hostile[key])
        assert nginx_escape(hostile[key]) in row["event.original"]
    assert (
        '"Mozilla/5.0 \\x22><script>alert(1)</script>"'
        in one(pl.col("user_agent.original") == hostile["user_agent_xss"])["event.original"]
    )
    assert one(pl.col("user.name") == hostile["basic_auth_user_with_double_quote"])["event.original"].startswith(
        "127.0.0.23 - bob\\x22smith ["
    )
    xss = one(pl.col("url.original") == hostile["url_xss"])
    assert (xss["url.path"], xss["url.query"]) == ("/search", "q=<script>alert(1)</script>")
    quote = one(pl.col("url.original") == hostile["url_double_quote"])
    assert quote["url.query"] == 'q=say+"hello"&x=1'
    assert "/search?q=say+\\x22hello\\x22&x=1" in quote["event.original"]
    latin1 = one(pl.col("url.original") == hostile["url_latin1_percent_encoded"])
    assert latin1["url.query"] == "q=café"  # %E9 is not UTF-8: read as latin-1
    assert "/search?q=caf%E9 " in latin1["event.original"]
    raw_query = one(pl.col("url.original") == hostile["url_utf8_raw_in_query"])
    assert raw_query["url.query"] == "q=café"
    assert "/search?q=caf\\xC3\\xA9 " in raw_query["event.original"]
    raw_path = one(pl.col("url.original") == hostile["url_utf8_raw_in_path"])
    assert raw_path["url.path"] == "/café/menu.html"
    assert "/caf\\xC3\\xA9/menu.html" in raw_path["event.original"]
    traversal = one(pl.col("url.original") == hostile["url_encoded_traversal"])
    assert traversal["url.path"] == "/static/../../../etc/passwd"
    assert traversal["http.response.status_code"] == 400
    long = hostile["url_long_query"]
    value = "0123456789" * (long["value_length"] // 10)
    row = one(pl.col("url.original").str.starts_with(long["prefix"] + "0123"))
    assert len(row["url.original"]) == long["request_target_length"]
    assert row["url.query"] == "q=" + value
    assert row["url.original"] in row["event.original"]
    assert "line_truncated" not in row["tags"]
    # the TLS ClientHello: nginx logs the bytes it read as \xHH; no method, no URL
    tls = one(pl.col("event.original").str.contains(r'"\\x16\\x03\\x01', literal=False))
    assert tls["http.request.method"] is None and tls["url.original"] is None
    assert tls["http.response.status_code"] == 400


def test_forwarded_for_per_request(got: Ingested) -> None:
    # nginx is the edge here (no trusted proxy in front of it): $remote_addr is the client,
    # and the logged X-Forwarded-For is exactly what the client sent.
    ev = got.file("access_main.log")
    requests = _requests("access_main.log")
    spoofed = set(CAPTURE["xff"]["spoofed_values_sent"])
    seen = set()
    for e, r in zip(ev.iter_rows(named=True), requests, strict=True):
        sent = r["xff_sent_by_client"]
        assert e["network.forwarded_ip"] == sent, r["n"]
        assert e["network.forwarded_first"] == (xff_list(sent)[0] if sent else None), r["n"]
        assert e["source.ip"] == e["network.peer_ip"] == r["source_ip"], r["n"]
        assert "xff_spoof_candidate" not in e["tags"]  # nothing trusted: nothing to compare with
        if sent:
            seen.add(sent)
            assert sent in e["related.ip"] or xff_list(sent)[0] in e["related.ip"]
    assert seen == spoofed


def test_forwarded_for_with_a_trusted_proxy(tmp_path: Path) -> None:
    # The same log read in a case that trusts 127.0.0.1 as a proxy: a client at an untrusted
    # address cannot move source.ip with a header it wrote, and is tagged for it.
    trusted = {"127.0.0.1"}
    got = ingest_capture(
        FOLDER,
        tmp_path,
        _sources(),
        capture=CAPTURE,
        trusted_proxies=tuple(trusted),
        only=lambda p: p == "access_main.log",
    )
    assert_no_rejects(got)
    ev = got.file("access_main.log")
    tagged = 0
    for e, r in zip(ev.iter_rows(named=True), _requests("access_main.log"), strict=True):
        chain = [*xff_list(r["xff_sent_by_client"]), r["source_ip"]]
        assert e["source.ip"] == expected_client(chain, trusted), r["n"]
        spoof = r["xff_sent_by_client"] is not None and r["source_ip"] not in trusted
        assert ("xff_spoof_candidate" in e["tags"]) == spoof, r["n"]
        tagged += spoof
    assert tagged == 3  # the attacker's three spoofed requests through the proxy


def test_rotated_files_read_in_order(got: Ingested) -> None:
    source = got.source("access.log")
    assert source["files"] == ROTATED  # oldest first
    assert got.report("access.log.2.gz")["compression"] == "gzip"
    spans = []
    for path in ROTATED:
        ev = got.file(path)
        assert set(ev.get_column("log.source").to_list()) == {"access.log"}
        spans.append((ev.get_column("@timestamp").min(), ev.get_column("@timestamp").max()))
    for (_, last), (first, _) in itertools.pairwise(spans):
        assert last < first, spans
    # the error log says when nginx reopened its logs (SIGUSR1): each rotated file's
    # events lie between two reopenings
    errors = got.file("error.log")
    reopen = errors.filter(pl.col("event.reason").str.contains("(SIGUSR1) received", literal=True))
    times = reopen.get_column("@timestamp").to_list()
    assert len(times) == sum(1 for a in CAPTURE["rotation"]["access.log"]["actions"] if a.startswith("access.log ->"))
    bounds = [None, *times, None]
    for (first, last), lo, hi in zip(spans, bounds, bounds[1:], strict=False):
        assert lo is None or lo <= first
        assert hi is None or last <= hi


def test_error_log_counts_match_the_ledger(got: Ingested) -> None:
    ev = got.file("error.log")
    expected = dict(got.file_entry("error.log")["expected"])
    reason = pl.col("event.reason")
    private = (pl.col("url.path") == "/private/") & (pl.col("source.ip") == ATTACKER)
    counters = {
        "auth_no_credentials": private
        & (reason == "no user/password was provided for basic authentication")
        & (pl.col("log.level") == "info"),
        "auth_user_not_found": private
        & reason.str.contains(r'^user ".*" was not found in "')
        & (pl.col("log.level") == "error"),
        "auth_password_mismatch": private
        & (reason == 'user "alice": password mismatch')
        & (pl.col("log.level") == "error"),
        "open_failed_404": reason.str.contains(r'^open\(\) ".*" failed \(2: No such file or directory\)$'),
    }
    assert set(expected) == set(counters)
    for key, predicate in counters.items():
        assert count(ev, predicate) == expected[key], key
    # the unknown users, quote included, as the message says them
    not_found = ev.filter(reason.str.contains("was not found", literal=True)).get_column("event.reason").to_list()
    hostile = CAPTURE["hostile"]
    assert [m.split('" was not found')[0].removeprefix('user "') for m in not_found] == [
        hostile["basic_auth_unknown_user"],
        hostile["basic_auth_user_with_double_quote"],
    ]
    # the 404s nginx served itself (not through the proxy) are the files it failed to open
    missing = {r["request_target"] for r in CAPTURE["requests"] if r["target"] == "nginx_origin" and r["status"] == 404}
    opened = ev.filter(counters["open_failed_404"].fill_null(False))
    assert set(opened.get_column("url.original").to_list()) == missing
    assert set(opened.get_column("event.action").to_list()) == {"server_error"}
    # the readiness probes: connections opened and closed without a request
    probes = CAPTURE["readiness_probes"]
    closed = count(ev, reason == "client closed connection while waiting for request")
    assert closed == probes["nginx_origin"] + probes["nginx_proxy"]


@pytest.mark.parametrize("path", [p for p in ACCESS_FILES if _format_of(p) == "combined"])
def test_explicit_combined_format_reads_the_same(got: Ingested, path: str, tmp_path: Path) -> None:
    # combined is read by default; giving nginx's own format string must change nothing
    explicit = ingest_capture(
        FOLDER, tmp_path, _sources(combined_format=True), capture=CAPTURE, only=lambda p: p == path
    )
    assert_no_rejects(explicit)
    assert explicit.file(path).to_dicts() == got.file(path).to_dicts()
