"""The case config: the documented keys work, and every mistake names the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.config import ConfigError, load_config, option_keys, parse_clock_offset
from parsers.base import load_all

GOOD = """
[case]
name = "Clinique Saint-Exemple"
timezone = "Europe/Paris"
awareness = "2024-10-28T10:30:00+01:00"
accounts = ["adm.interop"]
[network]
trusted_proxies = ["10.10.0.5"]
internal = ["10.0.0.0/8"]
ip_context = "ctx.csv"
[[source]]
path = "app01/apache2/access.log*"
format = "apache.access"
log_format = '%h %l %u %t "%r" %>s %b'
host = "app01"
timezone = "Europe/Paris"
clock_offset = "+3s"
"""


def test_good_config(tmp_path: Path) -> None:
    (tmp_path / "ctx.csv").write_text("network,label,note\n")
    p = tmp_path / "case.toml"
    p.write_text(GOOD)
    cfg = load_config(p)
    assert cfg.name == "Clinique Saint-Exemple"
    assert cfg.accounts == ("adm.interop",)
    assert cfg.awareness is not None and cfg.awareness.utcoffset().total_seconds() == 3600
    src = cfg.source_for("app01/apache2/access.log.2.gz")
    assert src is not None and src.clock_offset == 3.0 and src.options == {"log_format": '%h %l %u %t "%r" %>s %b'}
    assert cfg.source_for("db01/mysql/server_audit.log") is None
    assert cfg.ip_context == tmp_path / "ctx.csv"
    assert len(cfg.sha256 or "") == 64


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("[case]", "[case]\ncolour = 1"), "unknown key 'colour'"),
        (
            ('timezone = "Europe/Paris"\nawareness', 'timezone = "Mars/Olympus"\nawareness'),
            "unknown timezone 'Mars/Olympus'",
        ),
        (('clock_offset = "+3s"', 'clock_offset = "soon"'), "clock_offset 'soon'"),
        (('format = "apache.access"', 'format = "nope.nope"'), "unknown format 'nope.nope'"),
        (('trusted_proxies = ["10.10.0.5"]', 'trusted_proxies = ["10.10.0.500"]'), "not an IP address"),
        (('awareness = "2024-10-28T10:30:00+01:00"', 'awareness = "2024-10-28T10:30:00"'), "awareness"),
        (('ip_context = "ctx.csv"', 'ip_context = "missing.csv"'), "does not exist"),
        (("[[source]]\npath", "[[source]]\npaht"), "unknown key 'paht'"),
        (("[case]", "[case\n"), "not valid TOML"),
    ],
)
def test_bad_config_names_the_key_and_the_file(tmp_path: Path, mutation: tuple[str, str], message: str) -> None:
    (tmp_path / "ctx.csv").write_text("network,label,note\n")
    p = tmp_path / "case.toml"
    p.write_text(GOOD.replace(*mutation, 1))
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert message in str(err.value)
    assert str(p) in str(err.value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("+3s", 3.0), ("-7s", -7.0), ("+0.4s", 0.4), ("250ms", 0.25), ("-1m", -60.0), (2, 2.0)]
)
def test_clock_offsets(text: object, seconds: float) -> None:
    assert parse_clock_offset(text, "x") == pytest.approx(seconds)


def _source(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "case.toml"
    p.write_text('[[source]]\npath = "db/*.log"\n' + body)
    return p


def test_an_option_the_format_does_not_declare_is_refused(tmp_path: Path) -> None:
    """``log_format`` is declared by the web access parsers, not by ``mysql.slow``."""
    p = _source(tmp_path, 'format = "mysql.slow"\nlog_format = "%h %t"\n')
    with pytest.raises(ConfigError) as err:
        load_config(p)
    message = str(err.value)
    assert "format 'mysql.slow' takes no option 'log_format'" in message
    assert str(p) in message and "[[source]] #1" in message


def test_options_the_format_declares_are_accepted(tmp_path: Path) -> None:
    p = _source(tmp_path, 'format = "postgresql.log"\nlog_line_prefix = "%m [%p] "\nyear = 2024\n')
    (src,) = load_config(p).sources
    assert src.options == {"log_line_prefix": "%m [%p] ", "year": 2024}
    p = _source(tmp_path, 'format = "mariadb.audit"\nserver_audit_query_log_limit = 2048\n')
    assert load_config(p).sources[0].options == {"server_audit_query_log_limit": 2048}


def test_the_declared_keys_are_the_only_source_of_options(tmp_path: Path) -> None:
    """Without a format, any parser's declared option is accepted; a key no parser declares is not."""
    declared = {key for cls in load_all().values() for key in cls.option_keys}
    assert option_keys() == declared | {"year"}
    assert option_keys("mysql.slow") == {"year"}
    assert option_keys("apache.access") == {"log_format", "year"}
    p = _source(tmp_path, 'log_format = "%h %t"\n')
    assert load_config(p).sources[0].options == {"log_format": "%h %t"}
    p = _source(tmp_path, 'table = "users"\n')
    with pytest.raises(ConfigError, match="unknown key 'table'"):
        load_config(p)


def test_every_declared_option_is_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    for key in sorted(option_keys()):
        assert f"`{key}`" in text, f"option {key!r} is declared by a parser but not in docs/config.md"
