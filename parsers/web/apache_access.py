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
* mod_ssl's ``ssl_request_log`` (``%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b``);
* each of the above with an ISO 8601 time in the brackets (nginx ``$time_iso8601``,
  ``[2024-10-28T00:05:03+00:00]``), and with ``key=value`` fields appended
  (``rt=$request_time xff_in="$http_x_forwarded_for"``): they are kept whole in
  ``labels.extras``; ``rt``/``request_time`` gives ``event.duration`` and
  ``xff``/``xff_in``/``x_forwarded_for`` the forwarded chain.

A lone IP before the peer is ambiguous (``%v`` or ``%A`` naming the server by its
address, or an unquoted ``$http_x_forwarded_for``): in a chunk where it is the same on
every line while the peers vary it is the server (``destination.ip``, ``url.domain``),
otherwise a forwarded client.  A client written as ``127.0.0.1:80`` loses its port to
``source.port``; one that is no IP (``unix:``, ``localhost``, a host name) leaves
``source.ip`` for ``labels.source.address``.

A combined line whose last quoted field has lost its closing quote (a line cut inside
the User-Agent, as line 8899 of the Elastic ``apache_logs`` sample) is still an event:
everything that identifies the request (time, client, request, status, bytes) is intact,
so it is kept and tagged ``line_malformed`` rather than rejected; the User-Agent is what
the line holds.  Lines cut earlier are rejects.

A request (or Referer, User-Agent) holding a raw ``"`` is an attack payload the server
did not escape (``"GET /q?x=<script>alert("t")</script> HTTP/1.0" 404 1164``).  The lines
every strict pass refuses are read once more with the quoted fields matched lazily, so
each field is found by anchoring what follows it (status and size after the last
``" ``) from the end of the line; they are events tagged ``line_irregular``.  Address
fields are never read that way.  The same fallback follows a configured ``log_format``.

With ``log_format`` (a ``[[source]]`` key: a format string, a nickname such as
``vhost_combined``, or a pasted ``LogFormat "..." nick`` line) only that format is read;
see ``parsers.web.logformat`` for the directive mapping.  A format written with nginx
``$variables`` (and no ``%`` directive) is compiled as nginx's.

Reference: https://httpd.apache.org/docs/2.4/mod/mod_log_config.html
"""

from __future__ import annotations

from dataclasses import dataclass
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


#: The time in brackets: CLF (``[10/Oct/2000:13:55:36 -0700]``) or ISO 8601 (nginx
#: ``$time_iso8601``, Apache ``%{%Y-%m-%dT%H:%M:%S%z}t``: ``[2024-10-28T00:05:03+00:00]``).
_CLF_TIME = r'\[(?P<time_clf>[^\s\]"]*) (?P<time_zone>[^\s\]"]*)\]'
_ISO_TIME = r'\[(?P<time_iso>\d{4}-\d{2}-\d{2}T[^\s\]"]*)\]'
#: ``key=value`` / ``key="value"`` fields appended to combined (``rt=$request_time
#: xff_in="$http_x_forwarded_for"``, ``upstream_time=...``): kept whole in labels (``extras``),
#: the request time and a forwarded chain read from the usual names.
_EXTRAS = r'(?P<extras>(?: [A-Za-z_][\w.-]*=(?:"(?:[^"\\]|\\.)*"|[^\s"]*))+)?'


def _auto_regex(text: str, ua_end: str = '"?', time: str = _CLF_TIME) -> str:
    """The auto variants' regex; ``text`` matches the request, referrer and User-Agent.

    ``ua_end`` is the User-Agent's closing quote: optional (a line cut inside it) unless
    the fields are read leniently, where the last quote is what anchors them.
    """
    return (
        rf'^(?:"(?P<forwarded>{_Q})" |(?P<prefix>[^\s"]+(?: [^\s"]+)*?) )?'
        rf"(?P<peer>[^\s\",]+) (?P<ident>\S+) (?P<user>\S+) {time} "
        rf'"(?P<request>{text})" (?P<status>\d{{3}}|-) (?P<bytes_body>\d+|-)'
        rf'(?: "(?P<referrer>{text})" "(?P<user_agent>{text})(?P<ua_end>{ua_end}))?'
        r"(?: (?P<duration_auto>\d+(?:\.\d+)?))?"
        rf'(?: "(?P<forwarded_tail>{_Q})(?P<xff_end>"?))?{_EXTRAS}\s*$'
    )


#: Everything the split pass does not take: escapes, a leading vhost or address list,
#: a last quoted field without its closing quote.
AUTO_REGEX = _auto_regex(_Q)
AUTO_GROUPS = {"ident": "label:ident"}
#: The same shapes with quoted fields matched lazily: a request or header holding a raw ``"``
#: (an attack payload the server did not escape) is found from both ends of the line.
#: Address lists stay strict: a forwarded value never holds a quote.
AUTO_LENIENT = _auto_regex(".*?", ua_end='"')
SSL_REQUEST = compile_apache('%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b')
AUTO_META = Meta(time_kind="clf", clf_bytes=True)


@dataclass(frozen=True)
class Family:
    """Auto-detected variants that share a time layout (one ``Meta``), tried as a group."""

    name: str
    fast: tuple[AccessFormat, ...]
    slow: tuple[tuple[str, dict[str, str]], ...]
    lenient: tuple[tuple[str, dict[str, str]], ...]
    meta: Meta
    #: lines of another shape skip this family (checked only on lines earlier families refused)
    landmark: str


_ISO_COMBINED = '$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent'
FAMILIES = (
    Family(
        "clf",
        AUTO_FORMATS,
        ((AUTO_REGEX, AUTO_GROUPS), (SSL_REQUEST.regex, SSL_REQUEST.groups)),
        ((AUTO_LENIENT, AUTO_GROUPS),),
        AUTO_META,
        r"\[\d{1,2}/[A-Za-z]{3}/\d{4}:",
    ),
    Family(
        "iso",
        tuple(compile_nginx(f) for f in (_ISO_COMBINED + ' "$http_referer" "$http_user_agent"', _ISO_COMBINED)),
        ((_auto_regex(_Q, time=_ISO_TIME), AUTO_GROUPS),),
        ((_auto_regex(".*?", ua_end='"', time=_ISO_TIME), AUTO_GROUPS),),
        Meta(time_kind="iso", clf_bytes=True),
        r"\[\d{4}-\d{2}-\d{2}T",
    ),
)

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
                lenient=[(self.custom.lenient_regex, self.custom.groups)] if self.custom.lenient_regex else (),
            )
            return ParseResult(events=events, rejects=rejects)
        return ParseResult(*parse_auto(records, state))


def parse_auto(records: pl.DataFrame, state: ParserState) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The auto-detected variants, the most frequent of the previous chunk first.

    Families (CLF or ISO times) are tried in turn on what the previous ones refused, the
    one that read most lines so far first; a refused line that does not have a family's
    landmark keeps the reason the earlier family gave.
    """
    hits: dict[str, int] = state.setdefault("access_hits", {})
    events: list[pl.DataFrame] = []
    rejects: pl.DataFrame | None = None
    rest = records
    for family in sorted(FAMILIES, key=lambda f: -hits.get(f"family:{f.name}", 0)):
        if rejects is not None:
            todo = rest.filter(pl.col("text").str.contains(family.landmark))
            if todo.height == 0:
                continue
            rest = todo
        order = sorted(family.fast, key=lambda f: -hits.get(f.source, 0))
        got, refused = parse_access(
            rest, order, family.slow, family.meta, auto_reject_reason(), hits, lenient=family.lenient
        )
        if got.height:
            events.append(got)
            hits[f"family:{family.name}"] = hits.get(f"family:{family.name}", 0) + got.height
        if rejects is None:
            rejects = refused
        else:
            rejects = pl.concat([rejects.join(rest.select("_rec"), on="_rec", how="anti"), refused])
        if refused.height == 0:
            break
        rest = records.join(refused.select("_rec"), on="_rec", how="semi")
    assert rejects is not None
    if len(events) > 1:
        return pl.concat(events, how="diagonal_relaxed"), rejects
    return (events[0] if events else pl.DataFrame()), rejects
