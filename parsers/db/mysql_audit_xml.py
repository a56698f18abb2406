"""Percona audit_log and MySQL Enterprise Audit XML: ``<AUDIT_RECORD .../>`` attributes or elements.

Reference: https://docs.percona.com/percona-server/8.0/audit-log-plugin.html (OLD and NEW formats)
and https://dev.mysql.com/doc/refman/5.7/en/audit-log-file-formats.html

The "old" form puts the fields in attributes (``<AUDIT_RECORD NAME="Query" ... />``, often one
attribute per line), the "new" form in child elements (``<NAME>Query</NAME>``).  The file is
wrapped in ``<?xml ...?>`` and ``<AUDIT>`` ... ``</AUDIT>`` (meta).  ``TIMESTAMP`` is
``2014-05-09T14:27:41 UTC``.  Values are XML-unescaped; new lines inside SQL survive as
``&#10;`` in attributes and as real new lines in elements.
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.audit_common import COLUMNS, carry_connection_db, name_style_events, xml_unescape
from parsers.db.common import no_events

_START = r"^\s*(?:<AUDIT_RECORD\b|<\?xml\b|</?AUDIT>)"
_WRAPPER = r"^\s*(?:<\?xml[^>]*\?>|</?AUDIT>)\s*$"

#: column -> XML names, first found wins (Percona and MySQL Enterprise spellings)
FIELDS = {
    "name": ["NAME"],
    "record": ["RECORD", "RECORD_ID"],
    "ts": ["TIMESTAMP"],
    "command_class": ["COMMAND_CLASS"],
    "connection_id": ["CONNECTION_ID"],
    "status": ["STATUS"],
    "sqltext": ["SQLTEXT"],
    "user": ["USER"],
    "priv_user": ["PRIV_USER"],
    "host": ["HOST"],
    "ip": ["IP"],
    "os_user": ["OS_USER", "OS_LOGIN"],
    "db": ["DB"],
    "connection_type": ["CONNECTION_TYPE"],
    "proxy_user": ["PROXY_USER"],
    "login_user": [],
}


def _field(names: list[str]) -> pl.Expr:
    text = pl.col("text")
    found = []
    for name in names:
        found.append(text.str.extract(rf"(?s)<{name}>(.*?)</{name}>", 1))
        found.append(text.str.extract(rf'\b{name}="([^"]*)"', 1))
    return pl.coalesce(found) if found else pl.lit(None, dtype=pl.String)


@register
class MysqlAuditXml(Parser):
    """Percona / MySQL Enterprise audit log XML (<AUDIT_RECORD>, attribute and element forms)."""

    name = "mysql.audit_xml"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "db_query", "log_message")
    multiline = True
    literals = ("<AUDIT_RECORD",)
    filenames = ("*audit*",)

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_START)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        wrappers = records.filter(text.str.contains(_WRAPPER))
        body = records.filter(~text.str.contains(_WRAPPER))
        closed = text.str.contains(r"(?s)^\s*<AUDIT_RECORD\b.*(?:/>|</AUDIT_RECORD>)\s*(?:</AUDIT>\s*)?$")
        good = body.filter(closed)
        bad = body.filter(~closed)
        rejects = rejects_of(bad, "incomplete or unrecognised AUDIT_RECORD")
        meta = rejects_of(wrappers, "XML wrapper")
        if good.height == 0:
            return ParseResult(events=no_events(), rejects=rejects, meta=meta)
        df = good.select("_rec", *[_field(FIELDS[c]).alias(c) for c in COLUMNS])
        df = xml_unescape(df, [c for c in COLUMNS if c not in ("ts", "connection_id", "status")])
        no_time = df.filter(pl.col("ts").is_null())
        df = df.filter(pl.col("ts").is_not_null())
        rejects = pl.concat([rejects, rejects_of(no_time, "AUDIT_RECORD without TIMESTAMP")])
        events = carry_connection_db(name_style_events(df), state, self.name)
        return ParseResult(events=events, rejects=rejects, meta=meta)
