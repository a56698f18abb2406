"""Apache httpd error log, 2.4 and 2.2 formats, with multi-line records.

2.4: ``[Wed Oct 11 14:32:52.123456 2000] [module:level] [pid N:tid M] [client IP:port]
message, referer: URL``; 2.2: ``[Wed Oct 11 14:32:52 2000] [error] [client 1.2.3.4]
message``.  Every part after the level is optional (the 2.4 ``ErrorLogFormat`` default
adds the source file and the APR error at some levels).  An ``ErrorLogFormat`` that writes
the time as ISO 8601 (``[%{cu}t]``: ``[2025-07-22 15:45:51.323610] [auth_basic:error]
...``) is read the same way.  The time is naive local time.  The user named by
mod_auth_basic / mod_authn_file failures (``user alice not found``, ``user alice:
authentication failure``) goes to ``user.name``.
Lines that do not start with the ``[date]`` prefix (PHP stack traces passed on by
proxy_fcgi, continuation lines) belong to the record above them.

``message`` is the logged message (without the ``, referer:`` suffix, which goes to
``http.request.referrer``); ``event.reason`` is the message without its ``AHnnnnn:``
code, and for ``AH01071: Got error '...'`` (PHP-FPM's stderr) the text inside the quotes.
``event.action`` is ``server_error`` for warn and above, ``log_message`` for notice,
info, debug and trace levels.

Reference: https://httpd.apache.org/docs/2.4/mod/core.html#errorlogformat
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.web.common import json_object

_CTIME = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}"
#: ``%{cu}t`` / ``%{c}t`` of ErrorLogFormat: compact ISO 8601, local time, optional micro-seconds
_ISO = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?"
_DATE = rf"(?:{_CTIME}|{_ISO})"
START = rf"^\[{_DATE}\]"
LINE = (
    rf"(?s)^\[(?P<time>{_DATE})\] "
    r"\[(?:(?P<module>[^:\]\s]*):)?(?P<level>[A-Za-z]+\d?)\] "
    r"(?:\[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\] )?"
    r"(?:(?P<srcfile>[\w.-]+\.[ch]\(\d+\)): )?"
    r"(?:\((?P<apr>-?\d+)\)(?P<aprmsg>[^:\[\n]*): )?"
    r"(?:\[client (?P<client>[^\]\s]+)\] )?"
    r"(?:\[remote (?P<remote>[^\]\s]+)\] )?"
    r"(?P<message>.*)$"
)
_MESSAGE = r"(?s)^(?P<msg>.*?)(?:, referer:? (?P<referer>[^\n]*))?$"
_ACTIONS = {"emerg", "alert", "crit", "error", "warn"}
_LEVELS = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", *(f"trace{i}" for i in range(1, 9))]
#: mod_auth_basic / mod_authn_file: ``user alice not found: /x``, ``user alice: authentication failure for "/x": ...``
_AUTH_USER = r"^(?:AH\d{4,5}: )?user (.+?)(?: not found(?::|$)|: authentication failure| in realm )"


def split_address(col: str, port_always: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """``1.2.3.4:5678`` / ``[::1]:80`` -> (ip, port); ``::1`` and ``1.2.3.4`` have no port.

    ``port_always`` marks rows whose writer always appends ``:port`` (Apache 2.4 writes
    ``[client 2001:db8::45:443]``): there the last ``:digits`` of an IPv6 address is the port.
    """
    text = pl.col(col)
    bracket = text.str.extract_groups(r"^\[(?P<ip>[^\]]+)\]:(?P<port>\d+)$")
    v4 = text.str.extract_groups(r"^(?P<ip>[^:]+):(?P<port>\d+)$")
    ip = pl.coalesce(bracket.struct.field("ip"), v4.struct.field("ip"))
    port = pl.coalesce(bracket.struct.field("port"), v4.struct.field("port"))
    if port_always is not None:
        v6 = text.str.extract_groups(r"^(?P<ip>[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*):(?P<port>\d+)$")
        ip = pl.coalesce(ip, pl.when(port_always).then(v6.struct.field("ip")))
        port = pl.coalesce(port, pl.when(port_always).then(v6.struct.field("port")))
    return pl.coalesce(ip, text), port.cast(pl.Int32, strict=False)


@register
class ApacheError(Parser):
    """Apache httpd error log (2.4 and 2.2), multi-line records.

    The module docstring documents the mapping.

    Reference: https://httpd.apache.org/docs/2.4/mod/core.html#errorlogformat
    """

    name = "apache.error"
    chunk_independent = True
    actions = ("server_error", "log_message")
    multiline = True
    literals = ("] [",)

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(START)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        df = records.select("_rec", pl.col("text").str.extract_groups(LINE).alias("_g")).unnest("_g")
        # an ISO time is also how other applications start their lines ([2024-... ] [INFO]):
        # there the level must be one of Apache's, written as Apache writes it
        iso = pl.col("time").str.contains(r"^\d{4}-")
        ok = pl.col("time").is_not_null() & (~iso | pl.col("level").is_in(_LEVELS))
        rejects = rejects_of(df.filter(~ok.fill_null(False)), "not an Apache error log record")
        df = (
            df.filter(ok.fill_null(False))
            .with_columns(pl.col("message").str.extract_groups(_MESSAGE).alias("_m"))
            .unnest("_m")
        )
        client_ip, client_port = split_address("client", pl.col("module").is_not_null())
        remote_ip, _ = split_address("remote")
        level = pl.col("level").str.to_lowercase()
        code = pl.col("msg").str.extract(r"^(AH\d{4,5}): ", 1)
        bare = pl.col("msg").str.replace(r"^AH\d{4,5}: ", "")
        got_error = bare.str.extract(r"(?s)^Got error '(.*?)'?$", 1)
        events = (
            df.lazy()
            .select(
                "_rec",
                pl.coalesce(
                    pl.col("time")
                    .str.replace("  ", " 0", literal=True)
                    .str.to_datetime("%a %b %d %H:%M:%S%.f %Y", strict=False, time_unit="us"),
                    pl.col("time")
                    .str.replace("T", " ", literal=True)
                    .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"),
                ).alias("_ts"),
                pl.lit(None, dtype=pl.Int32).alias("_offset"),
                pl.col("time").alias("time.original"),
                pl.col("level").alias("log.level"),
                client_ip.alias("source.ip"),
                client_port.alias("source.port"),
                pl.coalesce(remote_ip, client_ip).alias("network.peer_ip"),
                pl.col("msg").alias("message"),
                pl.when(pl.col("msg").str.contains(r"^(?:AH\d{4,5}: )?Got error '"))
                .then(got_error)
                .otherwise(bare)
                .alias("event.reason"),
                pl.col("referer").alias("http.request.referrer"),
                pl.col("msg").str.extract(_AUTH_USER, 1).alias("user.name"),
                json_object(
                    [
                        ("apache.module", pl.col("module")),
                        ("error.code", code),
                        ("process.pid", pl.col("pid")),
                        ("process.thread.id", pl.col("tid")),
                        ("log.origin.file", pl.col("srcfile")),
                        ("apr.status", pl.col("apr")),
                        ("apr.message", pl.col("aprmsg")),
                    ]
                ).alias("labels"),
                pl.lit("web").alias("event.category"),
                pl.when(level.is_in(list(_ACTIONS)))
                .then(pl.lit("server_error"))
                .otherwise(pl.lit("log_message"))
                .alias("event.action"),
                pl.when(level.is_in(list(_ACTIONS)))
                .then(pl.lit("failure"))
                .otherwise(pl.lit("unknown"))
                .alias("event.outcome"),
                pl.lit("Error logged").alias("timestamp_desc"),
            )
            .collect()
        )
        bad = events.filter(pl.col("_ts").is_null())
        events = events.filter(pl.col("_ts").is_not_null())
        return ParseResult(events=events, rejects=pl.concat([rejects, rejects_of(bad, "unreadable time")]))
