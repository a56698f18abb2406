"""Read only what correlation needs from the event frame, in one pass, split by kind.

``events.parquet`` can hold tens of millions of rows: one lazy scan selects the columns
correlation uses (never ``event.original``), numbers every row (``_row``, the key back to
the evidence line), and splits into web requests, database events and everything else
(authentication, application audit).  Rows without a timestamp are kept in the event file
but cannot be placed on a timeline, so they are counted and left out here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from forensics.dataset import scan_events
from forensics.schema import EVENT_SCHEMA, activity_start

WEB_ACTION = "http_request"
DB_ACTIONS = ("db_connect", "db_disconnect", "db_connect_failed", "db_query")

#: Columns read from the event frame (and how); nothing else is loaded.
COLUMNS: dict[str, pl.Expr] = {
    "_row": pl.col("_row").cast(pl.Int64),
    "@timestamp": pl.col("@timestamp"),
    "event.dataset": pl.col("event.dataset"),
    "event.action": pl.col("event.action"),
    "event.outcome": pl.col("event.outcome"),
    "event.reason": pl.col("event.reason"),
    "event.duration": pl.col("event.duration"),
    "host.name": pl.col("host.name"),
    "source.ip": pl.col("source.ip"),
    "network.peer_ip": pl.col("network.peer_ip"),
    "network.forwarded_first": pl.col("network.forwarded_first"),
    "user.name": pl.col("user.name"),
    "user.id": pl.col("user.id"),
    "session.id": pl.col("session.id"),
    "user_agent.original": pl.col("user_agent.original"),
    "http.request.method": pl.col("http.request.method"),
    "url.path": pl.col("url.path"),
    "url.query": pl.col("url.query"),
    "http.response.status_code": pl.col("http.response.status_code"),
    "http.response.bytes": pl.col("http.response.bytes"),
    "db.user": pl.col("db.user"),
    "db.connection_id": pl.col("db.connection_id"),
    "db.query.text": pl.col("db.query.text"),
    "db.operation": pl.col("db.operation"),
    "db.tables": pl.col("db.tables"),
    "db.rows_returned": pl.col("db.rows_returned"),
    "db.rows_examined": pl.col("db.rows_examined"),
    "object.type": pl.col("object.type"),
    "object.id": pl.col("object.id"),
    "object.count": pl.col("object.count"),
    "http.request.id": pl.col("http.request.id"),
    "user.target.name": pl.col("user.target.name"),
    "user.target.id": pl.col("user.target.id"),
    "user.changes.roles": pl.col("user.changes.roles"),
    "labels": pl.col("labels"),
    "xff_spoof": pl.col("tags").list.contains("xff_spoof_candidate").fill_null(False),
    # a logged Range request header (``%{Range}i``, ``$http_range``): list pages of some APIs
    "http.request.range": pl.when(pl.col("labels").str.contains('"http.request.header.range"', literal=True)).then(
        pl.col("labels").str.json_path_match('$["http.request.header.range"]')
    ),
    "ip_from_application": pl.col("tags").list.contains("ip_from_application").fill_null(False),
    # when the request began (nginx stamps a request when it completes, Apache when it starts);
    # the engine writes it as event.start, frames built by hand get it from the same rule
    "request.start": pl.coalesce(pl.col("event.start"), activity_start(pl.col("@timestamp"))),
    "time.rounded": pl.col("time.flags").list.eval(pl.element().str.starts_with("rounded")).list.any().fill_null(False),
}

WEB_COLUMNS = [
    "_row",
    "@timestamp",
    "host.name",
    "source.ip",
    "network.forwarded_first",
    "user_agent.original",
    "session.id",
    "http.request.id",
    "http.request.method",
    "url.path",
    "url.query",
    "http.response.status_code",
    "http.response.bytes",
    "event.duration",
    "request.start",
    "xff_spoof",
    "http.request.range",
]
DB_COLUMNS = [
    "_row",
    "@timestamp",
    "event.dataset",
    "event.action",
    "event.outcome",
    "event.duration",
    "host.name",
    "source.ip",
    "db.user",
    "db.connection_id",
    "db.query.text",
    "db.operation",
    "db.tables",
    "db.rows_returned",
    "db.rows_examined",
]
APP_COLUMNS = [
    "_row",
    "@timestamp",
    "event.dataset",
    "event.action",
    "event.outcome",
    "event.reason",
    "event.duration",
    "host.name",
    "source.ip",
    "user.name",
    "user.id",
    "session.id",
    "user_agent.original",
    "object.type",
    "object.id",
    "object.count",
    "http.request.id",
    "http.request.method",
    "url.path",
    "http.response.status_code",
    "user.target.name",
    "user.target.id",
    "user.changes.roles",
    "labels",
    "ip_from_application",
    "time.rounded",
]


@dataclass
class Inputs:
    """The event frame split by kind, plus what is needed to go back to the evidence."""

    web: pl.DataFrame
    db: pl.DataFrame
    app: pl.DataFrame
    scan: pl.LazyFrame  # the full frame with _row, for evidence lookups and coverage
    names: pl.DataFrame  # user.id -> user.name pairs from every row (timed or not: account tables)
    total: int
    untimed: int
    manifest: dict[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None
    coverage: pl.DataFrame | None = None  # events per source and hour (``coverage_table``)


def _scan(source: Path | str | pl.DataFrame | pl.LazyFrame) -> tuple[pl.LazyFrame, dict[str, Any], Path | None]:
    if isinstance(source, pl.DataFrame | pl.LazyFrame):
        frame = source.collect() if isinstance(source, pl.LazyFrame) else source
        missing = [c for c in EVENT_SCHEMA.names() if c not in frame.columns]
        if missing:
            frame = frame.with_columns(pl.lit(None, dtype=EVENT_SCHEMA[c]).alias(c) for c in missing)
        # the canonical order of the ingest, so row numbers follow time as in events.parquet
        frame = frame.sort(["@timestamp", "log.file.path", "log.file.line"], nulls_last=True, maintain_order=True)
        return frame.with_row_index("_row").lazy(), {}, None
    path = Path(source)
    out_dir = path if path.is_dir() else path.parent
    events = path / "events.parquet" if path.is_dir() else path
    if not path.is_dir() and not events.is_file():
        raise FileNotFoundError(f"{events} not found: run `forensics ingest` first")
    manifest: dict[str, Any] = {}
    mpath = out_dir / "manifest.json"
    if mpath.is_file():
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    # events.parquet, or the partitioned dataset read back in the same order (same row numbers)
    scan = scan_events(path, row_index_name="_row") if path.is_dir() else pl.scan_parquet(events, row_index_name="_row")
    # an ingest written before a schema column was added: the column is empty, not an error
    missing = [c for c in EVENT_SCHEMA.names() if c not in scan.collect_schema().names()]
    if missing:
        scan = scan.with_columns(pl.lit(None, dtype=EVENT_SCHEMA[c]).alias(c) for c in missing)
    return scan, manifest, out_dir


def _part(scan: pl.LazyFrame, columns: list[str], keep: pl.Expr) -> pl.DataFrame:
    """One kind of event, only the listed columns, in time order."""
    df = scan.filter(pl.col("@timestamp").is_not_null() & keep).select([COLUMNS[c].alias(c) for c in columns]).collect()
    if not (df.get_column("@timestamp").is_sorted() and df.get_column("_row").is_sorted()):
        df = df.sort("@timestamp", "_row")
    return hold_empty_as_one_null(df)


def hold_empty_as_one_null(df: pl.DataFrame) -> pl.DataFrame:
    """A column no row fills (request ids in most web logs) held as one null repeated.

    Not as a null per row: same values, same type, no memory per event.  The local load and
    the per-day load on a cluster (``forensics.correlate.partitions``) both hand correlation
    their frames through it.
    """
    empty = [c for c in df.columns if df.height and df.get_column(c).null_count() == df.height]
    if empty:
        df = df.with_columns(pl.lit(None, dtype=df.schema[c]).alias(c) for c in empty)
    return df


def rebuilt(df: pl.DataFrame, change: Callable[[pl.Series], pl.Series]) -> pl.DataFrame:
    """A frame of ``df``'s columns with ``change`` applied to each, built one column at a time.

    ``df.filter(mask)`` or ``df.rechunk()`` make every new column before the old ones go: for a
    moment the frame exists twice (about 1 GB more at 4 M web requests).  Here each column is
    taken out of ``df`` as its replacement is made, so the old and the new frame together
    never hold more than one column twice.  **``df`` is emptied**: pass a frame you own (a
    ``clone()`` is shallow and enough: the buffers are released when nothing else holds them).
    """
    order = df.columns
    out: list[pl.Series] = []
    empty: dict[str, pl.DataType] = {}
    for name in order:
        column = df.drop_in_place(name)
        if column.len() and column.null_count() == column.len() and len(empty) + 1 < len(order):
            # a column no row fills stays one null repeated (``hold_empty_as_one_null``)
            empty[name] = column.dtype
            continue
        out.append(change(column))
        del column
    frame = pl.DataFrame(out)
    if empty:
        frame = frame.with_columns(pl.lit(None, dtype=d).alias(c) for c, d in empty.items()).select(order)
    return frame


#: Row numbers are below this (2**40, a trillion events): ``coverage_table`` puts them beside the time.
_ROW_SPAN = 1 << 40


def coverage_table(scan: pl.LazyFrame) -> pl.DataFrame:
    """Events per source and UTC hour, with the first/last event of each hour (row and time).

    The first event of an hour is, of those at its least time, the one with the least row
    (the rows of a group come in any order from the threads, so a tie is broken by row, not
    by position); the last, of those at its greatest time, the one with the least row.  Each
    is the least (greatest) of one 128-bit number per event, its time in microseconds shifted
    past the row number (``_ROW_SPAN``), plus (minus) the row: one plain aggregation where a
    filter inside each group cost twice the rest of the table.
    """
    us = pl.col("@timestamp").dt.epoch("us").cast(pl.Int128)
    row = pl.col("_row").cast(pl.Int128)
    shifted = pl.lit(_ROW_SPAN, dtype=pl.Int128)
    return (
        scan.select(
            pl.coalesce(pl.col("log.source"), pl.col("log.file.path"), pl.col("event.dataset")).alias("source"),
            pl.col("@timestamp"),
            pl.col("_row").cast(pl.Int64),
        )
        .filter(pl.col("@timestamp").is_not_null())
        .with_columns(
            pl.col("@timestamp").dt.truncate("1h").alias("hour"),
            (us * shifted + row).alias("_first_key"),
            (us * shifted - row).alias("_last_key"),
        )
        .group_by("source", "hour")
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            pl.col("@timestamp").min().alias("first"),
            pl.col("@timestamp").max().alias("last"),
            pl.col("_first_key").min(),
            pl.col("_last_key").max(),
        )
        .select(
            "source",
            "hour",
            "events",
            "first",
            "last",
            (pl.col("_first_key") - pl.col("first").dt.epoch("us").cast(pl.Int128) * shifted)
            .cast(pl.Int64)
            .alias("first_row"),
            (pl.col("last").dt.epoch("us").cast(pl.Int128) * shifted - pl.col("_last_key"))
            .cast(pl.Int64)
            .alias("last_row"),
        )
        .sort("source", "hour")
        .collect()
    )


def load_inputs(source: Path | str | pl.DataFrame | pl.LazyFrame) -> Inputs:
    """The needed columns of each kind of event (web, database, other), each read on its own.

    Reading each kind separately keeps memory to what that kind uses: 10 million web
    requests do not carry the empty application and database columns along.
    """
    scan, manifest, out_dir = _scan(source)
    # the hourly counts read a column of every event: counted before the frames are read, their
    # working memory (about 1.4 GB at 10 M events) comes and goes while little else is held
    coverage = coverage_table(scan)
    counts = scan.select(pl.len().alias("n"), pl.col("@timestamp").null_count().alias("untimed")).collect()
    total, untimed = int(counts.item(0, "n")), int(counts.item(0, "untimed"))
    action = pl.col("event.action").fill_null("")
    web = _part(scan, WEB_COLUMNS, action == WEB_ACTION)
    db = _part(scan, DB_COLUMNS, action.is_in(DB_ACTIONS))
    app = _part(scan, APP_COLUMNS, ~action.is_in([WEB_ACTION, *DB_ACTIONS]))
    # account tables have no time of their own: their id -> name pairs still count
    names = (
        scan.filter(
            pl.col("user.id").is_not_null()
            & pl.col("user.name").is_not_null()
            & ~action.is_in(["login_failed", WEB_ACTION, *DB_ACTIONS])
        )
        .select("user.id", "user.name", "event.action")
        .collect()
    )
    return Inputs(
        web=web,
        db=db,
        app=app,
        scan=scan,
        names=names,
        total=total,
        untimed=untimed,
        manifest=manifest,
        out_dir=out_dir,
        coverage=coverage,
    )


def evidence_rows(scan: pl.LazyFrame, rows: list[int] | set[int]) -> pl.DataFrame:
    """``_row`` -> file, line, event id, dataset, time for the rows a finding cites."""
    wanted = pl.Series("_row", sorted(set(rows)), dtype=pl.Int64)
    return (
        scan.select(
            pl.col("_row").cast(pl.Int64),
            pl.col("log.file.path"),
            pl.col("log.file.line"),
            pl.col("event.id"),
            pl.col("event.dataset"),
            pl.col("@timestamp"),
            pl.col("host.name"),
        )
        .filter(pl.col("_row").is_in(wanted.implode()))
        .collect()
        .sort("_row")
    )


def rows_of(frame: pl.DataFrame, rows: pl.Series, columns: list[str]) -> pl.DataFrame:
    """``columns`` of the ``frame`` rows whose ``_row`` is in ``rows`` (with ``_row``), found fast.

    The frames built here are ordered by ``_row`` when the event file is in time order
    (always, after an ingest): then a binary search finds the rows without hashing the
    whole frame.
    """
    cols = ["_row", *[c for c in columns if c != "_row"]]
    wanted = rows.drop_nulls().unique().sort().cast(pl.Int64)
    key = frame.get_column("_row")
    if key.is_sorted() and frame.height:
        pos = key.search_sorted(wanted, side="left")
        ok = pos < frame.height
        pos, wanted = pos.filter(ok), wanted.filter(ok)
        hit = key.gather(pos) == wanted
        return frame.select(cols)[pos.filter(hit)]
    return frame.select(cols).join(pl.DataFrame({"_row": wanted}), on="_row", how="semi")
