"""Escaping rules of the servers whose logs we imitate."""

from __future__ import annotations

_APACHE_NAMED = {8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 13: "\\r"}


def apache_escape(text: str) -> str:
    """``ap_escape_logitem``: ``"`` and ``\\`` get a backslash, controls and bytes >= 0x7f become ``\\xhh``.

    Characters above U+007F stand for raw bytes: they are encoded as latin-1 when they fit, else UTF-8.
    """
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    out = []
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7F:
            out.append("\\" + ch if ch in '"\\' else ch)
        elif o in _APACHE_NAMED:
            out.append(_APACHE_NAMED[o])
        else:
            raw = ch.encode("latin-1") if o < 0x100 else ch.encode("utf-8")
            out.extend(f"\\x{b:02x}" for b in raw)
    return "".join(out)


def nginx_escape(text: str) -> str:
    """nginx ``escape=default``: ``"``, ``\\``, controls and bytes > 126 become ``\\xHH`` (upper case)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    out = []
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7F and ch not in '"\\':
            out.append(ch)
        else:
            raw = ch.encode("latin-1") if o < 0x100 else ch.encode("utf-8")
            out.extend(f"\\x{b:02X}" for b in raw)
    return "".join(out)


def audit_escape(sql: str, limit: int = 1024) -> str:
    """server_audit.c: cut at ``server_audit_query_log_limit`` chars, then ``'``/``\\`` escaped, whitespace -> space."""
    sql = sql[:limit]
    out = []
    for ch in sql:
        if ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\t\n\r\x0b\x0c":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def outfile_field(value: object) -> str:
    """``SELECT ... INTO OUTFILE`` defaults: NULL -> ``\\N``; the escape char, TAB, LF and NUL get a backslash.

    MySQL writes the escape character *followed by the literal* TAB or LF (not ``\\t``/``\\n``),
    and NUL as ``\\0``.
    """
    if value is None:
        return "\\N"
    text = value if isinstance(value, str) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\x00" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\\t").replace("\n", "\\\n").replace("\x00", "\\0")
    return text
