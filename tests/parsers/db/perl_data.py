"""Read the expected records of percona-toolkit's ``t/lib/*LogParser.t`` (Perl arrays of hashes).

Only the literal forms those files use are understood: hashes and arrays, single- and
double-quoted strings, ``q/.../``, numbers, ``undef``, bare keys and ``length('...')``.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<arrow>=>)
  | (?P<punct>[{}\[\],()])
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<q>q/[^/]*/)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)
_DQ_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "$": "$", "@": "@"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read Perl data at {text[pos : pos + 40]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(0)))
    return out


def _string(kind: str, raw: str) -> str:
    if kind == "sq":
        return re.sub(r"\\([\\'])", r"\1", raw[1:-1])
    if kind == "dq":
        return re.sub(r"\\(.)", lambda m: _DQ_ESCAPES.get(m.group(1), m.group(1)), raw[1:-1])
    return raw[2:-1]  # q/.../


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def value(self) -> Any:
        kind, raw = self.take()
        if raw == "{":
            return self.hash()
        if raw == "[":
            return self.array()
        if kind in ("sq", "dq", "q"):
            return _string(kind, raw)
        if kind == "num":
            return raw
        if kind == "word" and raw == "undef":
            return None
        if kind == "word" and raw == "length":
            self.take()  # (
            inner = self.value()
            self.take()  # )
            return str(len(inner))
        if kind == "word":
            return raw
        raise ValueError(f"unexpected {raw!r}")

    def hash(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek()[1] != "}":
            key = self.value()
            assert self.take()[0] == "arrow"
            out[str(key)] = self.value()
            if self.peek()[1] == ",":
                self.take()
        self.take()
        return out

    def array(self) -> list[Any]:
        out = []
        while self.peek()[1] != "]":
            out.append(self.value())
            if self.peek()[1] == ",":
                self.take()
        self.take()
        return out


def expected_records(test_source: str, sample: str) -> list[dict[str, Any]]:
    """The ``result => [...]`` of the first ``test_log_parser`` call reading ``sample`` (a file name)."""
    pattern = re.compile(r"file\s*=>\s*(?:\"\$sample/|\$sample\.')" + re.escape(sample) + r"[\"']")
    for m in pattern.finditer(test_source):
        # the call must not be commented out
        line_start = test_source.rfind("\n", 0, m.start()) + 1
        if test_source[line_start : m.start()].lstrip().startswith("#"):
            continue
        start = test_source.index("result", m.end())
        bracket = test_source.index("[", start)
        reader = _Reader(_tokens(test_source[bracket + 1 : bracket + 200_000].split("\n);", 1)[0]))
        return reader.array()
    raise KeyError(f"no expected records for {sample}")
