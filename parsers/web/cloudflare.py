"""Cloudflare Logpush, HTTP requests dataset (``http_requests``): one JSON object per line.

The job chooses its fields; every field below is read when present, absent ones are null.

* ``EdgeStartTimestamp`` is when the edge received the request (``timestamp_desc``
  "Request received"), in the job's ``timestamp_format``: ``unixnano`` (the default),
  ``unix`` or ``rfc3339`` -- all UTC.  ``EdgeEndTimestamp`` minus it is
  ``event.duration``.
* ``ClientIP`` is the visitor as the edge saw it: ``source.ip`` and ``network.peer_ip``
  (``ClientSrcPort`` the port); ``EdgeServerIP`` is ``destination.ip``.
* ``ClientRequestMethod``, ``ClientRequestURI`` (path and query as sent: ``url.original``;
  ``ClientRequestPath`` when the URI was not kept), ``ClientRequestHost`` (``url.domain``),
  ``ClientRequestProtocol``, ``ClientRequestUserAgent``, ``ClientRequestReferer``,
  ``ClientRequestBytes``; ``EdgeResponseStatus`` (what the visitor got) and
  ``EdgeResponseBytes``.
* Ray id, zone, colo, origin status and address, cache status, security and WAF actions
  and rules, bot score, country, ASN, TLS protocol and cipher, JA3/JA4 go into ``labels``;
  fields outside this list stay in ``event.original``.

Reference: https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests/
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.edge import dash, decode_json, epoch_time, iso_time, labels_of, no_events, web_event

S = pl.String
MAPPED = (
    "EdgeStartTimestamp",
    "EdgeEndTimestamp",
    "ClientIP",
    "ClientSrcPort",
    "EdgeServerIP",
    "ClientRequestMethod",
    "ClientRequestURI",
    "ClientRequestPath",
    "ClientRequestHost",
    "ClientRequestProtocol",
    "ClientRequestUserAgent",
    "ClientRequestReferer",
    "ClientRequestBytes",
    "EdgeResponseStatus",
    "EdgeResponseBytes",
)
#: label key -> Logpush field, for documented fields with no schema column.
LABELS = (
    ("cloudflare.ray_id", "RayID"),
    ("cloudflare.zone", "ZoneName"),
    ("cloudflare.zone_id", "ZoneID"),
    ("cloudflare.colo", "EdgeColoCode"),
    ("cloudflare.request_scheme", "ClientRequestScheme"),
    ("cloudflare.request_source", "ClientRequestSource"),
    ("cloudflare.x_requested_with", "ClientXRequestedWith"),
    ("cloudflare.origin_ip", "OriginIP"),
    ("cloudflare.origin_status", "OriginResponseStatus"),
    ("cloudflare.cache_status", "CacheCacheStatus"),
    ("cloudflare.security_action", "SecurityAction"),
    ("cloudflare.security_rule_id", "SecurityRuleID"),
    ("cloudflare.security_rule_description", "SecurityRuleDescription"),
    ("cloudflare.waf_action", "WAFAction"),
    ("cloudflare.waf_rule_id", "WAFRuleID"),
    ("cloudflare.waf_attack_score", "WAFAttackScore"),
    ("cloudflare.bot_score", "BotScore"),
    ("cloudflare.client_country", "ClientCountry"),
    ("cloudflare.client_asn", "ClientASN"),
    ("cloudflare.client_device_type", "ClientDeviceType"),
    ("cloudflare.edge_pathing_op", "EdgePathingOp"),
    ("cloudflare.edge_pathing_src", "EdgePathingSrc"),
    ("cloudflare.edge_pathing_status", "EdgePathingStatus"),
    ("cloudflare.worker_subrequest", "WorkerSubrequest"),
    ("tls.version", "ClientSSLProtocol"),
    ("tls.cipher", "ClientSSLCipher"),
    ("tls.client.ja3", "JA3Hash"),
    ("tls.client.ja4", "JA4"),
)
RECORD = pl.Struct({k: S for k in MAPPED + tuple(f for _, f in LABELS)})


@register
class CloudflareHttp(Parser):
    """Cloudflare Logpush HTTP requests (JSON lines, any field selection, UTC).

    The module docstring documents the mapping.

    Reference: https://developers.cloudflare.com/logs/reference/log-fields/zone/http_requests/
    """

    name = "cloudflare.http"
    chunk_independent = True
    actions = ("http_request",)
    literals = ('"EdgeStartTimestamp"', '"RayID"', '"ClientRequestURI"')

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df, rejects = decode_json(
            records, RECORD, "Cloudflare Logpush", state.setdefault("source", {}).setdefault(self.name, {})
        )
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        start_ts, end_ts = _stamp(pl.col("EdgeStartTimestamp")), _stamp(pl.col("EdgeEndTimestamp"))
        df = df.with_columns(_ts=start_ts, _end=end_ts)
        ok = pl.col("_ts").is_not_null() & (
            pl.col("ClientRequestMethod").is_not_null() | pl.col("EdgeResponseStatus").is_not_null()
        )
        rejects = pl.concat(
            [rejects, rejects_of(df.filter(~ok), "not an http_requests record with a readable EdgeStartTimestamp")]
        )
        df = df.filter(ok)
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        span = (pl.col("_end") - pl.col("_ts")).dt.total_nanoseconds()
        target = pl.coalesce(dash(pl.col("ClientRequestURI")), dash(pl.col("ClientRequestPath")))
        lf = df.lazy().select(
            "_rec",
            "_ts",
            pl.lit(0, dtype=pl.Int32).alias("_offset"),
            pl.col("EdgeStartTimestamp").alias("time.original"),
            dash(pl.col("ClientIP")).alias("source.ip"),
            dash(pl.col("ClientIP")).alias("network.peer_ip"),
            pl.col("ClientSrcPort").cast(pl.Int32, strict=False).alias("source.port"),
            dash(pl.col("EdgeServerIP")).alias("destination.ip"),
            dash(pl.col("ClientRequestMethod")).alias("http.request.method"),
            target.alias("url.original"),
            dash(pl.col("ClientRequestHost")).alias("url.domain"),
            pl.col("ClientRequestProtocol").str.strip_prefix("HTTP/").alias("http.version"),
            pl.col("EdgeResponseStatus").cast(pl.Int32, strict=False).alias("http.response.status_code"),
            pl.col("EdgeResponseBytes").cast(pl.Int64, strict=False).alias("http.response.bytes"),
            pl.col("ClientRequestBytes").cast(pl.Int64, strict=False).alias("http.request.bytes"),
            dash(pl.col("ClientRequestReferer")).alias("http.request.referrer"),
            dash(pl.col("ClientRequestUserAgent")).alias("user_agent.original"),
            pl.when(span >= 0).then(span).alias("event.duration"),
            labels_of([(k, dash(pl.col(f))) for k, f in LABELS]).alias("labels"),
            pl.concat_str([pl.col("ClientRequestMethod").fill_null("-"), pl.lit(" "), target.fill_null("-")]).alias(
                "_shown"
            ),
        )
        return ParseResult(events=web_event(lf, pl.col("_shown"), "Request received").drop("_shown"), rejects=rejects)


def _stamp(expr: pl.Expr) -> pl.Expr:
    """A Logpush timestamp (unixnano, unix or RFC 3339, always UTC) as a naive UTC datetime."""
    iso_ts, iso_offset = iso_time(expr)
    from_iso = iso_ts - pl.duration(seconds=iso_offset.fill_null(0))
    return pl.when(expr.str.contains(r"^\d+(?:\.\d+)?$")).then(epoch_time(expr)).otherwise(from_iso)
