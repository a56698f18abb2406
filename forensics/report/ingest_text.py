"""Ingest warnings and skipped-path reasons (manifest.json) in the report's language.

The manifest stores each warning and skip reason twice: its English sentence (``warnings``,
``skipped[].reason``) and, beside it, the message it was built from (``warning_messages``,
``skipped[].reason_code`` and ``params``; see ``forensics/ingest_messages.py``).  The report
writes the message again in its own language from the code and values; it never reads the
English back.  A manifest written before the codes existed, a code this version does not know,
or values that do not fit the template: the English is shown as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forensics.ingest_messages import render


def _said(text: Any, message: Any, loc: Any) -> Any:
    if not isinstance(message, Mapping):
        return text
    code, params, subject = message.get("code"), message.get("params"), message.get("subject")
    if not isinstance(code, str) or not isinstance(params, Mapping) or not isinstance(subject, str | None):
        return text
    try:
        # English keeps the manifest's own sentence (counts as bare digits); other languages
        # group a count's digits their own way
        count = None if loc.lang == "en" else loc.num
        return render(code, params, loc.lang, subject=subject, count=count)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return text


def warning_texts(manifest: Mapping[str, Any], loc: Any) -> list[Any]:
    """Every warning of the manifest in the report's language (as written when it has no message)."""
    warnings = manifest.get("warnings") or []
    messages = manifest.get("warning_messages")
    if not isinstance(messages, list) or len(messages) != len(warnings):
        messages = [None] * len(warnings)
    return [_said(w, m, loc) for w, m in zip(warnings, messages, strict=True)]


def skip_reason(entry: Mapping[str, Any], loc: Any) -> Any:
    """Why a path was skipped, in the report's language (as written when the entry has no code)."""
    code = entry.get("reason_code")
    message = {"code": code, "params": entry.get("params") or {}, "subject": None} if code else None
    return _said(entry.get("reason"), message, loc)
