"""A change written without a session id belongs to the session its account opened from its address.

Mediboard's ``user_log`` names the actor and the client address of a change, not its session;
``new_client_change`` reads changes per session.  The change is put in the latest session the
same account opened from the same address before it, while that session was going; a change
by another account, from another address, or after the session ended is left without one
(it must not borrow a stranger's session, nor the owner's after it ended).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forensics.correlate.detectors.new_client_change import _in_login_session

T = datetime(2024, 10, 24, 20, 0, tzinfo=UTC)


def _frame(rows: list[tuple[str, str, int, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account": [r[0] for r in rows],
            "client.ip": [r[1] for r in rows],
            "@timestamp": [T + timedelta(seconds=r[2]) for r in rows],
            "session.app": [r[3] for r in rows],
        },
        schema={
            "account": pl.String,
            "client.ip": pl.String,
            "@timestamp": pl.Datetime("us", "UTC"),
            "session.app": pl.String,
        },
    )


def test_a_change_without_session_joins_the_session_opened_from_its_address() -> None:
    logins = _frame(
        [
            ("o.chevalier", "10.20.1.85", -3600, "A1"),  # the owner's morning session, ended
            ("o.chevalier", "203.0.113.60", 0, "A2"),  # the session the change was made in
            ("b.durand", "203.0.113.60", 5, "A3"),
        ]
    )
    app = _frame(
        [
            ("o.chevalier", "10.20.1.85", -3600, "A1"),
            ("o.chevalier", "10.20.1.85", -3000, "A1"),  # session_end of the morning session
            ("o.chevalier", "203.0.113.60", 0, "A2"),
            ("o.chevalier", "203.0.113.60", 600, "A2"),
            ("b.durand", "203.0.113.60", 5, "A3"),
        ]
    )
    changes = _frame(
        [
            ("o.chevalier", "203.0.113.60", 40, None),  # -> A2
            ("o.chevalier", "10.20.1.85", 40, None),  # the morning session had ended: none
            ("o.chevalier", "198.51.100.9", 40, None),  # an address it never logged in from: none
            ("o.chevalier", "203.0.113.60", 4000, None),  # after its session's last event: none
            ("c.picard", "203.0.113.60", 40, None),  # another account: never a stranger's session
            ("o.chevalier", "203.0.113.60", 50, "A9"),  # a session the trail wrote is kept
        ]
    )
    out = _in_login_session(changes, logins, app, 2.0)
    assert out.columns == changes.columns
    assert out.get_column("session.app").to_list() == ["A2", None, None, None, None, "A9"]
