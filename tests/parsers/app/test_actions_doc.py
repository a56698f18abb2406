"""docs/actions.md is generated from the code: the action vocabulary and the parsers that produce each action.

Regenerate with ``python -m pytest tests/parsers/app/test_actions_doc.py --update-goldens``
(or ``python -m tests.parsers.app.test_actions_doc``); the test fails whenever the page and
the code disagree, so the page never drifts.
"""

from __future__ import annotations

from pathlib import Path

from forensics.docgen import MAPPED, actions_markdown
from forensics.schema import ACTIONS
from parsers.base import load_all

DOC = Path(__file__).resolve().parents[3] / "docs" / "actions.md"


def render_actions_doc() -> str:
    """The page as ``python -m forensics.docgen`` writes it."""
    return actions_markdown()


def test_actions_doc_matches_the_code(update_goldens: bool) -> None:
    text = render_actions_doc()
    if update_goldens or not DOC.exists():
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "docs/actions.md is out of date: run python -m forensics.docgen"


def test_every_declared_action_is_in_the_vocabulary() -> None:
    for name, cls in load_all().items():
        for action in getattr(cls, "actions", None) or ():
            assert action == MAPPED or action in ACTIONS, (name, action)


def test_the_issue_minimum_is_in_the_vocabulary() -> None:
    minimum = {
        "login",
        "login_failed",
        "logout",
        "session_end",
        "record_read",
        "record_create",
        "record_update",
        "record_delete",
        "export",
        "api_call",
        "account_created",
        "permission_changed",
        "password_changed",
        "privilege_use",
    }
    assert minimum <= set(ACTIONS)


if __name__ == "__main__":
    DOC.write_text(render_actions_doc(), encoding="utf-8")
    print(f"wrote {DOC}")
