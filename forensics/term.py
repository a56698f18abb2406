"""Terminal output that never echoes raw control characters from logs."""

from __future__ import annotations

import os
import re
import sys
import threading
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
    """Standard output.  Piped, it is wide (``COLUMNS`` or 200) and tables wrap long cells, never cut them."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console(highlight=False, soft_wrap=False)
    return Console(highlight=False, soft_wrap=False, width=200)


def stderr() -> Console:
    """Standard error, as wide as stdout when piped (a warning is one line a script can grep)."""
    if sys.stderr.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=True, highlight=False)
    return Console(stderr=True, highlight=False, width=400)


def table(title: str, columns: list[str], rows: list[list[object]]) -> Table:
    """A rich table whose cells are plain text (log text is never read as markup); long cells wrap."""
    t = Table(title=Text(safe(title)), title_justify="left")
    for c in columns:
        t.add_column(Text(safe(c)), overflow="fold")
    for row in rows:
        t.add_row(*(Text(safe(v)) for v in row))
    return t


class Progress:
    """Progress on stderr: a bar while files are read, then one line per named stage.

    In a terminal the bar is redrawn in place and a stage's elapsed time keeps moving (a
    ticker thread), so a long correlation never looks frozen; piped, a line every few
    seconds.  ``note`` prints a line that stays (a stale output removed, a zone assumed).
    """

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.started = time.monotonic()
        self._stage: str | None = None
        self._stage_started = 0.0
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

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
        text = safe(item)
        if len(text) > 60 and done < total:
            text = "…" + text[-59:]  # a long path: its end names the file
        line = f"{self.label} [{bar:<{width}}] {pct:5.1f}% {now - self.started:6.1f}s {text}"
        with self._lock:
            if self.tty:
                sys.stderr.write("\r\x1b[2K" + line)
                if done >= total:
                    sys.stderr.write("\n")
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def stage(self, name: str) -> None:
        """Start a named stage: the previous one is closed with its duration."""
        if not self.enabled:
            return
        self._close()
        now = time.monotonic()
        self._stage, self._stage_started, self.label = name, now, "ingest" if name.startswith("reading") else name
        if name.startswith("reading"):
            return  # the bar shows this stage
        with self._lock:
            sys.stderr.write(f"{safe(name)} ...{'' if self.tty else chr(10)}")
            sys.stderr.flush()
        if self.tty:
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                elapsed = time.monotonic() - self._stage_started
                sys.stderr.write(f"\r\x1b[2K{safe(self._stage)} ... {elapsed:5.1f}s")
                sys.stderr.flush()

    def _close(self) -> None:
        if self._stage is None or self._stage.startswith("reading"):
            self._stage = None
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        elapsed = time.monotonic() - self._stage_started
        with self._lock:
            prefix = "\r\x1b[2K" if self.tty else ""
            sys.stderr.write(f"{prefix}{safe(self._stage)}: done in {elapsed:.1f}s\n")
            sys.stderr.flush()
        self._stage = None

    def finish(self) -> None:
        """Close the last stage (call once the work is over)."""
        if self.enabled:
            self._close()

    def note(self, message: str) -> None:
        """A line that stays, even between redraws; shown even with ``-q`` (it names a file removed)."""
        with self._lock:
            prefix = "\r\x1b[2K" if self.tty and self.enabled else ""
            sys.stderr.write(f"{prefix}note: {safe(message)}\n")
            sys.stderr.flush()
