"""Time arithmetic for the case: true UTC epochs, host clocks, and every log's time format.

Everything in the generator is a true UTC epoch (float seconds). A host writes ``true + skew``
and renders it in its own zone convention. Only Europe/Paris and UTC are needed, and only for
October 2024, so the Paris offset is computed from the two 2024 DST transitions.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DST_START_2024 = 1711846800  # 2024-03-31T01:00:00Z
DST_END_2024 = 1729990800  # 2024-10-27T01:00:00Z: 03:00 CEST becomes 02:00 CET

HOST_SKEW: dict[str, float] = {"rp01": 0.0, "app01": 3.0, "db01": 0.4, "db02": -7.0}

_MON = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: float = 0.0) -> float:
    """True UTC epoch of a UTC wall time."""
    return calendar.timegm((y, mo, d, h, mi, 0, 0, 0, 0)) + s


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: float = 0.0, fold: int = 0) -> float:
    """True UTC epoch of a Paris wall time (``fold=1`` picks the second 02:xx on 27 Oct)."""
    whole = int(s)
    dt = datetime(y, mo, d, h, mi, whole, tzinfo=PARIS, fold=fold)
    return dt.timestamp() + (s - whole)


def paris_offset(epoch: float) -> int:
    """UTC offset of Europe/Paris in seconds at ``epoch`` (valid for 2024)."""
    return 7200 if DST_START_2024 <= epoch < DST_END_2024 else 3600


@lru_cache(maxsize=1 << 20)
def _local(sec: int) -> tuple[time.struct_time, int]:
    off = paris_offset(sec)
    return time.gmtime(sec + off), off


@lru_cache(maxsize=1 << 20)
def apache_time(sec: int) -> str:
    """``25/Oct/2024:01:07:55 +0200`` (Apache ``%t`` without brackets)."""
    tm, off = _local(sec)
    return (
        f"{tm.tm_mday:02d}/{_MON[tm.tm_mon - 1]}/{tm.tm_year}:"
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +{off // 3600:02d}00"
    )


def apache_error_time(epoch: float) -> str:
    """``Sat Oct 26 23:44:01.552013 2024`` (naive local, microseconds)."""
    sec = int(epoch)
    tm, _ = _local(sec)
    us = round((epoch - sec) * 1e6) % 1000000
    return (
        f"{_DAY[tm.tm_wday]} {_MON[tm.tm_mon - 1]} {tm.tm_mday:02d} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{us:06d} {tm.tm_year}"
    )


@lru_cache(maxsize=1 << 20)
def iso_utc(sec: int) -> str:
    """``2024-10-27T00:15:33+00:00`` (nginx ``$time_iso8601`` on a UTC host)."""
    tm = time.gmtime(sec)
    return f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}+00:00"


def iso_z(epoch: float) -> str:
    """``2024-10-27T00:15:33Z`` for the ground truth (whole seconds kept if integral)."""
    sec = int(epoch)
    tm = time.gmtime(sec)
    base = f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    frac = epoch - sec
    if abs(frac) < 5e-7:
        return base + "Z"
    return base + f".{round(frac * 1e6) % 1000000:06d}Z"


@lru_cache(maxsize=1 << 20)
def naive_local(sec: int) -> str:
    """``2024-10-27 00:41:12`` (MySQL DATETIME, naive local)."""
    tm, _ = _local(sec)
    return f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"


def naive_local_us(epoch: float) -> str:
    """``2024-10-27 00:41:41.204311`` (Monolog ``Y-m-d H:i:s.u``)."""
    sec = int(epoch)
    us = round((epoch - sec) * 1e6) % 1000000
    return f"{naive_local(sec)}.{us:06d}"


@lru_cache(maxsize=1 << 20)
def audit_time(sec: int) -> str:
    """``20241027 00:41:03`` (MariaDB server_audit, naive local)."""
    tm, _ = _local(sec)
    return f"{tm.tm_year}{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"


@lru_cache(maxsize=1 << 18)
def mysql_short_time(sec: int) -> str:
    """``241027  0:41:03`` (MariaDB general log and slow log ``# Time:``; ``%2d`` hour)."""
    tm, _ = _local(sec)
    return f"{tm.tm_year % 100:02d}{tm.tm_mon:02d}{tm.tm_mday:02d} {tm.tm_hour:2d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"


def local_hour_key(sec: int, minutes: int = 60) -> str:
    """Naive local period start rounded down to ``minutes`` (``2024-10-25 03:00:00``)."""
    return _period(sec // (minutes * 60), minutes)


@lru_cache(maxsize=1 << 16)
def _period(bucket: int, minutes: int) -> str:
    tm, _ = _local(bucket * minutes * 60)
    m = (tm.tm_min // minutes) * minutes if minutes < 60 else 0
    return f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d} {tm.tm_hour:02d}:{m:02d}:00"


def local_fields(epoch: float) -> time.struct_time:
    """Paris wall-clock fields of a true epoch."""
    return _local(int(epoch))[0]


def local_date(sec: int) -> str:
    tm, _ = _local(sec)
    return f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}"
