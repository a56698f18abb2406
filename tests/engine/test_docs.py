"""Generated reference pages must match the code."""

from __future__ import annotations

import pytest

from forensics.docgen import DOCS, PAGES


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_is_current(name: str) -> None:
    page = DOCS / name
    assert page.is_file(), f"docs/{name} is missing: run python -m forensics.docgen"
    assert page.read_text(encoding="utf-8") == PAGES[name](), f"docs/{name} is stale: run python -m forensics.docgen"
