"""Reference pages generated from the code, so the docs cannot drift from it.

``python -m forensics.docgen`` rewrites them; a test fails when a page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from forensics.schema import FIELDS

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
    return "\n".join(lines) + "\n"


PAGES = {"schema.md": schema_markdown, "formats.md": formats_markdown}


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, build in PAGES.items():
        (DOCS / name).write_text(build(), encoding="utf-8")
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
