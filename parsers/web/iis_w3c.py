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

Variants read: ``cs-uri`` (HTTPERR, Oracle Web Cache: the whole target) gives
``url.original``, ``s-reason`` (HTTPERR) ``event.reason``; values written in quotes (IIS
Advanced Logging, Incapsula, Oracle Web Cache; ``""`` is a quote) are cut as quoted
values, and Advanced Logging's ``date-local``/``time-local`` are naive local times.  A
line with more values than the header names (a writer that left the spaces of a value
raw) gives the extra ones back to its free-text field (``cs(User-Agent)`` first, then
``cs(Referer)``, ``cs(Cookie)``, the query, ``s-reason``, the URI) and is tagged
``line_irregular``.  A Microsoft FTP service log (``x-session``/``x-fullpath`` fields,
or an FTP ``#Software``) gives FTP events tagged ``iis_ftp``, never HTTP requests:
``PASS`` answered 230 is ``login``, 530 ``login_failed``, ``QUIT`` ``logout``, the rest
``log_message`` with the command, argument and reply in labels.

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
    "date-local": "date_local",
    "time-local": "time_local",
    "cs-uri": "uri",
    "s-reason": "event.reason",
    "bytes": "http.response.bytes",
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
    actions = ("http_request", "login", "login_failed", "logout", "log_message")
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
        if df.select(text.str.contains(r"^#Software: .*FTP").any()).item():
            state["iis_ftp_software"] = True
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
            good, bad = _read_block(rows, header.split(), ftp=_is_ftp(header, state))
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


#: Fields whose value may hold raw spaces (a writer that does not encode them): when a line
#: has more values than the header names, the extra ones belong to the first of these.
FREE_TEXT = ("cs(user-agent)", "cs(referer)", "cs(cookie)", "cs-uri-query", "s-reason", "cs-uri", "cs-uri-stem")
#: A quoted value (IIS Advanced Logging, Incapsula, Oracle Web Cache) or a bare one.
_TOKEN = r'"(?:[^"]|"")*"|[^\s"]+'
#: Fields only the Microsoft FTP service writes in its W3C logs.
_FTP_FIELDS = {"x-session", "x-fullpath", "x-debug"}


def _is_ftp(header: str, state: ParserState) -> bool:
    """A Microsoft FTP service log: its own fields, or ``#Software: ... FTP`` in the file."""
    return bool(_FTP_FIELDS & {f.lower() for f in header.split()}) or bool(state.get("iis_ftp_software"))


def _tokens(rows: pl.DataFrame, fields: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with ``_v`` (one value per field) and ``_irregular``; (read, refused with ``_n``).

    A line is cut on single spaces (the fast, usual case).  A line with another count is
    cut again as quoted values when it holds a ``"`` (quotes removed, ``""`` is a quote),
    and otherwise, when it has more values than fields and one field may hold free text,
    that field takes the extra values back with their spaces (tagged ``line_irregular``).
    """
    n = len(fields)
    text = pl.col("text").str.strip_chars_end()
    split = rows.with_columns(
        _v=text.str.split(" "), _irregular=pl.lit(False), _q=pl.col("text").str.contains('"', literal=True)
    )
    count = pl.col("_v").list.len()
    good = split.filter((count == n) & ~pl.col("_q"))
    rest = split.filter((count != n) | pl.col("_q"))
    if rest.height == 0:
        return good.drop("_q"), rest.with_columns(_n=count).drop("_q")
    # a line with quoted values (a value starts with a quote) is cut as quoted values; a
    # quote inside an ordinary value (a query) leaves the line to the plain cut
    tokens = text.str.extract_all(_TOKEN).list.eval(
        pl.element().str.replace(r'^"((?s:.*))"$', "$1").str.replace_all('""', '"', literal=True)
    )
    opens = pl.col("_v").list.eval(pl.element().str.starts_with('"')).list.any()
    quoted = (
        rest.filter(pl.col("_q"))
        .with_columns(_t=tokens)
        .with_columns(_v=pl.when(opens & (pl.col("_t").list.len() == n)).then(pl.col("_t")).otherwise(pl.col("_v")))
        .drop("_t")
    )
    unquoted = rest.filter(~pl.col("_q"))
    good = pl.concat([good, quoted.filter(count == n)]).drop("_q")
    unquoted = pl.concat([unquoted, quoted.filter(count != n)]).drop("_q")
    quoted = quoted.clear().drop("_q")
    lower = [f.lower() for f in fields]
    free = next((lower.index(f) for f in FREE_TEXT if f in lower), None)
    if free is not None and unquoted.height:
        extra = count - n  # values too many
        after = n - free - 1
        absorbed = unquoted.filter(count > n).with_columns(
            _v=pl.concat_list(
                pl.col("_v").list.slice(0, free),
                pl.col("_v").list.slice(free, extra + 1).list.join(" "),
                pl.col("_v").list.slice(count - after, after),
            ),
            _irregular=pl.lit(True),
        )
        unquoted = pl.concat([absorbed, unquoted.filter(count < n)])
    fixed = pl.concat([quoted, unquoted])
    return pl.concat([good, fixed.filter(count == n)]), fixed.filter(count != n).with_columns(_n=count)


def _read_block(
    rows: pl.DataFrame, fields: list[str], tag: str | None = None, ftp: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Data lines under one ``#Fields:`` header -> (events, rejects); ``tag`` marks every event."""
    n = len(fields)
    ok, bad = _tokens(rows, fields)
    reasons = rejects_of(
        bad,
        pl.concat_str([pl.col("_n").cast(pl.String), pl.lit(f" values but the #Fields: header names {n}")]),
    )
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
        "_irregular",
        *[e.alias(k) for k, e in roles.items()],
        *[e.alias(f"_l{i}") for i, (_, e) in enumerate(labels)],
    )
    label_exprs = [(k, pl.col(f"_l{i}")) for i, (k, _) in enumerate(labels)]
    have = set(roles)
    out: list[pl.Expr] = [pl.col("_rec")]
    if "time" in have or "time_local" in have:
        # date/time are UTC; IIS Advanced Logging's date-local/time-local are the server's wall clock
        utc = "time" in have
        clock = pl.col("time" if utc else "time_local")
        day = "date" if utc else "date_local"
        date = pl.col(day) if day in have else pl.col("_date").str.slice(0, 10)
        stamp = pl.concat_str([date, pl.lit(" "), clock])
        out += [
            stamp.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
            pl.lit(0 if utc else None, dtype=pl.Int32).alias("_offset"),
            stamp.alias("time.original"),
        ]
    else:
        out += [
            pl.lit(None, dtype=pl.Datetime("us")).alias("_ts"),
            pl.lit(None, dtype=pl.String).alias("time.original"),
        ]
    if "peer" in have:
        out += [pl.col("peer").alias("network.peer_ip"), pl.col("peer").alias("source.ip")]
    for direct in ("destination.ip", "user.name", "http.request.referrer", "url.domain", "event.reason"):
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
    if ftp:
        events = _ftp_events(lf, out, have, label_exprs, tag)
        bad_time = events.filter(pl.col("_ts").is_null())
        reasons = pl.concat([reasons, rejects_of(bad_time, "unreadable date/time")])
        return events, reasons
    if "uri" in have and "stem" not in have:  # cs-uri (HTTPERR, Oracle Web Cache): the target whole
        # Incapsula writes the host first (shop.example.org/login?x=1)
        hosted = pl.col("uri").str.extract_groups(r"^(?P<h>[A-Za-z0-9.-]+(?::\d+)?)(?P<p>/.*)$")
        target = pl.coalesce(hosted.struct.field("p"), pl.col("uri"))
        parts = target.str.splitn("?", 2)
        out += [
            pl.col("uri").alias("url.original"),
            parts.struct.field("field_0").alias("url.path"),
            parts.struct.field("field_1").alias("url.query"),
        ]
        if "url.domain" not in have:
            out.append(hosted.struct.field("h").alias("url.domain"))
        have.add("stem")
    elif "stem" in have:
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
    out.append(_tags(tag))
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


def _tags(tag: str | None) -> pl.Expr:
    """The block's tag (if any) and ``line_irregular`` for lines whose spaces were given back."""
    return pl.concat_list(
        pl.lit([tag] if tag else [], dtype=pl.List(pl.String)),
        pl.when(pl.col("_irregular")).then(pl.lit(["line_irregular"])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
    ).alias("tags")


#: FTP commands and replies that say who logged in or out.
_FTP_LOGIN = "PASS"
_FTP_LOGOUT = ("QUIT", "ControlChannelClosed")


def _ftp_events(
    lf: pl.LazyFrame, out: list[pl.Expr], have: set[str], labels: list[tuple[str, pl.Expr]], tag: str | None
) -> pl.DataFrame:
    """Microsoft FTP service lines: FTP commands, not HTTP requests (tag ``iis_ftp``).

    ``PASS`` answered 230 is a ``login``, answered 530 (or another 4xx/5xx) a
    ``login_failed``; ``QUIT`` / ``ControlChannelClosed`` a ``logout``; every other command
    a ``log_message``.  The command is in ``labels.ftp.command``, its argument (a path, a
    user name) in ``labels.ftp.argument``, the reply code in ``labels.ftp.reply``.
    """
    command = pl.col("method") if "method" in have else pl.lit(None, dtype=pl.String)
    argument = pl.col("stem") if "stem" in have else (pl.col("uri") if "uri" in have else pl.lit(None, pl.String))
    reply = pl.col("status").cast(pl.Int32, strict=False) if "status" in have else pl.lit(None, dtype=pl.Int32)
    labels = [*labels, ("ftp.command", command), ("ftp.argument", argument), ("ftp.reply", reply.cast(pl.String))]
    login = command.str.to_uppercase() == _FTP_LOGIN
    action = (
        pl.when(login & (reply == 230))
        .then(pl.lit("login"))
        .when(login & (reply >= 400))
        .then(pl.lit("login_failed"))
        .when(command.is_in(list(_FTP_LOGOUT)))
        .then(pl.lit("logout"))
        .otherwise(pl.lit("log_message"))
    )
    keep = [
        e
        for e in out
        if e.meta.output_name()
        in (
            "_rec",
            "_ts",
            "_offset",
            "time.original",
            "network.peer_ip",
            "source.ip",
            "destination.ip",
            "user.name",
            "source.port",
        )
    ]
    events = lf.select(
        *keep,
        json_object(labels).alias("labels"),
        pl.concat_list(_tags(tag), pl.lit(["iis_ftp"])).alias("tags"),
        action.alias("event.action"),
        pl.when(action.is_in(["login", "login_failed", "logout"]))
        .then(pl.lit("authentication"))
        .otherwise(pl.lit("network"))
        .alias("event.category"),
        pl.when(reply >= 400)
        .then(pl.lit("failure"))
        .when(reply.is_not_null())
        .then(pl.lit("success"))
        .otherwise(pl.lit("unknown"))
        .alias("event.outcome"),
        pl.lit("FTP command logged").alias("timestamp_desc"),
        pl.concat_str(
            [
                pl.lit("FTP "),
                command.fill_null("-"),
                pl.lit(" "),
                argument.fill_null("-"),
                pl.lit(" -> "),
                reply.cast(pl.String).fill_null("-"),
            ]
        ).alias("message"),
    ).collect()
    return events
