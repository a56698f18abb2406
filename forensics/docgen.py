"""Reference pages generated from the code, so the docs cannot drift from it.

``python -m forensics.docgen`` rewrites them; a test fails when a page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from forensics.schema import ACTIONS, FIELDS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _dtype_name(dtype: object) -> str:
    return str(dtype).replace("Datetime(time_unit='us', time_zone='UTC')", "Datetime(µs, UTC)")


def schema_markdown() -> str:
    """docs/schema.md: every event column with its type and meaning."""
    lines = [
        "# The event schema",
        "",
        "Every parser's output is conformed to this one schema (`forensics.schema.EVENT_SCHEMA`), so",
        "frames from any source concatenate. Names follow the Elastic Common Schema where it has a",
        "field, plaso/Timesketch for the timeline trio and OpenTelemetry for `db.*`. Columns are a",
        "contract: new ones may be added, none is renamed. The `event.action` vocabulary is in",
        "[actions.md](actions.md).",
        "",
        "Generated from `forensics/schema.py` by `python -m forensics.docgen`; do not edit by hand.",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    for name, (dtype, doc) in FIELDS.items():
        lines.append(f"| `{name}` | {_dtype_name(dtype)} | {doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def formats_markdown() -> str:
    """docs/formats.md: every registered parser with its description and reference."""
    from parsers.base import load_all

    lines = [
        "# Formats",
        "",
        "What `forensics formats` lists. A format is chosen by the case config (`format = ...`),",
        "by `--format`, or by detection on the first 64 KiB of each file.",
        "",
        "Generated from the parser registry by `python -m forensics.docgen`; do not edit by hand.",
        "",
        "| name | description | detected | reference |",
        "|---|---|---|---|",
    ]
    for name, cls in load_all().items():
        if name.startswith("test."):
            continue
        doc = cls.__doc__ or ""
        module_doc = sys.modules[cls.__module__].__doc__ or ""
        ref = next(
            (
                ln.split("Reference:", 1)[1].strip()
                for ln in (doc + "\n" + module_doc).splitlines()
                if "Reference:" in ln
            ),
            "",
        )
        lines.append(
            f"| `{name}` | {cls.description().replace('|', '/')} | {'yes' if cls.detectable else 'config only'} | {ref} |"
        )
    return "\n".join(lines) + "\n\n" + coverage_markdown()


def coverage_markdown() -> str:
    """The coverage table of docs/formats.md: variants read, detection, what is not read.

    The words come from ``parsers.coverage.COVERAGE``; "how detected" is derived from each
    parser class (``parsers.coverage.how_detected``).
    """
    from forensics.intake.detect import MIN_SCORE
    from parsers.base import load_all
    from parsers.coverage import COVERAGE, how_detected

    lines = [
        "## Coverage",
        "",
        "What each format reads without help, how `forensics detect` recognises it (read from the",
        "parser's code), and what it does not read. A line that is not read is never dropped: it is",
        "a reject with its reason in `rejects.parquet`, and `event.original` keeps every record whole.",
        "",
        "| format | variants read | how detected | not read |",
        "|---|---|---|---|",
    ]
    for name, cls in load_all().items():
        if name.startswith("test."):
            continue
        entry = COVERAGE.get(name)
        variants = entry.variants if entry else "(no coverage entry)"
        missing = entry.not_read if entry else "(no coverage entry)"
        cells = [f"`{name}`", variants, how_detected(cls, MIN_SCORE), missing]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


MAPPED = "*"  # a parser whose ``actions`` holds this produces whatever the case config maps


def actions_markdown() -> str:
    """The Markdown page: one row per action, with the parsers that declare it."""
    from parsers.base import load_all

    registry = load_all()
    producers: dict[str, list[str]] = {action: [] for action in ACTIONS}
    mapped: list[str] = []
    undeclared: list[str] = []
    silent: list[str] = []
    unknown: list[str] = []
    for name, cls in registry.items():
        if name.startswith("test."):
            continue
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
        "     python -m forensics.docgen; do not edit by hand. -->",
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
    lines += [
        "## Account changes and their target",
        "",
        "`account_created`, `permission_changed` and `password_changed` say who acted (`user.name`) and",
        "which account the change acted on: `user.target.name` (and `user.target.id` when the source",
        "gives an id); `user.changes.roles` lists the roles or permissions a change granted.  Created",
        "targets become the `created_accounts` of a persistence finding, and the backdoors of a",
        "compromised creator.  A mapped audit trail names them in `[source.fields]`",
        '(`"user.target.name" = "target"`, `"user.changes.roles" = "roles"`, see [config.md](config.md)).',
        "",
        "API keys, tokens and service principals are accounts too: map the creation of a key or of a",
        "service principal to `account_created` with the key or principal as the target (for example",
        "`apikey:reporting-2`); a new key or token issued to an existing account is a new credential of",
        "that account: `password_changed` with that account as the target.",
        "",
        "Mediboard: a `user_log`/`user_action` change of `CUser`/`CMediusers` targets that user (its id,",
        "and its login when the row stored `user_username`); a change of a right (`CPermModule`,",
        "`CPermObject`) targets the `user_id` the right belongs to; the `users` table's password date",
        "targets the account itself.",
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


def detectors_markdown() -> str:
    """docs/detectors.md: every detector as its module declares it, and every application profile."""
    from forensics.apps import discover
    from forensics.correlate.detectors import MODULES
    from forensics.correlate.thresholds import ACCESS_SIGNALS

    lines = [
        "# Detectors and application profiles",
        "",
        "Generated from the code (`python -m forensics.docgen`). Each detector is one module of",
        "`forensics/correlate/detectors/`, found by auto-discovery, that declares what is below; how",
        "to add one is in [adding-a-detector.md](adding-a-detector.md), what each rule means in",
        "[correlation.md](correlation.md). Signals marked * show use of the account by someone else",
        "(one is required for `compromised`).",
        "",
        "| order | detector | what it finds | ATT&CK | signals (weight) | baseline | own thresholds |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in MODULES:
        summary = ((m.__doc__ or "").strip().splitlines() or [""])[0].replace("|", "\\|")
        signals = ", ".join(
            f"`{k}`{'*' if k in ACCESS_SIGNALS else ''} ({w:g})" for k, w in getattr(m, "SIGNALS", {}).items()
        )
        own = ", ".join(f"`{k}` = {v!r}" for k, v in getattr(m, "THRESHOLDS", {}).items())
        techniques = ", ".join(getattr(m, "TECHNIQUES", ())) or "none"
        lines.append(
            f"| {m.ORDER} | `{m.NAME}` | {summary} | {techniques} | {signals or 'none'} | "
            f"{getattr(m, 'BASELINE', '')} | {own} |"
        )
    lines += [
        "",
        "## Application profiles",
        "",
        "One module of `forensics/apps/` per application (see `forensics/apps/__init__.py`). The case",
        "config picks one with `[app] profile = ...`; otherwise the first whose datasets are in the",
        "evidence, else `generic`.",
        "",
        "| profile | what it knows | datasets | `[app]` options |",
        "|---|---|---|---|",
    ]
    for name, cls in sorted(discover().items()):
        prefixes = ", ".join(f"`{p}*`" for p in cls.dataset_prefixes) or "any"
        options = ", ".join(f"`{k}`" for k in cls.defaults) or "none"
        lines.append(f"| `{name}` | {cls.description()} | {prefixes} | {options} |")
    lines.append("")
    return "\n".join(lines)


PAGES = {
    "schema.md": schema_markdown,
    "formats.md": formats_markdown,
    "actions.md": actions_markdown,
    "detectors.md": detectors_markdown,
}


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, build in PAGES.items():
        (DOCS / name).write_text(build(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
