"""PgBouncer log (``logfile``): client logins, their failures and ends, server connections.

Reference: https://www.pgbouncer.org/config.html#log-settings (src/objects.c, src/client.c)

One line per message: ``2025-03-02 10:15:01.791 UTC [25261] LOG C-0x560ecfcdf6f0:
wards/ward_app@192.0.2.41:36838 login attempt: db=wards user=ward_app tls=no``.  The time
carries the server's zone abbreviation (``%Z``), the pid is in brackets (older versions:
without).  ``C-`` lines are about a client connection (the pointer is reused: a connection
is the pointer with the client address and port), ``S-`` lines about a connection to the
server; ``(nodb)`` / ``(nouser)`` stand for a database or user not known yet.

Meanings, chosen so that one failed login counts once:

* ``login attempt: db=D user=U`` -> ``db_connect``; its outcome is ``failure`` when the
  same client connection then closes for a login reason, ``success`` when it goes on
  otherwise, ``unknown`` when nothing follows in the batch;
* ``closing because: R (age=Ns)`` of a client -> ``db_connect_failed`` when R is a login
  refusal (authentication failed, no such database or user, pg_hba, login failed...),
  else ``db_disconnect`` (``event.duration`` = age);
* ``pooler error: R``, ``password authentication failed``, ``login failed: ...``, ``no
  such user: U`` and every other line -> ``log_message`` (errors and the server's own
  refusals, ``server login failed: ...``, -> ``server_error``).

``db.system`` is ``postgresql`` (PgBouncer fronts PostgreSQL); the client pointer, the
server side and the tls flag go to ``labels``.
"""

from __future__ import annotations

import polars as pl

from parsers.base import Parser, ParseResult, ParserState, register, rejects_of
from parsers.db.common import CATEGORY, ip_or_null, no_events, split_match, with_label_object
from parsers.db.pg_common import TS_RE, pg_time

LINE = (
    rf"^(?P<ts>{TS_RE}) \[?(?P<pid>\d+)\]? (?P<level>LOG|WARNING|ERROR|FATAL|DEBUG|NOISE|INFO) "
    r"(?:(?P<side>[CS])-(?P<ptr>0x[0-9a-fA-F]+|\(nil\)): (?:(?P<db>[^/\s]*)/(?P<user>[^@\s]*)@(?P<addr>\[[^\]]*\]|[^\s:]+|unix)"
    r"(?::(?P<port>\d+))? )?)?(?P<msg>.*)$"
)
_LOGIN = r"^login attempt: db=(?P<db>\S*) user=(?P<user>\S*)(?: tls=(?P<tls>\S+))?"
_CLOSING = r"^closing because: (?P<reason>.*?)(?: \(age=(?P<age>\d+)s\))?$"
#: close reasons that refuse a login (src/client.c, src/objects.c)
_REFUSALS = (
    r"(?i)authentication failed|no such database|no such user|login failed|pg_hba|not allowed|"
    r"SSL required|server login has been failing|no more connections allowed|unsupported startup parameter"
)


@register
class PgbouncerLog(Parser):
    """PgBouncer log (client logins, refusals and disconnections; server connections)."""

    name = "pgbouncer.log"
    actions = ("db_connect", "db_connect_failed", "db_disconnect", "log_message", "server_error")
    literals = (" C-0x", " S-0x", "PgBouncer", " LOG stats: ")
    filenames = ("*pgbouncer*",)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        ok, bad = split_match(records, LINE)
        rejects = rejects_of(bad, "not a PgBouncer log line")
        if ok.height == 0:
            return ParseResult(events=no_events(), rejects=rejects)
        msg, side = pl.col("msg"), pl.col("side")
        client = side == "C"
        df = ok.with_columns(
            _login=pl.when(client & msg.str.starts_with("login attempt: ")).then(msg).str.extract_groups(_LOGIN),
            _close=pl.when(msg.str.starts_with("closing because: ")).then(msg).str.extract_groups(_CLOSING),
            _key=pl.when(client).then(pl.concat_str(["ptr", "addr", "port"], separator="|", ignore_nulls=True)),
        )
        login = pl.col("_login").struct.field("user").is_not_null()
        closing = client & pl.col("_close").struct.field("reason").is_not_null()
        refused = closing & pl.col("_close").struct.field("reason").str.contains(_REFUSALS).fill_null(False)
        df = df.with_columns(_is_login=login, _refused=refused, _closing=closing).with_columns(
            # the database and user a client asked for, on its later lines ((nodb)/(nouser) there)
            _ldb=pl.col("_login").struct.field("db").forward_fill().over("_key"),
            _luser=pl.col("_login").struct.field("user").forward_fill().over("_key"),
        )
        # a login attempt's outcome: how the same client connection goes on
        after = (
            pl.when(pl.col("_refused"))
            .then(pl.lit("failure"))
            .when(pl.col("_key").is_not_null() & ~pl.col("_is_login"))
            .then(pl.lit("success"))
        )
        df = df.with_columns(_next=after.shift(-1).over("_key"))
        df = df.with_columns(
            _next=pl.when(pl.col("_next") == "success")
            .then(
                # a refusal may come after a few detail lines: look for one among this connection's later lines
                pl.when(pl.col("_refused").reverse().cum_max().reverse().shift(-1).over("_key").fill_null(False))
                .then(pl.lit("failure"))
                .otherwise(pl.lit("success"))
            )
            .otherwise(pl.col("_next"))
        )
        level = pl.col("level")
        failed_detail = msg.str.contains(
            r"^(?:pooler error: |login failed|no such user|password authentication failed)"
        )
        action = (
            pl.when(pl.col("_is_login"))
            .then(pl.lit("db_connect"))
            .when(pl.col("_refused"))
            .then(pl.lit("db_connect_failed"))
            .when(pl.col("_closing"))
            .then(pl.lit("db_disconnect"))
            .when(~failed_detail & (level.is_in(["ERROR", "FATAL"]) | msg.str.starts_with("server login failed")))
            .then(pl.lit("server_error"))
            .otherwise(pl.lit("log_message"))
        )
        reason_text = pl.col("_close").struct.field("reason")
        failed_detail = msg.str.contains(
            r"^(?:pooler error: |login failed|no such user|password authentication failed)"
        )
        outcome = (
            pl.when(pl.col("_is_login"))
            .then(pl.col("_next").fill_null("unknown"))
            .when(pl.col("_refused") | failed_detail)
            .then(pl.lit("failure"))
            .when(pl.col("_closing"))
            .then(pl.lit("success"))
            .otherwise(pl.lit("unknown"))
        )
        placeholder = ["(nodb)", "(nouser)", ""]
        user = pl.coalesce(pl.col("_luser"), pl.when(~pl.col("user").is_in(placeholder)).then(pl.col("user")))
        db = pl.coalesce(pl.col("_ldb"), pl.when(~pl.col("db").is_in(placeholder)).then(pl.col("db")))
        addr = pl.col("addr").str.strip_chars("[]")
        wall, offset, _unknown = pg_time(pl.col("ts"))
        df = with_label_object(
            df,
            {
                "pgbouncer_pid": pl.col("pid"),
                "side": pl.when(side == "S").then(pl.lit("server")).when(client).then(pl.lit("client")),
                "connection_ptr": pl.col("ptr"),
                "server_address": pl.when(side == "S").then(addr),
                "server_port": pl.when(side == "S").then(pl.col("port")),
                "tls": pl.col("_login").struct.field("tls"),
                "message": msg,
            },
        )
        events = df.select(
            "_rec",
            wall.alias("_ts"),
            offset.alias("_offset"),
            pl.col("ts").alias("time.original"),
            pl.lit("Logged").alias("timestamp_desc"),
            pl.lit(CATEGORY).alias("event.category"),
            action.alias("event.action"),
            outcome.alias("event.outcome"),
            pl.when(pl.col("_refused") | pl.col("_closing"))
            .then(reason_text)
            .when(failed_detail)
            .then(msg)
            .alias("event.reason"),
            pl.when(pl.col("_closing"))
            .then(pl.col("_close").struct.field("age").cast(pl.Int64) * 1_000_000_000)
            .alias("event.duration"),
            level.alias("log.level"),
            pl.lit("postgresql").alias("db.system"),
            user.alias("db.user"),
            db.alias("db.name"),
            pl.when(pl.col("_is_login") | pl.col("_refused"))
            .then(pl.lit("CONNECT"))
            .when(pl.col("_closing"))
            .then(pl.lit("DISCONNECT"))
            .alias("db.operation"),
            pl.when(client).then(ip_or_null(addr)).alias("source.ip"),
            pl.when(client).then(pl.col("port").cast(pl.Int32, strict=False)).alias("source.port"),
            pl.col("labels"),
            pl.concat_str(
                [
                    level,
                    pl.lit(" "),
                    pl.coalesce(user, pl.lit("")),
                    pl.lit("@"),
                    pl.coalesce(addr, pl.lit("")),
                    pl.lit(": "),
                    msg.str.slice(0, 300),
                ]
            ).alias("message"),
        )
        return ParseResult(events=events, rejects=rejects)
