"""The command as a new user meets it: exit codes, options checked first, run ownership, terminal output.

Commands run in a child process (``python -m forensics``) where stdout and stderr matter,
so what is checked is what a shell or a script sees.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from forensics._version import __version__
from forensics.app import EXIT_CODES, ExitCode
from forensics.cli import app
from forensics.outputs import LOCK_NAME, RUN_FILES, atomic, read_run_id, run_ids

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "evidence_small"
runner = CliRunner()

LINE = '192.0.2.10 - - [24/Oct/2024:09:02:01 +0200] "GET /index.php HTTP/1.1" 200 512 "-" "curl/8.0"\n'


def _other_evidence(tmp_path: Path) -> Path:
    root = tmp_path / "other"
    (root / "web").mkdir(parents=True)
    (root / "web" / "access.log.1.gz").write_bytes(gzip.compress(LINE.encode(), mtime=0))
    (root / "web" / "access.log").write_text(LINE.replace("09:02:01", "09:03:01"))
    return root


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "forensics", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=600,
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("small") / "out"
    done = _cli("investigate", str(SMALL), "-o", str(out), "--config", str(SMALL / "case.toml"))
    assert done.returncode == 0, done.stderr
    return out, done


# -- exit codes and options checked before any work ------------------------------------------


def test_version_and_the_exit_code_table_in_help() -> None:
    done = _cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"forensic-timeline {__version__}"
    helped = _cli("--help")
    for code, text in EXIT_CODES.items():
        assert f"{int(code)}  {text}" in helped.stdout
    assert len({int(c) for c in ExitCode}) == len(ExitCode)


@pytest.mark.parametrize(
    ("extra", "code", "words"),
    [
        (["--lang", "de"], ExitCode.USAGE, "--lang 'de'"),
        (["--tz", "Mars/Olympus"], ExitCode.USAGE, "unknown timezone"),
        (["--format", "no.such"], ExitCode.USAGE, "unknown format"),
        (["--since", "03/04/2024"], ExitCode.USAGE, "YYYY-MM-DD"),
        (["--since", "2024-10-26", "--until", "2024-10-25"], ExitCode.USAGE, "is after"),
        (["--since", "2024-10-25 10:00 CET"], ExitCode.USAGE, "abbreviation"),
        (["--config", "missing.toml"], ExitCode.UNREADABLE, "missing.toml"),
    ],
)
def test_bad_options_stop_before_any_work(tmp_path: Path, extra: list[str], code: ExitCode, words: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["investigate", str(SMALL), "-o", str(out), *extra])
    assert result.exit_code == code, result.output
    assert words in result.output
    assert not out.exists()  # nothing was written, not even the folder


def test_missing_evidence_and_an_out_that_is_a_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["investigate", str(tmp_path / "nothere"), "-o", str(tmp_path / "out")])
    assert result.exit_code == ExitCode.UNREADABLE and "does not exist" in result.output
    afile = tmp_path / "out.txt"
    afile.write_text("keep me")
    result = runner.invoke(app, ["ingest", str(SMALL), "-o", str(afile)])
    assert result.exit_code == ExitCode.OUTPUT_REFUSED and "is not a folder" in result.output
    assert afile.read_text() == "keep me"


def test_empty_evidence_exits_4_and_the_report_says_nothing_was_read(tmp_path: Path) -> None:
    evidence = tmp_path / "empty"
    evidence.mkdir()
    (evidence / "notes.txt").write_text("not a log at all\njust words\n")
    out = tmp_path / "out"
    done = _cli("investigate", str(evidence), "-o", str(out), "-q")
    assert done.returncode == ExitCode.NOTHING_RECOGNISED, done.stderr
    assert "no file of the evidence was recognised" in done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    first_section = page[page.index('id="s1"') : page.index('id="s2"')]
    assert "Nothing was read" in first_section
    assert page.index("Nothing was read") < page.index('<dl class="ident-grid"')  # before the identification rows


def test_a_report_that_fails_exits_5_and_keeps_the_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import forensics.report

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(forensics.report, "write_report", broken)
    out = tmp_path / "out"
    result = runner.invoke(app, ["investigate", str(SMALL), "-o", str(out), "-q"])
    assert result.exit_code == ExitCode.REPORT_NOT_WRITTEN, result.output
    assert "the report could not be written" in result.output and "disk full" in result.output
    assert (out / "findings.json").is_file() and not (out / "report.html").exists()


# -- every output folder belongs to one run ---------------------------------------------------


def test_every_file_of_a_run_carries_its_run_id(small_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = small_run
    manifest = json.loads((out / "manifest.json").read_text())
    rid = manifest["run_id"]
    assert len(rid) == 16
    found = run_ids(out)
    expected = {n for n in RUN_FILES if not n.endswith(".sha256")}
    assert set(found) == expected
    assert set(found.values()) == {rid}
    assert json.loads((out / "findings.json").read_text())["run_id"] == rid
    assert pl.read_parquet_metadata(out / "sessions.parquet")["forensics.run_id"] == rid
    assert f'<meta name="forensics-run-id" content="{rid}">' in (out / "report.html").read_text()
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]  # every temporary name was renamed


def test_the_same_inputs_give_the_same_run_id_and_a_window_another(tmp_path: Path) -> None:
    first = runner.invoke(app, ["ingest", str(SMALL), "-o", str(tmp_path / "a"), "-q"])
    again = runner.invoke(app, ["ingest", str(SMALL), "-o", str(tmp_path / "a"), "-q"])  # same run: no refusal
    scoped = runner.invoke(app, ["ingest", str(SMALL), "-o", str(tmp_path / "b"), "-q", "--since", "2024-10-24"])
    assert first.exit_code == again.exit_code == scoped.exit_code == 0, scoped.output
    a = read_run_id(tmp_path / "a" / "manifest.json")
    assert a and a != read_run_id(tmp_path / "b" / "manifest.json")


def test_another_run_into_the_same_folder_is_refused_then_cleared_with_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(SMALL, tmp_path / "small")
    first = runner.invoke(app, ["investigate", str(tmp_path / "small"), "-o", str(out), "-q"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    other = _other_evidence(tmp_path)
    refused = _cli("ingest", str(other), "-o", str(out), "-q")
    assert refused.returncode == ExitCode.OUTPUT_REFUSED
    assert "holds outputs of another run" in refused.stderr and "findings.json" in refused.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing touched

    forced = _cli("ingest", str(other), "-o", str(out), "-q", "--force")
    assert forced.returncode == 0, forced.stderr
    for name in ("findings.json", "report.html", "sessions.parquet"):
        assert f"removed {name} (output of another run)" in forced.stderr
        assert not (out / name).exists()
    rid = read_run_id(out / "manifest.json")
    assert set(run_ids(out).values()) == {rid}
    assert (tmp_path / "small" / "case.toml").is_file()  # evidence is never touched


def test_report_refuses_a_folder_that_mixes_two_runs(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(app, ["investigate", str(SMALL), "-o", str(a), "-q"]).exit_code == 0
    other = _other_evidence(tmp_path)
    assert runner.invoke(app, ["investigate", str(other), "-o", str(b), "-q"]).exit_code == 0
    shutil.copy(a / "findings.json", b / "findings.json")  # the old conclusions beside new events
    result = runner.invoke(app, ["report", str(b)])
    assert result.exit_code == ExitCode.OUTPUT_REFUSED, result.output
    assert "mixes the outputs of different runs" in result.output and "findings.json" in result.output


def test_a_folder_in_use_by_another_run_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        # another process holds the lock (flock is per open file: this test process plays the other run)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = _cli("ingest", str(SMALL), "-o", str(out), "-q")
    finally:
        os.close(fd)
    assert done.returncode == ExitCode.OUTPUT_REFUSED
    assert "another run is writing into" in done.stderr
    assert not (out / "manifest.json").exists()


def test_an_interrupted_write_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "findings.json"
    target.write_text("previous")
    with pytest.raises(KeyboardInterrupt), atomic(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


# -- the window (--since / --until) -----------------------------------------------------------


def test_since_until_scope_the_case_and_say_which_zone_was_assumed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _cli(
        "investigate",
        str(SMALL),
        "-o",
        str(out),
        "--config",
        str(SMALL / "case.toml"),
        "--since",
        "23/10/2024 08:00",
        "--until",
        "2024-10-24 08:00 +02:00",
    )
    assert done.returncode == 0, done.stderr
    assert "--since '23/10/2024 08:00' has no zone: read in Europe/Paris (case zone) (assumed)" in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    window = manifest["window"]
    assert window["since"]["utc"] == "2024-10-23T06:00:00Z" and window["since"]["zone_source"] == "assumed"
    assert window["until"]["utc"] == "2024-10-24T06:00:59.999999Z" and window["until"]["zone_source"] == "written"
    stamps = pl.read_parquet(out / "events.parquet").get_column("@timestamp")
    assert stamps.len() == window["events_kept"] > 0
    assert window["events_outside"] > 0 and window["events_parsed"] == window["events_kept"] + window["events_outside"]
    assert str(stamps.min()) >= "2024-10-23 06:00:00" and str(stamps.max()) < "2024-10-24 06:01:00"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "This case is limited to 2024-10-23T06:00:00Z" in page[: page.index('id="s2"')]


def test_export_takes_the_same_window(small_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    out, _ = small_run
    target = tmp_path / "part.jsonl"
    done = _cli("export", str(out), "--to", "jsonl", "-o", str(target), "--until", "2024-10-24 08:30")
    assert done.returncode == 0, done.stderr
    assert "read in Europe/Paris (case zone)" in done.stderr
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    everything = pl.read_parquet(out / "events.parquet").height
    assert 0 < len(rows) < everything
    assert max(r["@timestamp"] for r in rows) < "2024-10-24T06:31:00"  # 08:30 in Paris, the minute included


# -- what the terminal shows --------------------------------------------------------------------


def test_piped_tables_wrap_instead_of_cutting(small_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, done = small_run
    assert "…" not in done.stdout
    manifest = json.loads((small_run[0] / "manifest.json").read_text())
    assert manifest["totals"]["time_first"] in done.stdout  # a whole time, never 2024-10-24T06:…


def test_progress_names_each_stage_on_stderr(small_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, done = small_run
    for stage in ("correlating", "writing findings", "writing the report"):
        assert f"{stage}" in done.stderr and "done in" in done.stderr
    assert "ingest [" in done.stderr and "ingest [" not in done.stdout


def test_quiet_prints_only_errors_and_the_paths(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _cli("investigate", str(SMALL), "-o", str(out), "--config", str(SMALL / "case.toml"), "-q")
    assert done.returncode == 0
    assert done.stderr == ""
    for line in done.stdout.splitlines():
        assert line.startswith("outputs are in ") or ": " + str(out) in line, line
    assert done.stdout.rstrip().splitlines()[-1] == f"report: {out / 'report.html'}"
