"""How values are written in ``findings.json``: UTC times with ``Z``, addresses in numeric
order, and nothing ``json.dumps`` would refuse or write differently from run to run."""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, datetime
from typing import Any


def utc_iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z``; fractions of a second only when there are some."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def parse_utc(text: str | None) -> datetime | None:
    """The inverse of ``utc_iso`` (aware datetime in UTC)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string (``Z`` or offset; naive means UTC) as an aware UTC datetime, else None.

    The tolerant form of ``parse_utc``, for documents another tool (or an older version) wrote.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def ip_sort_key(ip: str) -> tuple[int, Any]:
    try:
        addr = ipaddress.ip_address(ip)
        return (addr.version, int(addr))
    except ValueError:
        return (9, ip)


def sort_ips(ips: Any) -> list[str]:
    """Distinct addresses in numeric order (IPv4 first), nulls dropped."""
    return sorted({i for i in ips if i}, key=ip_sort_key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value


def jsonable(value: Any) -> Any:
    """Datetimes to ``...Z`` strings, sets to sorted lists, NaN to null: safe for json.dumps."""
    return _jsonable(value)


__all__ = ["ip_sort_key", "jsonable", "parse_time", "parse_utc", "sort_ips", "utc_iso"]
