"""Format detection: sniff the first 64 KiB, cheap literals first, then a parse score."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.intake.reader import group_records, lines_frame
from forensics.intake.stream import StreamStatus, open_stream
from parsers.base import load_all

#: How much of a file format detection looks at.
SNIFF_BYTES = 64 * 1024

#: Below this share of parsed sample records a parser is not chosen.
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Detection:
    """The chosen parser (or None) with its score, and the runners-up."""

    parser: str | None
    score: float
    candidates: tuple[tuple[str, float], ...]
    #: what the chosen parser inferred from the sample when the config said nothing (e.g. log_line_prefix)
    inferred: dict[str, str] = field(default_factory=dict)


def sniff(path: Path, limit: int = SNIFF_BYTES) -> bytes:
    """The first ``limit`` decompressed bytes, cut at the last complete line when possible."""
    status = StreamStatus()
    buf = bytearray()
    try:
        for block in open_stream(path, status):
            buf += block
            if len(buf) >= limit:
                break
    except OSError:
        return b""
    data = bytes(buf[:limit])
    if len(buf) > limit and b"\n" in data:
        data = data[: data.rindex(b"\n")]
    return data.removesuffix(b"\n")


def detect_sample(sample: bytes, filename: str, options: dict[str, Any] | None = None) -> Detection:
    """Score every detectable parser on a sample and pick the best one above MIN_SCORE."""
    text = sample.decode("utf-8", errors="replace")
    lines = lines_frame(sample, 1, 0) if sample else None
    scores: list[tuple[str, float]] = []
    inferred: dict[str, dict[str, str]] = {}
    for name, cls in load_all().items():
        if not cls.detectable or lines is None:
            continue
        if not cls.prefilter(text, filename):
            continue
        parser = cls(options or {})
        try:
            records, _, _ = group_records(lines, parser)
            score = parser.score(records, filename)
        except Exception:
            score = 0.0
        if score > 0:
            scores.append((name, round(score, 4)))
            inferred[name] = parser.inferred
    registry = load_all()
    # specific parsers first, then by score: a generic reader (syslog) only wins alone
    scores.sort(key=lambda item: (item[1] < MIN_SCORE, registry[item[0]].generic, -item[1], item[0]))
    best = scores[0] if scores and scores[0][1] >= MIN_SCORE else (None, max((s for _, s in scores), default=0.0))
    chosen = inferred.get(best[0], {}) if best[0] else {}
    return Detection(parser=best[0], score=best[1], candidates=tuple(scores[:5]), inferred=chosen)


def detect_file(path: Path, options: dict[str, Any] | None = None) -> Detection:
    """Detect the format of one file (decompressing it transparently)."""
    return detect_sample(sniff(path), path.name, options)
