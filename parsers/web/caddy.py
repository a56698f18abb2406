"""Caddy 2 JSON access log (the ``log`` directive's default encoder): one JSON object per line.

``{"level":"info","ts":1646861401.52,"logger":"http.log.access.log0","msg":"handled
request","request":{"remote_ip":"...","remote_port":"...","client_ip":"...","proto":
"HTTP/2.0","method":"GET","host":"...","uri":"/?q","headers":{"User-Agent":[...]},
"tls":{...}},"bytes_read":0,"user_id":"","duration":0.0009,"size":10900,"status":200,
"resp_headers":{...}}``

* ``ts`` is written when the request is done (``timestamp_desc`` "Request completed"):
  Unix seconds with a fraction by default, or what ``time_format`` chose (ms, ns, ISO 8601
  with its offset, ``wall`` local time without a zone, ``common_log``); ``duration`` is
  seconds with a fraction by default, nanoseconds when ``duration_format`` says so (an
  integer), or a Go duration string (``1.5ms``).
* ``remote_ip`` is the TCP peer (``network.peer_ip``); ``client_ip`` is the client Caddy
  resolved with its own ``trusted_proxies`` (``source.ip``, else the peer).  Caddy 2.0-2.4
  wrote ``remote_addr`` (``ip:port``) instead.  An ``X-Forwarded-For`` request header is
  ``network.forwarded_ip`` (all its values joined).
* ``uri`` is the request target as received (``url.original``); ``host`` is
  ``url.domain``; ``user_id`` (basic auth and other authenticators) is ``user.name``;
  ``size`` is the response body (``http.response.bytes``), ``bytes_read`` the request body.
* TLS version (a number: 771 is TLS 1.2, 772 TLS 1.3), cipher suite (a number), ALPN,
  SNI, resumption, the logger name and a few request headers go into ``labels``; the
  other headers (Caddy logs them all, credentials as ``REDACTED``) and ``resp_headers``
  stay in ``event.original``.
* Entries of the ``http.log.error`` logger are ``server_error`` events with the message
  in ``event.reason``; other Caddy entries with a time (runtime messages) are
  ``log_message`` events; lines that are not JSON objects are rejects.

Reference: https://caddyserver.com/docs/caddyfile/directives/log
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, offset_seconds, register, rejects_of
from parsers.web.edge import address_port, dash, decode_json, epoch_time, iso_time, labels_of, no_events, web_event

S = pl.String
HEADERS = ("User-Agent", "Referer", "X-Forwarded-For", "X-Real-Ip", "Authorization")
RECORD = pl.Struct(
    {
        "level": S,
        "ts": S,
        "logger": S,
        "msg": S,
        "request": pl.Struct(
            {
                "remote_ip": S,
                "remote_port": S,
                "remote_addr": S,
                "client_ip": S,
                "proto": S,
                "method": S,
                "host": S,
                "uri": S,
                "headers": pl.Struct({h: pl.List(S) for h in HEADERS}),
                "tls": pl.Struct({"resumed": S, "version": S, "cipher_suite": S, "proto": S, "server_name": S}),
            }
        ),
        "bytes_read": S,
        "user_id": S,
        "duration": S,
        "size": S,
        "status": S,
        "err_id": S,
    }
)
TLS_NAMES = {"769": "TLSv1.0", "770": "TLSv1.1", "771": "TLSv1.2", "772": "TLSv1.3"}
#: Go duration units -> nanoseconds.
UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000}


@register
class CaddyAccess(Parser):
    """Caddy 2 JSON access log (request, timing, TLS; error and runtime entries too).

    The module docstring documents the mapping.

    Reference: https://caddyserver.com/docs/caddyfile/directives/log
    """

    name = "caddy.access"
    chunk_independent = True
    actions = ("http_request", "server_error", "log_message")
    literals = ('"logger":"http.log', '"msg":"handled request"')

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df, rejects = decode_json(records, RECORD, "Caddy", state.setdefault("source", {}).setdefault(self.name, {}))
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        ts, offset = caddy_time(pl.col("ts"))
        df = df.with_columns(_ts=ts, _offset=offset)
        ok = pl.col("_ts").is_not_null()
        rejects = pl.concat([rejects, rejects_of(df.filter(~ok), "Caddy entry without a readable ts")])
        df = df.filter(ok)
        is_request = pl.col("request").struct.field("method").is_not_null()
        events = [_requests(df.filter(is_request)), _messages(df.filter(~is_request))]
        events = [e for e in events if e.height]
        out = pl.concat(events, how="diagonal_relaxed").sort("_rec") if events else no_events()
        return ParseResult(events=out, rejects=rejects)


def caddy_time(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(``_ts``, ``_offset``) of Caddy's ``ts`` in any of its ``time_format`` choices."""
    iso_ts, iso_offset = iso_time(expr)
    wall = expr.str.replace_all("/", "-", literal=True).str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
    )
    clf = expr.str.extract_groups(r"^(?P<t>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}) (?P<z>[+-]\d{4})$")
    clf_ts = clf.struct.field("t").str.to_datetime("%d/%b/%Y:%H:%M:%S", strict=False, time_unit="us")
    numeric = expr.str.contains(r"^\d+(?:\.\d*)?$")
    ts = pl.when(numeric).then(epoch_time(expr)).otherwise(pl.coalesce(iso_ts, clf_ts, wall))
    offset = (
        pl.when(numeric)
        .then(pl.lit(0, dtype=pl.Int32))
        .when(iso_ts.is_not_null())
        .then(iso_offset)
        .when(clf_ts.is_not_null())
        .then(offset_seconds(clf.struct.field("z")))
    )
    return ts, offset.cast(pl.Int32)


def go_duration_ns(expr: pl.Expr) -> pl.Expr:
    """Caddy's ``duration``: seconds (``0.0009``), nanoseconds (an integer) or ``1.5ms``."""
    plain = expr.str.contains(r"^\d+(?:\.\d*)?(?:[eE][-+]?\d+)?$")
    integer = expr.str.contains(r"^[1-9]\d*$")
    unit = expr.str.extract_groups(r"^(?P<v>\d+(?:\.\d+)?)(?P<u>ns|us|µs|μs|ms|s|m)$")
    scale = unit.struct.field("u").replace_strict(UNITS, default=None, return_dtype=pl.Int64)
    from_unit = (unit.struct.field("v").cast(pl.Float64, strict=False) * scale).round().cast(pl.Int64)
    return (
        pl.when(integer)
        .then(expr.cast(pl.Int64, strict=False))
        .when(plain)
        .then((expr.cast(pl.Float64, strict=False) * 1e9).round().cast(pl.Int64))
        .otherwise(from_unit)
    )


def _header(name: str) -> pl.Expr:
    return pl.col("request").struct.field("headers").struct.field(name).list.join(", ")


def _requests(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return no_events()
    req = pl.col("request")
    tls = req.struct.field("tls")
    old_addr, old_port = address_port(req.struct.field("remote_addr"))
    peer = pl.coalesce(dash(req.struct.field("remote_ip")), old_addr)
    version = tls.struct.field("version")
    labels = [
        ("caddy.logger", pl.col("logger")),
        ("caddy.level", pl.col("level")),
        ("caddy.err_id", pl.col("err_id")),
        ("tls.version", version.replace_strict(TLS_NAMES, default=version)),
        ("tls.cipher_suite", tls.struct.field("cipher_suite")),
        ("tls.next_protocol", dash(tls.struct.field("proto"))),
        ("tls.server_name", dash(tls.struct.field("server_name"))),
        ("tls.resumed", tls.struct.field("resumed")),
        ("http.request.header.x-real-ip", _header("X-Real-Ip")),
        ("http.request.header.authorization", _header("Authorization")),
    ]
    error = pl.col("logger").str.starts_with("http.log.error").fill_null(False)
    lf = df.lazy().select(
        "_rec",
        "_ts",
        "_offset",
        pl.col("ts").alias("time.original"),
        pl.col("level").alias("log.level"),
        peer.alias("network.peer_ip"),
        pl.coalesce(dash(req.struct.field("client_ip")), peer).alias("source.ip"),
        pl.coalesce(req.struct.field("remote_port").cast(pl.Int32, strict=False), old_port).alias("source.port"),
        dash(_header("X-Forwarded-For")).alias("network.forwarded_ip"),
        dash(pl.col("user_id")).alias("user.name"),
        req.struct.field("method").alias("http.request.method"),
        req.struct.field("uri").alias("url.original"),
        dash(req.struct.field("host")).alias("url.domain"),
        req.struct.field("proto").str.strip_prefix("HTTP/").alias("http.version"),
        pl.col("status").cast(pl.Int32, strict=False).alias("http.response.status_code"),
        pl.col("size").cast(pl.Int64, strict=False).alias("http.response.bytes"),
        pl.col("bytes_read").cast(pl.Int64, strict=False).alias("http.request.bytes"),
        dash(_header("Referer")).alias("http.request.referrer"),
        dash(_header("User-Agent")).alias("user_agent.original"),
        go_duration_ns(pl.col("duration")).alias("event.duration"),
        labels_of(labels).alias("labels"),
        pl.concat_str([req.struct.field("method"), pl.lit(" "), req.struct.field("uri").fill_null("-")]).alias(
            "_shown"
        ),
        error.alias("_error"),
        pl.col("msg").alias("_msg"),
    )
    out = web_event(lf, pl.col("_shown"), "Request completed")
    err = pl.col("_error")
    return out.with_columns(
        pl.when(err).then(pl.lit("server_error")).otherwise(pl.col("event.action")).alias("event.action"),
        pl.when(err).then(pl.lit("failure")).otherwise(pl.col("event.outcome")).alias("event.outcome"),
        pl.when(err).then(pl.col("_msg")).alias("event.reason"),
        pl.when(err)
        .then(pl.concat_str([pl.col("_msg").fill_null("error"), pl.lit(": "), pl.col("_shown")]))
        .otherwise(pl.col("message"))
        .alias("message"),
        pl.when(err).then(pl.lit("Error logged")).otherwise(pl.col("timestamp_desc")).alias("timestamp_desc"),
    ).drop("_shown", "_error", "_msg")


def _messages(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return no_events()
    return df.select(
        "_rec",
        "_ts",
        "_offset",
        pl.col("ts").alias("time.original"),
        pl.col("level").alias("log.level"),
        pl.concat_str([pl.col("logger").fill_null("caddy"), pl.lit(": "), pl.col("msg").fill_null("")]).alias(
            "message"
        ),
        labels_of([("caddy.logger", pl.col("logger"))]).alias("labels"),
        pl.lit("application").alias("event.category"),
        pl.lit("log_message").alias("event.action"),
        pl.lit("unknown").alias("event.outcome"),
        pl.lit("Logged").alias("timestamp_desc"),
    )
