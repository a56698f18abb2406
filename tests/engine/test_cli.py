"""The CLI is a thin layer: run it, then check through the library and the files."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from forensics.cli import app
from forensics.export import neutralise_formulas
from forensics.term import safe

runner = CliRunner()
LINE = (
    '203.0.113.9 - \x1b[31mevil\x1b[0m [22/Oct/2024:09:02:01 +0200] "GET /=HYPERLINK(1) HTTP/1.1" 200 5 "-" "@SUM(1)"\n'
)


def _evidence(tmp_path: Path) -> Path:
    root = tmp_path / "ev"
    (root / "web").mkdir(parents=True)
    (root / "web" / "access.log.1.gz").write_bytes(gzip.compress(LINE.encode(), mtime=0))
    (root / "web" / "access.log").write_text(LINE.replace("09:02:01", "09:03:01"))
    return root


def test_ingest_then_export(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(root), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output  # control characters from logs never reach the terminal
    events = pl.read_parquet(out / "events.parquet")
    assert events.height == 2 and events.get_column("user.name")[0] == "\x1b[31mevil\x1b[0m"

    result = runner.invoke(app, ["export", str(out), "--to", "csv", "-o", str(tmp_path / "e.csv")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "e.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["user_agent.original"] == "'@SUM(1)"
    assert rows[0]["url.original"] == "/=HYPERLINK(1)"  # starts with "/": not a formula

    result = runner.invoke(app, ["export", str(out), "--to", "timesketch", "-o", str(tmp_path / "ts.jsonl")])
    assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "ts.jsonl").read_text().splitlines()[0])
    assert list(first)[:3] == ["message", "datetime", "timestamp_desc"]
    assert first["datetime"] == "2024-10-22T07:02:01.000000+00:00"


def test_formats_and_detect(tmp_path: Path) -> None:
    result = runner.invoke(app, ["formats"])
    assert result.exit_code == 0 and "apache.access" in result.output
    result = runner.invoke(app, ["detect", str(_evidence(tmp_path))])
    assert result.exit_code == 0 and result.output.count("apache.access") == 2


def test_bad_config_is_one_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    cfg = tmp_path / "case.toml"
    cfg.write_text("[case]\ntimezone = 'Nowhere/Land'\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(_evidence(tmp_path)), "-o", str(out), "--config", str(cfg)])
    assert result.exit_code == 3  # unreadable config (docs/getting-started.md, exit codes)
    assert "unknown timezone 'Nowhere/Land'" in result.output and "case.toml" in result.output
    assert not out.exists()


def test_an_undeclared_parser_option_is_refused_with_exit_3(tmp_path: Path) -> None:
    """Options are checked against the keys the source's parser declares (Parser.option_keys)."""
    cfg = tmp_path / "case.toml"
    cfg.write_text('[[source]]\npath = "web/access.log*"\nformat = "apache.error"\nlog_format = "%h"\n')
    root, out = _evidence(tmp_path), tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(root), "-o", str(out), "--config", str(cfg)])
    assert result.exit_code == 3, result.output
    assert "format 'apache.error' takes no option 'log_format'" in result.output and "case.toml" in result.output
    assert not out.exists()
    cfg.write_text(
        '[[source]]\npath = "web/access.log*"\nformat = "apache.access"\nlog_format = "%h %l %u %t \\"%r\\" %>s %b"\n'
    )
    result = runner.invoke(app, ["ingest", str(root), "-o", str(out), "--config", str(cfg), "-q"])
    assert result.exit_code == 0, result.output


def test_safe_escapes_controls_and_bidi() -> None:
    assert safe("a\x1b[2Jb\u202ec\x00") == "a\\x1b[2Jb\\u202ec\\x00"


def test_neutralise_formulas() -> None:
    df = pl.DataFrame({"a": ["=1+1", "+x", "-y", "@z", "\tq", "ok", None]})
    assert neutralise_formulas(df).get_column("a").to_list() == ["'=1+1", "'+x", "'-y", "'@z", "'\tq", "ok", None]


def test_memory_budget_changes_nothing_in_the_outputs(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    held, spilled = tmp_path / "held", tmp_path / "spilled"
    assert runner.invoke(app, ["ingest", str(root), "-o", str(held), "-q"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(root), "-o", str(spilled), "-q", "--memory", "0"]).exit_code == 0
    for name in ("events.parquet", "rejects.parquet"):
        assert pl.read_parquet(held / name).equals(pl.read_parquet(spilled / name))
    assert runner.invoke(app, ["ingest", str(root), "-o", str(held), "--memory", "-1"]).exit_code != 0
