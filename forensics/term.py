"""Terminal output that never echoes raw control characters from logs."""

from __future__ import annotations

import re
import sys
import time

from rich.console import Console
from rich.table import Table
from rich.text import Text

from forensics.redact import redact

#: Every C0 control (newline and tab included: a newline in a file name must not start a
#: line of its own that looks like the tool's), DEL, C1, line/paragraph separators, bidi.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def safe(value: object) -> str:
    """Escape C0/C1 controls, DEL, bidi overrides and lone surrogates as visible ``\\xNN``/``\\uNNNN``.

    One value is one line: a terminal message built from ``safe`` parts cannot be split
    into a forged second message.
    """
    text = "" if value is None else redact(str(value))
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def table(title: str, columns: list[str], rows: list[list[object]]) -> Table:
    """A rich table whose cells are plain text (log text is never read as markup)."""
    t = Table(title=Text(safe(title)), title_justify="left")
    for c in columns:
        t.add_column(Text(safe(c)))
    for row in rows:
        t.add_row(*(Text(safe(v)) for v in row))
    return t


class Progress:
    """A light progress line on stderr: redrawn in a terminal, every few seconds otherwise."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, item: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not self.tty and now - self.last < 5 and done < total:
            return
        self.last = now
        pct = 100.0 * done / total if total else 100.0
        width = 30
        bar = "#" * int(width * pct / 100)
        line = f"{self.label} [{bar:<{width}}] {pct:5.1f}% {now - self.started:6.1f}s {safe(item)[-60:]}"
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + line)
            if done >= total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
