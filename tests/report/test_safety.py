"""The report is safe to open: hostile text stays text, and the page loads and runs only its own code."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from forensics.report import Report
from forensics.report.page import csp_hash, plotly_js, script_json
from tests.report import hostile
from tests.report.htmlscan import Page, parse, sha256_source

#: Every element and attribute the templates write.  Anything else came from data.
ALLOWED_TAGS = {
    "details",
    "summary",
    "html", "head", "meta", "title", "style", "body", "div", "header", "p", "h1", "h2", "h3", "h4", "nav", "ol",
    "ul", "li", "a", "main", "section", "dl", "dt", "dd", "span", "table", "thead", "tbody", "tr", "th", "td",
    "strong", "code", "pre", "br", "article", "footer", "script", "noscript",
}  # fmt: skip
ALLOWED_ATTRS = {
    "lang", "http-equiv", "content", "charset", "name", "id", "class", "href", "aria-label", "type",
    "data-figure", "colspan", "scope",
}  # fmt: skip
LOADING_ATTRS = {"src", "srcset", "href", "action", "formaction", "poster", "data", "background", "xlink:href"}


@pytest.fixture(scope="module")
def page(hostile_report: Report) -> Page:
    return parse(hostile_report.html)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def test_no_element_or_attribute_comes_from_data(page: Page) -> None:
    for tag, attrs in page.elements:
        assert tag in ALLOWED_TAGS, f"unexpected element <{tag}>"
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRS, f"unexpected attribute {name} on <{tag}>"
            assert "xss" not in (value or "").lower(), f"data reached an attribute: {name}={value!r}"
            assert "javascript:" not in (value or "").lower()
        if tag == "a":
            assert (attrs.get("href") or "").startswith("#"), attrs


def test_hostile_strings_are_shown_as_text(page: Page, hostile_report: Report) -> None:
    text = page.body_text
    for payload in hostile.PAYLOADS:
        if "\u2028" in payload or "\x1b" in payload or "\u202e" in payload:
            continue
        assert payload in text, f"payload not displayed literally: {payload!r}"
    # invisible and reordering characters are made visible
    assert "\\u2028" in text and "\\u202e" in text and "\\x1b" in text
    assert "\u202e" not in hostile_report.html and "\x1b" not in hostile_report.html
    for s in (hostile.CASE, hostile.ANALYST, hostile.TITLE, hostile.HOST):
        assert s in text


def test_scripts_are_only_ours(page: Page) -> None:
    assert len(page.executable) == 2
    assert page.executable[0] == plotly_js()
    blocks = page.json_blocks
    assert {a.get("data-figure") for a, _ in blocks} == {None, "fig-timeline", "fig-coverage"}
    for _, body in blocks:
        assert "<" not in body and ">" not in body and "&" not in body
        assert "\u2028" not in body and "\u2029" not in body
        assert body.isascii()
        json.loads(body)


def test_plotly_text_cannot_make_elements(page: Page) -> None:
    """plotly renders <a>, <br>, <b>, <span style> in labels: data strings must carry no '<'."""
    for attrs, body in page.json_blocks:
        if attrs.get("data-figure") is None:
            continue
        figure = json.loads(body)
        for trace in figure["data"]:
            for key in ("x", "y", "customdata", "text", "name"):
                for s in _strings(trace.get(key)):
                    assert "<" not in s and ">" not in s, f"{key}: {s!r}"
            template = trace.get("hovertemplate", "")
            assert "xss" not in template.lower()
            # <b>, <i>, <span style> become style attributes, which the policy refuses
            assert set(re.findall(r"<[^>]*>", template)) <= {"<br>", "<extra>", "</extra>"}, template
        layout_text = _strings(figure["layout"])
        assert not [s for s in layout_text if "xss" in s.lower() and "<" in s]


def test_hostile_file_and_host_names_are_escaped_in_lanes(page: Page) -> None:
    figure = json.loads(next(b for a, b in page.json_blocks if a.get("data-figure") == "fig-timeline"))
    lanes = figure["layout"]["yaxis"]["categoryarray"]
    assert any("&lt;svg onload=alert(XSS-host)&gt;&lt;b&gt;bold" in lane for lane in lanes)


def test_csp_is_first_and_strict(page: Page, hostile_report: Report) -> None:
    assert page.head_first is not None
    tag, attrs = page.head_first
    assert tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    head_start = hostile_report.html.index("<head>") + len("<head>")
    assert hostile_report.html[head_start:].lstrip().startswith('<meta http-equiv="Content-Security-Policy"')
    csp = page.csp()
    assert csp["default-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    assert csp["img-src"] == ["data:"]
    raw = next(a["content"] for t, a in page.elements if t == "meta" and a.get("http-equiv"))
    assert "unsafe" not in (raw or "")
    assert "http" not in (raw or "") and "*" not in (raw or "")
    for directive in ("script-src", "style-src"):
        assert all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", s) for s in csp[directive]), csp[directive]
    for body in page.executable:
        assert sha256_source(body) in csp["script-src"]
    assert len(csp["script-src"]) == len(page.executable)
    for _, body in page.styles:
        assert sha256_source(body) in csp["style-src"]


def test_nothing_loads_from_anywhere(page: Page) -> None:
    for tag, attrs in page.elements:
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "form", "video", "audio", "source"}
        for name, value in attrs.items():
            if name in LOADING_ATTRS:
                assert value is not None and value.startswith("#"), f"{tag} {name}={value!r}"
            assert name != "style" and not name.startswith("on")
    for _, css in page.styles:
        assert "url(" not in css and "@import" not in css
    # the text never holds a clickable or loading scheme in attributes; links are fragments only
    hrefs = [a["href"] for t, a in page.elements if "href" in a]
    assert hrefs and all(h and h.startswith("#") for h in hrefs)


def test_attack_references_are_text_not_links(report_en: Report) -> None:
    p = parse(report_en.html)
    assert "attack.mitre.org/techniques/T1110/003" in p.body_text
    assert not [a for t, a in p.elements if t == "a" and "mitre" in (a.get("href") or "")]


def test_script_json_escapes_breakers() -> None:
    text = str(script_json({"a": "</script><!--\u2028\u2029&'\"", "b": [1, 2]}))
    assert "</" not in text and "<!--" not in text and "\u2028" not in text and "&" not in text
    assert json.loads(text)["a"] == "</script><!--\u2028\u2029&'\""


def test_csp_hash_format() -> None:
    assert csp_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def test_plotly_bundle_is_inlined_once(report_en: Report) -> None:
    js = plotly_js()
    assert report_en.html.count(js[:2000]) == 1
    assert report_en.html.count("<script>") == 2
