"""Secrets in logs are masked in what leaves the tool, never in the evidence or events.parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.export import export_events
from forensics.redact import MASK, redact, redact_expr
from forensics.report.text import show, show_block
from forensics.term import safe

LINE = '10.20.0.40 - - [22/Oct/2024:09:00:00 +0200] "GET /mediboard/index.php?login=bot.stats:St4ts2023&m=stats&password=Hunter2&x=1 HTTP/1.1" 200 5'


def test_password_half_of_login_and_password_values_are_masked() -> None:
    out = redact(LINE)
    assert "St4ts2023" not in out and "Hunter2" not in out
    assert f"login=bot.stats:{MASK}&m=stats&password={MASK}&x=1" in out
    # the UI login form posts a timestamp, not a secret: left alone
    assert redact("login=1729900000&username=x") == "login=1729900000&username=x"


def test_vectorised_and_python_rules_agree() -> None:
    values = [LINE, "PWD=abc def", "token=a.b.c&api_key=zz", "nothing here", None]
    frame = pl.DataFrame({"v": values}).select(redact_expr(pl.col("v"))).get_column("v").to_list()
    assert frame == [None if v is None else redact(v) for v in values]


def test_report_terminal_and_exports_mask(tmp_path: Path) -> None:
    assert "St4ts2023" not in show(LINE) and "St4ts2023" not in show_block(LINE) and "St4ts2023" not in safe(LINE)
    events = pl.DataFrame(
        {"@timestamp": [None], "message": [LINE], "event.original": [LINE]},
        schema_overrides={"@timestamp": pl.Datetime("us", "UTC")},
    )
    for fmt, name in (("csv", "e.csv"), ("jsonl", "e.jsonl")):
        export_events(events, fmt, tmp_path / name)
        assert "St4ts2023" not in (tmp_path / name).read_text(encoding="utf-8")
