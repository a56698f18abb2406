"""Secrets that logs carry by accident (a password in a URL) are masked wherever text leaves the tool.

The evidence and ``events.parquet`` keep the text exactly as written (they are the record);
the report, the exports and the terminal show ``[REDACTED]`` instead of the secret itself, so
a report attached to a complaint does not hand a working password to its readers.  Masked:
the password half of Mediboard's ``login=user:password`` URL parameter, and the value of any
``password=``, ``passwd=``, ``pwd=``, ``pass=``, ``secret=``, ``token=`` or ``api_key=``
parameter (query string or form body as logged).
"""

from __future__ import annotations

import re

import polars as pl

MASK = "[REDACTED]"
_VALUE = r"[^&\s\"'<>;]+"
#: (pattern, replacement) pairs; Rust-regex compatible (no look-arounds) so polars can run them.
RULES: list[tuple[str, str]] = [
    (rf"(?i)(\blogin=[^&\s\"':]*:){_VALUE}", rf"${{1}}{MASK}"),
    (rf"(?i)(\b(?:password|passwd|pwd|pass|secret|token|api_key|apikey)=){_VALUE}", rf"${{1}}{MASK}"),
]
_PY_RULES = [(re.compile(p.replace("(?i)", ""), re.IGNORECASE), r.replace("${1}", r"\1")) for p, r in RULES]


def redact_expr(expr: pl.Expr) -> pl.Expr:
    """The same text with secrets masked (vectorised)."""
    for pattern, replacement in RULES:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def redact(text: str) -> str:
    """Mask secrets in one string (for values already out of a frame)."""
    for pattern, replacement in _PY_RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Every string column with secrets masked."""
    return df.with_columns(redact_expr(pl.col(c)).alias(c) for c, t in df.schema.items() if t == pl.String)
