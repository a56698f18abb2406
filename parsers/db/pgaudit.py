"""pgaudit messages: ``AUDIT: SESSION|OBJECT,...`` split into their nine (ten) CSV fields.

Reference: https://github.com/pgaudit/pgaudit#format

AUDIT_TYPE, STATEMENT_ID, SUBSTATEMENT_ID, CLASS, COMMAND, OBJECT_TYPE, OBJECT_NAME,
STATEMENT, PARAMETER and, with ``pgaudit.log_rows``, ROWS.  Fields are CSV: quoted with
``"`` (inner quotes doubled) when they hold a comma, a quote or a new line.
"""

from __future__ import annotations

import polars as pl

FIELDS = [
    "audit_type", "statement_id", "substatement_id", "class", "command", "object_type", "object_name",
    "statement", "parameter",
]  # fmt: skip

_F = r'(?:"(?:[^"]|"")*"|[^,"]*)'
PAYLOAD = (
    r"(?s)^(?P<audit_type>SESSION|OBJECT),(?P<statement_id>\d+),(?P<substatement_id>\d+),"
    rf"(?P<class>{_F}),(?P<command>{_F}),(?P<object_type>{_F}),(?P<object_name>{_F}),"
    rf"(?P<statement>{_F}),(?P<parameter>{_F})(?:,(?P<rows>{_F}))?$"
)
#: the message prefix pgaudit writes
MARKER = "AUDIT: "

#: object types whose name is a relation (goes to ``db.tables``)
RELATIONS = ["TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "PARTITIONED TABLE", "TOAST TABLE"]
#: placeholders pgaudit writes instead of a statement
NOT_STATEMENTS = ["<previously logged>", "<not logged>"]


def unquote(field: pl.Expr) -> pl.Expr:
    """A CSV field as its value: outer quotes removed, doubled quotes undone."""
    quoted = field.str.starts_with('"') & field.str.ends_with('"') & (field.str.len_chars() >= 2)
    inner = field.str.slice(1, field.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
    return pl.when(quoted).then(inner).otherwise(field)


def split_pgaudit(payload: pl.Expr) -> pl.Expr:
    """A struct of the pgaudit fields (null struct fields when ``payload`` is not an AUDIT record).

    ``payload`` is the message after ``AUDIT: ``.  Field values are unquoted; empty fields
    are null.  On a frame, prefer ``pgaudit_raw`` into a column then ``pgaudit_fields`` of
    that column: the regex then runs once, not once per field.
    """
    return pgaudit_fields(pgaudit_raw(payload))


def pgaudit_raw(payload: pl.Expr) -> pl.Expr:
    """The fields of ``payload`` as written (still CSV-quoted): the one costly step."""
    return payload.str.extract_groups(PAYLOAD)


def pgaudit_fields(raw: pl.Expr) -> pl.Expr:
    """``pgaudit_raw``'s struct with every field unquoted and empty fields null."""
    fields = []
    for name in [*FIELDS, "rows"]:
        value = unquote(raw.struct.field(name))
        fields.append(pl.when(value == "").then(None).otherwise(value).alias(name))
    return pl.struct(fields)
