"""syslog variants: sudo without a terminal, the old sshd(pam_unix) tag, macOS continuations, bare RFC 5424."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.intake.detect import detect_sample
from forensics.intake.reader import records_from_text
from parsers.base import get_parser

DATA = Path(__file__).resolve().parents[2] / "data" / "system"


def _parse(text: str | bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    parser = get_parser("syslog")
    result = parser.parse(records_from_text(text, parser), {})
    return result.events.sort("_rec"), result.rejects


def test_sudo_without_a_tty_is_privilege_use() -> None:
    events, _ = _parse(
        "Jul 22 15:45:51 web1 sudo:   deploy : PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/systemctl restart app\n"
        "Jul 22 15:45:52 web1 sudo:   deploy : TTY=unknown ; PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/id\n"
        "Jul 22 15:45:53 web1 sudo:   mallory : user NOT in sudoers ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh"
    )
    assert events.get_column("event.action").to_list() == ["privilege_use"] * 3
    assert events.get_column("event.outcome").to_list() == ["success", "success", "failure"]
    assert events.get_column("user.name").to_list() == ["deploy", "deploy", "mallory"]
    assert events.get_column("event.reason").to_list()[2] == "user NOT in sudoers"


def test_old_pam_tag_authentication_failure_is_login_failed() -> None:
    events, _ = _parse(
        "Jul 22 15:45:53 web1 sshd(pam_unix)[2345]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
        "ruser= rhost=198.51.100.7  user=root\n"
        "Jul 22 15:45:54 web1 sshd(pam_unix)[2346]: check pass; user unknown"
    )
    first, second = events.to_dicts()
    assert (first["event.action"], first["user.name"], first["source.ip"]) == ("login_failed", "root", "198.51.100.7")
    assert first["tags"] == ["pam"]
    assert second["event.action"] == "log_message"


def test_macos_continuation_lines_belong_to_their_record_and_the_file_is_detected() -> None:
    data = (DATA / "macos_system.log").read_bytes()
    assert detect_sample(data, "system.log").parser == "syslog"
    events, rejects = _parse(data)
    assert rejects.height == 0 and events.height == 5
    kernel = events.row(1, named=True)
    assert "Process:         mdworker [812]" in kernel["message"]
    assert events.get_column("event.action").to_list()[2] == "privilege_use"


def test_a_file_of_rfc5424_lines_without_a_tag_separator_is_detected() -> None:
    lines = [
        f"<34>1 2025-07-22T15:45:5{i}.003Z host{i}.example.org su - ID47 - 'su root' failed for alice on /dev/pts/8"
        for i in range(5)
    ]
    detection = detect_sample("\n".join(lines).encode(), "messages.txt")
    assert detection.parser == "syslog" and detection.score == 1.0
