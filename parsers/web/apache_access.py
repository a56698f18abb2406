"""Apache httpd access logs: common, combined, vhost, + %D/%T, + X-Forwarded-For, or any LogFormat.

Without a ``log_format`` option every line is read as one of the usual variants (they may
be mixed in one file, as happens when a config changed):

* ``%h %l %u %t "%r" %>s %b`` (common), followed optionally by ``"%{Referer}i"
  "%{User-Agent}i"`` (combined; Debian's ``%O`` variant has the same shape), then an
  optional number (``%D`` µs when an integer, tagged ``duration_unit_assumed`` since
  ``%T`` cannot be told apart; seconds when it has a decimal point, as nginx's
  ``$request_time``), then an optional quoted X-Forwarded-For (nginx's ``main``);
* a token before ``%h``: ``%v:%p`` or a bare server name (vhost_combined), or an address
  list / a quoted list (nginx ``$http_x_forwarded_for $remote_addr`` or
  ``$proxy_add_x_forwarded_for``), which goes to ``network.forwarded_ip``;
* mod_ssl's ``ssl_request_log`` (``%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b``).

A combined line whose last quoted field has lost its closing quote (a line cut inside
the User-Agent, as line 8899 of the Elastic ``apache_logs`` sample) is still an event:
everything that identifies the request (time, client, request, status, bytes) is intact,
so it is kept and tagged ``line_malformed`` rather than rejected; the User-Agent is what
the line holds.  Lines cut earlier are rejects.

With ``log_format`` (a ``[[source]]`` key: a format string, a nickname such as
``vhost_combined``, or a pasted ``LogFormat "..." nick`` line) only that format is read;
see ``parsers.web.logformat`` for the directive mapping.  A format written with nginx
``$variables`` (and no ``%`` directive) is compiled as nginx's.

Reference: https://httpd.apache.org/docs/2.4/mod/mod_log_config.html
"""

from __future__ import annotations

from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register
from parsers.web.access import Meta, meta_of, parse_access
from parsers.web.logformat import (
    APACHE_DIRECTIVE,
    FLOAT,
    QUOTED,
    AccessFormat,
    compile_apache,
    compile_nginx,
    rename_slots,
)

_AUTO = {"duration_us": ("duration_auto", FLOAT)}
_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
#: The split-pass variants, most common first.
AUTO_FORMATS: tuple[AccessFormat, ...] = tuple(
    rename_slots(compile_apache(f), _AUTO)
    for f in (
        _COMBINED,
        '%h %l %u %t "%r" %>s %b',
        _COMBINED + ' "%{X-Forwarded-For}i"',
        _COMBINED + " %D",
        _COMBINED + ' %D "%{X-Forwarded-For}i"',
        '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b',
    )
)

_Q = QUOTED
#: Everything the split pass does not take: escapes, a leading vhost or address list,
#: a last quoted field without its closing quote.
AUTO_REGEX = (
    rf'^(?:"(?P<forwarded>{_Q})" |(?P<prefix>[^\s"]+(?: [^\s"]+)*?) )?'
    r'(?P<peer>[^\s",]+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time_clf>[^\s\]"]*) (?P<time_zone>[^\s\]"]*)\] '
    rf'"(?P<request>{_Q})" (?P<status>\d{{3}}|-) (?P<bytes_body>\d+|-)'
    rf'(?: "(?P<referrer>{_Q})" "(?P<user_agent>{_Q})(?P<ua_end>"?))?'
    r"(?: (?P<duration_auto>\d+(?:\.\d+)?))?"
    rf'(?: "(?P<forwarded_tail>{_Q})(?P<xff_end>"?))?\s*$'
)
AUTO_GROUPS = {"ident": "label:ident"}
SSL_REQUEST = compile_apache('%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b')
AUTO_META = Meta(time_kind="clf", clf_bytes=True)

_ACCESSISH = r"^(?:\S+ )*?\S+ \S+ \S+ \[|^\[[^\]]*\] \S+ "


def auto_reject_reason() -> pl.Expr:
    """Say whether a refused line looked like an access line (then it was cut or damaged)."""
    return (
        pl.when(pl.col("text").str.contains(_ACCESSISH))
        .then(pl.lit("access log line cut short or malformed after the time"))
        .otherwise(pl.lit("not an access log line"))
    )


@register
class ApacheAccess(Parser):
    """Apache httpd / nginx access log (common, combined, vhost, + %D, + X-Forwarded-For, any LogFormat).

    The module docstring documents the mapping.

    Reference: https://httpd.apache.org/docs/2.4/mod/mod_log_config.html
    """

    name = "apache.access"
    chunk_independent = True
    actions = ("http_request",)
    literals = ('"',)
    option_keys = ("log_format",)

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        fmt = self.options.get("log_format")
        self.custom: AccessFormat | None = None
        if fmt:
            # an nginx log_format given without ``format = "nginx.access"`` is still read as nginx
            nginx = "$" in str(fmt) and not APACHE_DIRECTIVE.search(str(fmt))
            self.custom = compile_nginx(str(fmt)) if nginx else compile_apache(str(fmt))

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        if self.custom is not None:
            events, rejects = parse_access(
                records,
                [self.custom],
                [(self.custom.regex, self.custom.groups)],
                meta_of(self.custom),
                "does not match the configured log_format",
            )
            return ParseResult(events=events, rejects=rejects)
        return ParseResult(*parse_auto(records, state))


def parse_auto(records: pl.DataFrame, state: ParserState) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The auto-detected variants, the most frequent of the previous chunk first."""
    hits: dict[str, int] = state.setdefault("access_hits", {})
    order = sorted(AUTO_FORMATS, key=lambda f: -hits.get(f.source, 0))
    return parse_access(
        records,
        order,
        [(AUTO_REGEX, AUTO_GROUPS), (SSL_REQUEST.regex, SSL_REQUEST.groups)],
        AUTO_META,
        auto_reject_reason(),
        hits,
    )
