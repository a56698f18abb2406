"""Ordering of lines by write time, and the rotation schemes of logrotate and server_audit."""

from __future__ import annotations

import gzip
import pathlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

_FIRST = itemgetter(0)


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """Deterministic gzip member: mtime 0 and no file name in the header."""
    return gzip.compress(data, compresslevel=level, mtime=0)


class TimedSink:
    """Buffers ``(write_time, item)`` and hands items to ``consume`` in write order on ``flush``.

    Ties keep insertion order (the sort is stable).
    """

    def __init__(self, consume: Callable[[float, object], None]) -> None:
        self.pending: list[tuple[float, object]] = []
        self.add = self.pending.append  # call as add((when, item))
        self._consume = consume

    def flush(self, upto: float | None = None) -> None:
        """Emit every item written before ``upto`` (everything if ``None``); later ones wait."""
        pending = self.pending
        pending.sort(key=_FIRST)
        if upto is None:
            cut = len(pending)
        else:
            lo, hi = 0, len(pending)
            while lo < hi:
                mid = (lo + hi) // 2
                if pending[mid][0] < upto:
                    lo = mid + 1
                else:
                    hi = mid
            cut = lo
        consume = self._consume
        for when, item in pending[:cut]:
            consume(when, item)
        del pending[:cut]

    def drop(self) -> int:
        """Forget what is left (written after the evidence was collected)."""
        n = len(self.pending)
        self.pending.clear()
        return n


@dataclass
class Segment:
    """One output file of a time-rotated log: holds lines written in [previous end, end)."""

    name: str
    end: float
    compress: bool = False
    lines: list[str] = field(default_factory=list)
    data: bytes | None = None


class TimeRotator:
    """logrotate by time: each line goes to the file that was live when it was written."""

    def __init__(self, segments: list[Segment], encoding: str = "latin-1") -> None:
        self.segments = segments
        self.encoding = encoding
        self._i = 0

    def write(self, when: float, line: object) -> None:
        segs = self.segments
        while self._i < len(segs) - 1 and when >= segs[self._i].end:
            self._close(segs[self._i])
            self._i += 1
        segs[self._i].lines.append(line)  # type: ignore[arg-type]

    def _close(self, seg: Segment) -> None:
        if seg.data is None:
            seg.data = ("\n".join(seg.lines) + ("\n" if seg.lines else "")).encode(self.encoding)
            seg.lines = []

    def payloads(self) -> list[tuple[str, bytes, bool, list[str]]]:
        """(name, bytes of closed files, compress, lines of the live file)."""
        for seg in self.segments[:-1]:
            self._close(seg)
        out = [(s.name, s.data or b"", s.compress, []) for s in self.segments[:-1]]
        live = self.segments[-1]
        out.append((live.name, b"", live.compress, live.lines))
        return out


class SizeRotator:
    """server_audit rotation: before a write, if the file is >= ``limit`` bytes, shift .1..N and reopen.

    Only the live file and ``rotations`` old files survive; older ones are overwritten. Items may be
    rendered lazily: ``size_of(item)`` must equal ``len(render(item).encode()) + 1``.
    """

    def __init__(
        self,
        limit: int,
        rotations: int,
        encoding: str = "latin-1",
        render: Callable[[object], str] | None = None,
        size_of: Callable[[object], int] | None = None,
    ) -> None:
        self.limit = limit
        self.encoding = encoding
        self.render = render
        self.size_of = size_of
        self.current: list[object] = []
        self.size = 0
        self.first_time: float | None = None
        self.old: deque[tuple[list[object], float | None]] = deque(maxlen=rotations)
        self.dropped_lines = 0

    def write(self, when: float, item: object) -> None:
        if self.size_of is None:
            item = (str(item) + "\n").encode(self.encoding)
            n = len(item)  # type: ignore[arg-type]
        else:
            n = self.size_of(item)
        if self.size >= self.limit:
            if len(self.old) == self.old.maxlen:
                self.dropped_lines += len(self.old[0][0])
            self.old.append((self.current, self.first_time))
            self.current, self.size, self.first_time = [], 0, None
        if self.first_time is None:
            self.first_time = when
        self.current.append(item)
        self.size += n

    def _bytes(self, items: list[object]) -> bytes:
        if self.render is None:
            return b"".join(items)  # type: ignore[arg-type]
        render = self.render
        return "".join(render(i) + "\n" for i in items).encode(self.encoding)

    def files(self, base: str) -> list[tuple[str, bytes]]:
        out = [(base, self._bytes(self.current))]
        for k, (items, _) in enumerate(reversed(self.old), start=1):
            out.append((f"{base}.{k}", self._bytes(items)))
        return out

    def oldest_time(self) -> float | None:
        return self.old[0][1] if self.old else self.first_time


def write_file(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
