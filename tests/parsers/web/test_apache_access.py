"""apache.access: goldens, .gz equivalence, and the Elastic corpus."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.golden import IDENTITY_FIELDS, check_golden, parse_file, rows

DATA = Path(__file__).resolve().parents[2] / "data" / "web"


def test_small_evidence_golden(tmp_path: Path, update_goldens: bool) -> None:
    src = Path(__file__).resolve().parents[2] / "data" / "evidence_small" / "app01" / "apache2" / "access.log"
    events, rejects, manifest = parse_file(
        src, tmp_path, fmt="apache.access", tz="Europe/Paris", trusted_proxies=("10.10.0.5",)
    )
    assert rejects.height == 0
    assert manifest["files"][0]["lines_read"] == events.height
    check_golden(DATA / "evidence_small_access.log.golden.jsonl", rows(events, drop=IDENTITY_FIELDS), update_goldens)
    # the same bytes gzipped give the same events
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    events_gz, _, _ = parse_file(gz, tmp_path, fmt="apache.access", tz="Europe/Paris", trusted_proxies=("10.10.0.5",))
    assert rows(events_gz, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)
