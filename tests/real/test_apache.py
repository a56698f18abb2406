"""Apache httpd's real output (tests/data/real/apache2-*): every line parsed, events match the workload.

The oracle is ``capture.json`` (the workload's ledger), never the logs themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from forensics.config import SourceConfig
from tests.real.helpers import (
    Ingested,
    apache_escape,
    assert_in_window,
    assert_no_rejects,
    assert_requests_match,
    capture_dir,
    count,
    expected_client,
    file_lines,
    ingest_capture,
    load_capture,
    xff_list,
)

FOLDER = capture_dir("apache2-")
CAPTURE = load_capture(FOLDER)
ZONE = CAPTURE["server_timezone"]
FORMATS = CAPTURE["config"]["log_formats"]
ATTACKER = CAPTURE["addresses"]["attacker"]
#: the case trusts the proxy Apache trusts (RemoteIPTrustedProxy)
TRUSTED = (CAPTURE["config"]["remoteip"]["RemoteIPTrustedProxy"],)
ACCESS_FILES = [f["path"] for f in CAPTURE["files"] if f["kind"] == "apache_access"]
#: Apache's stock formats are read by default; the custom ones are given to the parser
STOCK = {"combined", "debian_combined", "vhost_combined"}
#: formats that log the X-Forwarded-For header
XFF_FORMATS = {name for name, fmt in FORMATS.items() if "%{X-Forwarded-For}i" in fmt}


def _format_of(path: str) -> str:
    return next(f["log_format"] for f in CAPTURE["files"] if f["path"] == path)


def _sources(stock_formats: bool = False) -> list[SourceConfig]:
    """As an investigator with apache2.conf would configure the case."""
    out = []
    for path in ACCESS_FILES:
        name = _format_of(path)
        options = {"log_format": FORMATS[name]} if name not in STOCK or stock_formats else {}
        out.append(SourceConfig(path=path, format="apache.access", timezone=ZONE, options=options))
    out.append(SourceConfig(path="error.log", format="apache.error", timezone=ZONE))
    return out


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    return ingest_capture(
        FOLDER, tmp_path_factory.mktemp("apache"), _sources(), capture=CAPTURE, trusted_proxies=TRUSTED
    )


@pytest.fixture(scope="module")
def as_logged(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """The same capture read without trusted proxies: ``source.ip`` is the client Apache logged."""
    return ingest_capture(FOLDER, tmp_path_factory.mktemp("apache-untrusted"), _sources(), capture=CAPTURE)


def _requests(path: str) -> list[dict]:
    """The ledger requests one access log records, by the virtual host the log belongs to."""
    vhost = next(f["vhost"] for f in CAPTURE["files"] if f["path"] == path)
    remoteip = {"nginx_proxy", "apache_remoteip"}  # the proxy forwards to the mod_remoteip vhost
    if vhost == "both":
        return CAPTURE["requests"]
    if vhost == "www.clinic.test":
        return [r for r in CAPTURE["requests"] if r["target"] == "apache_main"]
    return [r for r in CAPTURE["requests"] if r["target"] in remoteip]


def _version(r: dict) -> str:
    # nginx talks HTTP/1.0 to its upstream (proxy_http_version defaults to 1.0)
    return "1.0" if r["target"] == "nginx_proxy" else r["protocol"].removeprefix("HTTP/")


def _apache_client(r: dict) -> str:
    """``%a``/``%h`` as Apache logs it: the mod_remoteip client on that vhost, else the peer."""
    return r.get("expected_apache_client_ip") or r["source_ip"]


def _engine_client(r: dict) -> str:
    """The client the engine must resolve with the case's trusted proxy, from what Apache received."""
    chain = xff_list(r.get("xff_received_by_apache") or r["xff_sent_by_client"])
    return expected_client([*chain, r.get("apache_peer_ip") or r["source_ip"]], set(TRUSTED))


def test_zero_rejects_and_every_line_accounted_for(got: Ingested, as_logged: Ingested) -> None:
    assert_no_rejects(got)
    assert_no_rejects(as_logged)
    assert {r["path"] for r in got.manifest["files"]} == {f["path"] for f in CAPTURE["files"]}
    for entry in CAPTURE["files"]:
        report = got.report(entry["path"])
        assert report["lines_read"] == entry["lines"], entry["path"]
        assert report["parser"] == ("apache.error" if entry["kind"] == "apache_error" else "apache.access")
        assert report["time_flags"] == {}, entry["path"]


def test_event_original_is_the_text_as_written(got: Ingested) -> None:
    for entry in CAPTURE["files"]:
        events = got.file(entry["path"])
        written = "\n".join(file_lines(FOLDER / entry["path"]))
        assert "\n".join(events.get_column("event.original").to_list()) == written, entry["path"]


def test_times_inside_the_capture_window_with_the_right_zone(got: Ingested) -> None:
    assert_in_window(got.events, CAPTURE, "apache")
    for path in ACCESS_FILES:  # %t carries its offset
        ev = got.file(path)
        assert set(ev.get_column("time.zone_source").to_list()) == {"record"}, path
        assert set(ev.get_column("time.zone").to_list()) == {"+01:00"}, path
    errors = got.file("error.log")  # naive local time: the server zone from capture.json
    assert set(errors.get_column("time.zone_source").to_list()) == {"source"}
    assert set(errors.get_column("time.zone").to_list()) == {ZONE}
    # the error log keeps microseconds
    assert errors.get_column("@timestamp").dt.microsecond().max() > 0


@pytest.mark.parametrize("path", ACCESS_FILES)
def test_access_counts_match_the_ledger(got: Ingested, path: str) -> None:
    events = got.file(path)
    expected = dict(got.file_entry(path)["expected"])
    fmt = _format_of(path)
    user = pl.col("user.name").is_not_null()
    status = pl.col("http.response.status_code")
    counters = {
        "http_requests": pl.lit(True),
        "post_requests": pl.col("http.request.method") == "POST",
        "head_requests": pl.col("http.request.method") == "HEAD",
        "basic_auth_attempts": user,
        "basic_auth_failures": user & (status == 401),
        "basic_auth_successes": user & (status < 400),
        "requests_sent_without_user_agent": pl.col("user_agent.original").is_null(),
    }
    not_in_log = set()
    attackers = expected.get("requests_from_attacker_ip")
    if fmt in XFF_FORMATS or "remoteip" in fmt:
        counters["requests_from_attacker_ip"] = pl.col("source.ip") == ATTACKER
    else:
        # Without the header, a request through the proxy is logged with the proxy's
        # address: the log can only show the attacker's direct requests.
        proxied = sum(1 for r in _requests(path) if r["target"] == "nginx_proxy" and r["source_ip"] == ATTACKER)
        assert count(events, pl.col("source.ip") == ATTACKER) == attackers - proxied, path
        not_in_log.add("requests_from_attacker_ip")
    if fmt == "timed_xff":  # the main vhost has no proxy in front: the header is the client's
        counters["requests_with_client_xff"] = pl.col("network.forwarded_ip").is_not_null()
    else:
        # no header logged, or (remoteip) nginx adds one to every request it forwards
        not_in_log.add("requests_with_client_xff")
    for key in list(expected):
        m = re.fullmatch(r"http_(\d{3})", key)
        if m:
            counters[key] = status == int(m.group(1))
    unchecked = set(expected) - set(counters) - not_in_log
    assert not unchecked, f"capture.json has counts this test does not check: {unchecked}"
    for key, predicate in counters.items():
        assert count(events, predicate) == expected[key], f"{path}: {key}"
    assert set(events.get_column("http.response.status_code").unique().to_list()) == {
        int(k[5:]) for k in expected if re.fullmatch(r"http_\d{3}", k)
    }


def test_totals_match_the_ledger(got: Ingested) -> None:
    totals = CAPTURE["expected"]
    both = got.file("other_vhosts_access.log")  # vhost_combined: both virtual hosts
    assert both.height == totals["http_requests"]
    assert got.file("access.log").height == totals["main_vhost_requests"]
    assert got.file("remoteip_access.log").height == totals["remoteip_vhost_requests"]
    domains = both.get_column("url.domain").value_counts().sort("url.domain").rows()
    assert domains == [
        ("app.clinic.test", totals["remoteip_vhost_requests"]),
        ("www.clinic.test", totals["main_vhost_requests"]),
    ]
    status = pl.col("http.response.status_code")
    for code in (401, 404, 500):
        assert count(both, status == code) == totals[f"http_{code}"]
    failures = pl.col("user.name").is_not_null() & (status == 401)
    successes = pl.col("user.name").is_not_null() & (status < 400)
    assert count(both, failures) == totals["basic_auth_failures"]
    assert count(both, successes) == totals["basic_auth_successes"]


@pytest.mark.parametrize("path", ACCESS_FILES)
def test_each_request_decoded_as_sent(as_logged: Ingested, path: str) -> None:
    # source.ip without trusted proxies: exactly the client Apache logged (%h / %a)
    assert_requests_match(
        as_logged.file(path),
        _requests(path),
        escape=apache_escape,
        source_ip=_apache_client,
        http_version=_version,
        what=path,
    )


def test_durations_and_bytes(got: Ingested) -> None:
    timed = got.file("access_timed_xff.log")
    durations = timed.get_column("event.duration")
    assert durations.null_count() == 0 and durations.min() > 0
    # %D is microseconds; the engine stores nanoseconds
    first = timed.row(0, named=True)
    d_us = int(re.search(r'" (\d+) "[^"]*"$', first["event.original"]).group(1))
    assert first["event.duration"] == d_us * 1000
    # %b writes "-" for an empty body (the HEAD): 0 bytes; %O counts the headers too
    head = pl.col("http.request.method") == "HEAD"
    assert '" 200 - "' in got.file("access.log").filter(head).get_column("event.original").item()
    assert got.file("access.log").filter(head).get_column("http.response.bytes").to_list() == [0]
    debian = got.file("access_debian_combined.log")
    assert debian.filter(head).get_column("http.response.bytes").to_list()[0] > 0


def test_hostile_strings_decoded(got: Ingested) -> None:
    hostile = CAPTURE["hostile"]
    for path in ("access.log", "other_vhosts_access.log"):
        ev = got.file(path)

        def one(predicate: pl.Expr, ev: pl.DataFrame = ev) -> dict:
            rows = ev.filter(predicate).to_dicts()
            assert len(rows) == 1, predicate
            return rows[0]

        xss_ua = one(pl.col("user_agent.original") == hostile["user_agent_xss"])
        assert '"Mozilla/5.0 \\"><script>alert(1)</script>"' in xss_ua["event.original"]
        backslash = one(pl.col("user_agent.original") == hostile["user_agent_backslash"])
        assert '"Scanner\\\\1.0 (path C:\\\\temp) \\"quoted\\""' in backslash["event.original"]
        utf8 = one(pl.col("user_agent.original") == hostile["user_agent_utf8"])
        assert "Navigateur-Priv\\xc3\\xa9/2.0 (Zo\\xc3\\xab)" in utf8["event.original"]
        bob = one(pl.col("user.name") == hostile["basic_auth_user_with_double_quote"])
        assert ' - bob\\"smith [' in bob["event.original"]
        xss = one(pl.col("url.original") == hostile["url_xss"])
        assert (xss["url.path"], xss["url.query"]) == ("/search", "q=<script>alert(1)</script>")
        assert one(pl.col("url.original") == hostile["url_double_quote"])["url.query"] == 'q=say+"hello"&x=1'
        assert one(pl.col("url.original") == hostile["url_latin1_percent_encoded"])["url.query"] == "q=café"
        raw_query = one(pl.col("url.original") == hostile["url_utf8_raw_in_query"])
        assert raw_query["url.query"] == "q=café"
        assert "/search?q=caf\\xc3\\xa9 " in raw_query["event.original"]
        raw_path = one(pl.col("url.original") == hostile["url_utf8_raw_in_path"])
        assert raw_path["url.path"] == "/café/menu.html"
        traversal = one(pl.col("url.original") == hostile["url_encoded_traversal"])
        assert traversal["url.path"] == "/static/../../../etc/passwd"
        assert traversal["http.response.status_code"] == 404  # AH00026: %2f refused
        long = hostile["url_long_query"]
        row = one(pl.col("url.original").str.starts_with(long["prefix"] + "0123"))
        assert len(row["url.original"]) == long["request_target_length"]
        assert row["url.query"] == "q=" + "0123456789" * (long["value_length"] // 10)
        assert "line_truncated" not in row["tags"]
        # the TLS ClientHello: Apache logs the first bytes of the line it could not read
        tls = one(pl.col("event.original").str.contains('"\\x16\\x03\\x01\\x02"', literal=True))
        assert tls["http.request.method"] is None and tls["url.original"] is None
        assert tls["http.response.status_code"] == 400


def test_remoteip_as_apache_logged_it(as_logged: Ingested) -> None:
    # %a is the client mod_remoteip chose, %{c}a the TCP peer, and the header is what
    # mod_remoteip left of it ("-" once it used every address).
    ev = as_logged.file("remoteip_access.log")
    per_request = {x["n"]: x for x in CAPTURE["xff"]["per_request"]}
    requests = _requests("remoteip_access.log")
    assert sorted(r["n"] for r in requests) == sorted(per_request)
    for e, r in zip(ev.iter_rows(named=True), requests, strict=True):
        x = per_request[r["n"]]
        assert e["source.ip"] == x["expected_apache_client_ip"], r["n"]
        assert e["network.peer_ip"] == x["apache_peer_ip"], r["n"]
        left = x["expected_apache_xff_after_remoteip"]
        assert f'"{left or "-"}"' in e["event.original"], r["n"]
        # what mod_remoteip took out of the header is put back at its end
        client = x["expected_apache_client_ip"]
        chain = xff_list(left) + ([client] if client != x["apache_peer_ip"] else [])
        assert e["network.forwarded_ip"] == (", ".join(chain) or None), r["n"]
        assert e["network.forwarded_first"] == (chain[0] if chain else None), r["n"]


def test_forwarded_for_resolved_with_the_trusted_proxy(got: Ingested) -> None:
    # With RemoteIPTrustedProxy as the case's trusted proxy, the engine resolves the
    # client from the chain: the right-most address that is not the trusted proxy.
    # A header written by a client at an untrusted address cannot move source.ip, and
    # the event is tagged; one sent from the trusted address is believed, untagged.
    tagged = 0
    for path in ("remoteip_access.log", "access_timed_xff.log"):
        ev = got.file(path)
        for e, r in zip(ev.iter_rows(named=True), _requests(path), strict=True):
            assert e["source.ip"] == _engine_client(r), (path, r["n"])
            sent = r["xff_sent_by_client"]
            if sent:
                assert e["network.forwarded_first"] == xff_list(sent)[0], (path, r["n"])
            spoof = bool(sent) and r["source_ip"] not in TRUSTED
            assert ("xff_spoof_candidate" in e["tags"]) == spoof, (path, r["n"])
            tagged += spoof
    assert tagged == 5  # the attacker's: 3 through the proxy, 1 straight to each vhost
    # 203.0.113.7 sent from the trusted address itself is believed, as Apache did
    direct = got.file("remoteip_access.log").row(-1, named=True)
    assert direct["source.ip"] == "203.0.113.7" == CAPTURE["xff"]["per_request"][-1]["expected_apache_client_ip"]
    assert "203.0.113.7" in direct["related.ip"]


def _labels(row: dict) -> dict:
    return json.loads(row["labels"]) if row["labels"] else {}


def test_error_log_counts_match_the_ledger(got: Ingested) -> None:
    ev = got.file("error.log")
    rows = ev.to_dicts()
    expected = got.file_entry("error.log")["expected"]

    def where(code: str | None, module: str, level: str, reason: str) -> list[dict]:
        return [
            r
            for r in rows
            if _labels(r).get("error.code") == code
            and _labels(r).get("apache.module") == module
            and r["log.level"] == level
            and re.fullmatch(reason, r["event.reason"], flags=re.S)
        ]

    not_found = where("AH01618", "auth_basic", "error", r"user .* not found: /private/")
    mismatch = where(
        "AH01617", "auth_basic", "error", r'user alice: authentication failure for "/private/": Password Mismatch'
    )
    denied = where("AH01630", "authz_core", "error", r"client denied by server configuration: .*/forbidden/")
    cgi = where(None, "cgid", "error", r"End of script output before headers: broken\.cgi")
    htaccess = where(None, "core", "alert", r".*/\.htaccess: Invalid command 'RewriteEngine', .*")
    found = {
        "auth_user_not_found_AH01618": not_found,
        "auth_password_mismatch_AH01617": mismatch,
        "authz_denied_AH01630": denied,
        "cgi_script_failures": cgi,
        "htaccess_errors": htaccess,
    }
    assert set(found) == set(expected)
    for key, hits in found.items():
        assert len(hits) == expected[key], key
    hostile = CAPTURE["hostile"]
    assert [r["event.reason"] for r in not_found] == [
        f"user {hostile['basic_auth_unknown_user']} not found: /private/",
        f"user {hostile['basic_auth_user_with_double_quote']} not found: /private/",  # not escaped
    ]
    for r in not_found + mismatch + denied + htaccess:
        assert r["source.ip"] == ATTACKER and r["source.port"] > 0
        assert r["event.action"] == "server_error" and r["event.outcome"] == "failure"
    # the CGI's stderr has no prefix: kept, in the record above the cgid line
    stderr = [r for r in rows if "could not connect to database clinic" in r["event.original"]]
    assert len(stderr) == expected["cgi_script_failures"]
    for r in stderr:
        assert r["event.original"].endswith(
            "\nreporting backend: could not connect to database clinic\ngiving up after 3 attempts"
        )
        assert r["log.file.lines"] == 3
    # the 404s Apache served and the %2f refusal are info-level messages
    info = [r for r in rows if r["log.level"] == "info"]
    assert sum("AH00128: File does not exist" in r["message"] for r in info) == 3
    assert sum("AH00026: found %2f" in r["message"] for r in info) == 1


@pytest.mark.parametrize("path", [p for p in ACCESS_FILES if _format_of(p) in STOCK])
def test_explicit_stock_format_reads_the_same(got: Ingested, path: str, tmp_path: Path) -> None:
    # stock formats are read by default; giving the exact LogFormat string must change nothing
    explicit = ingest_capture(
        FOLDER,
        tmp_path,
        _sources(stock_formats=True),
        capture=CAPTURE,
        trusted_proxies=TRUSTED,
        only=lambda p: p == path,
    )
    assert_no_rejects(explicit)
    assert explicit.file(path).to_dicts() == got.file(path).to_dicts()


# -- ErrorLogFormat with ISO times, behind HAProxy (tests/data/real/apache2_errorlogformat-*) ----------

ISO_FOLDER = capture_dir("apache2_errorlogformat-")
ISO_CAPTURE = load_capture(ISO_FOLDER)


@pytest.fixture(scope="module")
def iso(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    # no format named: both files must be detected
    return ingest_capture(
        ISO_FOLDER,
        tmp_path_factory.mktemp("apache_iso"),
        [SourceConfig(path="*.log", timezone=ISO_CAPTURE["server_timezone"])],
    )


def test_iso_error_log_is_detected_and_every_line_is_its_own_record(iso: Ingested) -> None:
    assert_no_rejects(iso)
    assert iso.report("error.log")["parser"] == "apache.error"
    assert iso.report("access.log")["parser"] == "apache.access"
    lines = file_lines(ISO_FOLDER / "error.log")
    events = iso.file("error.log")
    assert events.height == len(lines)  # none glued into the record above
    assert events.get_column("time.original").to_list() == [line[1:27] for line in lines]
    assert_in_window(events, ISO_CAPTURE, "error.log")


def test_iso_error_log_basic_auth_failures_match_the_ledger(iso: Ingested) -> None:
    expected = iso.file_entry("error.log")["expected"]["auth_failures"]
    events = iso.file("error.log").filter(pl.col("labels").str.contains("auth_basic"))
    assert events.get_column("user.name").to_list() == [f["user"] for f in expected]
    for e, f in zip(events.iter_rows(named=True), expected, strict=True):
        assert ("not found" in e["event.reason"]) == (f["kind"] == "user not found"), e["event.reason"]
        assert e["source.ip"] == "127.0.0.1"  # Apache's peer is HAProxy


def test_access_behind_haproxy_matches_the_ledger(iso: Ingested) -> None:
    events = iso.file("access.log")
    ledger = iso.file_entry("access.log")["expected"]["requests"]
    assert events.height == len(ledger)
    for e, r in zip(events.iter_rows(named=True), ledger, strict=True):
        assert (e["http.request.method"], e["url.original"]) == (r["method"], r["request_target"]), r["n"]
        assert e["http.response.status_code"] == r["status"], r["n"]
        assert e["user.name"] == r.get("basic_auth_user"), r["n"]  # %u: the user sent, even when refused
        assert apache_escape(r["request_target"]) in e["event.original"]
