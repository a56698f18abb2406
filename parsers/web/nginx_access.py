"""nginx access logs driven by the server's ``log_format`` (default: nginx ``combined``).

With ``log_format`` (a ``[[source]]`` key: the format text, or the whole
``log_format main '...' '...';`` directive pasted from nginx.conf, ``escape=json``
included) every line is read with that format: variables become fields (see
``parsers.web.logformat``: ``$remote_addr``, ``$time_local``, ``$time_iso8601``,
``$msec``, ``$request``, ``$status``, ``$body_bytes_sent``, ``$bytes_sent``,
``$request_time``, ``$http_*``, ``$upstream_*``...), and the text between them must be
there as written (``rt=$request_time xff_in="$http_x_forwarded_for"``).  nginx writes
the time when the request *ends*, so ``timestamp_desc`` says "Request completed".
nginx escapes ``"``, ``\\`` and non-printable bytes as ``\\xHH`` in ``$request`` and
headers; the decoded fields are unescaped, ``event.original`` stays as written.

Without ``log_format`` this reads nginx's ``combined``, which is byte for byte Apache's
combined: the same variants as ``apache.access`` are accepted (a trailing quoted
X-Forwarded-For, ``$request_time``, an address list before the peer).  It is not
auto-detected (``apache.access`` claims those files); choose it in the case config.

Reference: https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register
from parsers.web.access import meta_of, parse_access
from parsers.web.apache_access import parse_auto
from parsers.web.logformat import AccessFormat, compile_nginx


@register
class NginxAccess(Parser):
    """nginx access log with its log_format (default combined).

    The module docstring documents the mapping.

    Reference: https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format
    """

    name = "nginx.access"
    chunk_independent = True
    actions = ("http_request",)
    literals = ('"',)
    detectable = False
    option_keys = ("log_format",)

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        fmt = self.options.get("log_format")
        self.custom: AccessFormat | None = compile_nginx(str(fmt)) if fmt else None

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        if self.custom is None:
            events, rejects = parse_auto(records, state)
            if events.height:
                events = events.with_columns(pl.lit("Request completed").alias("timestamp_desc"))
            return ParseResult(events=events, rejects=rejects)
        meta = replace(meta_of(self.custom), time_end=True)
        events, rejects = parse_access(
            records,
            [self.custom],
            [(self.custom.regex, self.custom.groups)],
            meta,
            "does not match the configured log_format",
            lenient=[(self.custom.lenient_regex, self.custom.groups)] if self.custom.lenient_regex else (),
        )
        return ParseResult(events=events, rejects=rejects)
