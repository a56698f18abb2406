"""nginx error log, with multi-line records.

``2024/10/27 00:41:12 [error] 1234#1234: *5 message, client: 1.2.3.4, server: x,
request: "GET / HTTP/1.1", upstream: "...", host: "x", referrer: "..."``.  The time is
naive local time.  Lines without the date prefix (PHP-FPM stderr passed on by FastCGI)
belong to the record above them.  ``message`` is everything after ``pid#tid: *cid``;
``event.reason`` is the message without the ``client:``... context that nginx appends,
which fills ``source.ip``, ``url.domain`` (the ``host`` header), the request fields and
``http.request.referrer``; pid, tid, connection number, server and upstream go to
``labels``.  nginx cuts a record at 2048 bytes (``NGX_MAX_ERROR_STR``, newline
included): a record that long is tagged ``message_truncated`` and keeps what is there
(the client address, the start of the request, its method and target).  The user named
by a basic-auth failure (``user "alice" was not found``, ``user "alice": password
mismatch``) goes to ``user.name``.  ``event.action`` is ``server_error`` for warn and above, ``log_message``
below.

Reference: https://nginx.org/en/docs/ngx_core_module.html#error_log
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.apache_error import split_address
from parsers.web.common import decode_urls, json_object, with_request, with_url_parts

START = r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \["
LINE = (
    r"(?s)^(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>[a-z]+)\] "
    r"(?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<cid>\d+) )?(?P<message>.*)$"
)
TAIL = (
    r"(?s)^(?P<reason>.*?)"
    r"(?:, client: (?P<client>[^,\s]+))?"
    r"(?:, server: (?P<server>[^,]*?))?"
    r'(?:, request: "(?P<request>[^"]*)")?'
    r'(?:, subrequest: "(?P<subrequest>[^"]*)")?'
    r'(?:, upstream: "(?P<upstream>[^"]*)")?'
    r'(?:, host: "(?P<host>[^"]*)")?'
    r'(?:, referrer: "(?P<referrer>[^"]*)")?$'
)
_ACTIONS = ["emerg", "alert", "crit", "error", "warn"]
#: nginx builds each record in a buffer of NGX_MAX_ERROR_STR (2048) bytes, newline included:
#: a record this long was cut by the server, wherever it stood
CUT_BYTES = 2047
#: on a cut record each context field is looked for on its own, the last one possibly unterminated
_CUT_FIELDS = {
    "reason": r"(?s)^(.*?)(?:, (?:client|server|request|upstream|host|referrer): |$)",
    "client": r", client: ([^,\s]+)",
    "server": r", server: ([^,]*?)(?:, [a-z]+: |$)",
    "request": r', request: "([^"]*)',
    "subrequest": r', subrequest: "([^"]*)',
    "upstream": r', upstream: "([^"]*)',
    "host": r', host: "([^"]*)',
    "referrer": r', referrer: "([^"]*)',
}
#: ngx_http_auth_basic_module: ``user "alice" was not found in "..."``, ``user "alice": password mismatch``
_AUTH_USER = r'^user "([^"]*)"(?::| was not found)'


@register
class NginxError(Parser):
    """nginx error log, multi-line records.

    The module docstring documents the mapping.

    Reference: https://nginx.org/en/docs/ngx_core_module.html#error_log
    """

    name = "nginx.error"
    chunk_independent = True
    actions = ("server_error", "log_message")
    multiline = True
    literals = ("] ",)

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(START)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df = records.select("_rec", pl.col("text").str.extract_groups(LINE).alias("_g")).unnest("_g")
        ok = pl.col("time").is_not_null()
        rejects = rejects_of(df.filter(~ok), "not an nginx error log record")
        df = df.filter(ok).with_columns(pl.col("message").str.extract_groups(TAIL).alias("_t")).unnest("_t")
        df = df.join(records.select("_rec", _cut=pl.col("text").str.len_bytes() >= CUT_BYTES), on="_rec")
        if df.get_column("_cut").any():
            cut = pl.col("_cut")
            df = df.with_columns(
                [
                    pl.when(cut).then(pl.col("message").str.extract(rx, 1)).otherwise(pl.col(name)).alias(name)
                    for name, rx in _CUT_FIELDS.items()
                ]
            )
        client_ip, client_port = split_address("client")
        level = pl.col("level")
        lf = df.lazy().select(
            "_rec",
            pl.col("time").str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False, time_unit="us").alias("_ts"),
            pl.lit(None, dtype=pl.Int32).alias("_offset"),
            pl.col("time").alias("time.original"),
            level.alias("log.level"),
            client_ip.alias("source.ip"),
            client_port.alias("source.port"),
            client_ip.alias("network.peer_ip"),
            pl.col("message"),
            pl.col("reason").alias("event.reason"),
            pl.col("reason").str.extract(_AUTH_USER, 1).alias("user.name"),
            pl.when(pl.col("_cut")).then(pl.lit(["message_truncated"])).alias("tags"),
            pl.col("referrer").alias("http.request.referrer"),
            pl.col("host").alias("url.domain"),
            pl.col("request").alias("_request"),
            json_object(
                [
                    ("process.pid", pl.col("pid")),
                    ("process.thread.id", pl.col("tid")),
                    ("nginx.connection_id", pl.col("cid")),
                    ("nginx.server", pl.col("server")),
                    ("nginx.upstream", pl.col("upstream")),
                    ("nginx.subrequest", pl.col("subrequest")),
                ]
            ).alias("labels"),
            pl.lit("web").alias("event.category"),
            pl.when(level.is_in(_ACTIONS))
            .then(pl.lit("server_error"))
            .otherwise(pl.lit("log_message"))
            .alias("event.action"),
            pl.when(level.is_in(_ACTIONS)).then(pl.lit("failure")).otherwise(pl.lit("unknown")).alias("event.outcome"),
            pl.lit("Error logged").alias("timestamp_desc"),
        )
        events = with_url_parts(with_request(lf, "_request")).drop("_request").collect()
        events = decode_urls(events)
        bad = events.filter(pl.col("_ts").is_null())
        events = events.filter(pl.col("_ts").is_not_null())
        return ParseResult(events=events, rejects=pl.concat([rejects, rejects_of(bad, "unreadable time")]))
