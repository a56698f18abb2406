"""Apache httpd and nginx access logs: common, combined, combined + %D and X-Forwarded-For.

Reference: https://httpd.apache.org/docs/2.4/mod/mod_log_config.html
"""

from __future__ import annotations

from typing import Any

import polars as pl

from parsers.base import Parser, ParseResult, dash_null, offset_seconds, register, rejects_of, split_match
from parsers.web.common import map_distinct, split_request, unescape_apache, url_parts

_Q = r'(?:[^"\\]|\\.)*'
COMBINED = (
    r"^(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    rf'"(?P<request>{_Q})" (?P<status>\d{{3}}|-) (?P<bytes>\d+|-)'
    rf'(?: "(?P<referrer>{_Q})" "(?P<agent>{_Q})")?'
    r"(?: (?P<duration>\d+))?"
    rf'(?: "(?P<xff>{_Q})")?\s*$'
)


@register
class ApacheAccess(Parser):
    """Apache httpd / nginx access log (common, combined, + %D, + quoted X-Forwarded-For)."""

    name = "apache.access"
    actions = ("http_request",)
    literals = ('" ', "] ")

    def parse(self, records: pl.DataFrame, state: dict[str, Any]) -> ParseResult:
        ok, bad = split_match(records, COMBINED)
        ts = pl.col("time")
        df = ok.select(
            "_rec",
            ts.alias("time.original"),
            ts.str.slice(0, 20).str.to_datetime("%d/%b/%Y:%H:%M:%S", strict=False, time_unit="us").alias("_ts"),
            offset_seconds(ts.str.slice(21, 5)).alias("_offset"),
            pl.col("client").alias("network.peer_ip"),
            pl.col("client").alias("source.ip"),
            dash_null(pl.col("user")).alias("user.name"),
            pl.col("request"),
            pl.col("status").cast(pl.Int32, strict=False).alias("http.response.status_code"),
            pl.col("bytes").cast(pl.Int64, strict=False).fill_null(0).alias("http.response.bytes"),
            dash_null(pl.col("referrer")).alias("http.request.referrer"),
            dash_null(pl.col("agent")).alias("user_agent.original"),
            (pl.col("duration").cast(pl.Int64, strict=False) * 1000).alias("event.duration"),
            dash_null(pl.col("xff")).alias("network.forwarded_ip"),
        )
        for col in ("request", "user_agent.original", "http.request.referrer"):
            df = map_distinct(df, col, unescape_apache, "\\")
        df = df.with_columns(split_request(pl.col("request")))
        df = (
            url_parts(df)
            .with_columns(
                pl.lit("web").alias("event.category"),
                pl.lit("http_request").alias("event.action"),
                pl.when(pl.col("http.response.status_code") < 400)
                .then(pl.lit("success"))
                .otherwise(pl.lit("failure"))
                .alias("event.outcome"),
                pl.lit("Request received").alias("timestamp_desc"),
                pl.concat_str(
                    [pl.col("request"), pl.lit(" -> "), pl.col("http.response.status_code").cast(pl.String)],
                    ignore_nulls=True,
                ).alias("message"),
            )
            .drop("request")
        )
        bad_time = df.filter(pl.col("_ts").is_null())
        df = df.filter(pl.col("_ts").is_not_null())
        rejects = pl.concat([rejects_of(bad, "not an access log line"), rejects_of(bad_time, "unreadable time")])
        return ParseResult(events=df, rejects=rejects)
