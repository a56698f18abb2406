"""AWS Classic Load Balancer (ELB) access log: one space-separated line per request, times in UTC.

``timestamp elb client:port backend:port request_processing_time backend_processing_time
response_processing_time elb_status_code backend_status_code received_bytes sent_bytes
"request" "user_agent" ssl_cipher ssl_protocol`` (lines written before the user agent was
added stop after the request and are read as such).

* ``timestamp`` is when the load balancer received the request (``timestamp_desc``
  "Request received"); it carries ``Z``: ``_offset`` = 0.  ``event.duration`` is the sum
  of the three processing times when none is ``-1`` ("not measured": no backend answered).
* ``client`` is the TCP peer of the load balancer: ``source.ip`` and ``network.peer_ip``;
  the backend address is ``destination.ip``; the load balancer's name is ``host.name``.
* ``request`` is ``METHOD scheme://host:port/uri VERSION``: ``url.original`` keeps the
  absolute URL, ``url.domain`` is its host.  A TCP or SSL listener logs ``"- - - "`` and no
  status: those lines are connections (``log_message``, category ``network``, "Connection
  received"), not requests.
* The user agent is anchored on the two fields after it, so quotes inside it do no harm.
* TLS cipher and protocol, the backend status and the processing times go into ``labels``.

Reference: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.access import unreadable_time
from parsers.web.common import with_request
from parsers.web.edge import address_port, dash, iso_time, labels_of, no_events, seconds_ns, web_event

TOKEN = r'[^ "]+'
LINE = (
    r"^(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (?P<elb>[A-Za-z0-9][A-Za-z0-9-]*) "
    r"(?P<client>\S+) (?P<backend>\S+) (?P<req_t>-?[0-9.]+) (?P<be_t>-?[0-9.]+) (?P<resp_t>-?[0-9.]+) "
    r"(?P<elb_status>\d{3}|-) (?P<be_status>\d{3}|-) (?P<rx>\d+) (?P<tx>\d+) "
    rf'"(?P<request>.*?)"(?: "(?P<ua>.*)" (?P<cipher>{TOKEN}) (?P<tls>{TOKEN}))?$'
)


@register
class AwsElb(Parser):
    """AWS Classic Load Balancer (ELB) access log (HTTP and TCP listeners, UTC).

    The module docstring documents the mapping.

    Reference: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
    """

    name = "aws.elb"
    chunk_independent = True
    actions = ("http_request", "log_message")
    literals = ("Z ",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df = records.select("_rec", pl.col("text").str.extract_groups(LINE).alias("_m")).unnest("_m")
        ok = pl.col("time").is_not_null()
        rejects = rejects_of(df.filter(~ok), "not a Classic Load Balancer access line")
        df = df.filter(ok)
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        events, bad_time = unreadable_time(_events(df))
        return ParseResult(events=events, rejects=pl.concat([rejects, bad_time]))


def _events(df: pl.DataFrame) -> pl.DataFrame:
    ts, offset = iso_time(pl.col("time"))
    client, client_port = address_port(pl.col("client"))
    backend, _ = address_port(pl.col("backend"))
    parts = [pl.col(c).cast(pl.Float64, strict=False) for c in ("req_t", "be_t", "resp_t")]
    measured = pl.all_horizontal([p >= 0 for p in parts])
    labels = [
        ("aws.backend", dash(pl.col("backend"))),
        ("aws.request_processing_time", pl.col("req_t")),
        ("aws.backend_processing_time", pl.col("be_t")),
        ("aws.response_processing_time", pl.col("resp_t")),
        ("aws.backend_status_code", dash(pl.col("be_status"))),
        ("tls.cipher", dash(pl.col("cipher"))),
        ("tls.version", dash(pl.col("tls"))),
    ]
    lf = df.lazy().select(
        "_rec",
        ts.alias("_ts"),
        offset.alias("_offset"),
        pl.col("time").alias("time.original"),
        pl.col("elb").alias("host.name"),
        client.alias("source.ip"),
        client.alias("network.peer_ip"),
        client_port.alias("source.port"),
        backend.alias("destination.ip"),
        pl.col("elb_status").cast(pl.Int32, strict=False).alias("http.response.status_code"),
        pl.col("rx").cast(pl.Int64, strict=False).alias("http.request.bytes"),
        pl.col("tx").cast(pl.Int64, strict=False).alias("http.response.bytes"),
        dash(pl.col("ua")).alias("user_agent.original"),
        pl.col("request").alias("_request"),
        pl.when(measured).then(seconds_ns(pl.sum_horizontal(parts).cast(pl.String))).alias("event.duration"),
        labels_of(labels).alias("labels"),
        (pl.col("request").str.strip_chars_end(" ") == "- - -").alias("_tcp"),
    )
    lf = with_request(lf, "_request").with_columns(
        pl.col("url.original")
        .str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://\[?([^/\]]*?)\]?(?::\d+)?(?:/|$)", 1)
        .alias("url.domain"),
    )
    out = web_event(lf, pl.col("_request"), "Request received")
    tcp = pl.col("_tcp")
    return out.with_columns(
        pl.when(tcp).then(pl.lit("network")).otherwise(pl.col("event.category")).alias("event.category"),
        pl.when(tcp).then(pl.lit("log_message")).otherwise(pl.col("event.action")).alias("event.action"),
        pl.when(tcp)
        .then(pl.concat_str([pl.lit("TCP connection to "), pl.col("destination.ip").fill_null("-")]))
        .otherwise(pl.col("message"))
        .alias("message"),
        pl.when(tcp).then(pl.lit("Connection received")).otherwise(pl.col("timestamp_desc")).alias("timestamp_desc"),
    ).drop("_request", "_tcp")
