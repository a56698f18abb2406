"""The per-file parse both executors map: its hash check, and the scheduler address it is sent to."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from forensics.config import CaseConfig, config_from_dict
from forensics.executors.cluster import SCHEDULER_ENV, scheduler_address
from forensics.executors.task import Collected, ParseOptions, parse_file, parse_source
from forensics.intake.walk import EvidenceFile

LINE = '192.0.2.10 - alice [25/Oct/2024:10:00:00 +0200] "GET /index.php HTTP/1.1" 200 512 "-" "curl/8.0"\n'


def _file(tmp_path: Path, claimed: str | None = None) -> EvidenceFile:
    log = tmp_path / "access.log"
    log.write_text(LINE * 4, encoding="utf-8")
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    return EvidenceFile(
        path=log, relpath="access.log", size=log.stat().st_size, sha256_before=claimed or digest, source="access.log"
    )


def test_a_worker_hashes_what_it_reads(tmp_path: Path) -> None:
    f = _file(tmp_path)
    done = parse_source([f], ParseOptions(config=CaseConfig(), format="apache.access"))
    (parsed,) = done.files
    assert parsed.report.sha256_read == f.sha256_before
    assert parsed.report.events == 4 and sum(df.height for df in parsed.events) == 4
    assert not parsed.report.warnings


def test_a_different_file_on_the_worker_is_a_warning(tmp_path: Path) -> None:
    f = _file(tmp_path, claimed="0" * 64)
    sink = Collected()
    report = parse_file(f, ParseOptions(config=CaseConfig(), format="apache.access"), {}, sink, measure=True)
    assert report.sha256_read == hashlib.sha256(f.path.read_bytes()).hexdigest()
    assert any("not the file hashed by the client" in w and "0" * 64 in w for w in report.warnings)


def test_the_local_executor_reports_the_clients_hash(tmp_path: Path) -> None:
    f = _file(tmp_path, claimed="1" * 64)
    report = parse_file(f, ParseOptions(config=CaseConfig(), format="apache.access"), {}, Collected(), measure=False)
    assert report.sha256_read == "1" * 64 and not report.warnings


def test_scheduler_address_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address(None) == "local"
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://198.51.100.7:8786")
    assert scheduler_address(None) == "tcp://198.51.100.7:8786"
    assert scheduler_address("local") == "local"


def test_frames_from_a_worker_spill_where_local_frames_would(tmp_path: Path) -> None:
    """A pickled frame is laid out anew (its estimated size changes): the store uses the worker's sizes."""
    import pickle

    from forensics.intake.store import PartStore

    log = tmp_path / "access.log"
    log.write_text("".join(LINE.replace("192.0.2.10", f"192.0.2.{i % 250 + 1}") for i in range(20_000)), "utf-8")
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    f = EvidenceFile(path=log, relpath="access.log", size=log.stat().st_size, sha256_before=digest, source="a")
    parsed = parse_source([f], ParseOptions(config=CaseConfig(), format="apache.access"))
    local = [df.estimated_size() for df in parsed.files[0].events]
    assert parsed.files[0].event_sizes == local
    travelled = pickle.loads(pickle.dumps(parsed)).files[0]  # what the client receives
    budget = sum(local)  # exactly what the local frames need: no spill
    with_sizes, naive = PartStore(tmp_path / "a", budget), PartStore(tmp_path / "b", budget)
    for df, size in zip(travelled.events, travelled.event_sizes):
        with_sizes.add_events(df, size)
        naive.add_events(df)
    assert not with_sizes.spilled
    if sum(df.estimated_size() for df in travelled.events) > budget:
        assert naive.spilled  # the difference this guards against


def test_a_task_reads_the_reference_table_beside_its_file(tmp_path: Path) -> None:
    """A Mediboard table names users by id; the task gets ``users`` from the walked files of its folder only."""
    dump = tmp_path / "dump"
    dump.mkdir()
    (tmp_path / "other").mkdir()
    (dump / "user_log.tsv").write_text(
        "98700000\t3\t2024-10-21 00:53:11\tCAdministration\t7410001\tcreate\t\\N\t0x0A14090B\t\\N\n"
    )
    (dump / "users.tsv").write_text(
        "3\ti.carre\t7\tIsabelle\tCarre\ti.carre@example.org\t0\t0\t0\t\\N\t2024-08-19 09:12:00\t0\t0\t0\n"
    )
    (tmp_path / "other" / "users.tsv").write_text(
        "3\tsomeone.else\t7\tA\tB\tb@example.org\t0\t0\t0\t\\N\t2024-08-19 09:12:00\t0\t0\t0\n"
    )

    def walked(rel: str) -> EvidenceFile:
        p = tmp_path / rel
        return EvidenceFile(
            path=p,
            relpath=rel,
            size=p.stat().st_size,
            sha256_before=hashlib.sha256(p.read_bytes()).hexdigest(),
            source=rel,
        )

    log, users, other = walked("dump/user_log.tsv"), walked("dump/users.tsv"), walked("other/users.tsv")
    config = config_from_dict(
        {
            "source": [
                {"path": "*/user_log.tsv", "format": "mediboard.user_log"},
                {"path": "*/users.tsv", "format": "mediboard.users"},
            ]
        }
    )
    options = ParseOptions(config=config, files=(log, users, other))
    assert options.beside([log]).files == (log, users)
    (parsed,) = parse_source([log], options.beside([log])).files
    (alone,) = parse_source([log], ParseOptions(config=config)).files
    names = pl.concat(parsed.events).get_column("user.name").to_list()
    assert names == ["i.carre"]
    assert pl.concat(alone.events).get_column("user.name").to_list() != names
