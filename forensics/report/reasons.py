"""Link reasons and table words of sessions.parquet / links.parquet, in the report's language.

The correlator stores each link's reason as an English sentence (``links.parquet`` ``reason``,
``sessions.parquet`` ``link_reasons``): tools and earlier outputs read it, so it stays as is.
The report reads the sentence back against the English templates of the catalogue
(``link.*`` in ``forensics.finding_text``) and says it again in its own language.  The
patterns are built from those same templates, so the two cannot drift apart unnoticed (a test
renders every template and checks that it reads back).  A sentence that does not read back
(an older output, a value that breaks the pattern) is shown as written.

Enumerated values (session and link kinds, session flags) are words of the
report catalogue (``word.<column>.<value>``); unknown values are shown as written.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from forensics.finding_text import DBLINK_HOW, EN, Msg

_TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
_NUM = r"[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_IP = r"[^\s;,]+"
_HOW = "|".join(re.escape(h) for h in sorted(DBLINK_HOW, key=len, reverse=True))

#: the pattern of each plain placeholder (lazy text where the value is free)
_VALUES = {
    "action": r"[a-z_]+",
    "activity": r"[a-z_]+",
    "account": r".*?",
    "path": r".*?",
    "host": r".*?",
    "method": r"\S+",
    "status": r"\d+|\?",
    "at": _TS,
    "web_at": _TS,
    "first": _TS,
    "last": _TS,
    "start": r"\d\d:\d\d:\d\d",
    "end": r"\d\d:\d\d:\d\d",
    "dt": _NUM,
    "gap": _NUM,
    "n": r"\d+",
    "ip": _IP,
    "stored": _IP,
    "client": _IP,
    "previous_ip": _IP,
    "previous": r"\S+",
    "app_session": r"\S+",
    "reason": r".+",
    "how": _HOW,
}

#: ``{name:msg}`` placeholders that are one of a few sub-templates ("" = may be absent)
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "link.match": {
        "forwarded": ("link.match.forwarded", ""),
        "params": ("link.match.params", ""),
        "client": ("link.match.client", ""),
        "rid": ("link.match.rid", ""),
        "sid": ("link.match.sid", ""),
        "url": ("link.match.url_method", "link.match.url", ""),
        "ua": ("link.same_ua", ""),
    },
    "link.overlap": {"how": ("link.overlap.client", "link.overlap.forwarded"), "ua": ("link.same_ua", "link.no_ua")},
}

#: the sentences a reason cell may hold, tried in this order
TOP = ("link.match", "link.overlap", "link.continuation", "link.db", "link.db_ties", "link.more", "link.orphan")


def _pattern(code: str, choices: dict[str, tuple[str, ...]]) -> str:
    out = []
    for literal, name, spec, _ in string.Formatter().parse(EN[code]):
        out.append(re.escape(literal))
        if name is None:
            continue
        if name in choices:
            alts = []
            for sub in choices[name]:
                body = _pattern(sub, {}) if sub else ""
                alts.append(f"(?P<{name}__{sub.replace('.', '_') or 'none'}>{body})")
            out.append("(?:" + "|".join(alts) + ")")
        elif spec == "msgs:, ":
            out.append(f"(?P<{name}>(?:{_VALUES[name]})(?:, (?:{_VALUES[name]}))*)")
        else:
            out.append(f"(?P<{name}>{_VALUES[name]})")
    return "".join(out)


@cache
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((code, re.compile(_pattern(code, _CHOICES.get(code, {})) + r"\Z", re.S)) for code in TOP)


def _word(prefix: str, value: str) -> Msg | str:
    code = f"{prefix}.{value}"
    return Msg(code) if code in EN else value


def _how(value: str) -> Msg | str:
    return Msg(DBLINK_HOW[value]) if value in DBLINK_HOW else value


def parse(text: str, depth: int = 0) -> Msg | None:
    """The message an English link reason was written from, or None when it reads as none."""
    if depth > 2:
        return None
    for code, pattern in _compiled():
        m = pattern.match(text)
        if m is None:
            continue
        params: dict[str, Any] = {}
        for key, value in m.groupdict().items():
            if value is None:
                continue
            name, _, sub = key.partition("__")
            if sub:
                params[name] = _sub_message(sub, m) if sub != "none" else None
            else:
                params[name] = value
        for name in _CHOICES.get(code, {}):
            params.setdefault(name, None)
        # the values of a sub-template are in the same match: keep at the top only this template's
        params = {k: v for k, v in params.items() if k in _names(code)}
        if "action" in params:
            params["action"] = _word("link.action", params["action"])
        if code == "link.db":
            params["activity"] = _word("link.activity", params["activity"])
            params["how"] = _how(params["how"])
        if code == "link.db_ties":
            params["how"] = [_how(h) for h in params["how"].split(", ")]
            params["n"] = int(params["n"])
        if code == "link.more":
            params["n"] = int(params["n"])
        if code == "link.orphan":
            inner = parse(params["reason"], depth + 1)
            params["reason"] = inner if inner is not None else params["reason"]
        return Msg(code, params)
    return None


@cache
def _names(code: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(EN[code]) if name is not None)


def _sub_message(sub: str, m: re.Match[str]) -> Msg:
    code = next(c for c in EN if c.replace(".", "_") == sub)
    values = m.groupdict()
    return Msg(code, {n: values[n] for n in _names(code)})


def reason_text(text: str, loc: Any) -> str:
    """A stored English link reason in the report's language (as written when it does not read back)."""
    if loc.lang == "en":
        return text
    message = parse(text)
    if message is None:
        return text
    return loc.finding_text(_localised(message, loc.lang).to_json(), text)


def _localised(message: Msg, lang: str) -> Msg:
    """Decimal values written the language's way (they are kept as stored text to read back exactly)."""
    params = dict(message.params)
    for key in ("dt", "gap"):
        if isinstance(params.get(key), str) and lang == "fr":
            params[key] = params[key].replace(".", ",")
    for key, value in params.items():
        if isinstance(value, Msg):
            params[key] = _localised(value, lang)
    return Msg(message.code, params)


#: table columns whose values are enumerated words, and the catalogue prefix of those words
WORD_COLUMNS = {"kind": "word.kind", "flags": "word.flag"}


def cell_word(column: str, value: str, loc: Any) -> str:
    """An enumerated value of a session or link table in the report's language."""
    prefix = WORD_COLUMNS.get(column)
    if prefix is None:
        if column in ("left", "right") and value.startswith("row:") and value[4:].isdigit():
            return loc.text("word.row", n=value[4:])
        return value
    key = f"{prefix}.{value}"
    return loc.text(key) if key in loc.messages else value
