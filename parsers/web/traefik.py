"""Traefik access log (v1.7 to v3): the JSON format, and the default Common Log Format variant.

JSON (``accessLog.format = json``): one object per line with ``StartUTC``, ``Duration``
(ns), ``ClientHost``, ``ClientPort``, ``ClientUsername``, ``RequestMethod``,
``RequestPath``, ``RequestProtocol``, ``RequestHost``, ``DownstreamStatus``,
``DownstreamContentSize``, ``RouterName``, ``ServiceAddr``, ``OriginStatus``... and the
request headers kept by ``fields.headers`` as ``request_<Header>``.

CLF (the default): ``client - user [start] "METHOD path protocol" status size "referer"
"user-agent" request_count "router" "service_url" <duration>ms``.

* The time is when Traefik received the request (``StartUTC``, ``Z``; the CLF stamp
  carries its offset): ``timestamp_desc`` "Request received"; ``Duration`` (or the CLF
  milliseconds) is ``event.duration``.  ``StartLocal`` and the logger's ``time`` are used
  only when ``StartUTC`` was dropped from the fields.
* ``ClientHost`` is the TCP peer: ``source.ip`` and ``network.peer_ip``; a kept
  ``request_X-Forwarded-For`` is ``network.forwarded_ip``.  ``ClientUsername`` (basic
  auth) is ``user.name``; ``RequestPath`` (path and query as received) is
  ``url.original``; ``RequestHost`` is ``url.domain``; ``DownstreamStatus`` (what the
  client got) is the status.
* Router, service, origin status and duration, overhead, retries, entry point, TLS version
  and cipher, trace ids go into ``labels``.  ``ServiceURL`` (an object in JSON) stays in
  ``event.original``.
* Traefik does not escape quotes in the CLF referer and user agent: the user agent is
  anchored on the fields after it; a referer holding ``" "`` would shift that split.

Reference: https://doc.traefik.io/traefik/observability/access-logs/
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, offset_seconds, register, rejects_of
from parsers.web.common import with_request
from parsers.web.edge import dash, decode_json, iso_time, labels_of, no_events, web_event

S = pl.String
CORE = (
    "StartUTC",
    "StartLocal",
    "time",
    "Duration",
    "RouterName",
    "ServiceName",
    "ServiceAddr",
    "ClientAddr",
    "ClientHost",
    "ClientPort",
    "ClientUsername",
    "RequestAddr",
    "RequestHost",
    "RequestPort",
    "RequestMethod",
    "RequestPath",
    "RequestProtocol",
    "RequestScheme",
    "RequestContentSize",
    "OriginDuration",
    "OriginContentSize",
    "OriginStatus",
    "DownstreamStatus",
    "DownstreamContentSize",
    "RequestCount",
    "GzipRatio",
    "Overhead",
    "RetryAttempts",
    "TLSVersion",
    "TLSCipher",
    "TLSClientSubject",
    "TraceId",
    "SpanId",
    "entryPointName",
    "level",
    "msg",
    "request_User-Agent",
    "request_Referer",
    "request_X-Forwarded-For",
    "request_X-Real-Ip",
)
RECORD = pl.Struct({k: S for k in CORE})
#: JSON fields with no schema column, kept in ``labels`` (label key, field).
LABELS = (
    ("traefik.router", "RouterName"),
    ("traefik.service", "ServiceName"),
    ("traefik.service_addr", "ServiceAddr"),
    ("traefik.entry_point", "entryPointName"),
    ("traefik.origin_status", "OriginStatus"),
    ("traefik.origin_duration", "OriginDuration"),
    ("traefik.origin_content_size", "OriginContentSize"),
    ("traefik.overhead", "Overhead"),
    ("traefik.retry_attempts", "RetryAttempts"),
    ("traefik.request_count", "RequestCount"),
    ("traefik.gzip_ratio", "GzipRatio"),
    ("traefik.request_scheme", "RequestScheme"),
    ("traefik.request_addr", "RequestAddr"),
    ("tls.version", "TLSVersion"),
    ("tls.cipher", "TLSCipher"),
    ("tls.client.subject", "TLSClientSubject"),
    ("trace.id", "TraceId"),
    ("span.id", "SpanId"),
    ("http.request.header.x-real-ip", "request_X-Real-Ip"),
)
CLF = (
    r"^(?P<client>\S+) - (?P<user>\S+) \[(?P<time>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}) (?P<zone>[+-]\d{4})\] "
    r'"(?P<request>.*?)" (?P<status>\d{3}|-) (?P<size>\d+|-) "(?P<referrer>.*?)" "(?P<ua>.*)" '
    r'(?P<count>\d+|-) "(?P<router>[^"]*)" "(?P<server>[^"]*)" (?P<ms>\d+)ms$'
)


@register
class TraefikAccess(Parser):
    """Traefik access log, JSON or the default Common Log Format variant.

    The module docstring documents the mapping.

    Reference: https://doc.traefik.io/traefik/observability/access-logs/
    """

    name = "traefik.access"
    chunk_independent = True
    actions = ("http_request",)
    literals = ('"RequestPath"', '"DownstreamStatus"', '"ClientHost"', "ms\n")

    @classmethod
    def prefilter(cls, sample: str, filename: str) -> bool:
        return any(lit in sample for lit in cls.literals[:3]) or sample.rstrip().endswith("ms") or "ms\n" in sample

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        is_json = pl.col("text").str.strip_chars_start().str.starts_with("{")
        events: list[pl.DataFrame] = []
        rejects: list[pl.DataFrame] = []
        json_rows = records.filter(is_json)
        if json_rows.height:
            df, bad = decode_json(
                json_rows, RECORD, "Traefik", state.setdefault("source", {}).setdefault(self.name, {})
            )
            rejects.append(bad)
            is_access = pl.col("RequestMethod").is_not_null() | pl.col("DownstreamStatus").is_not_null()
            rejects.append(rejects_of(df.filter(~is_access), "Traefik JSON line without a request"))
            events.append(_json_events(df.filter(is_access)))
        text_rows = records.filter(~is_json)
        if text_rows.height:
            df = text_rows.select("_rec", pl.col("text").str.extract_groups(CLF).alias("_m")).unnest("_m")
            ok = pl.col("time").is_not_null()
            rejects.append(rejects_of(df.filter(~ok), "not a Traefik access line"))
            events.append(_clf_events(df.filter(ok)))
        events = [e for e in events if e.height]
        out = pl.concat(events, how="diagonal_relaxed").sort("_rec") if events else no_events()
        if out.height:
            rejects.append(rejects_of(out.filter(pl.col("_ts").is_null()), "unreadable time"))
            out = out.filter(pl.col("_ts").is_not_null())
        return ParseResult(events=out, rejects=pl.concat(rejects) if rejects else rejects_of(records.clear(), ""))


def _json_events(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return no_events()
    utc_ts, utc_off = iso_time(pl.col("StartUTC"))
    local_ts, local_off = iso_time(pl.col("StartLocal"))
    log_ts, log_off = iso_time(pl.col("time"))
    lf = df.lazy().select(
        "_rec",
        pl.coalesce(utc_ts, local_ts, log_ts).alias("_ts"),
        pl.when(utc_ts.is_not_null())
        .then(utc_off)
        .when(local_ts.is_not_null())
        .then(local_off)
        .otherwise(log_off)
        .alias("_offset"),
        pl.coalesce(pl.col("StartUTC"), pl.col("StartLocal"), pl.col("time")).alias("time.original"),
        dash(pl.col("ClientHost")).alias("source.ip"),
        dash(pl.col("ClientHost")).alias("network.peer_ip"),
        pl.col("ClientPort").cast(pl.Int32, strict=False).alias("source.port"),
        dash(pl.col("request_X-Forwarded-For")).alias("network.forwarded_ip"),
        dash(pl.col("ClientUsername")).alias("user.name"),
        dash(pl.col("RequestMethod")).alias("http.request.method"),
        pl.col("RequestPath").alias("url.original"),
        dash(pl.col("RequestHost")).alias("url.domain"),
        pl.col("RequestProtocol").str.strip_prefix("HTTP/").alias("http.version"),
        pl.col("DownstreamStatus").cast(pl.Int32, strict=False).alias("http.response.status_code"),
        pl.col("DownstreamContentSize").cast(pl.Int64, strict=False).alias("http.response.bytes"),
        pl.col("RequestContentSize").cast(pl.Int64, strict=False).alias("http.request.bytes"),
        dash(pl.col("request_Referer")).alias("http.request.referrer"),
        dash(pl.col("request_User-Agent")).alias("user_agent.original"),
        pl.col("Duration").cast(pl.Int64, strict=False).alias("event.duration"),
        pl.col("level").alias("log.level"),
        labels_of([(k, dash(pl.col(f))) for k, f in LABELS]).alias("labels"),
        pl.concat_str(
            [pl.col("RequestMethod").fill_null("-"), pl.lit(" "), pl.col("RequestPath").fill_null("-")]
        ).alias("_shown"),
    )
    return web_event(lf, pl.col("_shown"), "Request received").drop("_shown")


def _clf_events(df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return no_events()
    labels = [
        ("traefik.request_count", dash(pl.col("count"))),
        ("traefik.router", dash(pl.col("router"))),
        ("traefik.service_url", dash(pl.col("server"))),
    ]
    lf = df.lazy().select(
        "_rec",
        pl.col("time").str.to_datetime("%d/%b/%Y:%H:%M:%S", strict=False, time_unit="us").alias("_ts"),
        offset_seconds(pl.col("zone")).alias("_offset"),
        pl.concat_str([pl.col("time"), pl.lit(" "), pl.col("zone")]).alias("time.original"),
        dash(pl.col("client")).alias("source.ip"),
        dash(pl.col("client")).alias("network.peer_ip"),
        dash(pl.col("user")).alias("user.name"),
        pl.col("status").cast(pl.Int32, strict=False).alias("http.response.status_code"),
        pl.col("size").cast(pl.Int64, strict=False).alias("http.response.bytes"),
        dash(pl.col("referrer")).alias("http.request.referrer"),
        dash(pl.col("ua")).alias("user_agent.original"),
        (pl.col("ms").cast(pl.Int64, strict=False) * 1_000_000).alias("event.duration"),
        labels_of(labels).alias("labels"),
        pl.col("request").alias("_request"),
    )
    lf = with_request(lf, "_request")
    return web_event(lf, pl.col("_request"), "Request received").drop("_request")
