"""Displaying attacker-controlled text: visible controls, truncation, defanging, plotly labels.

Every string that comes from a log, a findings file or a file name passes through one of
these before it is shown.  None of them returns markup: HTML escaping is left to jinja2's
autoescape (templates) or to ``plot_text`` (plotly, which reads ``<a>``, ``<br>`` and
``<span style>`` in labels and hover text).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from forensics.redact import redact

#: C0/C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates,
#: zero-width and BOM characters: shown as ``\xNN`` / ``\uNNNN`` so that nothing is hidden or
#: reordered on screen.  ``show_block`` keeps ``\n`` and ``\t``.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_HIDDEN_BLOCK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show(value: object) -> str:
    """One-line display text: secrets masked, every control or invisible character made visible."""
    if value is None:
        return ""
    return _HIDDEN.sub(_visible, redact(str(value)))


def show_block(value: object) -> str:
    """Multi-line display text (raw log records): keeps newlines and tabs, shows the rest."""
    if value is None:
        return ""
    return _HIDDEN_BLOCK.sub(_visible, redact(str(value).replace("\r\n", "\n")))


def truncate(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters, and how many were left out."""
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def defang(value: object) -> str:
    """``203.0.113.14`` -> ``203.0.113[.]14``; IPv6 gets ``[:]``; other text ``[.]`` and ``hxxp``.

    Defanged indicators cannot be clicked, resolved or pasted into a tool by mistake.
    """
    text = show(value)
    if is_ip(text):
        if ":" in text:
            head, _, tail = text.rpartition(":")
            return f"{head}[:]{tail}"
        head, _, tail = text.rpartition(".")
        return f"{head}[.]{tail}"
    text = re.sub(r"(?i)\bhttp", "hxxp", text)
    return text.replace("://", "[://]").replace(".", "[.]")


def ip_runs(ips: Iterable[str]) -> list[tuple[str, str, int]]:
    """Consecutive IPv4 addresses grouped: [(first, last, count)], others alone, sorted."""
    v4: list[ipaddress.IPv4Address] = []
    other: list[str] = []
    for ip in set(ips):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            other.append(ip)
            continue
        if isinstance(addr, ipaddress.IPv4Address):
            v4.append(addr)
        else:
            other.append(ip)
    runs: list[tuple[str, str, int]] = []
    for addr in sorted(v4):
        if runs and int(ipaddress.IPv4Address(runs[-1][1])) + 1 == int(addr):
            first, _, n = runs[-1]
            runs[-1] = (first, str(addr), n + 1)
        else:
            runs.append((str(addr), str(addr), 1))
    return runs + [(ip, ip, 1) for ip in sorted(other)]


def ip_sort_key(value: str) -> tuple[int, int, str]:
    """IPv4 before IPv6 before anything else, numerically."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return (2, 0, value)
    return (addr.version // 6, int(addr), value)


def plot_text(value: object, limit: int = 160) -> str:
    """Text for a plotly label or hover field: visible controls, cut, and ``& < >`` escaped.

    plotly.js parses a small HTML subset in every label (``<a href>``, ``<br>``, ``<b>``,
    ``<span style>``) and decodes ``&lt; &gt; &amp;`` for display, so escaping these three
    makes any string display literally and produce no element.
    """
    text, cut = truncate(show(value), limit)
    if cut:
        text += "\u2026"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def join_ids(ids: Iterable[str]) -> str:
    """Finding ids for display: unique, in order, control characters made visible."""
    return ", ".join(show(i) for i in dict.fromkeys(ids))


def ip_display(ips: Iterable[str]) -> list[str]:
    """Defanged addresses, consecutive IPv4 runs written as one range."""
    out = []
    for first, last, n in ip_runs(ips):
        out.append(f"{defang(first)} – {defang(last)}" if n > 1 else defang(first))
    return out
