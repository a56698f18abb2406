"""``--since`` / ``--until``: the dates people type, read with python-dateutil, as a UTC window.

An investigator types ``2024-10-25``, ``25/10/2024 14:00``, ``2024-10-25 14:00 +02:00``,
``2024-10-25T01:12Z`` or ``2024-10-25 14:00 Europe/Paris``.  Each is read once, here, into an
aware UTC bound, and the window says where its zone came from: written in the text, or
assumed (the case zone, else ``--tz``, else UTC), because time is evidence and a bound read
in the wrong zone moves the case by hours.

* Both bounds are inclusive at the precision typed: what is left out is the start of the
  period for ``since`` and its end for ``until`` (``--until 2024-10-25`` is the end of that
  day, ``--until "2024-10-25 14:00"`` includes 14:00:59).
* A date whose day and month can be swapped (``03/04/2024``) is refused: write it as
  ``2024-04-03``.  ``25/10/2024`` is not ambiguous and is read day first.
* A zone abbreviation (``CET``, ``EST``) is refused: they are ambiguous; write an offset or
  an IANA name.
* A local time that a DST change makes ambiguous or nonexistent is read with the offset in
  force before the change, and the note says so.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from dateutil import parser as dateparser
from dateutil.parser import UnknownTimezoneWarning

from forensics.ingest_messages import Note, note

_START = datetime(2000, 1, 1, 0, 0, 0, 0)
_END = datetime(2000, 1, 1, 23, 59, 59, 999_999)


class WindowError(ValueError):
    """A ``--since``/``--until`` value that cannot be read without guessing."""


@dataclass(frozen=True)
class Bound:
    """One bound: as typed, in UTC, and where its zone came from."""

    text: str
    utc: datetime
    zone: str
    zone_source: str  # "written" or "assumed"
    note: Note | None = None  # a DST gap or repeat at the bound's local time

    def iso(self) -> str:
        return self.utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


@dataclass(frozen=True)
class Window:
    """The case window: events whose ``@timestamp`` (UTC, after clock correction) lies within it are kept."""

    since: Bound | None = None
    until: Bound | None = None

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None

    def expr(self) -> pl.Expr:
        """A polars predicate on ``@timestamp`` (true for every row when the window is open)."""
        cond = pl.lit(True)
        if self.since is not None:
            cond = cond & (pl.col("@timestamp") >= self.since.utc)
        if self.until is not None:
            cond = cond & (pl.col("@timestamp") <= self.until.utc)
        return cond

    def apply(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        return lf.filter(self.expr()) if self else lf

    def notes(self) -> list[str]:
        """One line per bound whose zone was assumed, or whose local time was ambiguous."""
        out = []
        for name, b in (("--since", self.since), ("--until", self.until)):
            if b is None:
                continue
            if b.zone_source == "assumed":
                out.append(note("window.no_zone", bound=name, text=b.text, zone=b.zone, iso=b.iso()))
            if b.note:
                out.append(b.note.about(f"{name} {b.text!r}"))
        return out

    def to_json(self) -> dict[str, Any] | None:
        if not self:
            return None

        def one(b: Bound | None) -> dict[str, Any] | None:
            if b is None:
                return None
            d = asdict(b)
            d["utc"] = b.iso()
            return d

        return {"since": one(self.since), "until": one(self.until)}


def _split_zone(text: str) -> tuple[str, ZoneInfo | None]:
    """A trailing IANA zone name (``... Europe/Paris``) is taken off the text and returned."""
    head, _, last = text.strip().rpartition(" ")
    if head and "/" in last:
        try:
            return head, ZoneInfo(last)
        except (ZoneInfoNotFoundError, ValueError):
            raise WindowError(f"{last!r} is not a known time zone name") from None
    return text.strip(), None


def _parse(body: str, default: datetime, dayfirst: bool) -> datetime:
    """dateutil's reading, with an unknown zone abbreviation an error instead of a silent naive time."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTimezoneWarning)
        try:
            return dateparser.parse(body, default=default, dayfirst=dayfirst)
        except UnknownTimezoneWarning as exc:
            raise WindowError(
                f"{body!r}: a zone abbreviation is ambiguous; write an offset (+01:00) or a zone name (Europe/Paris)"
            ) from exc


def parse_bound(text: str, *, until: bool, zone: str | None, zone_origin: str = "case zone") -> Bound:
    """Read one typed date into a UTC bound; ``zone`` is assumed when the text has none (UTC without it)."""
    raw = text
    body, named = _split_zone(text)
    default = _END if until else _START
    try:
        month_first = _parse(body, default, dayfirst=False)
        day_first = _parse(body, default, dayfirst=True)
    except WindowError:
        raise
    except (ValueError, OverflowError) as exc:
        raise WindowError(f"{raw!r} is not a date (try 2024-10-25 or 2024-10-25 14:00 +02:00)") from exc
    if month_first != day_first and not body.lstrip()[:4].isdigit():
        raise WindowError(
            f"{raw!r} can be read as {month_first:%Y-%m-%d} or {day_first:%Y-%m-%d}: write it as YYYY-MM-DD"
        )
    value = day_first if not body.lstrip()[:4].isdigit() else month_first
    note = None
    if value.tzinfo is not None:
        if named is not None:
            raise WindowError(f"{raw!r} gives both an offset and a zone name: keep one")
        return Bound(raw, value.astimezone(UTC), _offset_name(value), "written")
    if named is not None:
        tz, source, zname = named, "written", named.key
    else:
        zname = zone or "UTC"
        tz, source = ZoneInfo(zname), "assumed"
        if zone is None:
            zone_origin = "no case zone, no --tz"
    local = value.replace(tzinfo=tz)
    shifted = value.replace(tzinfo=tz, fold=1)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        note = Note("window.dst_gap", {"local": f"{value:%Y-%m-%d %H:%M}", "zone": zname})
    elif local.utcoffset() != shifted.utcoffset():
        note = Note("window.dst_ambiguous", {"local": f"{value:%Y-%m-%d %H:%M}", "zone": zname})
    label = zname if source == "written" else f"{zname} ({zone_origin})"
    return Bound(raw, local.astimezone(UTC), label, source, note)


def _offset_name(value: datetime) -> str:
    off = value.utcoffset() or timedelta(0)
    if not off:
        return "UTC"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_window(since: str | None, until: str | None, *, zone: str | None, zone_origin: str = "case zone") -> Window:
    """Both bounds, checked: ``since`` must not be after ``until``."""
    s = parse_bound(since, until=False, zone=zone, zone_origin=zone_origin) if since else None
    u = parse_bound(until, until=True, zone=zone, zone_origin=zone_origin) if until else None
    if s is not None and u is not None and s.utc > u.utc:
        raise WindowError(f"--since {since!r} ({s.iso()}) is after --until {until!r} ({u.iso()})")
    return Window(s, u)


__all__ = ["Bound", "Window", "WindowError", "parse_bound", "parse_window"]
