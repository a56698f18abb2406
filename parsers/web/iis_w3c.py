"""Microsoft IIS W3C extended log: the fields are named by each ``#Fields:`` header.

The header may change in the middle of a file (IIS writes a new block of ``#Software``,
``#Version``, ``#Date``, ``#Fields`` after a restart or a configuration change); each data
line is read with the last ``#Fields:`` above it, carried across chunks in ``state``.
Header lines are ``meta``.  Times are UTC (``_offset`` = 0).  IIS writes a space inside a
value as ``+`` in ``cs(User-Agent)``, which is turned back into a space; ``-`` is "no
value".  ``url.original`` is ``cs-uri-stem`` plus ``?cs-uri-query`` (the request target,
as Apache logs it), ``url.path``/``url.query`` are those two fields decoded for display.
Fields with no schema column (``s-sitename``, ``sc-substatus``, ``sc-win32-status``,
``cs(Cookie)``, custom fields...) go into ``labels``.

Reference: https://learn.microsoft.com/en-us/previous-versions/iis/6.0-sdk/ms525807(v=vs.90)
"""

from __future__ import annotations

import polars as pl

from parsers.base import REJECT_COLUMNS, Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.common import decode_urls, http_outcome, json_object

#: W3C field -> (role); anything else becomes a label named after the field.
FIELD_ROLES = {
    "date": "date",
    "time": "time",
    "c-ip": "peer",
    "s-ip": "destination.ip",
    "cs-method": "method",
    "cs-uri-stem": "stem",
    "cs-uri-query": "query",
    "cs-username": "user.name",
    "cs-version": "version",
    "cs(user-agent)": "user_agent",
    "cs(referer)": "http.request.referrer",
    "cs-host": "url.domain",
    "sc-status": "status",
    "sc-bytes": "http.response.bytes",
    "cs-bytes": "http.request.bytes",
    "time-taken": "time_taken",
    "x-forwarded-for": "network.forwarded_ip",
    "cs(x-forwarded-for)": "network.forwarded_ip",
    "c-port": "source.port",
}


@register
class IisW3c(Parser):
    """Microsoft IIS W3C extended log (fields from each #Fields: header).

    The module docstring documents the mapping.

    Reference: https://learn.microsoft.com/en-us/previous-versions/iis/6.0-sdk/ms525807(v=vs.90)
    """

    name = "iis.w3c"
    actions = ("http_request",)
    literals = ("#Fields:",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        text = pl.col("text")
        df = records.select(
            "_rec",
            "text",
            text.str.starts_with("#").alias("_dir"),
            pl.when(text.str.starts_with("#Fields:")).then(text.str.slice(8).str.strip_chars()).alias("_hdr"),
            pl.when(text.str.starts_with("#Date:")).then(text.str.slice(6).str.strip_chars()).alias("_date"),
        ).with_columns(
            pl.col("_hdr").forward_fill().fill_null(pl.lit(state.get("iis_fields"), dtype=pl.String)),
            pl.col("_date").forward_fill().fill_null(pl.lit(state.get("iis_date"), dtype=pl.String)),
        )
        last = df.filter(pl.col("_hdr").is_not_null()).tail(1)
        if last.height:
            state["iis_fields"] = last.item(0, "_hdr")
        known: list[str] = state.setdefault("iis_headers", [])
        for header in df.get_column("_hdr").drop_nulls().unique(maintain_order=True).to_list():
            if header not in known:
                known.append(header)
        dates = df.filter(pl.col("_date").is_not_null()).tail(1)
        if dates.height:
            state["iis_date"] = dates.item(0, "_date")
        directives = df.filter(pl.col("_dir"))
        meta = directives.select(
            pl.col("_rec"),
            pl.concat_str([pl.lit("IIS header "), text.str.extract(r"^(#[A-Za-z-]+)", 1).fill_null("#")]).alias(
                "reason"
            ),
        )
        data = df.filter(~pl.col("_dir"))
        rejects = [rejects_of(data.filter(pl.col("_hdr").is_null()), "no #Fields: header before this line")]
        events = []
        for header in data.get_column("_hdr").drop_nulls().unique(maintain_order=True).to_list():
            rows = data.filter(pl.col("_hdr") == header)
            good, bad = _read_block(rows, header.split())
            events.append(good)
            if bad.height:
                # a line with another field count: read it with an earlier header of this
                # source that has that count (concatenated or interleaved files), tagged
                retry = rows.join(bad.select("_rec"), on="_rec", how="semi")
                for other in reversed(known):
                    if other == header or retry.height == 0:
                        continue
                    fit = retry.filter(
                        pl.col("text").str.strip_chars_end().str.count_matches(" ", literal=True)
                        == len(other.split()) - 1
                    )
                    if fit.height:
                        again, again_bad = _read_block(fit, other.split(), tag="iis_fields_earlier_header")
                        events.append(again)
                        rejects.append(again_bad)  # fits the count, not the values: still a reject
                        retry = retry.join(fit.select("_rec"), on="_rec", how="anti")
                bad = bad.join(retry.select("_rec"), on="_rec", how="semi")
            rejects.append(bad)
        events = [e for e in events if e.height]
        out = (
            pl.concat(events, how="diagonal_relaxed")
            if events
            else pl.DataFrame({"_rec": []}, schema={"_rec": pl.Int64})
        )
        return ParseResult(events=out, rejects=pl.concat(rejects), meta=meta.cast(REJECT_COLUMNS))  # type: ignore[arg-type]


def _read_block(rows: pl.DataFrame, fields: list[str], tag: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Data lines under one ``#Fields:`` header -> (events, rejects); ``tag`` marks every event."""
    n = len(fields)
    split = rows.with_columns(_v=pl.col("text").str.strip_chars_end().str.split(" "))
    count = pl.col("_v").list.len()
    bad = split.filter(count != n)
    reasons = rejects_of(
        bad,
        pl.concat_str([count.cast(pl.String), pl.lit(f" values but the #Fields: header names {n}")]),
    )
    ok = split.filter(count == n)
    if ok.height == 0:
        return pl.DataFrame(), reasons
    roles: dict[str, pl.Expr] = {}
    labels: list[tuple[str, pl.Expr]] = []
    for i, name in enumerate(fields):
        value = pl.col("_v").list.get(i, null_on_oob=True)
        value = pl.when(value == "-").then(None).otherwise(value)
        role = FIELD_ROLES.get(name.lower())
        if role and role not in roles:
            roles[role] = value
        else:
            labels.append((name, value))
    lf = ok.lazy().select(
        "_rec",
        "_date",
        *[e.alias(k) for k, e in roles.items()],
        *[e.alias(f"_l{i}") for i, (_, e) in enumerate(labels)],
    )
    label_exprs = [(k, pl.col(f"_l{i}")) for i, (k, _) in enumerate(labels)]
    have = set(roles)
    out: list[pl.Expr] = [pl.col("_rec")]
    if "time" in have:
        date = pl.col("date") if "date" in have else pl.col("_date").str.slice(0, 10)
        stamp = pl.concat_str([date, pl.lit(" "), pl.col("time")])
        out += [
            stamp.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
            pl.lit(0, dtype=pl.Int32).alias("_offset"),
            stamp.alias("time.original"),
        ]
    else:
        out += [
            pl.lit(None, dtype=pl.Datetime("us")).alias("_ts"),
            pl.lit(None, dtype=pl.String).alias("time.original"),
        ]
    if "peer" in have:
        out += [pl.col("peer").alias("network.peer_ip"), pl.col("peer").alias("source.ip")]
    for direct in ("destination.ip", "user.name", "http.request.referrer", "url.domain"):
        if direct in have:
            out.append(pl.col(direct))
    if "network.forwarded_ip" in have:  # a custom field: IIS writes its spaces as '+'
        out.append(pl.col("network.forwarded_ip").str.replace_all("+", " ", literal=True))
    if "source.port" in have:
        out.append(pl.col("source.port").cast(pl.Int32, strict=False))
    if "user_agent" in have:
        out.append(pl.col("user_agent").str.replace_all("+", " ", literal=True).alias("user_agent.original"))
    if "method" in have:
        out.append(pl.col("method").alias("http.request.method"))
    if "version" in have:
        out.append(pl.col("version").str.strip_prefix("HTTP/").alias("http.version"))
    if "stem" in have:
        query = pl.col("query") if "query" in have else pl.lit(None, dtype=pl.String)
        out += [
            pl.when(query.is_null())
            .then(pl.col("stem"))
            .otherwise(pl.concat_str([pl.col("stem"), pl.lit("?"), query]))
            .alias("url.original"),
            pl.col("stem").alias("url.path"),
            query.alias("url.query"),
        ]
    status = pl.col("status").cast(pl.Int32, strict=False) if "status" in have else pl.lit(None, dtype=pl.Int32)
    out.append(status.alias("http.response.status_code"))
    for num in ("http.response.bytes", "http.request.bytes"):
        if num in have:
            out.append(pl.col(num).cast(pl.Int64, strict=False))
    if "time_taken" in have:
        out.append((pl.col("time_taken").cast(pl.Int64, strict=False) * 1_000_000).alias("event.duration"))
    if label_exprs:
        out.append(json_object(label_exprs).alias("labels"))
    if tag:
        out.append(pl.lit([tag], dtype=pl.List(pl.String)).alias("tags"))
    method = pl.col("http.request.method") if "method" in have else pl.lit("-")
    target = pl.col("url.original") if "stem" in have else pl.lit("-")
    events = (
        lf.select(out)
        .with_columns(
            pl.lit("web").alias("event.category"),
            pl.lit("http_request").alias("event.action"),
            http_outcome(pl.col("http.response.status_code")).alias("event.outcome"),
            pl.lit("Request logged (UTC)").alias("timestamp_desc"),
            pl.concat_str(
                [
                    method.fill_null("-"),
                    pl.lit(" "),
                    target.fill_null("-"),
                    pl.lit(" -> "),
                    pl.col("http.response.status_code").cast(pl.String).fill_null("-"),
                ]
            ).alias("message"),
        )
        .collect()
    )
    bad_time = events.filter(pl.col("_ts").is_null())
    events = events.filter(pl.col("_ts").is_not_null())
    reasons = pl.concat([reasons, rejects_of(bad_time, "unreadable date/time")])
    return decode_urls(events), reasons
