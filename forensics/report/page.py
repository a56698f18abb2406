"""One self-contained HTML page: jinja2 templates, inlined plotly.js, JSON data, and its CSP.

The Content-Security-Policy is the page's first element and allows exactly the inline code
this module writes (by SHA-256) and nothing that loads from anywhere:

- ``default-src 'none'``: no fetch, font, frame, worker, object, media or manifest;
- ``script-src`` = the hashes of plotly.js and of the bootstrap script, no ``unsafe-*``;
  figure data sits in ``<script type="application/json">`` blocks, which never execute;
- ``style-src`` = the hash of the report's stylesheet and the hash of the empty string:
  plotly.js creates empty ``<style>`` elements and fills them through the CSSOM
  (``insertRule``, which CSP does not govern); an empty element can style nothing;
- ``img-src data:``: plotly draws heatmaps on a canvas and shows them as a PNG ``data:`` image;
- ``base-uri 'none'`` and ``form-action 'none'`` (not covered by ``default-src``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
EMPTY = ""
#: What the running header shows while the report's own hash is computed (see ``content_hash``).
HASH_PLACEHOLDER = "0" * 16
_FURNITURE = re.compile(r'<style id="print-furniture">(.*?)</style>', re.S)
_SHOWN = re.compile(r'--report-hash: "([0-9a-f]{16})"')


def csp_hash(text: str) -> str:
    """The CSP source expression for an inline script or style with this exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: ASCII only, no ``<``, ``>`` or ``&``.

    ``ensure_ascii`` turns U+2028/U+2029 into escapes; ``\\u003c`` keeps ``</script>`` and
    ``<!--`` out of the element whatever the data says.  Keys are sorted for stable bytes.
    """
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@cache
def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed ``plotly`` package, checked for inlining."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    lowered = js.lower()
    if "</script" in lowered or "<!--" in js or "\r" in js:
        raise RuntimeError("this plotly.js bundle cannot be inlined safely (</script, <!-- or CR inside)")
    return js


@cache
def plotly_style_ids() -> tuple[str, ...]:
    """Ids of ``<style>`` elements the bundle injects for traces we never draw (maps).

    The bundle skips the injection when an element with that id exists, so the page
    declares them empty instead of allowing their CSS.
    """
    pattern = r'document\.getElementById\("([0-9a-f]{32,64})"\)\)\{var \w+=document\.createElement\("style"\)'
    return tuple(sorted(set(re.findall(pattern, plotly_js()))))


def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8").replace("\r\n", "\n")


def environment() -> Environment:
    """Autoescape every template whatever its name, and make a missing value an error."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def content_security_policy(scripts: list[str], styles: list[str]) -> str:
    script_src = " ".join(sorted({csp_hash(s) for s in scripts}))
    style_src = " ".join(sorted({csp_hash(s) for s in styles}))
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: letters and digits as they are, the rest as ``\\HHHHHH``.

    Nothing a case name holds (a quote, a backslash, ``</style>``, a control character) can
    end the string or the element.
    """
    # a space after an escape would be read as the escape's end: spaces are escaped too
    return '"' + "".join(c if c.isalnum() and c.isprintable() else f"\\{ord(c):06x}" for c in text) + '"'


def furniture_css(top_left: str, top_right: str, bottom_left: str, page_word: str, digest: str) -> str:
    """The printed page's running header and footer (``@page`` margin boxes), and the report hash shown."""
    box = "font-family: var(--sans, sans-serif); font-size: 7.5pt; color: #52606d;"
    return (
        f':root {{ --report-hash: "{digest}"; }}\n'
        "@page {\n"
        f"  @top-left {{ content: {css_string(top_left)}; {box} }}\n"
        f'  @top-right {{ content: {css_string(top_right)} " {digest}"; {box} }}\n'
        f"  @bottom-left {{ content: {css_string(bottom_left)}; {box} }}\n"
        f'  @bottom-right {{ content: {css_string(page_word)} " " counter(page) " / " counter(pages); {box} }}\n'
        "}"
    )


def _page(context: dict[str, Any], figures: dict[str, Any], page_config: dict[str, Any], furniture: str) -> str:
    css = _asset("report.css")
    boot = _asset("bootstrap.js").strip()
    js = plotly_js()
    csp = content_security_policy([js, boot], [css, furniture, EMPTY])
    blocks = [{"id": fid, "json": script_json(fig)} for fid, fig in sorted(figures.items())]
    return (
        environment()
        .get_template("report.html")
        .render(
            **context,
            csp=csp,
            css=Markup(css),
            furniture_css=Markup(furniture),
            style_ids=plotly_style_ids(),
            plotly_js=Markup(js),
            bootstrap_js=Markup(boot),
            figure_blocks=blocks,
            page_config=script_json(page_config),
        )
    )


def render(
    context: dict[str, Any],
    figures: dict[str, Any],
    page_config: dict[str, Any],
    furniture: tuple[str, str, str, str] = ("", "SHA-256", "", ""),
) -> str:
    """The page: ``figures`` maps a fixed div id to a plotly figure dict.

    ``furniture`` is the running header and footer's text (top left, the label of the hash
    at top right, bottom left, the word for "page").  The hash printed on every page is the
    report's content hash: see ``content_hash``.
    """
    blank = furniture_css(*furniture[:3], furniture[3], HASH_PLACEHOLDER)
    draft = _page(context, figures, page_config, blank)
    digest = hashlib.sha256(draft.encode("utf-8")).hexdigest()[:16]
    return _swap(draft, blank, blank.replace(HASH_PLACEHOLDER, digest))


def _swap(html: str, old: str, new: str) -> str:
    """``html`` with its running-header stylesheet ``old`` replaced by ``new`` (and its CSP hash)."""
    element = f'<style id="print-furniture">{old}</style>'
    # the policy sits in an attribute, where its quotes are escaped: swap the bare digest
    old_digest, new_digest = csp_hash(old).strip("'"), csp_hash(new).strip("'")
    if html.count(element) != 1 or html.count(old_digest) != 1:
        raise ValueError("the running-header stylesheet or its policy hash is not there exactly once")
    return html.replace(element, f'<style id="print-furniture">{new}</style>').replace(old_digest, new_digest)


def content_hash(html: str) -> tuple[str, str] | None:
    """(the hash a report shows on every printed page, the hash its bytes give), or None.

    A page cannot hold its own SHA-256, so the hash shown is that of the same file with the
    shown value replaced by ``HASH_PLACEHOLDER`` in the running-header stylesheet (and the
    policy's hash of that stylesheet recomputed): the first 16 hex digits of SHA-256 of the
    report as it was before its hash was written into it.  The two values are equal when the
    file is intact.  ``report.html.sha256`` holds the hash of the file as it is.
    """
    block = _FURNITURE.search(html)
    shown = _SHOWN.search(block.group(1)) if block else None
    if block is None or shown is None:
        return None
    current = block.group(1)
    blank = current.replace(shown.group(1), HASH_PLACEHOLDER)
    try:
        draft = _swap(html, current, blank)
    except ValueError:
        return shown.group(1), ""
    return shown.group(1), hashlib.sha256(draft.encode("utf-8")).hexdigest()[:16]
