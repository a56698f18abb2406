"""HAProxy HTTP log (``option httplog``), as written through syslog or to a file directly.

An HTTP line is ``client:port [accept date] frontend backend/server TR/Tw/Tc/Tr/Ta status
bytes req_cookie res_cookie termination_state actconn/feconn/beconn/srv_conn/retries
srv_queue/backend_queue {captured request headers} {captured response headers} "request"``
(a custom ``log-format`` may add tokens after the server: they are kept in ``labels``).
``option httpslog`` (HAProxy 2.5+: the same, then the TLS error counters and
``sni/version/cipher``) is read as well, the TLS part in ``labels.haproxy.extra``.  Any
other ``log-format`` is read when given as the source's ``log_format`` (see
``parsers.web.haproxy_format``): then only that format is read for HTTP lines.
The time is the accept date, which carries its year and milliseconds but no zone (naive
local time of the HAProxy host); ``timestamp_desc`` says so.  TCP lines (``option
tcplog``) and HAProxy's own messages (``Server app/node2 is DOWN``...) are
``log_message`` events; those take the syslog time, which has no year in RFC 3164: the
year is 2000 with the ``year_missing`` flag until the time module infers it.  The syslog
host becomes ``host.name`` (one file often holds several proxies).  HAProxy escapes
``"`` and non-printable bytes in the request as ``#XX``; the decoded fields are
unescaped.  Lines of other programs are rejects.

Reference: https://docs.haproxy.org/2.8/configuration.html#8.2.3
"""

from __future__ import annotations

from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.common import (
    decode_urls,
    http_outcome,
    json_object,
    map_distinct,
    unescape_haproxy,
    with_request,
    with_url_parts,
)
from parsers.web.haproxy_format import HTTPSLOG, UNDATED, HaproxyFormat, compile_haproxy

PREFIX = (
    r"^(?:<(?P<pri>\d{1,3})>)?"
    r"(?:(?P<rfc3164>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})"
    r"|1 (?P<rfc5424>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)) "
    r"(?P<loghost>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\]:| (?P<pid5424>\S+) \S+ (?:-|\[.*?\]))? "
    r"(?P<body>.*)$"
)
HTTP = (
    r"^(?P<client>\S+):(?P<cport>\d+|-) \[(?P<accept>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?)\] "
    r"(?P<frontend>\S+) (?P<backend>[^\s/]+)/(?P<server>\S+)(?P<extra>(?: \S+)*?) "
    r"(?P<timers>-?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+) (?P<status>-?\d+) (?P<bytes>\+?\d+) "
    r"(?P<req_cookie>\S+) (?P<res_cookie>\S+) (?P<term>\S{4}) "
    r"(?P<conns>\d+/\d+/\d+/\d+/\+?\d+) (?P<queues>\d+/\d+)"
    r"(?: \{(?P<req_hdrs>[^}]*)\})?(?: \{(?P<res_hdrs>[^}]*)\})? "
    r'"(?P<request>[^"]*)(?P<req_end>"?)$'
)
TCP = (
    r"^(?P<client>\S+):(?P<cport>\d+|-) \[(?P<accept>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?)\] "
    r"(?P<frontend>\S+) (?P<backend>[^\s/]+)/(?P<server>\S+) (?P<timers>-?\d+/-?\d+/\+?-?\d+) (?P<bytes>\+?\d+) "
    r"(?P<term>\S{2}) (?P<conns>\d+/\d+/\d+/\d+/\+?\d+) (?P<queues>\d+/\d+)$"
)


def _dash(e: pl.Expr) -> pl.Expr:
    return pl.when((e == "-") | (e == "")).then(None).otherwise(e)


@register
class HaproxyHttp(Parser):
    """HAProxy HTTP log (httplog), through syslog or raw; TCP and service lines as messages.

    The module docstring documents the mapping.

    Reference: https://docs.haproxy.org/2.8/configuration.html#8.2.3
    """

    name = "haproxy.http"
    actions = ("http_request", "log_message")
    literals = ("haproxy", "] ")
    option_keys = ("log_format",)

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        fmt = self.options.get("log_format")
        #: a configured log-format replaces httplog; without one, httpslog follows httplog
        self.formats = [compile_haproxy(str(fmt))] if fmt else [HTTPSLOG_FORMAT]
        self.httplog = not fmt

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        pre = records.select("_rec", "text", pl.col("text").str.extract_groups(PREFIX).alias("_p")).unnest("_p")
        has_prefix = pl.col("body").is_not_null()
        ours = pl.col("prog").str.to_lowercase().str.contains("haproxy").fill_null(False)
        other_prog = pre.filter(has_prefix & ~ours)
        df = pre.filter(~has_prefix | ours).with_columns(
            pl.when(pl.col("body").is_null()).then(pl.col("text")).otherwise(pl.col("body")).alias("body")
        )
        events = []
        rest = df
        if self.httplog:
            http = df.with_columns(pl.col("body").str.extract_groups(HTTP).alias("_h")).unnest("_h")
            is_http = pl.col("accept").is_not_null()
            events.append(_http_events(http.filter(is_http)))
            rest = http.filter(~is_http).select(pre.columns)
        undated = pl.DataFrame(schema={"_rec": pl.Int64})
        for fmt in self.formats:
            if rest.height == 0:
                break
            got, rest = _format_extract(rest, fmt)
            rest = rest.select(pre.columns)
            if "accept" not in fmt.columns:  # nothing to place them with: said once per line
                undated = pl.concat([undated, got.select(pl.col("_rec").cast(pl.Int64))]) if got.height else undated
                continue
            events.append(_http_events(got))
        tcp = rest.with_columns(pl.col("body").str.extract_groups(TCP).alias("_t")).unnest("_t")
        is_tcp = pl.col("accept").is_not_null()
        events.append(_tcp_events(tcp.filter(is_tcp)))
        rest = tcp.filter(~is_tcp).select(pre.columns)
        with_time = pl.col("rfc3164").is_not_null() | pl.col("rfc5424").is_not_null() | pl.col("iso").is_not_null()
        events.append(_message_events(rest.filter(with_time)))
        rejects = pl.concat(
            [
                rejects_of(
                    other_prog, pl.concat_str([pl.lit("not an HAProxy line (program "), pl.col("prog"), pl.lit(")")])
                ),
                rejects_of(rest.filter(~with_time), "not an HAProxy log line"),
                rejects_of(undated, UNDATED),
            ]
        )
        frames = [e for e in events if e.height]
        out = (
            pl.concat(frames, how="diagonal_relaxed")
            if frames
            else pl.DataFrame({"_rec": []}, schema={"_rec": pl.Int64})
        )
        if out.height:
            bad = out.filter(pl.col("_ts").is_null())
            out = out.filter(pl.col("_ts").is_not_null())
            rejects = pl.concat([rejects, rejects_of(bad, "unreadable time")])
        return ParseResult(events=out, rejects=rejects)


_HTTP_COLUMNS = (
    "client", "cport", "accept", "frontend", "backend", "server", "timers", "status", "bytes", "req_cookie",
    "res_cookie", "term", "conns", "queues", "req_hdrs", "res_hdrs", "request",
)  # fmt: skip
HTTPSLOG_FORMAT = compile_haproxy(HTTPSLOG)


def _format_extract(df: pl.DataFrame, fmt: HaproxyFormat) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lines whose body follows ``fmt``, with the columns ``_http_events`` reads; (matched, rest)."""
    m = df.with_columns(pl.col("body").str.extract_groups(f"(?P<_m>){fmt.regex}").alias("_f"))
    hit = pl.col("_f").struct.field("_m").is_not_null()
    matched = m.filter(hit).unnest("_f").drop("_m")
    rest = m.filter(~hit).drop("_f")
    if matched.height == 0:
        return pl.DataFrame(), rest
    cols = set(matched.columns)
    if "request" not in cols and cols & {"method", "uri"}:
        pieces = [pl.col(c) for c in ("method", "uri", "version") if c in cols]
        matched = matched.with_columns(pl.concat_str(pieces, separator=" ", ignore_nulls=True).alias("request"))
    extra = [pl.concat_str([pl.lit(f"{name}="), pl.col(g)]) for g, name in fmt.labels.items()]
    matched = matched.with_columns(
        *[pl.lit(None, dtype=pl.String).alias(c) for c in _HTTP_COLUMNS if c not in matched.columns],
        (pl.concat_str(extra, separator=" ", ignore_nulls=True) if extra else pl.lit(None, dtype=pl.String)).alias(
            "extra"
        ),
        pl.lit('"').alias("req_end"),
    )
    return matched, rest


def _syslog_exprs() -> list[tuple[str, pl.Expr]]:
    stamp = pl.coalesce(pl.col("rfc3164"), pl.col("rfc5424"), pl.col("iso"))
    return [
        ("syslog.timestamp", stamp),
        ("syslog.priority", pl.col("pri")),
        ("process.pid", pl.coalesce(pl.col("pid"), pl.col("pid5424"))),
    ]


def _common(df: pl.DataFrame) -> list[pl.Expr]:
    client = _dash(pl.col("client"))
    return [
        pl.col("_rec"),
        pl.col("accept").str.to_datetime("%d/%b/%Y:%H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
        pl.lit(None, dtype=pl.Int32).alias("_offset"),
        pl.col("accept").alias("time.original"),
        _dash(pl.col("loghost")).alias("host.name"),
        client.alias("network.peer_ip"),
        client.alias("source.ip"),
        pl.col("cport").cast(pl.Int32, strict=False).alias("source.port"),
        pl.col("timers").str.split("/").list.last().str.strip_prefix("+").cast(pl.Int64, strict=False).alias("_total"),
    ]


def _http_events(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return pl.DataFrame()
    df = map_distinct(df, "request", unescape_haproxy, "#")
    status = pl.col("status").cast(pl.Int32, strict=False)
    labels = [
        ("haproxy.frontend", pl.col("frontend")),
        ("haproxy.backend", pl.col("backend")),
        ("haproxy.server", pl.col("server")),
        ("haproxy.extra", _dash(pl.col("extra").str.strip_chars(" "))),
        ("haproxy.timers", pl.col("timers")),
        ("haproxy.termination_state", pl.col("term")),
        ("haproxy.connections", pl.col("conns")),
        ("haproxy.queues", pl.col("queues")),
        ("haproxy.request_cookie", _dash(pl.col("req_cookie"))),
        ("haproxy.response_cookie", _dash(pl.col("res_cookie"))),
        ("haproxy.request_headers", _dash(pl.col("req_hdrs"))),
        ("haproxy.response_headers", _dash(pl.col("res_hdrs"))),
        *_syslog_exprs(),
    ]
    lf = df.lazy().select(
        *_common(df),
        pl.when(status >= 0).then(status).alias("http.response.status_code"),
        pl.col("bytes").str.strip_prefix("+").cast(pl.Int64, strict=False).alias("http.response.bytes"),
        pl.col("request").alias("_request"),
        json_object(labels).alias("labels"),
        pl.when(pl.col("req_end") == "")
        .then(pl.lit(["line_malformed"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("tags"),
        pl.col("term").str.starts_with("-").alias("_clean"),
    )
    lf = with_url_parts(with_request(lf, "_request"))
    code = pl.col("http.response.status_code")
    out = lf.with_columns(
        pl.when(pl.col("_total") >= 0).then(pl.col("_total") * 1_000_000).alias("event.duration"),
        pl.lit("web").alias("event.category"),
        pl.lit("http_request").alias("event.action"),
        pl.when(code.is_null() & ~pl.col("_clean"))
        .then(pl.lit("failure"))
        .otherwise(http_outcome(code))
        .alias("event.outcome"),
        pl.lit("Connection accepted (HAProxy accept date)").alias("timestamp_desc"),
        pl.concat_str([pl.col("_request"), pl.lit(" -> "), code.cast(pl.String).fill_null("-")]).alias("message"),
    ).drop("_request", "_total", "_clean")
    return decode_urls(out.collect())


def _tcp_events(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return pl.DataFrame()
    labels = [
        ("haproxy.frontend", pl.col("frontend")),
        ("haproxy.backend", pl.col("backend")),
        ("haproxy.server", pl.col("server")),
        ("haproxy.timers", pl.col("timers")),
        ("haproxy.termination_state", pl.col("term")),
        ("haproxy.connections", pl.col("conns")),
        ("haproxy.queues", pl.col("queues")),
        ("haproxy.bytes_read", pl.col("bytes")),
        *_syslog_exprs(),
    ]
    return (
        df.lazy()
        .select(
            *_common(df),
            json_object(labels).alias("labels"),
            pl.col("body").alias("message"),
            pl.when(pl.col("term").str.starts_with("-"))
            .then(pl.lit("success"))
            .otherwise(pl.lit("failure"))
            .alias("event.outcome"),
        )
        .with_columns(
            pl.when(pl.col("_total") >= 0).then(pl.col("_total") * 1_000_000).alias("event.duration"),
            pl.lit("network").alias("event.category"),
            pl.lit("log_message").alias("event.action"),
            pl.lit("Connection accepted (HAProxy accept date)").alias("timestamp_desc"),
        )
        .drop("_total")
        .collect()
    )


def _message_events(df: pl.DataFrame) -> pl.DataFrame:
    """HAProxy's own messages: the syslog time (RFC 3164 has no year: 2000 + ``year_missing``)."""
    if df.height == 0:
        return pl.DataFrame()
    legacy = pl.col("rfc3164").is_not_null()
    stamp = pl.coalesce(pl.col("rfc5424"), pl.col("iso"))
    iso = stamp.str.extract_groups(r"^(?P<l>[^Z+]+?)(?P<z>Z|[+-]\d{2}:?\d{2})?$")
    lf = df.lazy().with_columns(_iso=iso)
    zone = pl.col("_iso").struct.field("z").str.replace(":", "", literal=True)
    offset = (
        pl.when(zone == "Z")
        .then(pl.lit(0))
        .when(zone.is_not_null())
        .then(
            pl.when(zone.str.starts_with("-")).then(-1).otherwise(1)
            * (
                zone.str.slice(1, 2).cast(pl.Int32, strict=False) * 3600
                + zone.str.slice(3, 2).cast(pl.Int32, strict=False) * 60
            )
        )
        .cast(pl.Int32)
    )
    legacy_ts = pl.concat_str(
        [pl.lit("2000 "), pl.col("rfc3164").str.replace("  ", " 0", literal=True)]
    ).str.to_datetime("%Y %b %d %H:%M:%S", strict=False, time_unit="us")
    iso_ts = pl.col("_iso").struct.field("l").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    return lf.select(
        pl.col("_rec"),
        pl.when(legacy).then(legacy_ts).otherwise(iso_ts).alias("_ts"),
        pl.when(legacy).then(pl.lit(None, dtype=pl.Int32)).otherwise(offset).alias("_offset"),
        pl.coalesce(pl.col("rfc3164"), stamp).alias("time.original"),
        pl.when(legacy)
        .then(pl.lit(["year_missing"]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("time.flags"),
        _dash(pl.col("loghost")).alias("host.name"),
        pl.col("body").alias("message"),
        json_object(_syslog_exprs()).alias("labels"),
        pl.lit("network").alias("event.category"),
        pl.lit("log_message").alias("event.action"),
        pl.lit("unknown").alias("event.outcome"),
        pl.lit("Logged (syslog time)").alias("timestamp_desc"),
    ).collect()
