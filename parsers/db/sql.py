"""A light SQL scanner: the statement's verb (``db.operation``) and the tables it names (``db.tables``).

Not a parser: it reads the first keyword after comments and parentheses, and the names
that follow FROM / JOIN / INTO / UPDATE / TABLE (comma lists included), which is what an
investigator filters on ("every SELECT on patients").  Quotes and schema prefixes are
removed (``mediboard.`patients``` -> ``patients``); names keep their case as written and
are de-duplicated in order.  Known misses: tables named only inside sub-selects after a
comma list, and names in string literals that look like SQL.
"""

from __future__ import annotations

import polars as pl

# leading noise: spaces, parentheses, MySQL executable comments (/*!40101 ...), block and line comments
_LEAD = r"(?:[\s(;]|/\*!\d*|/\*(?:[^!](?s:.*?))?\*/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))*"
_OPERATION = rf"^{_LEAD}([A-Za-z]+)"

_PART = r"(?:`[^`\n]*`|\"[^\"\n]*\"|\[[^\]\n]*\]|[\w$]+)"
_NAME = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ALIAS = rf"(?:\s+(?:[Aa][Ss]\s+)?{_PART})?"
_KEYWORD = r"(?i:\b(?:FROM|JOIN|INTO|UPDATE|TABLES?)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?)"
#: a keyword, a name, then more ", name" (with optional aliases) only when a comma follows
_TABLES = rf"{_KEYWORD}{_NAME}(?:{_ALIAS}\s*,\s*{_NAME})*"
_STRIP_KEYWORD = rf"^{_KEYWORD}"
_FIRST_NAME = rf"^\s*({_NAME})"
_LAST_PART = rf"({_PART})$"

#: words that follow FROM/INTO/TABLE in valid SQL but are not tables
NOT_TABLES = [
    "SELECT", "WHERE", "SET", "VALUES", "VALUE", "LIKE", "FROM", "IN", "ON", "AS", "OUTFILE", "DUMPFILE",
    "DUAL", "IF", "NOT", "EXISTS", "STATUS", "LIMIT", "ORDER", "GROUP", "LATERAL", "UNNEST", "STDIN",
    "STDOUT", "LOW_PRIORITY", "HIGH_PRIORITY", "IGNORE", "DELAYED", "QUICK", "TEMPORARY", "ONLY",
]  # fmt: skip


def sql_operation(query: pl.Expr) -> pl.Expr:
    """The first keyword of a statement, upper-cased (``SELECT``, ``INSERT``, ``SET``...)."""
    return query.str.extract(_OPERATION, 1).str.to_uppercase()


def sql_tables(query: pl.Expr) -> pl.Expr:
    """Tables named after FROM/JOIN/INTO/UPDATE/TABLE, without quotes or schema, de-duplicated."""
    clauses = query.str.extract_all(_TABLES)
    parts = clauses.list.eval(pl.element().str.replace(_STRIP_KEYWORD, "")).list.join(",").str.split(",")
    # Each step maps an element to a value or null (never ``filter`` inside ``list.eval``: a
    # filter over a derived element of a list of three or more names raised ShapeError on
    # some statements, which cost a whole chunk); nulls are dropped once at the end.
    name = pl.element().str.extract(_FIRST_NAME, 1)
    table = name.str.replace_all(r"\s*\.\s*", ".").str.extract(_LAST_PART, 1).str.strip_chars('`"[]')
    kept = pl.when(name.is_not_null() & ~name.str.to_uppercase().is_in(NOT_TABLES) & (table.str.len_bytes() > 0))
    return parts.list.eval(kept.then(table)).list.drop_nulls().list.unique(maintain_order=True)
