"""docs/actions.md is generated from the code: the action vocabulary and the parsers that produce each action.

Regenerate with ``python -m pytest tests/parsers/app/test_actions_doc.py --update-goldens``
(or ``python -m tests.parsers.app.test_actions_doc``); the test fails whenever the page and
the code disagree, so the page never drifts.
"""

from __future__ import annotations

from pathlib import Path

from forensics.schema import ACTIONS
from parsers.base import load_all

DOC = Path(__file__).resolve().parents[3] / "docs" / "actions.md"
#: A parser whose ``actions`` holds this produces whatever the case config maps (jsonl, csv).
MAPPED = "*"


def render_actions_doc() -> str:
    """The Markdown page: one row per action, with the parsers that declare it."""
    registry = load_all()
    producers: dict[str, list[str]] = {action: [] for action in ACTIONS}
    mapped: list[str] = []
    undeclared: list[str] = []
    silent: list[str] = []
    unknown: list[str] = []
    for name, cls in registry.items():
        declared = getattr(cls, "actions", None)
        if declared is None:
            undeclared.append(name)
            continue
        if not declared:
            silent.append(name)
        for action in declared:
            if action == MAPPED:
                mapped.append(name)
            elif action in producers:
                producers[action].append(name)
            else:
                unknown.append(f"{name}: {action}")
    if unknown:
        raise ValueError(f"parsers declare actions outside forensics.schema.ACTIONS: {unknown}")
    lines = [
        "# The action vocabulary (`event.action`)",
        "",
        "<!-- Generated from forensics.schema.ACTIONS and the parsers' `actions` declarations by",
        "     tests/parsers/app/test_actions_doc.py; do not edit by hand. Regenerate with",
        "     python -m pytest tests/parsers/app/test_actions_doc.py --update-goldens -->",
        "",
        "Every source maps what it records into this one list, so that a login is a `login`",
        "whether it comes from the application's tables, sshd or a mapped audit log, and the",
        "correlators can ask one question of all of them.  `event.outcome` says whether it",
        "worked (`success`, `failure`, `unknown`).",
        "",
        "| action | meaning | produced by |",
        "|---|---|---|",
    ]
    mapped_note = ", ".join(f"`{m}`" for m in mapped)
    for action, meaning in ACTIONS.items():
        names = ", ".join(f"`{n}`" for n in producers[action]) or "none yet"
        lines.append(f"| `{action}` | {meaning} | {names} |")
    lines += [""]
    if mapped:
        lines += [
            f"{mapped_note} produce any of these actions: the case config maps the application's own",
            'words onto them (`[source.values."event.action"]`); a value outside the list becomes',
            "`log_message` with the tag `action_unmapped`, and the source value stays in `labels`.",
            "",
        ]
    if silent:
        lines += [
            "Parsers that produce no events (reference tables, read to resolve ids in other tables): "
            + ", ".join(f"`{n}`" for n in silent)
            + ".",
            "",
        ]
    if undeclared:
        lines += [
            "Parsers that do not declare their actions yet (class attribute `actions`): "
            + ", ".join(f"`{n}`" for n in undeclared)
            + ".",
            "",
        ]
    return "\n".join(lines)


def test_actions_doc_matches_the_code(update_goldens: bool) -> None:
    text = render_actions_doc()
    if update_goldens or not DOC.exists():
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/actions.md is out of date: run python -m pytest tests/parsers/app/test_actions_doc.py --update-goldens"
    )


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
