"""Compile an Apache ``LogFormat`` or an nginx ``log_format`` string into a line layout.

A format becomes a list of *items*: literal text and *slots*.  A slot is one field of the
line, named by its *role* (``peer``, ``request``, ``status``, ``label:...``): the role is
what the access engine (``parsers.web.access``) turns into schema columns, so Apache and
nginx formats share one engine.  From the items we build

* one anchored regex with a named group per slot (the general path: any line, escapes);
* when possible, a *split layout*: where each slot sits once the line is cut on ``"``
  and then on spaces (the fast path for lines without escapes).

Mapping decisions (documented in docs and tests):

* ``%h``/``%a``/``$remote_addr`` are the TCP peer (``network.peer_ip``).  When the format
  also has ``%{c}a`` (mod_remoteip) or ``$realip_remote_addr`` (nginx realip), *that* is
  the peer and ``%a``/``$remote_addr`` is the client the server already resolved
  (``source.ip``); without a logged X-Forwarded-For it is also put in
  ``network.forwarded_ip`` so that trusted-proxy resolution lands on it, not on the proxy.
  mod_remoteip removes from the header the addresses it used, so a logged
  ``%{X-Forwarded-For}i`` is what is left (``-`` when it used them all): when ``%a``
  differs from ``%{c}a`` it is put back at the end of ``network.forwarded_ip``.  (nginx's
  realip leaves ``$http_x_forwarded_for`` whole.)
* ``%b``/``%B``/``$body_bytes_sent`` (body) fill ``http.response.bytes``; ``%O``/``$bytes_sent``
  (with headers) fill it only when no body count is logged, otherwise go to ``labels``.
* ``%D`` (µs), ``%T`` (s, or ``%{ms}T``/``%{us}T``), ``$request_time`` (s.ms) ->
  ``event.duration`` in ns; ``%I``/``$request_length`` -> ``http.request.bytes``;
  ``%v``/``%V``/``$host``/``$server_name`` -> ``url.domain`` (a logged ``Host`` header
  only when no server name is logged).
* Headers with no schema column (``%{Cookie}i``, ``%{Set-Cookie}o``, ``$http_x_real_ip``,
  ``$upstream_*``...) go into ``labels`` under a readable key, so nothing is dropped.

Reference: https://httpd.apache.org/docs/2.4/mod/mod_log_config.html#formats ,
https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Apache's predefined nicknames (Debian's apache2.conf and the httpd defaults).
APACHE_NICKNAMES = {
    "common": '%h %l %u %t "%r" %>s %b',
    "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "combinedio": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %I %O',
    "vhost_combined": '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    "debian_combined": '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    "referer": "%{Referer}i -> %U",
    "agent": "%{User-agent}i",
}
#: nginx's one predefined format.
NGINX_NICKNAMES = {
    "combined": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"',
}

QUOTED = r'(?:[^"\\]|\\.)*'
#: Slots that hold addresses: never read leniently (a quote in them is damage, not data).
ADDRESS_ROLES = ("forwarded", "peer", "client", "local_ip")
LAZY = r".*?"


@dataclass(frozen=True)
class Slot:
    """One field of a line: its role (what it means) and the regex for its text."""

    name: str
    regex: str = LAZY
    #: chrono format of a time slot (strftime parts), else "".
    time_format: str = ""


@dataclass(frozen=True)
class Lit:
    """Literal text between fields."""

    text: str


Item = Slot | Lit


@dataclass(frozen=True)
class Token:
    """A space-separated token of an unquoted segment: ``prefix slot [sep slot2] suffix``.

    ``slot2`` (a number, e.g. the port of ``%v:%p``) is what follows the last ``sep``.
    """

    prefix: str
    slot: str | None
    suffix: str
    sep: str = ""
    slot2: str | None = None


@dataclass(frozen=True)
class Segment:
    """A piece of the line between two ``"``: quoted (odd) or not (even)."""

    quoted: bool
    literal: str | None = None  # a segment without a slot must equal this text
    slot: str | None = None  # a quoted segment that is exactly one slot
    tokens: tuple[Token, ...] = ()  # an unquoted segment with slots


@dataclass
class AccessFormat:
    """A compiled format: items, the regex with named groups, and the split layout if any."""

    source: str
    items: list[Item]
    regex: str = ""
    groups: dict[str, str] = field(default_factory=dict)  # regex group -> slot name
    layout: tuple[Segment, ...] | None = None
    #: ``regex`` with quoted slots matched by any text (lazily), or "" when no slot is quoted:
    #: the fallback for values holding a raw ``"`` (attack payloads), each field found by
    #: anchoring from both ends of the line
    lenient_regex: str = ""
    #: how the time is written: clf, iso, epoch_s, epoch_ms, epoch_us, epoch_float, strftime, none
    time_kind: str = "none"
    #: the time is when the request ended (``%{end:...}t``), not when it was received
    time_end: bool = False
    #: ``%b`` writes "-" for zero bytes (CLF); nginx never does
    clf_bytes: bool = True
    #: the client resolved by the server (``%a`` with ``%{c}a``) stands in for a missing XFF
    client_as_forwarded: bool = False
    #: the logged XFF is what mod_remoteip left of it: ``%a`` goes back at its end
    client_left_header: bool = False
    #: escaping of the values: ``default`` (``\\"``, ``\\xhh``), ``json`` or ``none``
    escape: str = "default"

    @property
    def slots(self) -> list[Slot]:
        return [i for i in self.items if isinstance(i, Slot)]

    @property
    def time_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.name.startswith("time_")]


# -- Apache -----------------------------------------------------------------------------

APACHE_DIRECTIVE = re.compile(r"%(?:!?\d{3}(?:,\d{3})*)?([<>])?(?:\{([^}]*)\})?(\^t[io]|[a-zA-Z%])")
_HEADER_ROLES = {
    "x-forwarded-for": "forwarded",
    "user-agent": "user_agent",
    "referer": "referrer",
    "referrer": "referrer",
    "host": "host_header",
    "x-request-id": "request_id",
}
NUM = r"-?\d+|-"
STATUS = r"\d{3}|-"
FLOAT = r"-?\d+(?:\.\d+)?|-"


def normalize_apache(fmt: str) -> str:
    """Accept a nickname, a bare format, or a pasted ``LogFormat "..." nick`` line."""
    text = fmt.strip()
    if text in APACHE_NICKNAMES:
        return APACHE_NICKNAMES[text]
    m = re.match(r'^(?:LogFormat|CustomLog\s+\S+)\s+"((?:[^"\\]|\\.)*)"', text, re.IGNORECASE)
    if m:
        return m.group(1).replace('\\"', '"').replace("\\\\", "\\")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text.count(text[0]) == 2:
        return text[1:-1]
    return text


def compile_apache(fmt: str) -> AccessFormat:
    """Compile an Apache ``LogFormat`` string (or nickname) into an AccessFormat."""
    text = normalize_apache(fmt)
    raw: list[tuple[str, str, str, str] | str] = []  # (letter, arg, modifier, directive text) or literal
    pos = 0
    for m in APACHE_DIRECTIVE.finditer(text):
        if m.start() > pos:
            raw.append(text[pos : m.start()])
        letter = m.group(3)
        if letter == "%":
            raw.append("%")
        else:
            raw.append((letter, m.group(2) or "", m.group(1) or "", m.group(0)))
        pos = m.end()
    if pos < len(text):
        raw.append(text[pos:])
    directives = [r for r in raw if isinstance(r, tuple)]
    keys = {(d[0], d[1].lower()) for d in directives}
    has_c_a = ("a", "c") in keys or ("h", "c") in keys
    has_final_status = any(d[0] == "s" and d[2] == ">" for d in directives)
    has_body = any(d[0] in "bB" for d in directives)
    has_vhost = ("v", "") in keys
    has_xff = ("i", "x-forwarded-for") in keys

    fmt_out = AccessFormat(source=text, items=[])
    used: set[str] = set()
    peer_taken = False

    def label(name: str) -> str:
        key = f"label:{name}"
        n = 2
        while key in used:
            key = f"label:{name}#{n}"
            n += 1
        return key

    def add(name: str, regex: str = LAZY, time_format: str = "") -> None:
        if name in used and not name.startswith("label:"):
            name = label(name.replace("_", "."))
        used.add(name)
        fmt_out.items.append(Slot(name, regex, time_format))

    for r in raw:
        if isinstance(r, str):
            fmt_out.items.append(Lit(r))
            continue
        letter, arg, modifier, _ = r
        low = arg.lower()
        if letter in "ha" and not arg:
            if has_c_a:
                add("client" if "client" not in used else label("remote_host"), r"[^\s\"]+")
            elif not peer_taken:
                add("peer", r"[^\s\"]+")
                peer_taken = True
            else:
                add(label("remote_host" if letter == "h" else "remote_ip"), r"[^\s\"]+")
        elif letter in "ha" and low == "c":
            add("peer", r"[^\s\"]+")
            peer_taken = True
        elif letter == "A":
            add("local_ip", r"[^\s\"]+")
        elif letter == "l":
            add("label:ident", r"\S+")
        elif letter == "u":
            add("user")
        elif letter == "t":
            _apache_time(arg, add, fmt_out)
        elif letter == "r":
            add("request")
        elif letter == "m":
            add("method", r"\S*")
        elif letter == "U":
            add("path", r'[^?"]*?')
        elif letter == "q":
            add("query", r"(?:\?.*?)?")
        elif letter == "H":
            add("protocol", r"\S*")
        elif letter == "s":
            if modifier == ">" or not has_final_status:
                add("status", STATUS)
            else:
                add(label("status_original"), NUM)
        elif letter in "bB":
            add("bytes_body", NUM)
        elif letter == "O":
            add("bytes_sent" if not has_body else label("bytes_sent"), NUM)
        elif letter == "I":
            add("bytes_in", NUM)
        elif letter == "S":
            add(label("bytes_transferred"), NUM)
        elif letter == "D":
            add("duration_us", NUM)
        elif letter == "T":
            unit = {"ms": "duration_ms", "us": "duration_us", "s": "duration_s", "": "duration_s"}.get(low)
            add(unit or label("time_taken"), FLOAT)
        elif letter == "v":
            add("vhost", r"[^\s\"]*")
        elif letter == "V":
            add("vhost" if not has_vhost else label("server_name"), r"[^\s\"]*")
        elif letter == "p":
            add("client_port" if low == "remote" else "server_port", NUM)
        elif letter == "i":
            role = _HEADER_ROLES.get(low)
            if role == "host_header" and has_vhost:
                role = None
            add(role or label(f"http.request.header.{low}"))
        elif letter == "e" and low == "unique_id":
            add("request_id")  # mod_unique_id: the id the application sees as UNIQUE_ID
        elif letter == "o":
            add(label(f"http.response.header.{low}"))
        elif letter == "P":
            add(label("process.thread.id" if low in ("tid", "hextid") else "process.pid"), r"\S*")
        else:
            names = {
                "C": f"cookie.{arg}",
                "e": f"env.{arg}",
                "n": f"note.{arg}",
                "x": f"ssl.{arg}",
                "k": "keepalive_requests",
                "X": "connection_status",
                "L": "log_id",
                "R": "handler",
                "f": "file.path",
                "^ti": f"http.request.trailer.{low}",
                "^to": f"http.response.trailer.{low}",
            }
            add(label(names.get(letter, f"{letter}{'.' + arg if arg else ''}")))
    fmt_out.client_as_forwarded = has_c_a and not has_xff
    fmt_out.client_left_header = has_c_a and has_xff
    return _finish(fmt_out)


def _apache_time(arg: str, add, fmt_out: AccessFormat) -> None:  # type: ignore[no-untyped-def]
    """``%t`` and ``%{format}t`` (strftime, sec/msec/usec, *_frac, begin:/end:)."""
    spec = arg
    if spec.startswith("begin:"):
        spec = spec[6:]
    elif spec.startswith("end:"):
        spec = spec[4:]
        fmt_out.time_end = True
    if not arg:
        fmt_out.items.append(Lit("["))
        add("time_clf", r"[^\s\]\"]*")
        fmt_out.items.append(Lit(" "))
        add("time_zone", r"[^\s\]\"]*")
        fmt_out.items.append(Lit("]"))
        fmt_out.time_kind = "clf"
        return
    epoch = {"sec": "epoch_s", "msec": "epoch_ms", "usec": "epoch_us"}
    if spec in epoch:
        add(f"time_{epoch[spec]}", r"\d+")
        fmt_out.time_kind = epoch[spec]
        return
    if spec in ("msec_frac", "usec_frac"):
        n = len([s for s in fmt_out.slots if s.name.startswith("time_p")])
        add(f"time_p{n}", r"\d+", "%3f" if spec == "msec_frac" else "%6f")
        if fmt_out.time_kind == "none":
            fmt_out.time_kind = "strftime"
        return
    _strftime_slots(spec or "%d/%b/%Y:%H:%M:%S %z", add, fmt_out)


_STRFTIME_EXPAND = {"%T": "%H:%M:%S", "%D": "%m/%d/%y", "%F": "%Y-%m-%d", "%R": "%H:%M", "%h": "%b"}


def _strftime_slots(spec: str, add, fmt_out: AccessFormat) -> None:  # type: ignore[no-untyped-def]
    """A strftime format becomes one slot per space-separated word (so layouts can split it)."""
    for short, long in _STRFTIME_EXPAND.items():
        spec = spec.replace(short, long)
    words = spec.split(" ")
    for i, word in enumerate(words):
        if i:
            fmt_out.items.append(Lit(" "))
        if "%" not in word:
            fmt_out.items.append(Lit(word))
            continue
        n = len([s for s in fmt_out.slots if s.name.startswith("time_p")])
        add(f"time_p{n}", r"[^\s\"]*?", word)
    if fmt_out.time_kind in ("none", "strftime"):
        fmt_out.time_kind = "strftime"


# -- nginx ------------------------------------------------------------------------------

_NGINX_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def normalize_nginx(fmt: str) -> tuple[str, str]:
    """Accept a nickname, a bare format, or a pasted ``log_format name [escape=..] '...' '...';``.

    Returns the format text and the escape mode (``default``, ``json`` or ``none``).
    """
    text = fmt.strip()
    if text in NGINX_NICKNAMES:
        return NGINX_NICKNAMES[text], "default"
    escape = "default"
    m = re.match(r"^log_format\s+\S+\s+(?:escape=(\w+)\s+)?(.*?);?\s*$", text, re.DOTALL)
    if m:
        escape = m.group(1) or "default"
        text = m.group(2)
    else:
        m = re.match(r"^escape=(\w+)\s+(.*)$", text, re.DOTALL)
        if m:
            escape, text = m.group(1), m.group(2)
    pieces = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", text)
    if pieces and re.fullmatch(r"\s*(?:(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*)+", text):
        text = "".join(a or b for a, b in pieces)
    return text, escape


_NGINX_ROLES = {
    "remote_user": ("user", LAZY),
    "request": ("request", LAZY),
    "request_method": ("method", r"\S*"),
    "request_uri": ("uri", LAZY),
    "uri": ("path", LAZY),
    "document_uri": ("path", LAZY),
    "args": ("query_args", LAZY),
    "query_string": ("query_args", LAZY),
    "server_protocol": ("protocol", r"\S*"),
    "status": ("status", STATUS),
    "body_bytes_sent": ("bytes_body", NUM),
    "bytes_sent": ("bytes_sent", NUM),
    "request_length": ("bytes_in", NUM),
    "request_time": ("duration_s", FLOAT),
    "host": ("vhost", r"[^\s\"]*"),
    "server_name": ("vhost", r"[^\s\"]*"),
    "remote_port": ("client_port", NUM),
    "server_port": ("server_port", NUM),
    "server_addr": ("local_ip", r"[^\s\"]+"),
    "http_x_forwarded_for": ("forwarded", LAZY),
    "http_user_agent": ("user_agent", LAZY),
    "http_referer": ("referrer", LAZY),
    "http_host": ("host_header", r"[^\s\"]*"),
    "proxy_add_x_forwarded_for": ("forwarded_peer", LAZY),
    "request_id": ("request_id", r"[^\s\"]*"),
    "http_x_request_id": ("request_id", r"[^\s\"]*"),
}


def compile_nginx(fmt: str) -> AccessFormat:
    """Compile an nginx ``log_format`` string (or ``combined``) into an AccessFormat."""
    text, escape = normalize_nginx(fmt)
    names = [a or b for a, b in _NGINX_VAR.findall(text)]
    has_realip = "realip_remote_addr" in names
    has_xff = "http_x_forwarded_for" in names
    has_vhost = "host" in names or "server_name" in names
    has_body = "body_bytes_sent" in names
    out = AccessFormat(source=text, items=[], clf_bytes=False, escape=escape)
    used: set[str] = set()

    def label(name: str) -> str:
        key = f"label:{name}"
        n = 2
        while key in used:
            key = f"label:{name}#{n}"
            n += 1
        return key

    def add(name: str, regex: str = LAZY, time_format: str = "") -> None:
        if name in used and not name.startswith("label:"):
            name = label(name)
        used.add(name)
        out.items.append(Slot(name, regex, time_format))

    pos = 0
    for m in _NGINX_VAR.finditer(text):
        if m.start() > pos:
            out.items.append(Lit(text[pos : m.start()]))
        pos = m.end()
        var = m.group(1) or m.group(2)
        if var == "remote_addr":
            add("client" if has_realip else "peer", r"[^\s\"]+")
        elif var == "realip_remote_addr":
            add("peer", r"[^\s\"]+")
        elif var == "time_local":
            add("time_clf", r"[^\s\]\"]*")
            out.items.append(Lit(" "))
            add("time_zone", r"[^\s\]\"]*")
            _prefer_time(out, "clf")
        elif var == "time_iso8601":
            add("time_iso", r"[^\s\]\"]*")
            _prefer_time(out, "iso")
        elif var == "msec":
            add("time_epoch_float", r"[\d.]+")
            _prefer_time(out, "epoch_float")
        elif var in _NGINX_ROLES:
            role, regex = _NGINX_ROLES[var]
            if role == "host_header" and has_vhost:
                role = label("http.request.header.host")
            if role == "bytes_sent" and has_body:
                role = label("bytes_sent")
            add(role, regex)
        elif var.startswith("http_"):
            add(label("http.request.header." + var[5:].replace("_", "-")))
        elif var.startswith("sent_http_"):
            add(label("http.response.header." + var[10:].replace("_", "-")))
        elif var.startswith("cookie_"):
            add(label("cookie." + var[7:]))
        elif var.startswith("arg_"):
            add(label("arg." + var[4:]))
        else:
            add(label(var))
    if pos < len(text):
        out.items.append(Lit(text[pos:]))
    out.client_as_forwarded = has_realip and not has_xff
    return _finish(out)


def _prefer_time(fmt: AccessFormat, kind: str) -> None:
    """With several time variables, the most precise one dates the event ($msec, then ISO, then local)."""
    rank = {"none": 0, "clf": 1, "iso": 2, "epoch_float": 3}
    if rank[kind] > rank.get(fmt.time_kind, 0):
        fmt.time_kind = kind


# -- regex and layout ---------------------------------------------------------------------


def _finish(fmt: AccessFormat) -> AccessFormat:
    """Merge adjacent literals, then build the regex and the split layout."""
    merged: list[Item] = []
    for item in fmt.items:
        if isinstance(item, Lit) and merged and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + item.text)
        elif not (isinstance(item, Lit) and item.text == ""):
            merged.append(item)
    fmt.items = merged
    parts = ["^"]
    lenient = ["^"]
    n = 0
    for i, item in enumerate(merged):
        if isinstance(item, Lit):
            parts.append(re.escape(item.text))
            lenient.append(re.escape(item.text))
            continue
        before = merged[i - 1] if i else None
        after = merged[i + 1] if i + 1 < len(merged) else None
        quoted = (
            isinstance(before, Lit)
            and before.text.endswith('"')
            and isinstance(after, Lit)
            and after.text.startswith('"')
        )
        regex = QUOTED if quoted else item.regex
        if after is None and regex == LAZY:
            regex = ".*"
        group = f"g{n}"
        n += 1
        fmt.groups[group] = item.name
        parts.append(f"(?P<{group}>{regex})")
        loose = quoted and not item.name.startswith(ADDRESS_ROLES)
        lenient.append(f"(?P<{group}>{LAZY if loose else regex})")
    parts.append(r"\s*$")
    lenient.append(r"\s*$")
    fmt.regex = "".join(parts)
    fmt.lenient_regex = "".join(lenient) if fmt.regex != "".join(lenient) else ""
    fmt.layout = _layout(merged)
    return fmt


def _cut(items: list[Item], sep: str) -> list[list[Item]]:
    """The item list cut at every ``sep`` inside literals (empty literal pieces dropped)."""
    groups: list[list[Item]] = [[]]
    for item in items:
        if isinstance(item, Lit):
            for j, piece in enumerate(item.text.split(sep)):
                if j:
                    groups.append([])
                if piece:
                    groups[-1].append(Lit(piece))
        else:
            groups[-1].append(item)
    return groups


def _layout(items: list[Item]) -> tuple[Segment, ...] | None:
    """Where each slot sits after splitting on ``"`` then on spaces, or None if ambiguous."""
    segments = _cut(items, '"')
    out: list[Segment] = []
    for idx, seg in enumerate(segments):
        quoted = idx % 2 == 1
        slots = [i for i in seg if isinstance(i, Slot)]
        if not slots:
            out.append(Segment(quoted, literal="".join(i.text for i in seg if isinstance(i, Lit))))
            continue
        if quoted:
            if len(seg) != 1:
                return None
            out.append(Segment(True, slot=slots[0].name))
            continue
        tokens = _cut(seg, " ")
        built: list[Token] = []
        for tok in tokens:
            tslots = [i for i in tok if isinstance(i, Slot)]
            if len(tslots) == 2:
                a, b = tok.index(tslots[0]), tok.index(tslots[1])
                between = tok[a + 1 : b]
                if len(between) != 1 or not isinstance(between[0], Lit) or tslots[1].regex not in (NUM, FLOAT):
                    return None
                prefix = "".join(i.text for i in tok[:a] if isinstance(i, Lit))
                suffix = "".join(i.text for i in tok[b + 1 :] if isinstance(i, Lit))
                sep = between[0].text
                built.append(Token(prefix, tslots[0].name, suffix, sep, tslots[1].name))
                continue
            if len(tslots) > 2:
                return None
            if not tslots:
                built.append(Token("".join(i.text for i in tok if isinstance(i, Lit)), None, ""))
                continue
            k = tok.index(tslots[0])
            prefix = "".join(i.text for i in tok[:k] if isinstance(i, Lit))
            suffix = "".join(i.text for i in tok[k + 1 :] if isinstance(i, Lit))
            built.append(Token(prefix, tslots[0].name, suffix))
        out.append(Segment(False, tokens=tuple(built)))
    return tuple(out)


def rename_slots(fmt: AccessFormat, mapping: dict[str, tuple[str, str]]) -> AccessFormat:
    """A copy of ``fmt`` whose slots ``old`` become ``(new name, new regex)`` (auto-detected variants)."""
    items: list[Item] = []
    for item in fmt.items:
        if isinstance(item, Slot) and item.name in mapping:
            name, regex = mapping[item.name]
            items.append(Slot(name, regex, item.time_format))
        else:
            items.append(item)
    out = AccessFormat(
        source=fmt.source,
        items=items,
        time_kind=fmt.time_kind,
        time_end=fmt.time_end,
        clf_bytes=fmt.clf_bytes,
        client_as_forwarded=fmt.client_as_forwarded,
        client_left_header=fmt.client_left_header,
        escape=fmt.escape,
    )
    return _finish(out)
