"""Defect 5 of issue 16: each hostile config value gets one clear error naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.app import ExitCode
from forensics.cli import app
from forensics.config import ConfigError, load_config

from .conftest import LINE, runner

CASES = [
    ('[[source]]\npath = "*.log"\nclock_offset = inf\n', "clock_offset"),
    ('[[source]]\npath = "*.log"\nclock_offset = nan\n', "clock_offset"),
    ('[[source]]\npath = "*.log"\nclock_offset = 1e300\n', "clock_offset"),
    ('[[source]]\npath = "*.log"\nclock_offset = "99999999999999999999h"\n', "clock_offset"),
    ("[case]\nskew_tolerance = inf\n", "skew_tolerance"),
    ("[case]\nskew_tolerance = nan\n", "skew_tolerance"),
    ("[case]\nawareness = 9999-12-31T23:59:59Z\n", "awareness"),
    ("[case]\nawareness = 0001-01-01T00:00:00Z\n", "awareness"),
    ('[[source]]\npath = "[z-a].log"\n', "path"),
    ('[case]\nexclude = ["[z-a]"]\n', "exclude"),
    ('[[source]]\npath = "*.log"\nhost = { name = "web1" }\n', "host"),
    ('[[source]]\npath = "*.log"\nyear = "abc"\n', "year"),
    ('[[source]]\npath = "*.log"\nyear = 0\n', "year"),
    ('[[source]]\npath = "*.log"\nformat = ["apache.access"]\n', "format"),
    ('[[source]]\npath = "*.log"\nlog_format = 3\n', "log_format"),
    ('[[source]]\npath = "*.log"\nencoding = "no-such-codec"\n', "encoding"),
    ('[[source]]\npath = "*.log"\nfields = "x"\n', "fields"),
    ("[case]\nname = { a = 1 }\n", "name"),
    ("x = " + "[" * 200_000 + "]" * 200_000 + "\n", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "key"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_a_bad_value_is_one_clear_error_naming_the_key_and_the_file(tmp_path: Path, text: str, key: str) -> None:
    config = tmp_path / "case.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(config)
    message = str(info.value)
    assert str(config) in message and key in message
    assert len(message) < 400


@pytest.mark.parametrize(("text", "key"), CASES[::3], ids=[c[1] for c in CASES[::3]])
def test_the_cli_exits_non_zero_and_writes_nothing(tmp_path: Path, text: str, key: str) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    config = tmp_path / "case.toml"
    config.write_text(text)
    for command in ("ingest", "investigate"):
        out = tmp_path / f"out-{command}"
        result = runner.invoke(app, [command, str(root), "-o", str(out), "-c", str(config), "-q"])
        assert result.exit_code == ExitCode.UNREADABLE, result.output  # 3: unreadable evidence or config
        assert result.output.startswith("error: ") and key in result.output
        assert "Traceback" not in result.output
        assert not out.exists()


def test_reasonable_values_still_load(tmp_path: Path) -> None:
    config = tmp_path / "case.toml"
    config.write_text(
        '[case]\nawareness = 2024-10-28T10:30:00+01:00\nskew_tolerance = "10s"\nexclude = ["notes/[a-z]*"]\n'
        '[[source]]\npath = "web/*"\nclock_offset = "-7s"\nyear = 2024\nhost = "web1"\n'
        '[[source]]\npath = "db/*"\nyear = "2023"\nclock_offset = 0.4\n'
    )
    cfg = load_config(config)
    assert cfg.sources[0].clock_offset == -7.0 and cfg.sources[0].options["year"] == 2024
    assert cfg.sources[1].options["year"] == 2023 and cfg.skew_tolerance == 10.0
