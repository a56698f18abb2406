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


def render(context: dict[str, Any], figures: dict[str, Any], page_config: dict[str, Any]) -> str:
    """The page: ``figures`` maps a fixed div id to a plotly figure dict."""
    css = _asset("report.css")
    boot = _asset("bootstrap.js").strip()
    js = plotly_js()
    csp = content_security_policy([js, boot], [css, EMPTY])
    blocks = [{"id": fid, "json": script_json(fig)} for fid, fig in sorted(figures.items())]
    html = (
        environment()
        .get_template("report.html")
        .render(
            **context,
            csp=csp,
            css=Markup(css),
            style_ids=plotly_style_ids(),
            plotly_js=Markup(js),
            bootstrap_js=Markup(boot),
            figure_blocks=blocks,
            page_config=script_json(page_config),
        )
    )
    return html
