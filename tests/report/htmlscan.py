"""Parse a report with the standard library's HTML parser: elements, attributes, scripts, text."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    styles: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    head_first: tuple[str, dict[str, str | None]] | None = None

    @property
    def body_text(self) -> str:
        return "".join(self.text)

    @property
    def executable(self) -> list[str]:
        return [body for attrs, body in self.scripts if attrs.get("type") is None]

    @property
    def json_blocks(self) -> list[tuple[dict[str, str | None], str]]:
        return [(a, b) for a, b in self.scripts if a.get("type") == "application/json"]

    def csp(self) -> dict[str, list[str]]:
        for tag, attrs in self.elements:
            if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
                out: dict[str, list[str]] = {}
                for part in (attrs.get("content") or "").split(";"):
                    words = part.split()
                    if words:
                        out[words[0]] = words[1:]
                return out
        return {}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in: tuple[str, dict[str, str | None]] | None = None
        self._buf: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.page.elements.append((tag, d))
        if self._in_head and self.page.head_first is None:
            self.page.head_first = (tag, d)
        if tag == "head":
            self._in_head = True
        if tag in ("script", "style"):
            self._in = (tag, d)
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if self._in is not None and tag == self._in[0]:
            body = "".join(self._buf)
            (self.page.scripts if tag == "script" else self.page.styles).append((self._in[1], body))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._buf.append(data)
        else:
            self.page.text.append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    # script and style contents are raw text for the parser (CDATA content model)
    parser.feed(html)
    parser.close()
    return parser.page


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
