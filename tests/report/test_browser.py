"""The report in a real browser: Debian's Chromium, driven by Playwright, opened from disk.

Zero console errors (a CSP violation is one), zero page errors, no request but the file
itself, the figures drawn as SVG with marks, hostile text inert, and screenshots in
/tmp/report-shots/ to look at.  Skips only when Chromium or Playwright is missing
(``scripts/test.sh`` installs both: ``apt-get install chromium``, ``pip install playwright``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from forensics.report import Report
from forensics.report.pdf import ARGS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/report-shots")


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium is not installed at /usr/bin/chromium (apt-get install chromium; scripts/test.sh does it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright; scripts/test.sh does it)")
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield ctx
        finally:
            ctx.close()


@dataclass
class Visit:
    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        bad = [f"{kind}: {text}" for kind, text in self.console if kind in ("error", "warning", "assert")]
        bad += [f"{kind}: {text}" for kind, text in self.console if "Content Security Policy" in text]
        return bad + [f"pageerror: {e}" for e in self.errors] + [f"dialog: {d}" for d in self.dialogs]


def _open(context: Any, path: Path, wait_for: str = "#fig-timeline svg.main-svg") -> Visit:
    page = context.new_page()
    visit = Visit(page)
    page.on("console", lambda m: visit.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))

    def on_dialog(d: Any) -> None:
        visit.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(wait_for, timeout=30000)
    page.wait_for_timeout(500)
    return visit


def _only_the_file(visit: Visit, path: Path) -> None:
    others = [u for u in visit.requests if u != path.resolve().as_uri() and not u.startswith("data:")]
    assert not others, others


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_renders_without_errors(
    context: Any, tmp_path: Path, report_en: Report, report_fr: Report, lang: str
) -> None:
    report = report_en if lang == "en" else report_fr
    path = report.save(tmp_path / f"report-{lang}.html")
    visit = _open(context, path)
    page = visit.page
    assert not visit.problems, visit.problems
    _only_the_file(visit, path)
    marks = page.locator("#fig-timeline svg .scatterlayer .point").count()
    assert marks > 1000, marks
    assert page.locator("#fig-timeline svg .barlayer .point").count() >= 10  # one bar per finding
    assert page.locator("#fig-coverage svg .heatmaplayer image").count() == 1
    # the gap: the silence runs over two clock hours (from the last event before the lost hour)
    assert 1 <= page.locator("#fig-coverage svg .scatterlayer .point").count() <= 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-{lang}-first-screen.png"), full_page=False)
    page.screenshot(path=str(SHOTS / f"report-{lang}-full.png"), full_page=True)
    page.locator("#s3").scroll_into_view_if_needed()
    page.locator("section.timeline").screenshot(path=str(SHOTS / f"report-{lang}-timeline.png"))
    page.close()


def test_hover_zoom_and_print(context: Any, tmp_path: Path, report_en: Report) -> None:
    path = report_en.save(tmp_path / "report.html")
    visit = _open(context, path)
    page = visit.page
    page.locator("#fig-timeline").scroll_into_view_if_needed()
    point = page.locator("#fig-timeline svg .scatterlayer .trace").nth(1).locator(".point").first
    box = point.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#fig-timeline .hoverlayer .hovertext", timeout=5000)
    hover = page.locator("#fig-timeline .hoverlayer .hovertext").first.text_content() or ""
    assert "access.log" in hover and "+02:00" in hover, hover
    plot = page.locator("#fig-timeline svg .nsewdrag").first.bounding_box()
    assert plot is not None
    page.mouse.move(plot["x"] + plot["width"] * 0.8, plot["y"] + 10)
    page.mouse.down()
    page.mouse.move(plot["x"] + plot["width"] * 0.9, plot["y"] + plot["height"] - 10, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    page.emulate_media(media="screen")
    assert not visit.problems, visit.problems
    _only_the_file(visit, path)
    page.close()


def test_hostile_report_is_inert(context: Any, tmp_path: Path, hostile_report: Report) -> None:
    path = hostile_report.save(tmp_path / "hostile.html")
    visit = _open(context, path)
    page = visit.page
    assert not visit.problems, visit.problems
    assert not visit.dialogs
    _only_the_file(visit, path)
    # plotly turned no label into a link, an image or styled markup
    assert page.locator("#fig-timeline svg a").count() == 0
    assert page.locator("img, iframe, object, embed, form, base, link").count() == 0
    scripts = page.locator("script:not([type])").count()
    assert scripts == 2
    # no event handler, link or source from data in the live DOM; plotly keeps each label's
    # text in data-unformatted (an inert attribute value), which is the only place data may sit
    tagged = page.evaluate(
        """() => Array.from(document.querySelectorAll('*')).flatMap(e =>
               Array.from(e.attributes)
                 .filter(a => /^on/i.test(a.name) || /xss/i.test(a.name)
                              || (a.name !== 'data-unformatted' && /xss|javascript:/i.test(a.value)))
                 .map(a => e.tagName + ' ' + a.name + '=' + a.value))"""
    )
    assert tagged == []
    lanes = page.locator("#fig-timeline svg .ytick text").all_text_contents()
    assert any("<svg onload=alert(XSS-host)><b>bold" in lane for lane in lanes), lanes
    page.locator("#fig-timeline").scroll_into_view_if_needed()
    point = page.locator("#fig-timeline svg .scatterlayer .point").first
    box = point.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#fig-timeline .hoverlayer .hovertext", timeout=5000)
    hover = page.locator("#fig-timeline .hoverlayer .hovertext").first.text_content() or ""
    assert "XSS" in hover and "<" in hover, hover
    assert page.locator("#fig-timeline .hoverlayer a").count() == 0
    assert not visit.dialogs
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-hostile-first-screen.png"), full_page=False)
    page.close()


def test_notebook_iframe(context: Any, tmp_path: Path, report_en: Report) -> None:
    """``_repr_html_`` in a page like a notebook's output: drawn inside its sandboxed frame."""
    wrapper = tmp_path / "notebook.html"
    wrapper.write_text(f"<!DOCTYPE html><html><body><div>{report_en._repr_html_()}</div></body></html>", "utf-8")
    page = context.new_page()
    console: list[tuple[str, str]] = []
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.goto(wrapper.resolve().as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("#fig-timeline svg.main-svg").first.wait_for(timeout=30000)
    assert frame.locator("#fig-timeline svg .scatterlayer .point").count() > 1000
    assert not [c for c in console if c[0] == "error"], console
    page.close()


#: What a reader gets on paper: the main body of the sample case fits in this many A4 pages.
BODY_PAGES = 15


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_printed_body_is_short_and_nothing_overflows(
    context: Any, tmp_path: Path, report_en: Report, report_fr: Report, lang: str
) -> None:
    """The body prints on at most BODY_PAGES pages, the annexes after it; no table or figure
    is wider than its column, on a 1366x768 screen or on paper."""
    from forensics.report.pdf import page_count, print_pdf

    report = report_en if lang == "en" else report_fr
    path = report.save(tmp_path / f"report-{lang}.html")
    visit = _open(context, path)
    page = visit.page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(300)
    overflow = """() => Array.from(document.querySelectorAll('main table, main .figure, main pre'))
        .filter(e => e.offsetParent !== null)
        .filter(e => { const p = e.closest('section, details'); return p && e.getBoundingClientRect().right
                        > p.getBoundingClientRect().right + 1; })
        .map(e => (e.closest('section, details').id || e.closest('section, details').querySelector('h2').id)
                  + ' ' + e.tagName + '.' + e.className)"""
    page.evaluate("() => document.querySelectorAll('details.annex').forEach(d => { d.open = true; })")
    assert page.evaluate(overflow) == []
    body = page_count(print_pdf(page, body_only=True))
    whole = page_count(print_pdf(page))
    assert 1 < body <= BODY_PAGES, body
    assert whole > body  # the annexes print after the body
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 less its margins, at 96 dpi
    page.wait_for_timeout(300)
    assert page.evaluate(overflow) == []
    page.emulate_media(media="screen")
    assert not visit.problems, visit.problems
    page.close()


def test_running_header_hash_and_pdf(tmp_path: Path, report_en: Report, case_out: Path) -> None:
    """The hash printed on every page is the report's content hash; --pdf writes a PDF and its .sha256."""
    import hashlib
    import subprocess
    import sys

    from forensics.report.page import content_hash

    shown, computed = content_hash(report_en.html)
    assert shown == computed == report_en.content_hash and len(shown) == 16
    tampered = report_en.html.replace("End of report.", "End of the report.")
    shown2, computed2 = content_hash(tampered)
    assert shown2 == shown and computed2 != shown  # a changed byte no longer matches
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    # the command, in its own process (this one already drives a browser for the other tests)
    out = tmp_path / "r.html"
    run = subprocess.run(
        [sys.executable, "-m", "forensics", "report", str(case_out), "-o", str(out), "--pdf",
         "--generated-at", "2024-10-29T09:00:00+01:00"],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    pdf = out.with_suffix(".pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    digest = hashlib.sha256(data).hexdigest()
    assert pdf.with_name("r.pdf.sha256").read_text() == f"{digest}  r.pdf\n"
    check = subprocess.run(["sha256sum", "-c", "r.pdf.sha256"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
