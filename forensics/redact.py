"""Secrets that logs carry by accident are masked wherever text leaves the tool, unless asked not to.

The evidence and ``events.parquet`` keep the text exactly as written (they are the record);
the report, the exports and the terminal show ``[REDACTED]`` instead of the secret itself, so
a report attached to a complaint does not hand a working password, token or session to its
readers.  What is masked, by kind (``KINDS``):

* ``url_password``: the password half of Mediboard's ``login=user:password`` URL parameter
  and of a URL's ``user:password@host``;
* ``password``: the value of a ``password=``, ``passwd=``, ``pwd=``, ``pass=`` or ``secret=``
  parameter (query string or form body as logged);
* ``api_key``: the value of a ``token=``, ``access_token=``, ``api_key=``, ``apikey=`` or
  ``x-api-key`` parameter or header;
* ``authorization``: the credentials of an ``Authorization`` header (``Basic ...``,
  ``Bearer ...``);
* ``session_cookie``: the value of a session cookie (``PHPSESSID``, ``JSESSIONID``,
  ``ASP.NET_SessionId``, ``laravel_session``, ``connect.sid``, ``sessionid``, ``sid``).

The names around a secret stay (``password=[REDACTED]``): the reader still sees that a
password was sent, which is often the point.  An analyst who needs the values runs the
report or the export with ``--keep-secrets`` (``keep_secrets()`` in Python); the report
then says that nothing was masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import polars as pl

MASK = "[REDACTED]"
_VALUE = r"[^&\s\"'<>;]+"


@dataclass(frozen=True)
class Kind:
    """One kind of secret: its name, the rules that mask it and why it is masked.

    Every rule has two groups kept around the secret (the second is often empty), so one
    replacement, ``${1}[REDACTED]${2}``, serves them all, in polars and in Python.
    """

    name: str
    patterns: tuple[str, ...]  # Rust-regex compatible (no look-arounds) so polars can run them
    why: str


KINDS: tuple[Kind, ...] = (
    Kind(
        "url_password",
        (
            rf"(?i)(\blogin=[^&\s\"':]*:){_VALUE}()",
            r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:)[^@\s/\"'<>]+(@)",
        ),
        "a password written in a URL logs a user in",
    ),
    Kind(
        "password",
        (rf"(?i)(\b(?:password|passwd|pwd|pass|secret)=){_VALUE}()",),
        "a password sent in a query string or a form body",
    ),
    Kind(
        "api_key",
        (rf"(?i)(\b(?:token|access_token|api_key|apikey|x-api-key)[\"']?\s*[=:]\s*[\"']?){_VALUE}()",),
        "an API key or access token gives the access of its owner",
    ),
    Kind(
        "authorization",
        (r"(?i)(\bauthorization[\"']?\s*[=:]\s*[\"']?(?:(?:basic|bearer|digest|token|negotiate)\s+)?)[^\s\"'<>;,]+()",),
        "the credentials of an Authorization header (Basic is a password in base64)",
    ),
    Kind(
        "session_cookie",
        (
            rf"(?i)(\b(?:PHPSESSID|JSESSIONID|ASP\.NET_SessionId|laravel_session|connect\.sid|sessionid|sid)=){_VALUE}()",
        ),
        "a session cookie lets whoever holds it act as the logged-in user",
    ),
)

_REPLACEMENT = f"${{1}}{MASK}${{2}}"
#: (pattern, replacement) pairs, in the order they are applied.
RULES: list[tuple[str, str]] = [(p, _REPLACEMENT) for k in KINDS for p in k.patterns]
_PY = [(re.compile(p.replace("(?i)", ""), re.IGNORECASE), rf"\g<1>{MASK}\g<2>") for p, _ in RULES]
_ENABLED: ContextVar[bool] = ContextVar("forensics_redact", default=True)


def enabled() -> bool:
    """Are secrets masked here (the default), or did the caller ask to keep them?"""
    return _ENABLED.get()


@contextmanager
def keep_secrets(keep: bool = True) -> Iterator[None]:
    """Within this block, ``redact*`` leave secrets as written (``--keep-secrets``)."""
    token = _ENABLED.set(not keep)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def redact_expr(expr: pl.Expr) -> pl.Expr:
    """The same text with secrets masked (vectorised); unchanged under ``keep_secrets``."""
    if not enabled():
        return expr
    for pattern, replacement in RULES:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def redact(text: str) -> str:
    """Mask secrets in one string (for values already out of a frame)."""
    if not enabled():
        return text
    for rx, replacement in _PY:
        text = rx.sub(replacement, text)
    return text


def redact_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Every string column with secrets masked."""
    if not enabled():
        return df
    return df.with_columns(redact_expr(pl.col(c)).alias(c) for c, t in df.schema.items() if t == pl.String)


def count_secrets(events: pl.LazyFrame, column: str = "event.original") -> dict[str, int]:
    """How many events hold each kind of secret in ``column`` (what the report says it masked)."""
    text = pl.col(column)
    counts = events.select(
        pl.any_horizontal(text.str.contains(p).fill_null(False) for p in kind.patterns).sum().alias(kind.name)
        for kind in KINDS
    ).collect()
    return {kind.name: int(counts.get_column(kind.name)[0]) for kind in KINDS}
