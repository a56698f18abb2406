"""AWS Application Load Balancer access log: one space-separated line per request, times in UTC.

``type time elb client:port target:port request_processing_time target_processing_time
response_processing_time elb_status_code target_status_code received_bytes sent_bytes
"request" "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
"chosen_cert_arn" matched_rule_priority request_creation_time "actions_executed"
"redirect_url" "error_reason" "target:port_list" "target_status_code_list" "classification"
"classification_reason" conn_trace_id "transformed_host" "transformed_uri"
"request_transform_status"`` (AWS appends fields over time and asks readers to ignore the
ones they do not expect: fields after these are kept whole in ``labels`` under
``aws.more_fields``; older lines that stop earlier are read as far as they go).

* ``time`` is when the load balancer answered (``timestamp_desc`` "Request completed");
  ``request_creation_time`` is when it received the request, so ``event.duration`` is
  their difference (else the sum of the three processing times when none is ``-1``).
  Both carry ``Z``: ``_offset`` = 0.
* ``client`` is the TCP peer of the load balancer, so it is both ``source.ip`` and
  ``network.peer_ip`` (a proxy in front of the load balancer shows here; its header is
  not logged).  The target address is ``destination.ip``.  The load balancer's id
  (``app/name/id``) is ``host.name``: one bucket holds the logs of several balancers.
* ``request`` is ``METHOD scheme://host:port/uri VERSION`` as the client sent it:
  ``url.original`` keeps the absolute URL, ``url.path``/``url.query`` are decoded for
  display, ``url.domain`` is the host of the URL.  A request the load balancer could not
  read is logged as ``- http://host:port- -``: no method, the event stays.
* The user agent may hold any character, quotes included: it is anchored on the fields
  after it, not on the next quote.
* ``-`` is "no value"; ``-1`` processing times mean "not measured" (no target answered).
* TLS cipher and protocol, target group, trace id, SNI domain, certificate, rule, actions,
  redirect, error reason, the targets tried, the desync classification (``Ambiguous``,
  ``Severe``: a request smuggling attempt shows here) and the rest go into ``labels`` (the
  schema has no TLS or load balancer columns).

Reference: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
"""

from __future__ import annotations

import re

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.access import unreadable_time
from parsers.web.common import with_request
from parsers.web.edge import address_port, dash, iso_time, labels_of, no_events, seconds_ns, web_event

STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"
TOKEN = r'[^ "]+'
LINE = (
    rf"^(?P<type>[a-z0-9]+) (?P<time>{STAMP}) (?P<elb>\S+) (?P<client>\S+) (?P<target>\S+) "
    r"(?P<req_t>-?[0-9.]+) (?P<tgt_t>-?[0-9.]+) (?P<resp_t>-?[0-9.]+) "
    r"(?P<elb_status>\d{3}|-) (?P<target_status>\d{3}|-) (?P<rx>\d+|-) (?P<tx>\d+|-) "
    rf'"(?P<request>.*?)" "(?P<ua>.*)" (?P<cipher>{TOKEN}) (?P<tls>{TOKEN}) (?P<tg>-|arn:{TOKEN})'
    r'(?: "(?P<trace>[^"]*)"'
    r'(?: "(?P<domain>[^"]*)" "(?P<cert>[^"]*)"'
    rf'(?: (?P<rule>{TOKEN}) (?P<created>{TOKEN}) "(?P<actions>[^"]*)"'
    r'(?: "(?P<redirect>[^"]*)" "(?P<error>[^"]*)")?)?)?)?'
    r"(?P<rest>.*)$"
)


#: The fields AWS added after ``error_reason`` (2021 onwards), read from what follows it.
TAIL = (
    r'^ "(?P<targets>[^"]*)" "(?P<target_codes>[^"]*)" "(?P<classification>[^"]*)" "(?P<classification_reason>[^"]*)"'
    r'(?: (?P<conn_trace_id>[^ "]+))?'
    r'(?: "(?P<transformed_host>[^"]*)" "(?P<transformed_uri>[^"]*)" "(?P<transform_status>[^"]*)")?'
    r"(?P<more>.*)$"
)
TAIL_LABELS = (
    ("aws.target_port_list", "targets"),
    ("aws.target_status_code_list", "target_codes"),
    ("aws.classification", "classification"),
    ("aws.classification_reason", "classification_reason"),
    ("aws.conn_trace_id", "conn_trace_id"),
    ("aws.transformed_host", "transformed_host"),
    ("aws.transformed_uri", "transformed_uri"),
    ("aws.request_transform_status", "transform_status"),
)

GROUPS = re.findall(r"\(\?P<(\w+)>", LINE)
HEAD = (
    rf"^[a-z0-9]+ {STAMP} \S+ \S+ \S+ -?[0-9.]+ -?[0-9.]+ -?[0-9.]+ (?:\d{{3}}|-) (?:\d{{3}}|-) (?:\d+|-) (?:\d+|-) $"
)
#: Where a user agent may end: a quote, two tokens and a target group.  ``LINE`` takes the
#: last such place (its user agent is greedy); the split below is only used where there is one.
UA_END = r'" [^ "]+ [^ "]+ (?:-|arn:)'


def split_fast(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lines of today's full layout without a quote in the request or user agent, cut on quotes.

    ``(parsed rows with the LINE group columns, the other records)``.  A capture regex over a
    long line costs microseconds; cutting on ``"`` and checking every separator with
    match-only expressions gives exactly what ``LINE`` gives for these lines, many times
    faster.  Every other line (older generations, quotes inside values) takes ``LINE``.
    """
    q = pl.col("_q")
    seg = [q.list.get(i, null_on_oob=True) for i in range(17)]
    df = records.select("_rec", "text", pl.col("text").str.split('"').alias("_q"))
    ok = (
        (q.list.len() >= 17)
        & seg[0].str.contains(HEAD)
        & (seg[2] == " ")
        & seg[4].str.contains(r'^ [^ "]+ [^ "]+ (?:-|arn:[^ "]+) $')
        & (seg[6] == " ")
        & (seg[8] == " ")
        & seg[10].str.contains(r'^ [^ "]+ [^ "]+ $')
        & (seg[12] == " ")
        & (seg[14] == " ")
        & (pl.col("text").str.count_matches(UA_END) == 1)
    ).fill_null(False)
    df = df.with_columns(_ok=ok)
    good = df.filter(pl.col("_ok"))
    if good.height == 0:
        return pl.DataFrame(schema={"_rec": pl.Int64, **{g: pl.String for g in GROUPS}}), records
    head = seg[0].str.split(" ")
    mid = seg[4].str.strip_chars(" ").str.split(" ")
    rule = seg[10].str.strip_chars(" ").str.split(" ")
    names_head = GROUPS[:12]
    parsed = good.lazy().select(
        pl.col("_rec"),
        *[head.list.get(i).alias(n) for i, n in enumerate(names_head)],
        seg[1].alias("request"),
        seg[3].alias("ua"),
        mid.list.get(0).alias("cipher"),
        mid.list.get(1).alias("tls"),
        mid.list.get(2).alias("tg"),
        seg[5].alias("trace"),
        seg[7].alias("domain"),
        seg[9].alias("cert"),
        rule.list.get(0).alias("rule"),
        rule.list.get(1).alias("created"),
        seg[11].alias("actions"),
        seg[13].alias("redirect"),
        seg[15].alias("error"),
        q.list.slice(16).list.join('"').alias("rest"),
    )
    return parsed.select("_rec", *GROUPS).collect(), records.join(good.select("_rec"), on="_rec", how="anti")


@register
class AwsAlb(Parser):
    """AWS Application Load Balancer access log (all field generations, UTC).

    The module docstring documents the mapping.

    Reference: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
    """

    name = "aws.alb"
    chunk_independent = True
    actions = ("http_request",)
    literals = (" app/",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        fast, rest = split_fast(records)
        slow = rest.select("_rec", pl.col("text").str.extract_groups(LINE).alias("_m")).unnest("_m")
        df = pl.concat([fast, slow]).sort("_rec") if fast.height else slow
        ok = pl.col("time").is_not_null()
        rejects = rejects_of(df.filter(~ok), "not an Application Load Balancer access line")
        df = df.filter(ok)
        if df.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        events, bad_time = unreadable_time(_events(df))
        return ParseResult(events=events, rejects=pl.concat([rejects, bad_time]))


def _events(df: pl.DataFrame) -> pl.DataFrame:
    ts, offset = iso_time(pl.col("time"))
    created, _ = iso_time(pl.col("created"))
    client, client_port = address_port(pl.col("client"))
    target, _ = address_port(pl.col("target"))
    parts = [pl.col(c) for c in ("req_t", "tgt_t", "resp_t")]
    measured = pl.all_horizontal([p.cast(pl.Float64, strict=False) >= 0 for p in parts])
    summed = seconds_ns(pl.sum_horizontal([p.cast(pl.Float64, strict=False) for p in parts]).cast(pl.String))
    span = (pl.col("_ts") - pl.col("_created")).dt.total_nanoseconds()
    labels = [
        ("aws.type", pl.col("type")),
        ("aws.target", dash(pl.col("target"))),
        ("aws.request_processing_time", pl.col("req_t")),
        ("aws.target_processing_time", pl.col("tgt_t")),
        ("aws.response_processing_time", pl.col("resp_t")),
        ("aws.target_status_code", dash(pl.col("target_status"))),
        ("tls.cipher", dash(pl.col("cipher"))),
        ("tls.version", dash(pl.col("tls"))),
        ("aws.target_group_arn", dash(pl.col("tg"))),
        ("aws.trace_id", dash(pl.col("trace"))),
        ("tls.server_name", dash(pl.col("domain"))),
        ("aws.chosen_cert_arn", dash(pl.col("cert"))),
        ("aws.matched_rule_priority", dash(pl.col("rule"))),
        ("aws.request_creation_time", dash(pl.col("created"))),
        ("aws.actions_executed", dash(pl.col("actions"))),
        ("aws.redirect_url", dash(pl.col("redirect"))),
        ("aws.error_reason", dash(pl.col("error"))),
        *[(key, dash(pl.col("_tail").struct.field(group))) for key, group in TAIL_LABELS],
        # what AWS may add later, or a tail of another shape, kept whole
        (
            "aws.more_fields",
            dash(
                pl.when(pl.col("_tail").struct.field("targets").is_null())
                .then(pl.col("rest"))
                .otherwise(pl.col("_tail").struct.field("more"))
                .str.strip_chars(" ")
            ),
        ),
    ]
    lf = (
        df.lazy()
        .with_columns(pl.col("rest").str.extract_groups(TAIL).alias("_tail"))
        .select(
            "_rec",
            ts.alias("_ts"),
            offset.alias("_offset"),
            pl.col("time").alias("time.original"),
            created.alias("_created"),
            pl.col("elb").alias("host.name"),
            client.alias("source.ip"),
            client.alias("network.peer_ip"),
            client_port.alias("source.port"),
            target.alias("destination.ip"),
            pl.col("elb_status").cast(pl.Int32, strict=False).alias("http.response.status_code"),
            pl.col("rx").cast(pl.Int64, strict=False).alias("http.request.bytes"),
            pl.col("tx").cast(pl.Int64, strict=False).alias("http.response.bytes"),
            dash(pl.col("ua")).alias("user_agent.original"),
            pl.col("request").alias("_request"),
            pl.when(measured).then(summed).alias("_summed"),
            labels_of(labels).alias("labels"),
        )
    )
    lf = with_request(lf, "_request").with_columns(
        pl.when(pl.col("_created").is_not_null() & (span >= 0))
        .then(span)
        .otherwise(pl.col("_summed"))
        .alias("event.duration"),
        pl.col("url.original")
        .str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://\[?([^/\]]*?)\]?(?::\d+)?(?:/|$)", 1)
        .alias("url.domain"),
    )
    out = web_event(lf, pl.col("_request"), "Request completed")
    return out.drop("_request", "_created", "_summed")
