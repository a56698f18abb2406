"""HAProxy ``log-format`` strings compiled into a regex whose groups feed ``haproxy.http``.

HAProxy writes what its ``log-format`` says; the common variables have a known shape
(``%ci`` client address, ``%tr`` request date, ``%ST`` status, ``%{+Q}r`` quoted request
line...).  Each becomes a named group that ``haproxy.http`` already knows (``client``,
``accept``, ``status``, ``request``...); any other variable or sample fetch
(``%[ssl_fc_sni]``, ``%TR``, ``%ac``) is kept in ``labels.haproxy.extra`` as
``name=value``.  A variable written twice is read once (the later one goes to labels).

Reference: https://docs.haproxy.org/2.8/configuration.html#8.2.6
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: ``%{+Q}var``, ``%var``, ``%[sample,conv]``; ``%%`` is a literal percent
_TOKEN = re.compile(r"%%|%(?:\{(?P<opts>[^}]*)\})?(?:\[(?P<sample>[^\]]*)\]|(?P<var>[A-Za-z]+))")
_DATE = r"\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?"
#: HAProxy variable -> (the group haproxy.http reads, its regex when not quoted)
KNOWN = {
    "ci": ("client", r"\S+?"),
    "cp": ("cport", r"\d+|-"),
    "t": ("accept", _DATE),
    "tr": ("accept", _DATE),
    "ft": ("frontend", r"\S+"),
    "f": ("frontend", r"\S+"),
    "b": ("backend", r"[^\s/]+"),
    "s": ("server", r"[^\s/]+"),
    "ST": ("status", r"-?\d+"),
    "B": ("bytes", r"\+?\d+"),
    "CC": ("req_cookie", r"\S+"),
    "CS": ("res_cookie", r"\S+"),
    "tsc": ("term", r"\S{4}"),
    "ts": ("term", r"\S{2}"),
    "Ta": ("timers", r"\+?-?\d+"),
    "Tt": ("timers", r"\+?-?\d+"),
    "hr": ("req_hdrs", r"[^}]*"),
    "hs": ("res_hdrs", r"[^}]*"),
    "r": ("request", r".*?"),
    "HM": ("method", r"\S+"),
    "HU": ("uri", r"\S+"),
    "HV": ("version", r"\S+"),
}
#: the shape of some variables that only go to labels
_SHAPES = {
    "TR": r"-?\d+", "Tw": r"-?\d+", "Tc": r"-?\d+", "Tr": r"-?\d+", "Th": r"-?\d+", "Ti": r"-?\d+",
    "Tq": r"-?\d+", "ac": r"\d+", "fc": r"\d+", "bc": r"\d+", "sc": r"\d+", "rc": r"\+?\d+",
    "sq": r"\d+", "bq": r"\d+", "U": r"\d+", "Ts": r"\d+", "ms": r"\d+", "pid": r"\d+",
}  # fmt: skip


@dataclass
class HaproxyFormat:
    """A compiled log-format: the body regex and, per label group, the name it goes under."""

    source: str
    regex: str
    labels: dict[str, str] = field(default_factory=dict)
    columns: set[str] = field(default_factory=set)


def compile_haproxy(fmt: str) -> HaproxyFormat:
    """Compile a ``log-format`` string (the part after ``log-format``, quotes optional)."""
    text = fmt.strip()
    if text.startswith("log-format "):
        text = text[len("log-format ") :].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    text = text.replace('\\"', '"').replace("\\ ", " ")
    parts: list[str] = ["^"]
    out = HaproxyFormat(source=fmt, regex="")
    pos = 0
    n = 0
    optional = False  # the previous field may be absent with its separating space
    for m in _TOKEN.finditer(text):
        literal = text[pos : m.start()]
        if optional and literal.startswith(" "):
            literal = literal[1:]
        optional = False
        parts.append(re.escape(literal))
        pos = m.end()
        if m.group(0) == "%%":
            parts.append("%")
            continue
        opts = m.group("opts") or ""
        quoted = "+Q" in opts
        var = m.group("var")
        name = var or f"[{m.group('sample')}]"
        known = KNOWN.get(var or "")
        if known and known[0] not in out.columns:
            group, regex = known
            out.columns.add(group)
        else:
            group = f"l{n}"
            n += 1
            out.labels[group] = name
            # the last field takes the rest of the line (a captured header holds spaces)
            regex = _SHAPES.get(var or "", r".*?" if m.end() == len(text.rstrip()) else r"\S*?")
        inner = r'[^"]*' if quoted else regex
        piece = f"(?P<{group}>{inner})"
        if var in ("hr", "hs"):
            # captured headers are written as {a|b}, and nothing at all (nor the space
            # after them) when none are captured
            optional = text[pos : pos + 1] == " "
            parts.append(rf"(?:\{{{piece}\}}{' ' if optional else ''})?")
            continue
        parts.append(f'"{piece}"' if quoted else piece)
    tail = text[pos:]
    parts.append(re.escape(tail[1:] if optional and tail.startswith(" ") else tail))
    parts.append(r"\s*$")
    out.regex = "".join(parts)
    return out


#: The reject reason of lines that follow a log-format without a date.
UNDATED = "the configured HAProxy log-format has no request date (%t or %tr): its lines cannot be placed"


#: ``option httpslog`` (HAProxy 2.5+), as documented.
HTTPSLOG = (
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r "
    "%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc"
)
