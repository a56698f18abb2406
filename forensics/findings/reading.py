"""Reading a findings document that may be damaged, older, newer or hostile, without raising.

Every getter returns what it could read (or a default) and, when the value was missing or of
the wrong kind, records a ``Problem``: where (a JSON path such as ``accounts[2].score``) and
why.  One bad field costs only itself; the rest of the document is still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forensics.findings.values import parse_time

#: A finding text as written: ``{"code": ..., "params": {...}}`` (parameters may nest messages).
Message = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """What could not be read, and where."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


def at(path: str, key: str | int) -> str:
    """The JSON path of ``key`` (a member name or a list index) inside ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def is_message(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("params"), dict)


class Reader:
    """Typed getters over JSON objects that record a problem instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def note(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    def _get(self, obj: dict[str, Any], key: str, path: str, required: bool) -> Any:
        if key not in obj:
            if required:
                self.note(at(path, key), "is missing")
            return None
        return obj[key]

    def child(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> dict[str, Any] | None:
        """A nested object; None when absent (and a problem when required or not an object)."""
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.note(at(path, key), "is not an object")
            return None
        return value

    def text(self, obj: dict[str, Any], key: str, path: str, default: str = "", required: bool = False) -> str:
        value = self._get(obj, key, path, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.note(at(path, key), "is not a string")
            return str(value)
        return value

    def opt_text(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> str | None:
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        return self.text(obj, key, path)

    def texts(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> list[str]:
        """A list of strings; a lone string counts as a list of one, other items are kept as JSON text."""
        value = self._get(obj, key, path, required)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.note(at(path, key), "is not a list")
            return []
        out = []
        for i, v in enumerate(value):
            if v is None:
                continue
            if not isinstance(v, str):
                self.note(at(at(path, key), i), "is not a string")
                v = json.dumps(v, sort_keys=True)
            out.append(v)
        return out

    def opt_texts(self, obj: dict[str, Any], key: str, path: str) -> list[str] | None:
        """``texts``, or None when the key is absent (an optional list of a newer or older document)."""
        return self.texts(obj, key, path) if obj.get(key) is not None else None

    def integer(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> int | None:
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.note(at(path, key), "is not a number")
            return None
        return value if isinstance(value, int) else int(value)

    def number(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> float | None:
        """A number as written (an int stays an int, so the document writes back the same)."""
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.note(at(path, key), "is not a number")
            return None
        return value

    def boolean(self, obj: dict[str, Any], key: str, path: str, default: bool = False) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.note(at(path, key), "is not true or false")
            return default
        return value

    def time(self, obj: dict[str, Any], key: str, path: str, required: bool = False) -> datetime | None:
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        parsed = parse_time(value)
        if parsed is None:
            self.note(at(path, key), "is not an ISO 8601 time")
        return parsed

    def mapping(self, obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        """A free-form object (details, thresholds) kept as written; None when absent."""
        return self.child(obj, key, path)

    def message(self, obj: dict[str, Any], key: str, path: str) -> Message | None:
        value = obj.get(key)
        if value is None:
            return None
        if not is_message(value):
            self.note(at(path, key), "is not a message (code and params)")
            return None
        return value

    def messages(self, obj: dict[str, Any], key: str, path: str) -> list[Message | None]:
        """A list of messages; an unreadable one stays as None so the list keeps its alignment."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.note(at(path, key), "is not a list")
            return []
        out: list[Message | None] = []
        for i, v in enumerate(value):
            if v is not None and not is_message(v):
                self.note(at(at(path, key), i), "is not a message (code and params)")
                v = None
            out.append(v)
        return out

    def rows(
        self, obj: dict[str, Any], key: str, path: str, required: bool = False
    ) -> list[tuple[dict[str, Any], str]]:
        """The objects of a list with their paths; an item that is not an object is named and skipped."""
        value = self._get(obj, key, path, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.note(at(path, key), "is not a list")
            return []
        out = []
        for i, v in enumerate(value):
            where = at(at(path, key), i)
            if isinstance(v, dict):
                out.append((v, where))
            else:
                self.note(where, "is not an object")
        return out


def extra(obj: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The keys this version does not know (a newer document's): kept, and written back as read."""
    return {k: v for k, v in obj.items() if k not in known}


__all__ = ["Message", "Problem", "Reader", "at", "extra", "is_message"]
