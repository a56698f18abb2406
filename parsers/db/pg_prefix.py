"""PostgreSQL ``log_line_prefix`` -> a regular expression with named groups.

Reference: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX

Each escape becomes a group named after the column it fills (``%u`` -> ``user``, ``%m`` ->
``ts``...); padding (``%-10u``) allows spaces around the value; ``%q`` makes the rest of
the prefix optional (it is omitted for background processes); an escape used twice is
matched the second time without a group.  The compiled line pattern is the prefix, the
severity and the two spaces PostgreSQL writes after ``LEVEL:``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parsers.db.pg_common import LEVEL_RE, SECONDARY, TS_RE

_TS_SECONDS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: (?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?"
_TS_MILLIS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?: (?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?"

#: escape -> (group name, value pattern)
ESCAPES: dict[str, tuple[str, str]] = {
    "a": ("app", r".*?"),
    "u": ("user", r"\S*?"),
    "d": ("db", r"\S*?"),
    "h": ("client", r"\S*?"),
    "b": ("btype", r".*?"),
    "p": ("pid", r"\d+"),
    "P": ("leader", r"\d*"),
    "t": ("ts", _TS_SECONDS),
    "m": ("ts", _TS_MILLIS),
    "n": ("epoch", r"\d+(?:\.\d+)?"),
    "i": ("tag", r".*?"),
    "e": ("sqlstate", r"[0-9A-Z]{5}"),
    "c": ("session", r"[0-9a-f]+\.[0-9a-f]+"),
    "l": ("lnum", r"\d+"),
    "s": ("sstart", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)?"),
    "v": ("vxid", r"\S*?"),
    "x": ("xid", r"\d*"),
    "Q": ("qid", r"-?\d+"),
}
_ESCAPE = re.compile(r"%(-?\d+)?(.)")

#: prefixes tried, most specific first, when the source config gives none: pgBadger's
#: recommendations (``user=`` before or after ``db=``), Debian's default, the AWS RDS
#: default and the shorter forms people trim them to
KNOWN_PREFIXES = [
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h ",
    "%m [%p]: [%l-1] db=%d,user=%u,app=%a,client=%h ",
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: db=%d,user=%u,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d ",
    "%m [%p]: [%l-1] user=%u,db=%d ",
    "%t [%p]: [%l-1] db=%d,user=%u ",
    "%m [%p]: [%l-1] db=%d,user=%u ",
    "%t [%p]: user=%u,db=%d ",
    "%m [%p]: user=%u,db=%d ",
    "%t [%p]: db=%d,user=%u ",
    "%m [%p]: db=%d,user=%u ",
    "%m [%p] user=%u,db=%d ",
    "%t [%p] user=%u,db=%d ",
    "%m [%p] db=%d,user=%u ",
    "%t [%p] db=%d,user=%u ",
    "%t:%r:%u@%d:[%p]:",
    "%m:%r:%u@%d:[%p]:",
    "%m [%p] %q%u@%d ",
    "%t [%p] %q%u@%d ",
    "%m %u %d [%p]: ",
    "%t [%p]: [%l-1] ",
    "%m [%p]: [%l-1] ",
    "%m [%p] ",
    "%t [%p] ",
    "%m [%p]: ",
    "%t [%p]: ",
]

#: SQLSTATE codes (their class: two digits, or F0, HV, P0, XX), as ``log_error_verbosity =
#: verbose`` writes them after the level: ``FATAL:  28P01: password authentication failed``.
#: A digit or one of those classes first keeps ``AUDIT: `` and other words out.
SQLSTATE_RE = r"(?:\d[0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}"


def prefix_pattern(prefix: str) -> str:
    """The regex (without anchors) for a ``log_line_prefix`` value."""
    out: list[str] = []
    optional_from: int | None = None
    used: set[str] = set()
    pos = 0
    for m in _ESCAPE.finditer(prefix):
        out.append(re.escape(prefix[pos : m.start()]))
        pos = m.end()
        pad, code = m.group(1), m.group(2)
        if code == "%":
            out.append("%")
            continue
        if code == "q":
            optional_from = len(out)
            continue
        if code == "r":
            if "client" in used:
                out.append(r"[^\s(]*?(?:\(\d+\))?")
            else:
                out.append(r"(?P<client>[^\s(]*?)(?:\((?P<port>\d+)\))?")
                used.update({"client", "port"})
            continue
        if code not in ESCAPES:
            out.append(re.escape(m.group(0)))
            continue
        name, value = ESCAPES[code]
        group = f"(?:{value})" if name in used else f"(?P<{name}>{value})"
        used.add(name)
        if pad:
            group = rf" *{group} *"
        out.append(group)
    out.append(re.escape(prefix[pos:]))
    if optional_from is not None:
        head, tail = out[:optional_from], out[optional_from:]
        out = [*head, "(?:", *tail, ")?"]
    return "".join(out)


@lru_cache(maxsize=64)
def line_pattern(prefix: str) -> str:
    """Prefix, severity, verbose SQLSTATE and message of one stderr line (message may span lines: ``(?s)``)."""
    return rf"^{prefix_pattern(prefix)}(?P<level>{LEVEL_RE}):  (?:(?P<vstate>{SQLSTATE_RE}): )?(?P<msg>(?s:.*))$"


#: a line that starts a message whatever the prefix: it starts with a timestamp or epoch
GENERIC_START = rf"^(?:{TS_RE}|\d{{9,11}}\.\d{{3}})\D"
#: the first ``LEVEL:  `` of a line
FIRST_LEVEL = rf"^.*?\b({LEVEL_RE}):  "
#: a line that may be a DETAIL/HINT/... of the message above (cheap test before ``FIRST_LEVEL``)
ANY_SECONDARY = rf"\b(?:{'|'.join(SECONDARY)}):  "
#: the first level of a line and what follows it (for lines outside the file's prefix)
ANY_LEVEL_LINE = rf"^.*?\b(?P<level>{LEVEL_RE}):  (?:(?P<vstate>{SQLSTATE_RE}): )?(?P<msg>.*)$"
