"""Screenshots of the report for docs/report.md, and its printed page counts.

    .venv/bin/python scripts/report_screenshots.py OUT_DIR [--dest docs/screenshots] [--lang en]

Builds the report of ``OUT_DIR`` (an ``investigate`` output folder, e.g. the sample case)
with a fixed generation time, opens it in headless Chromium (Debian's ``chromium`` driven
by Playwright, as the browser tests do) at 1366x768, and writes:

- ``report-first-screen.png``: what a reader sees on opening the file;
- ``report-timeline.png``: the timeline section;
- ``report-printed-page.png``: the second printed A4 page (running header and footer);

then prints the number of printed pages of the main body and of the whole document.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensics.report import build_report  # noqa: E402
from forensics.report.pdf import ChromiumError, browser, page_count, print_pdf  # noqa: E402

GENERATED_AT = "2025-01-01T00:00:00Z"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--dest", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    report = build_report(args.out_dir, lang=args.lang, generated_at=GENERATED_AT)
    with tempfile.TemporaryDirectory(prefix="report-shots-") as tmp:
        html = report.save(Path(tmp) / "report.html")
        try:
            with browser() as ctx:
                page = ctx.new_page()
                page.set_viewport_size({"width": 1366, "height": 768})
                page.goto(html.resolve().as_uri())
                page.wait_for_selector("#fig-timeline svg.main-svg", timeout=30000)
                page.wait_for_timeout(500)
                page.screenshot(path=str(args.dest / "report-first-screen.png"))
                page.locator("section.timeline").screenshot(path=str(args.dest / "report-timeline.png"))
                body = page_count(print_pdf(page, body_only=True))
                whole = print_pdf(page)
                pages = page_count(whole)
                pdf = Path(tmp) / "report.pdf"
                pdf.write_bytes(whole)
                shot = ctx.new_page()
                shot.set_viewport_size({"width": 794, "height": 1123})
                shot.goto(pdf.resolve().as_uri())
                shot.close()
                page.close()
        except ChromiumError as exc:
            print(exc, file=sys.stderr)
            return 1
        printed = _pdf_page_png(pdf, 2, args.dest / "report-printed-page.png")
    print(f"body: {body} printed A4 pages; whole document: {pages} pages")
    if not printed:
        print("pdftoppm (poppler-utils) is missing: no picture of a printed page", file=sys.stderr)
    return 0


def _pdf_page_png(pdf: Path, page: int, target: Path) -> bool:
    """Page ``page`` of ``pdf`` as a PNG, with poppler's pdftoppm (Chromium shows PDFs in a plugin)."""
    import shutil
    import subprocess

    tool = shutil.which("pdftoppm")
    if tool is None:
        return False
    stem = target.with_suffix("")
    subprocess.run(
        [tool, "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem)], check=True
    )
    return True


if __name__ == "__main__":
    raise SystemExit(main())
