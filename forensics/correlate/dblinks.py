"""Database activity tied back to the web request (and so the account) that caused it.

Every staff member reaches the database through one shared application account, so the
database cannot name the person.  A query is tied to a web request when it ran while the
request was being served (request received - tolerance .. received + duration +
tolerance) and its *shape* matches what the request asked for:

* an export with ``date_min``/``date_max`` <-> ``BETWEEN 'date_min' AND 'date_max'``;
* an API page ``offset``/``limit`` <-> ``LIMIT offset, limit`` / ``LIMIT limit OFFSET offset``;
* one API record (``/patients/48213``) <-> ``patient_id = '48213'``.

Once one query of a database connection is tied to a request, the connection's other
queries during that request belong to it too (the export's ``SELECT * ... IN (...)``
follows its selection query on the same connection).  A long request (at least
``db_link_min_duration``) is also tied, with a lower confidence, to the large reads that
ran on a connection opened during it when it is the only such request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from forensics.correlate.thresholds import DEFAULT, Thresholds

_US = 1_000_000
NEEDS = ("@timestamp", "db.query.text", "db.tables", "db.rows_returned", "db.operation", "session.db")
ADDS = (
    "db.patient",
    "db.select_star",
    "db.in_list",
    "db.date_min",
    "db.date_max",
    "db.offset",
    "db.limit",
    "db.object",
    "db.record_ids",
    "db.large",
)


def query_shape(
    db: pl.DataFrame,
    thresholds: Thresholds = DEFAULT,
    *,
    record_tables: Sequence[str] = (),
    record_id_columns: Sequence[str] = (),
) -> pl.DataFrame:
    """Add the shape columns of each statement (same rows, same order).

    ``record_tables`` and ``record_id_columns`` come from the application profile (the
    tables that hold its records, the columns that name one record; none by default, so no
    application's names are assumed here); ``db.patient`` means "touches a record table"
    whatever the application calls its records.

    Adds ``db.patient`` (touches a patient table), ``db.select_star``, ``db.in_list``
    (number of values in the first ``IN (...)``; the list may be cut by the server's log
    limit), ``db.date_min``/``db.date_max`` (first ``BETWEEN`` of dates), ``db.offset``/
    ``db.limit``, ``db.object`` (the id of a single-record lookup on ``patient_id``) and
    ``db.large`` (rows returned at least ``db_min_rows``, or a ``SELECT *`` / a long ``IN``
    list on a patient table).  ``db.record_ids`` lists the record ids a statement named in an
    ``IN (...)`` on a record-id column, only when the list was logged whole (a list cut by the
    server's log limit has no closing parenthesis and names nothing): an export's last query
    names the records it sent, which a count of rows cannot (a record in two exports counts
    twice).
    """
    text = pl.col("db.query.text")
    tables_hit = (
        pl.col("db.tables")
        .list.eval(pl.element().str.to_lowercase().str.strip_chars("`").is_in(list(record_tables)))
        .list.any()
    ).fill_null(False)
    tables = "|".join(re.escape(t) for t in record_tables) or r"[^\s\S]"
    table_re = r"(?:from|join)\s+`?(?:" + tables + r")`?(?:\s|$|,|\))"
    # an eager frame shares no sub-expression: the lowered text and the statements on record
    # tables are working columns, made once, which the shape expressions below all read
    lowered = pl.when(text.is_not_null()).then(text.str.slice(0, 4096).str.to_lowercase())
    db = db.with_columns(lowered.alias("_lowered"))
    patient = tables_hit | pl.col("_lowered").str.contains(table_re).fill_null(False)
    db = db.with_columns(patient.alias("db.patient")).with_columns(
        pl.when(pl.col("db.patient")).then(pl.col("_lowered")).alias("_on_records")
    )
    patient = pl.col("db.patient")
    q = pl.col("_on_records")
    in_list = q.str.extract(r"\bin\s*\(([^)]*)", 1)
    between = q.str.extract_groups(r"between\s+'(\d{4}-\d{2}-\d{2})[^']*'\s+and\s+'(\d{4}-\d{2}-\d{2})")
    lim_a = q.str.extract_groups(r"\blimit\s+(\d+)\s*,\s*(\d+)")
    lim_b = q.str.extract_groups(r"\blimit\s+(\d+)\s+offset\s+(\d+)")
    ids = "|".join(re.escape(c) for c in record_id_columns) or r"[^\s\S]"
    obj = q.str.extract(r"\b(?:" + ids + r")`?\s*=\s*'?(\d+)'?", 1)
    whole = pl.when(patient).then(text).str.extract(r"(?i)\b(?:" + ids + r")`?\s+in\s*\(([^)]*)\)", 1)
    record_ids = whole.str.split(",").list.eval(pl.element().str.strip_chars(" '\"`\n\t"))
    out = db.with_columns(
        q.str.contains(r"select\s+(?:distinct\s+)?(?:\*|`?\w+`?\.\*)").fill_null(False).alias("db.select_star"),
        pl.when(in_list.is_not_null()).then(in_list.str.count_matches(",") + 1).cast(pl.Int64).alias("db.in_list"),
        between.struct.field("1").alias("db.date_min"),
        between.struct.field("2").alias("db.date_max"),
        pl.coalesce(lim_a.struct.field("1"), lim_b.struct.field("2")).cast(pl.Int64, strict=False).alias("db.offset"),
        pl.coalesce(lim_a.struct.field("2"), lim_b.struct.field("1")).cast(pl.Int64, strict=False).alias("db.limit"),
        pl.when(in_list.is_null()).then(obj).alias("db.object"),
        record_ids.alias("db.record_ids"),
    )
    unbounded = q.str.contains(r"\bwhere\b|\blimit\b").fill_null(False).not_()
    large = (
        (pl.col("db.rows_returned").fill_null(0) >= thresholds.db_min_rows)
        | (pl.col("db.patient") & (pl.col("db.in_list").fill_null(0) >= thresholds.db_min_in_list))
        | (pl.col("db.patient") & pl.col("db.select_star") & unbounded)
    )
    return out.with_columns(large.alias("db.large")).drop("_lowered", "_on_records")


def link_web_db(
    web: pl.DataFrame, db: pl.DataFrame, thresholds: Thresholds = DEFAULT, tol: float = 10.0
) -> pl.DataFrame:
    """One row per (web request, database query) tie: ``web_row``, ``db_row``, ``session.web``,
    ``session.db``, ``rows_returned``, ``how`` (shape, connection, time), ``confidence``, ``reason``."""
    schema = {
        "web_row": pl.Int64,
        "db_row": pl.Int64,
        "session.web": pl.String,
        "session.db": pl.String,
        "time": pl.Datetime("us", "UTC"),
        "rows_returned": pl.Int64,
        "large": pl.Boolean,
        "how": pl.String,
        "confidence": pl.Float64,
        "reason": pl.String,
    }
    if web.height == 0 or db.height == 0 or "db.patient" not in db.columns:
        return pl.DataFrame(schema=schema)
    tol_us = int(tol * _US)
    queries = db.filter(pl.col("db.patient") | pl.col("db.large")).select(
        pl.col("_row").alias("db_row"),
        pl.col("@timestamp").alias("_qt"),
        "session.db",
        "host.name",
        "db.rows_returned",
        "db.large",
        "db.date_min",
        "db.date_max",
        "db.offset",
        "db.limit",
        "db.object",
    )
    if queries.height == 0:
        return pl.DataFrame(schema=schema)
    # record views in the user interface are single-record reads: not what this is for
    data = web.filter(
        pl.col("activity").is_in(["export", "api_list", "api_detail"])
        | (pl.col("event.duration").fill_null(0) >= int(thresholds.db_link_min_duration * 1e9))
    )
    # a proxy stamps a request when it ends: the queries ran from its start, so the window
    # opens at the start (``request.start``), not at the stamp
    stamp = pl.col("@timestamp")
    start = pl.coalesce(pl.col("request.start"), stamp) if "request.start" in data.columns else stamp
    data = data.select(
        pl.col("_row").alias("web_row"),
        start.alias("_wt"),
        (start + pl.duration(microseconds=pl.col("event.duration").fill_null(0) // 1000)).alias("_we"),
        "session.web",
        "activity",
        "export.date_min",
        "export.date_max",
        "api.offset",
        "api.limit",
        pl.col("activity.object").str.extract(r":(\d+)$", 1).alias("_obj"),
        pl.col("url.path").alias("_path"),
        pl.col("event.duration").alias("_dur"),
    )
    window = (pl.col("_qt") >= pl.col("_wt") - pl.duration(microseconds=tol_us)) & (
        pl.col("_qt") <= pl.col("_we") + pl.duration(microseconds=tol_us)
    )
    shaped = []
    exp = data.filter(pl.col("export.date_min").is_not_null())
    if exp.height:
        shaped.append(
            exp.join(
                queries, left_on=["export.date_min", "export.date_max"], right_on=["db.date_min", "db.date_max"]
            ).with_columns(pl.lit("shape: same date range").alias("how"))
        )
    pages = data.filter(pl.col("api.offset").is_not_null())
    if pages.height:
        shaped.append(
            pages.join(queries, left_on=["api.offset", "api.limit"], right_on=["db.offset", "db.limit"]).with_columns(
                pl.lit("shape: same offset and limit").alias("how")
            )
        )
    one = data.filter(pl.col("_obj").is_not_null())
    if one.height:
        shaped.append(
            one.join(
                queries.filter(pl.col("db.object").is_not_null()), left_on="_obj", right_on="db.object"
            ).with_columns(pl.lit("shape: same record id").alias("how"))
        )
    cols = [
        "web_row",
        "_wt",
        "_we",
        "session.web",
        "activity",
        "_path",
        "db_row",
        "_qt",
        "session.db",
        "host.name",
        "db.rows_returned",
        "db.large",
        "how",
    ]
    parts = [s.filter(window).select(cols) for s in shaped]
    direct = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={c: queries.schema.get(c, data.schema.get(c, pl.String)) for c in cols})
    )
    direct = direct.with_columns(pl.lit(0.9).alias("confidence"))
    # same connection, during the same request
    if direct.height:
        conn = direct.select("web_row", "_wt", "_we", "session.web", "activity", "_path", "session.db").unique()
        more = conn.join(
            queries.select("db_row", "_qt", "session.db", "host.name", "db.rows_returned", "db.large"), on="session.db"
        ).filter(window)
        more = more.join(direct.select("web_row", "db_row"), on=["web_row", "db_row"], how="anti").with_columns(
            pl.lit("connection: same database connection during the request").alias("how"),
            pl.lit(0.8).alias("confidence"),
        )
        direct = pl.concat([direct, more.select([*cols, "confidence"])])
    # time only: long requests and large reads with a single candidate request
    long_req = data.filter(pl.col("_dur").fill_null(0) >= int(thresholds.db_link_min_duration * 1e9))
    big = queries.filter(pl.col("db.large")).join(direct.select("db_row").unique(), on="db_row", how="anti")
    if long_req.height and big.height:
        width = 3600 * _US
        lb = long_req.with_columns(
            pl.int_ranges(pl.col("_wt").dt.epoch("us") // width - 1, pl.col("_we").dt.epoch("us") // width + 2).alias(
                "_b"
            )
        ).explode("_b")
        bb = big.with_columns((pl.col("_qt").dt.epoch("us") // width).alias("_b"))
        tj = lb.join(bb, on="_b").filter(window).unique(["web_row", "db_row"])
        tj = tj.with_columns(pl.len().over("db_row").alias("_n")).filter(pl.col("_n") == 1)
        tj = tj.with_columns(
            pl.lit("time: large read during a long request").alias("how"), pl.lit(0.5).alias("confidence")
        )
        direct = pl.concat([direct, tj.select([*cols, "confidence"])])
    if direct.height == 0:
        return pl.DataFrame(schema=schema)
    direct = direct.sort(["confidence", "how"], descending=[True, False]).unique(["web_row", "db_row"], keep="first")
    reason = pl.concat_str(
        [
            pl.lit("query on "),
            pl.col("host.name").fill_null("?"),
            pl.lit(" at "),
            pl.col("_qt").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            pl.lit(" ran during "),
            pl.col("activity"),
            pl.lit(" request "),
            pl.col("_path").fill_null("?"),
            pl.lit(" ("),
            pl.col("_wt").dt.strftime("%H:%M:%S"),
            pl.lit(" to "),
            pl.col("_we").dt.strftime("%H:%M:%S"),
            pl.lit("Z); "),
            pl.col("how"),
        ]
    )
    return direct.select(
        "web_row",
        "db_row",
        "session.web",
        "session.db",
        pl.col("_qt").alias("time"),
        pl.col("db.rows_returned").alias("rows_returned"),
        pl.col("db.large").alias("large"),
        "how",
        "confidence",
        reason.alias("reason"),
    ).sort("time", "web_row", "db_row")
