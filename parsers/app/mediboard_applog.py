"""Mediboard ``tmp/application.log`` (Monolog): ``[time] [LEVEL] message [context:{...}] [extra:{...}]``.

The date is ``Y-m-d H:i:s.u`` without a zone (the app server's local time; an offset is
read when a deployment's format adds one).  A message may span several lines: a record
starts at a line that begins with ``[<date>] [<LEVEL>] ``.  ``extra`` carries
``user_id``, ``server_ip``, ``session_id`` (cut to 15 characters by Mediboard: tag
``session_id_truncated``; match it against the first 15 characters of full session ids)
and ``request_uid``; ``context`` and ``extra`` go to labels as nested JSON (as text when
they are not valid JSON).  ERROR and worse are ``server_error``, the rest ``log_message``.
The split takes the first `` [context:`` of the record, so a message that itself holds
that text moves the rest of the message into ``context`` (kept as text: nothing is lost).

Reference: sergeinack3/PowerCare@8c3438faaba81c18525ac6d9f87c2c99020916c4 core/classes/Logger/ (LineFormatter
format ``[%datetime%] [%level_name%] %message% [context:%context%] [extra:%extra%]``)
"""

from __future__ import annotations

import polars as pl

from parsers.app.common import labels_json, tag_list
from parsers.base import Parser, ParseResult, ParserState, offset_seconds, register, rejects_of, split_match

_TIME = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
START_RX = rf"^\[{_TIME}(?:Z|[+-]\d{{2}}:?\d{{2}})?\] \[[A-Za-z]+\] "
RECORD_RX = (
    rf"^\[(?P<time>{_TIME})(?P<tz>Z|[+-]\d{{2}}:?\d{{2}})?\] \[(?P<level>[A-Za-z]+)\] "
    r"(?s:(?P<msg>.*?)(?: \[context:(?P<context>.*)\] \[extra:(?P<extra>.*)\])?)\s*$"
)
ERROR_LEVELS = ["ERROR", "CRITICAL", "ALERT", "EMERGENCY"]


@register
class MediboardAppLog(Parser):
    """Mediboard application.log (Monolog lines with context and extra JSON; multi-line messages)."""

    name = "mediboard.applog"
    chunk_independent = True
    multiline = True
    literals = ("[context:", "[extra:")
    filenames = ("application.log*",)
    actions = ("log_message", "server_error")

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(START_RX)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        ok, bad = split_match(records, RECORD_RX)
        extra = pl.col("extra")
        # read once (an eager frame shares no sub-expression): the session id and its tag both need it
        ok = ok.with_columns(extra.str.json_path_match("$.session_id").alias("_session"))
        session = pl.col("_session")
        level = pl.col("level").str.to_uppercase()
        msg = pl.col("msg")
        first_line = msg.str.split("\n").list.first()
        events = ok.select(
            "_rec",
            pl.concat_str([pl.col("time"), pl.col("tz").fill_null("")]).alias("time.original"),
            pl.col("time")
            .str.replace("T", " ", literal=True)
            .str.replace(",", ".", literal=True)
            .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
            .alias("_ts"),
            pl.when(pl.col("tz").is_not_null()).then(offset_seconds(pl.col("tz"))).alias("_offset"),
            pl.col("level").alias("log.level"),
            pl.lit("application").alias("event.category"),
            pl.when(level.is_in(ERROR_LEVELS))
            .then(pl.lit("server_error"))
            .otherwise(pl.lit("log_message"))
            .alias("event.action"),
            pl.lit("unknown").alias("event.outcome"),
            pl.lit("Application log entry written").alias("timestamp_desc"),
            pl.when(msg.str.contains("\n", literal=True))
            .then(pl.concat_str([first_line, pl.lit(" [...]")]))
            .otherwise(msg)
            .alias("message"),
            extra.str.json_path_match("$.user_id").alias("user.id"),
            session.alias("session.id"),
            extra.str.json_path_match("$.server_ip").alias("destination.ip"),
            labels_json({"context": pl.col("context"), "extra": extra}, raw_json=("context", "extra")).alias("labels"),
            tag_list({"session_id_truncated": session.str.len_chars() == 15}).alias("tags"),
        )
        bad_time = events.filter(pl.col("_ts").is_null())
        events = events.filter(pl.col("_ts").is_not_null())
        rejects = pl.concat(
            [rejects_of(bad, "not a Monolog line"), rejects_of(bad_time, "unreadable time")],
        )
        return ParseResult(events=events, rejects=rejects)
