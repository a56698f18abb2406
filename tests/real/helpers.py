"""Shared helpers for the tests on real server output (``tests/data/real/<server>-<version>/``).

Each capture folder holds the logs a real server wrote and a ``capture.json`` whose counts
come from the workload's own ledger (what was sent, what the client got back), never from
reading the logs: it is an oracle independent of the parsers.  These helpers copy the
captured files into a fresh evidence folder, run the real engine on them with the
configuration the capture documents (formats, server zone, trusted proxy), and give the
tests the events of one file in file order.  See docs/real-logs.md.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.config import CaseConfig, SourceConfig
from forensics.intake.engine import ingest

REAL = Path(__file__).resolve().parents[1] / "data" / "real"

#: ``capture_finished_utc`` is written to the second (truncated), and servers log
#: fractions of a second: the window ends one second after the stamp.
WINDOW_SLACK = timedelta(seconds=1)


def capture_dir(prefix: str) -> Path:
    """The one capture folder whose name starts with ``prefix`` (``nginx-``, ``mariadb-``...)."""
    found = sorted(p for p in REAL.iterdir() if p.is_dir() and p.name.startswith(prefix))
    assert len(found) == 1, f"expected one {prefix}* capture under {REAL}, found {[p.name for p in found]}"
    return found[0]


def load_capture(folder: Path) -> dict[str, Any]:
    """``capture.json`` of a capture folder."""
    return json.loads((folder / "capture.json").read_text(encoding="utf-8"))


@dataclass
class Ingested:
    """The engine's output for one capture folder, with the capture's own description."""

    events: pl.DataFrame
    rejects: pl.DataFrame
    manifest: dict[str, Any]
    capture: dict[str, Any]

    def file(self, path: str) -> pl.DataFrame:
        """Events of one captured file, in file order (as the server wrote them)."""
        ev = self.events.filter(pl.col("log.file.path") == path)
        return ev.sort(["log.offset", "event.id"])

    def report(self, path: str) -> dict[str, Any]:
        """The manifest's report for one file."""
        for r in self.manifest["files"]:
            if r["path"] == path:
                return r
        raise AssertionError(f"{path} is not in the manifest: {[r['path'] for r in self.manifest['files']]}")

    def source(self, name: str) -> dict[str, Any]:
        """The manifest's entry for one source (rotation set)."""
        for s in self.manifest["sources"]:
            if s["source"] == name:
                return s
        raise AssertionError(f"no source {name!r} in the manifest")

    def file_entry(self, path: str) -> dict[str, Any]:
        """``capture.json``'s entry for one file."""
        for f in self.capture["files"]:
            if f["path"] == path:
                return f
        raise AssertionError(f"{path} is not in capture.json")


def ingest_capture(
    folder: Path,
    tmp: Path,
    sources: Iterable[SourceConfig],
    *,
    capture: dict[str, Any] | None = None,
    trusted_proxies: tuple[str, ...] = (),
    only: Callable[[str], bool] | None = None,
) -> Ingested:
    """Copy the files ``capture.json`` lists (``only`` filters them) into ``tmp`` and ingest them."""
    capture = capture or load_capture(folder)
    evidence = tmp / "evidence"
    evidence.mkdir(parents=True)
    for entry in capture["files"]:
        if only is not None and not only(entry["path"]):
            continue
        target = evidence / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / entry["path"], target)
    cfg = CaseConfig(sources=tuple(sources), trusted_proxies=trusted_proxies)
    result = ingest(evidence, tmp / "out", config=cfg)
    return Ingested(result.events, result.rejects, result.manifest, capture)


def describe_rejects(rejects: pl.DataFrame, limit: int = 5) -> str:
    """The first rejects, readable in an assertion message."""
    if rejects.height == 0:
        return "none"
    cols = [c for c in ("log.file.path", "log.file.line", "reason", "event.original") if c in rejects.columns]
    lines = [" | ".join(str(v)[:160] for v in row) for row in rejects.select(cols).head(limit).iter_rows()]
    return f"{rejects.height} rejects, first ones:\n" + "\n".join(lines)


def assert_no_rejects(got: Ingested) -> None:
    """Zero rejects, and every line of every file accounted for (event, meta or blank)."""
    assert got.rejects.height == 0, describe_rejects(got.rejects)
    for r in got.manifest["files"]:
        assert r["rejects"] == 0, (r["path"], r["reject_reasons"])
        assert r["detection"] != "unrecognised", r["path"]
        assert r["lines_in_events"] + r["lines_meta"] + r["lines_blank"] == r["lines_read"], r["path"]
        assert not [w for w in r["warnings"] if "accounting" in w], (r["path"], r["warnings"])


def window(capture: dict[str, Any]) -> tuple[datetime, datetime]:
    """The UTC window of the capture (end widened by the truncated second)."""
    start = datetime.fromisoformat(capture["capture_started_utc"])
    end = datetime.fromisoformat(capture["capture_finished_utc"]) + WINDOW_SLACK
    return start, end


def assert_in_window(events: pl.DataFrame, capture: dict[str, Any], what: str = "") -> None:
    """Every event's ``@timestamp`` inside the capture window (a zone error would be hours out)."""
    start, end = window(capture)
    assert events.height > 0, f"{what}: no events"
    assert events.get_column("@timestamp").null_count() == 0, f"{what}: events without a time"
    first = events.get_column("@timestamp").min()
    last = events.get_column("@timestamp").max()
    assert start <= first and last < end, f"{what}: {first}..{last} outside the capture window {start}..{end}"


def count(events: pl.DataFrame, predicate: pl.Expr) -> int:
    """How many events satisfy ``predicate`` (nulls count as false)."""
    return events.filter(predicate.fill_null(False)).height


def file_lines(path: Path) -> list[str]:
    """The physical lines of a captured file (gunzipped), decoded as the engine does."""
    import gzip

    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    out = []
    for line in raw.split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(line.decode("latin-1"))
    if out and out[-1] == "":
        out.pop()
    return out


def nginx_escape(text: str) -> str:
    """How nginx writes a value in an access log: ``"``, ``\\``, controls and bytes >= 0x7F as ``\\xHH``."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in (0x22, 0x5C) or byte < 0x20 or byte >= 0x7F:
            out.append(f"\\x{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def apache_escape(text: str) -> str:
    """How Apache writes a header or request line: ``\\"``, ``\\\\``, other non-printables as ``\\xhh``."""
    out = []
    for byte in text.encode("utf-8"):
        if byte == 0x22:
            out.append('\\"')
        elif byte == 0x5C:
            out.append("\\\\")
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\x{byte:02x}")
        else:
            out.append(chr(byte))
    return "".join(out)


def expected_client(chain: list[str], trusted: set[str]) -> str:
    """The documented resolution rule: the right-most address of the chain that is not a trusted proxy.

    ``chain`` is built from the workload's ledger (what the client sent and from where),
    not from the logs.  When every hop is trusted, the left-most one.
    """
    for address in reversed(chain):
        if address not in trusted:
            return address
    return chain[0]


def xff_list(value: str | None) -> list[str]:
    """An X-Forwarded-For value as a list (``None`` -> ``[]``)."""
    return [p.strip() for p in value.split(",")] if value else []


def ledger_time(request: dict[str, Any]) -> datetime:
    """When the workload sent a request (UTC, to the second)."""
    return datetime.fromisoformat(request["time_utc"])


def assert_requests_match(
    events: pl.DataFrame,
    requests: list[dict[str, Any]],
    *,
    escape: Callable[[str], str],
    source_ip: Callable[[dict[str, Any]], str],
    http_version: Callable[[dict[str, Any]], str | None] | None = None,
    what: str,
) -> None:
    """Each access-log event against the ledger request it records (one line per request, in order).

    The decoded fields must equal what the client sent; ``event.original`` must hold the
    server's escaped form of every hostile string.  A request the server refused with 400
    may be logged before its headers were read, so its User-Agent and user are not compared.
    """
    assert events.height == len(requests), f"{what}: {events.height} events for {len(requests)} requests"
    for e, r in zip(events.iter_rows(named=True), requests, strict=True):
        where = f"{what} line {e['log.file.line']} (ledger request {r['n']})"
        assert e["event.action"] == "http_request", where
        assert e["http.request.method"] == r["method"], where
        assert e["url.original"] == r["request_target"], where
        assert e["http.response.status_code"] == r["status"], where
        assert e["event.outcome"] == ("failure" if r["status"] >= 400 else "success"), where
        assert e["source.ip"] == source_ip(r), where
        if r["status"] != 400:
            assert e["user_agent.original"] == r["user_agent"], where
            assert e["http.request.referrer"] == r["referer"], where
            assert e["user.name"] == r["basic_auth_user"], where
        if http_version is not None and r["protocol"]:
            assert e["http.version"] == http_version(r), where
        # the log time is the server's (receipt or completion): the same second or the next
        delta = e["@timestamp"] - ledger_time(r)
        assert timedelta(0) <= delta < timedelta(seconds=2), f"{where}: {e['@timestamp']} vs sent {r['time_utc']}"
        original = e["event.original"]
        if r["request_target"]:
            assert escape(r["request_target"]) in original, where
        if r["user_agent"] and r["status"] != 400:
            assert f'"{escape(r["user_agent"])}"' in original, where
        if r["basic_auth_user"]:
            assert f" {escape(r['basic_auth_user'])} [" in original, where
