"""The report printed to PDF by headless Chromium: the exhibit a court file holds.

Debian's ``chromium`` is driven through Playwright's Python package (a dependency; it
downloads no browser), the same way the browser tests open the report: from disk,
with no network, a throw-away profile, and the page's own CSP in force.  The running header
and footer are the stylesheet's ``@page`` margin boxes, so a PDF written here and the page
printed from a browser look the same.  Chromium stamps its creation date into the PDF, so
two prints of the same page differ by a few bytes: ``report.pdf.sha256`` pins the file
that was written; the HTML is what rebuilds byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Where Debian installs Chromium; ``FORENSICS_CHROMIUM`` names another binary.
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumError(RuntimeError):
    """Chromium or Playwright is missing, or the page could not be printed."""


def chromium_path() -> Path:
    """The Chromium binary to use, or a ChromiumError that says how to install it."""
    named = os.environ.get("FORENSICS_CHROMIUM")
    candidates = [named] if named else [CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise ChromiumError(
        "--pdf needs Chromium: install it (Debian/Ubuntu: apt-get install chromium) "
        "or set FORENSICS_CHROMIUM to its path"
    )


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium context (Playwright), closed on exit."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise ChromiumError(
            "--pdf needs the playwright Python package: pip install playwright (a dependency of forensic-timeline)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="forensics-pdf-") as profile, sync_playwright() as p:
        try:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=str(path), headless=True, args=ARGS, viewport={"width": 1366, "height": 768}
            )
        except Exception as exc:  # playwright raises its own Error type
            raise ChromiumError(f"Chromium ({path}) did not start: {exc}") from exc
        try:
            yield ctx
        finally:
            ctx.close()


def print_pdf(page: Any, *, body_only: bool = False) -> bytes:
    """The open report ``page`` printed on A4 as the stylesheet lays it out.

    ``body_only`` leaves the annexes out (the page's ``body-only`` class), which is how the
    tests measure the main body's length.
    """
    # the annexes print open (the page's own script does it on beforeprint, which a PDF
    # printed through the DevTools protocol may not fire)
    opened = page.evaluate(
        """(bodyOnly) => {
            if (bodyOnly) { document.documentElement.classList.add('body-only'); }
            const closed = Array.from(document.querySelectorAll('details.annex:not([open])'));
            closed.forEach(d => { d.open = true; });
            return closed.map(d => d.id);
        }""",
        body_only,
    )
    page.emulate_media(media="print")
    try:
        return page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.emulate_media(media="screen")
        page.evaluate(
            """(ids) => {
                document.documentElement.classList.remove('body-only');
                ids.forEach(id => { document.getElementById(id).open = false; });
            }""",
            opened,
        )


def page_count(pdf: bytes) -> int:
    """Pages in a PDF Chromium wrote (its page objects are ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def write_pdf(html: Path, target: Path) -> Path:
    """Print the saved report ``html`` to ``target`` and write ``target.sha256`` beside it."""
    with browser() as ctx:
        page = ctx.new_page()
        page.goto(html.resolve().as_uri())
        try:
            page.wait_for_selector("#fig-timeline svg.main-svg, main", timeout=30000)
            page.wait_for_function("() => document.readyState === 'complete'", timeout=30000)
        except Exception as exc:
            raise ChromiumError(f"the report did not load in Chromium: {exc}") from exc
        page.wait_for_timeout(300)
        data = print_pdf(page)
        page.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    return target
