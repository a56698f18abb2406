"""Amazon CloudFront standard access log: W3C-like, tab-separated, columns named by ``#Fields:``.

A file starts with ``#Version: 1.0`` and ``#Fields: date time x-edge-location ...`` (space
separated names); each data line holds the values separated by tabs (a line without any
tab is split on spaces, the W3C way).  The header is carried across chunks in ``state``,
so a header that names fewer or other fields (older files, standard logging v2 with a field
selection) is read as written; header lines are ``meta``.  A line with another value count
than its header is a reject that says both counts.

* ``date`` + ``time`` are UTC by definition (``_offset`` = 0) and mark when the edge
  finished the response (``timestamp_desc`` "Request completed"); ``time-taken``
  (seconds) is ``event.duration``.
* ``c-ip`` is the viewer as the edge saw it: ``source.ip`` and ``network.peer_ip``
  (``c-port`` the port); ``x-forwarded-for`` (the viewer behind a proxy) is
  ``network.forwarded_ip``, resolved by the trusted proxies of the case like any header.
* ``cs(Host)`` (the distribution's domain) is ``host.name``; ``x-host-header`` (the Host
  the viewer asked for) is ``url.domain``, else ``cs(Host)``.
* CloudFront URL-encodes the values it writes: ``url.original`` is ``cs-uri-stem`` plus
  ``?cs-uri-query`` as written, ``url.path``/``url.query`` are decoded for display,
  ``user_agent.original`` is the decoded ``cs(User-Agent)``; ``cs(Referer)`` stays as
  written; ``event.original`` keeps the raw line.  ``-`` is "no value".
* ``ssl-protocol``/``ssl-cipher`` go into ``labels`` as ``tls.version``/``tls.cipher``,
  every other field (edge location, request id, result types, cookie, ranges, content
  type...) under its own name.

Reference: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
"""

from __future__ import annotations

import polars as pl

from parsers.base import REJECT_COLUMNS, Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.common import map_distinct, percent_decode
from parsers.web.edge import labels_of, no_events, seconds_ns, web_event

#: W3C field (lower case) -> role; any other field becomes a label under its own name.
ROLES = {
    "date": "date",
    "time": "time",
    "c-ip": "client",
    "c-port": "port",
    "cs-method": "method",
    "cs(host)": "distribution",
    "x-host-header": "host_header",
    "cs-uri-stem": "stem",
    "cs-uri-query": "query",
    "sc-status": "status",
    "sc-bytes": "bytes_out",
    "cs-bytes": "bytes_in",
    "cs(referer)": "referrer",
    "cs(user-agent)": "user_agent",
    "time-taken": "time_taken",
    "x-forwarded-for": "forwarded",
    "cs-protocol-version": "version",
}
LABEL_NAMES = {"ssl-protocol": "tls.version", "ssl-cipher": "tls.cipher"}
#: A header is CloudFront's when it names one of these (IIS and other W3C logs do not).
MARKERS = ("x-edge-location", "x-edge-request-id", "x-edge-result-type", "x-host-header")


@register
class CloudFront(Parser):
    """Amazon CloudFront standard access log (#Fields: header, tab-separated, UTC).

    The module docstring documents the mapping.

    Reference: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
    """

    name = "aws.cloudfront"
    actions = ("http_request",)
    literals = ("x-edge-",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        df = records.select(
            "_rec",
            "text",
            text.str.starts_with("#").alias("_dir"),
            pl.when(text.str.starts_with("#Fields:")).then(text.str.slice(8).str.strip_chars()).alias("_hdr"),
        ).with_columns(pl.col("_hdr").forward_fill().fill_null(pl.lit(state.get("cloudfront_fields"), pl.String)))
        last = df.filter(pl.col("_hdr").is_not_null()).tail(1)
        if last.height:
            state["cloudfront_fields"] = last.item(0, "_hdr")
        directives = df.filter(pl.col("_dir"))
        meta = directives.select(
            "_rec",
            pl.concat_str([pl.lit("CloudFront header "), text.str.extract(r"^(#[A-Za-z-]+)", 1).fill_null("#")]).alias(
                "reason"
            ),
        ).cast(REJECT_COLUMNS)  # type: ignore[arg-type]
        data = df.filter(~pl.col("_dir"))
        rejects = [rejects_of(data.filter(pl.col("_hdr").is_null()), "no #Fields: header before this line")]
        events = []
        for header in data.get_column("_hdr").drop_nulls().unique(maintain_order=True).to_list():
            rows = data.filter(pl.col("_hdr") == header)
            fields = header.split()
            if not any(f.lower() in MARKERS for f in fields):
                rejects.append(rejects_of(rows, "the #Fields: header above is not CloudFront's (no x-edge-* field)"))
                continue
            good, bad = _read_block(rows, fields)
            events.append(good)
            rejects.append(bad)
        events = [e for e in events if e.height]
        out = pl.concat(events, how="diagonal_relaxed") if events else no_events()
        return ParseResult(events=out, rejects=pl.concat(rejects), meta=meta)


def _read_block(rows: pl.DataFrame, fields: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Data lines under one ``#Fields:`` header -> (events, rejects)."""
    n = len(fields)
    split = rows.with_columns(
        _v=pl.when(pl.col("text").str.contains("\t", literal=True))
        .then(pl.col("text").str.split("\t"))
        .otherwise(pl.col("text").str.strip_chars_end().str.split(" "))
    )
    count = pl.col("_v").list.len()
    rejects = rejects_of(
        split.filter(count != n),
        pl.concat_str([count.cast(pl.String), pl.lit(f" values but the #Fields: header names {n}")]),
    )
    ok = split.filter(count == n)
    if ok.height == 0:
        return no_events(), rejects
    roles: dict[str, pl.Expr] = {}
    labels: list[tuple[str, pl.Expr]] = []
    for i, name in enumerate(fields):
        value = pl.col("_v").list.get(i, null_on_oob=True)
        value = pl.when(value == "-").then(None).otherwise(value)
        role = ROLES.get(name.lower())
        if role and role not in roles:
            roles[role] = value
        else:
            labels.append((LABEL_NAMES.get(name.lower(), name), value))
    lf = ok.lazy().select(
        "_rec", *[e.alias(f"_r_{k}") for k, e in roles.items()], *[e.alias(f"_l{i}") for i, (_, e) in enumerate(labels)]
    )

    def role(key: str, dtype: pl.DataType = pl.String) -> pl.Expr:
        return pl.col(f"_r_{key}").cast(dtype, strict=False) if key in roles else pl.lit(None, dtype=dtype)

    stamp = pl.concat_str([role("date"), pl.lit(" "), role("time")])
    stem, query = role("stem"), role("query")
    target = pl.when(query.is_null()).then(stem).otherwise(pl.concat_str([stem, pl.lit("?"), query]))
    lf = lf.select(
        "_rec",
        stamp.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
        pl.lit(0, dtype=pl.Int32).alias("_offset"),
        stamp.alias("time.original"),
        role("client").alias("source.ip"),
        role("client").alias("network.peer_ip"),
        role("port", pl.Int32).alias("source.port"),
        role("forwarded").alias("network.forwarded_ip"),
        role("distribution").alias("host.name"),
        pl.coalesce(role("host_header"), role("distribution")).alias("url.domain"),
        role("method").alias("http.request.method"),
        target.alias("url.original"),
        role("version").str.strip_prefix("HTTP/").alias("http.version"),
        role("status", pl.Int32).alias("http.response.status_code"),
        role("bytes_out", pl.Int64).alias("http.response.bytes"),
        role("bytes_in", pl.Int64).alias("http.request.bytes"),
        role("referrer").alias("http.request.referrer"),
        role("user_agent").alias("user_agent.original"),
        seconds_ns(role("time_taken")).alias("event.duration"),
        labels_of([(k, pl.col(f"_l{i}")) for i, (k, _) in enumerate(labels)]).alias("labels"),
        pl.concat_str([role("method").fill_null("-"), pl.lit(" "), target.fill_null("-")]).alias("_shown"),
    )
    events = web_event(lf, pl.col("_shown"), "Request completed").drop("_shown")
    events = map_distinct(events, "user_agent.original", percent_decode, "%")
    bad_time = events.filter(pl.col("_ts").is_null())
    rejects = pl.concat([rejects, rejects_of(bad_time, "unreadable date/time")])
    return events.filter(pl.col("_ts").is_not_null()), rejects
