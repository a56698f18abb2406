"""Deliverable 4 of issue 16: secrets in logs are masked in the report and exports by default, kept on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.cli import app
from forensics.intake.engine import ingest
from forensics.redact import KINDS, MASK, keep_secrets, redact
from forensics.report import write_report

from .conftest import LINE, runner

SECRETS = {
    "url_password": ("GET /app?login=admin:Pa55word1 HTTP/1.1", "Pa55word1"),
    "password": ("POST body: user=bob&password=Hunter22&x=1", "Hunter22"),
    "api_key": ('{"api_key": "AKIA0123456789EXAMPLE"}', "AKIA0123456789EXAMPLE"),
    "authorization": ("Authorization: Basic Ym9iOnMzY3JldA==", "Ym9iOnMzY3JldA=="),
    "session_cookie": ("Cookie: theme=dark; PHPSESSID=k3rn3lsess10n", "k3rn3lsess10n"),
}


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_each_kind_is_masked_and_kept_on_request(kind: str) -> None:
    text, secret = SECRETS[kind]
    assert secret not in redact(text) and MASK in redact(text)
    with keep_secrets():
        assert redact(text) == text
    assert secret not in redact(text)  # the default comes back after the block


def test_a_url_password_keeps_the_user_and_host_readable() -> None:
    assert redact("https://backup:S3cr3t@203.0.113.7/db.sql") == f"https://backup:{MASK}@203.0.113.7/db.sql"


def _case(tmp_path: Path) -> Path:
    root = tmp_path / "ev"
    root.mkdir()
    lines = [LINE.replace("/index.php", f"/index.php?PHPSESSID=k3rn3lsess10n&n={i}") for i in range(3)]
    lines += [f"{SECRETS['authorization'][0]}\n", f"{SECRETS['password'][0]}\n"]  # rejects, shown as examples
    (root / "access.log").write_text("".join(lines))
    return root


def test_the_report_masks_and_says_what_and_why(tmp_path: Path) -> None:
    out = ingest(_case(tmp_path), tmp_path / "out").out_dir
    html = write_report(out, generated_at="2024-10-31T09:00:00Z").read_text(encoding="utf-8")
    for secret in ("k3rn3lsess10n", "Ym9iOnMzY3JldA==", "Hunter22"):
        assert secret not in html
    assert "Secrets masked in this report" in html
    assert "session cookie" in html and "lets whoever holds it act as the logged-in user" in html
    kept = write_report(out, tmp_path / "kept.html", generated_at="2024-10-31T09:00:00Z", keep_secrets=True)
    text = kept.read_text(encoding="utf-8")
    assert "Ym9iOnMzY3JldA==" in text and "Secrets were NOT masked" in text


def test_export_masks_by_default_and_keeps_with_the_flag(tmp_path: Path) -> None:
    out = ingest(_case(tmp_path), tmp_path / "out").out_dir
    masked, kept = tmp_path / "m.csv", tmp_path / "k.csv"
    assert runner.invoke(app, ["export", str(out), "--to", "csv", "-o", str(masked)]).exit_code == 0
    assert runner.invoke(app, ["export", str(out), "--to", "csv", "-o", str(kept), "--keep-secrets"]).exit_code == 0
    assert "k3rn3lsess10n" not in masked.read_text() and MASK in masked.read_text()
    assert "k3rn3lsess10n" in kept.read_text()
    result = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html"), "--keep-secrets"])
    assert result.exit_code == 0, result.output
    assert "Ym9iOnMzY3JldA==" in (tmp_path / "r.html").read_text(encoding="utf-8")
