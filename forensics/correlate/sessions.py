"""Sessions: web (session id, else client IP + user agent split by silence), application, database.

Web servers rarely log a session cookie, so a web session is what a careful analyst would
draw by hand: the requests of one client address with one user agent, cut wherever the
client stays silent longer than ``web_idle_gap``.  Application sessions are the audit
trail's own ``session.id``; database sessions are one connection (host + connection id),
cut after a day of silence in case the server reused the id.

Ids are numbered in time order (``W000001``, ``A000001``, ``D000001``) so the same input
gives the same ids on every run.
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.thresholds import DEFAULT, Thresholds

SESSION_SCHEMA = pl.Schema(
    {
        "session": pl.String,
        "kind": pl.String,
        "key": pl.String,
        "host": pl.String,
        "account": pl.String,
        "account_confidence": pl.Float64,
        "ips": pl.List(pl.String),
        "forwarded_ips": pl.List(pl.String),
        "user_agents": pl.List(pl.String),
        "first": pl.Datetime("us", "UTC"),
        "last": pl.Datetime("us", "UTC"),
        "events": pl.Int64,
        "bytes": pl.Int64,
        "rows_returned": pl.Int64,
        "auth_method": pl.String,
        "flags": pl.List(pl.String),
        "link_reasons": pl.List(pl.String),
    }
)

_US = 1_000_000


def _numbered(prefix: str, n: int) -> pl.Expr:
    return pl.concat_str([pl.lit(prefix), (pl.int_range(1, n + 1, dtype=pl.Int64)).cast(pl.String).str.zfill(6)])


def _gap_split(keys: list[pl.Expr], ts: pl.Expr, gap_s: float) -> pl.Expr:
    """True where a new session starts, in a frame sorted by keys then time."""
    new_key = pl.any_horizontal([k != k.shift(1) for k in keys]).fill_null(True)
    gap = (ts - ts.shift(1)).dt.total_microseconds() > int(gap_s * _US)
    return new_key | gap.fill_null(True)


def _scatter(order: pl.Series, values: pl.Series, n: int) -> pl.Series:
    """``out[order[i]] = values[i]``: put values computed in sorted order back in row order."""
    if n == 0:
        return values.clear()
    return values.gather(order.arg_sort())


def sessionize_web(web: pl.DataFrame, thresholds: Thresholds = DEFAULT) -> pl.DataFrame:
    """Add ``session.web`` (``W000001``...) to web requests (same rows, same order).

    Needs: ``@timestamp``, ``source.ip``, ``user_agent.original``; ``session.id`` when the
    web log carries one (then it alone is the key).  Sessions are numbered in the order
    they start; the key is compared exactly (no hashing).
    """
    if web.height == 0:
        return web.with_columns(pl.lit(None, dtype=pl.String).alias("session.web"))
    if "session.id" in web.columns and web.get_column("session.id").null_count() < web.height:
        sid = pl.col("session.id")
        keys = [
            sid.alias("_k0"),
            pl.when(sid.is_null()).then(pl.col("source.ip")).alias("_k1"),
            pl.when(sid.is_null()).then(pl.col("user_agent.original")).alias("_k2"),
        ]
    else:
        keys = [pl.col("source.ip").alias("_k1"), pl.col("user_agent.original").alias("_k2")]
    names = [k.meta.output_name() for k in keys]
    # each key as a code per distinct value (a categorical's physical code; null stays null): the
    # windows below group on it exactly as on the text, without row-encoding every request's
    # address and user agent (about 0.5 GB at 4 M requests)
    codes = [k.cast(pl.Categorical).to_physical().alias(n) for k, n in zip(keys, names, strict=True)]
    narrow = web.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"), *codes, pl.col("@timestamp"))
    in_order = narrow.get_column("@timestamp").is_sorted()
    if not in_order:
        narrow = narrow.sort("@timestamp", "_i")
    gap = pl.col("@timestamp").diff().over(names).dt.total_microseconds() > int(thresholds.web_idle_gap * _US)
    narrow = narrow.with_columns(gap.fill_null(True).alias("_new"))
    # rows are in time order: numbering session starts as they come numbers sessions by first time
    narrow = narrow.with_columns(pl.when(pl.col("_new")).then(pl.col("_new").cum_sum()).alias("_n"))
    narrow = narrow.with_columns(pl.col("_n").forward_fill().over(names))
    numbers = narrow.get_column("_n")
    if not in_order:
        numbers = _scatter(narrow.get_column("_i"), numbers, web.height)
    ids = pl.select(pl.format("W{}", pl.lit(numbers).cast(pl.String).str.zfill(6))).to_series()
    return web.with_columns(ids.alias("session.web"))


def web_sessions(web: pl.DataFrame) -> pl.DataFrame:
    """One row per web session: client, user agents, X-Forwarded-For claims, first/last, counts, bytes."""
    if web.height == 0:
        return pl.DataFrame(schema=SESSION_SCHEMA)
    has_activity = "activity" in web.columns
    aggs = [
        pl.col("@timestamp").min().alias("first"),
        pl.col("@timestamp").max().alias("last"),
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("http.response.bytes").sum().cast(pl.Int64).alias("bytes"),
        pl.col("source.ip").first().alias("_ip"),
        pl.col("user_agent.original").first().alias("_ua"),
        pl.col("host.name").first().alias("host"),
        pl.col("network.forwarded_first").drop_nulls().unique(maintain_order=True).head(20).alias("forwarded_ips"),
        pl.col("xff_spoof").any().alias("_spoof"),
        pl.col("session.id").drop_nulls().first().alias("_sid"),
    ]
    if has_activity:
        aggs += [
            (pl.col("activity") == "login_failed").sum().alias("_failed"),
            pl.col("activity").is_in(["export", "api_list", "api_detail"]).sum().alias("_bulk"),
        ]
    if "account" in web.columns:
        aggs += [
            pl.col("account").drop_nulls().first().alias("account"),
            pl.col("account.confidence").max().alias("account_confidence"),
        ]
    if "ip.label" in web.columns:
        aggs.append(pl.col("ip.label").first().alias("_label"))
    s = web.group_by("session.web").agg(aggs)
    flags = [pl.when(pl.col("_spoof")).then(pl.lit("xff_spoof"))]
    if "ip.label" in web.columns:
        flags.append(pl.col("_label"))
    return s.select(
        pl.col("session.web").alias("session"),
        pl.lit("web").alias("kind"),
        pl.when(pl.col("_sid").is_not_null())
        .then(pl.concat_str([pl.lit("session.id="), pl.col("_sid")]))
        .otherwise(pl.concat_str([pl.col("_ip").fill_null("-"), pl.lit(" | "), pl.col("_ua").fill_null("-")]))
        .alias("key"),
        pl.col("host"),
        pl.col("account") if "account" in s.columns else pl.lit(None, dtype=pl.String).alias("account"),
        pl.col("account_confidence")
        if "account_confidence" in s.columns
        else pl.lit(None, dtype=pl.Float64).alias("account_confidence"),
        pl.concat_list([pl.col("_ip")]).list.drop_nulls().alias("ips"),
        pl.col("forwarded_ips"),
        pl.concat_list([pl.col("_ua")]).list.drop_nulls().alias("user_agents"),
        pl.col("first"),
        pl.col("last"),
        pl.col("events"),
        pl.col("bytes").fill_null(0),
        pl.lit(None, dtype=pl.Int64).alias("rows_returned"),
        pl.lit(None, dtype=pl.String).alias("auth_method"),
        pl.concat_list(flags).list.drop_nulls().alias("flags"),
        pl.lit([], dtype=pl.List(pl.String)).alias("link_reasons"),
    ).sort("session")


APP_SESSION_ACTIONS = ("login", "session_end", "logout")


def sessionize_app(app: pl.DataFrame, thresholds: Thresholds = DEFAULT) -> pl.DataFrame:
    """Add ``session.app`` to application events (same rows, same order).

    Needs: ``@timestamp``, ``event.action``, ``session.id``, ``account``, ``source.ip``.
    Events that carry a ``session.id`` belong to that session.  A login without one (sshd,
    generic audit logs) opens a session of its own, keyed by the login row.
    """
    if app.height == 0:
        return app.with_columns(pl.lit(None, dtype=pl.String).alias("session.app"))
    key = (
        pl.when(pl.col("session.id").is_not_null())
        .then(pl.concat_str([pl.lit("s\x00"), pl.col("session.id")]))
        .when(pl.col("event.action") == "login")
        .then(pl.concat_str([pl.lit("l\x00"), pl.col("_row").cast(pl.String)]))
    )
    keyed = app.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"), key.alias("_key"), "@timestamp")
    firsts = keyed.drop_nulls("_key").group_by("_key").agg(pl.col("@timestamp").min().alias("_f")).sort("_f", "_key")
    firsts = firsts.with_columns(_numbered("A", firsts.height).alias("session.app"))
    keyed = keyed.join(firsts.select("_key", "session.app"), on="_key", how="left", maintain_order="left")
    return app.with_columns(keyed.get_column("session.app"))


def app_sessions(app: pl.DataFrame, thresholds: Thresholds = DEFAULT) -> pl.DataFrame:
    """One row per application session: account, stored IPs, user agent, login..end, auth method."""
    s = app.filter(pl.col("session.app").is_not_null())
    if s.height == 0:
        return pl.DataFrame(schema=SESSION_SCHEMA)
    login = pl.col("event.action") == "login"
    agg = s.group_by("session.app").agg(
        pl.col("account").drop_nulls().first().alias("account"),
        pl.col("@timestamp").filter(login).min().alias("_login"),
        pl.col("@timestamp").min().alias("_first"),
        pl.col("@timestamp").max().alias("last"),
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("source.ip").drop_nulls().unique(maintain_order=True).alias("_stored"),
        pl.col("client.ip").drop_nulls().unique(maintain_order=True).alias("_clients"),
        pl.col("user_agent.original").drop_nulls().unique(maintain_order=True).alias("user_agents"),
        pl.col("host.name").drop_nulls().first().alias("host"),
        pl.col("session.id").drop_nulls().first().alias("_sid"),
        pl.col("auth.method").drop_nulls().first().alias("auth_method"),
        pl.col("auth.no_screen").any().alias("_noscreen"),
        pl.col("realm").first().alias("_realm"),
        pl.col("event.action").is_in(list(APP_SESSION_ACTIONS[1:])).any().alias("_ended"),
    )
    first = pl.coalesce(pl.col("_login"), pl.col("_first"))
    last = pl.when(pl.col("_ended")).then(pl.col("last")).otherwise(pl.max_horizontal(pl.col("last"), first))
    return agg.select(
        pl.col("session.app").alias("session"),
        pl.when(pl.col("_realm") == "system").then(pl.lit("system")).otherwise(pl.lit("app")).alias("kind"),
        pl.when(pl.col("_sid").is_not_null())
        .then(pl.concat_str([pl.lit("session.id="), pl.col("_sid")]))
        .otherwise(pl.concat_str([pl.lit("login of "), pl.col("account").fill_null("?")]))
        .alias("key"),
        pl.col("host"),
        pl.col("account"),
        pl.lit(1.0).alias("account_confidence"),
        pl.concat_list([pl.col("_clients"), pl.col("_stored")]).list.unique(maintain_order=True).alias("ips"),
        pl.col("_stored").alias("forwarded_ips"),
        pl.col("user_agents"),
        first.alias("first"),
        last.alias("last"),
        pl.col("events"),
        pl.lit(None, dtype=pl.Int64).alias("bytes"),
        pl.lit(None, dtype=pl.Int64).alias("rows_returned"),
        pl.col("auth_method"),
        pl.concat_list(
            [
                pl.when(pl.col("_noscreen")).then(pl.lit("no_screen_size")),
                pl.when(~pl.col("_ended")).then(pl.lit("end_unknown")),
            ]
        )
        .list.drop_nulls()
        .alias("flags"),
        pl.lit([], dtype=pl.List(pl.String)).alias("link_reasons"),
    ).sort("session")


def sessionize_db(db: pl.DataFrame, thresholds: Thresholds = DEFAULT) -> pl.DataFrame:
    """Add ``session.db`` (host + connection id, cut after a day of silence); same rows, same order."""
    if db.height == 0:
        return db.with_columns(pl.lit(None, dtype=pl.String).alias("session.db"))
    narrow = db.select(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"),
        pl.col("host.name").fill_null("-").alias("_h"),
        pl.col("db.connection_id").alias("_c"),
        "@timestamp",
    )
    keyed = narrow.filter(pl.col("_c").is_not_null()).sort("_h", "_c", "@timestamp", "_i")
    keyed = keyed.with_columns(
        _gap_split([pl.col("_h"), pl.col("_c")], pl.col("@timestamp"), 86400.0).cum_sum().alias("_s")
    )
    firsts = keyed.group_by("_s").agg(
        pl.col("@timestamp").min().alias("_f"), pl.col("_h").first(), pl.col("_c").first()
    )
    firsts = firsts.sort("_f", "_h", "_c").with_columns(_numbered("D", firsts.height).alias("session.db"))
    keyed = keyed.join(firsts.select("_s", "session.db"), on="_s", how="left")
    narrow = narrow.join(keyed.select("_i", "session.db"), on="_i", how="left").sort("_i")
    return db.with_columns(narrow.get_column("session.db"))


def db_sessions(db: pl.DataFrame) -> pl.DataFrame:
    """One row per database connection: account, client (the app server), first/last, queries, rows."""
    s = db.filter(pl.col("session.db").is_not_null())
    if s.height == 0:
        return pl.DataFrame(schema=SESSION_SCHEMA)
    agg = s.group_by("session.db").agg(
        pl.col("host.name").first().alias("host"),
        pl.col("db.connection_id").first().alias("_c"),
        pl.col("db.user").drop_nulls().first().alias("account"),
        pl.col("source.ip").drop_nulls().unique(maintain_order=True).alias("ips"),
        pl.col("@timestamp").min().alias("first"),
        pl.col("@timestamp").max().alias("last"),
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("db.rows_returned").sum().cast(pl.Int64).alias("rows_returned"),
        pl.col("db.large").any().alias("_large") if "db.large" in s.columns else pl.lit(False).alias("_large"),
    )
    return agg.select(
        pl.col("session.db").alias("session"),
        pl.lit("db").alias("kind"),
        pl.concat_str([pl.col("host").fill_null("-"), pl.lit(" connection "), pl.col("_c").cast(pl.String)]).alias(
            "key"
        ),
        pl.col("host"),
        pl.col("account"),
        pl.lit(None, dtype=pl.Float64).alias("account_confidence"),
        pl.col("ips"),
        pl.lit([], dtype=pl.List(pl.String)).alias("forwarded_ips"),
        pl.lit([], dtype=pl.List(pl.String)).alias("user_agents"),
        pl.col("first"),
        pl.col("last"),
        pl.col("events"),
        pl.lit(None, dtype=pl.Int64).alias("bytes"),
        pl.col("rows_returned"),
        pl.lit(None, dtype=pl.String).alias("auth_method"),
        pl.concat_list([pl.when(pl.col("_large")).then(pl.lit("large_read"))]).list.drop_nulls().alias("flags"),
        pl.lit([], dtype=pl.List(pl.String)).alias("link_reasons"),
    ).sort("session")


def all_sessions(*frames: pl.DataFrame) -> pl.DataFrame:
    """Concatenate session tables in the common schema."""
    parts = [f.select([pl.col(c).cast(t) for c, t in SESSION_SCHEMA.items()]) for f in frames if f.height]
    if not parts:
        return pl.DataFrame(schema=SESSION_SCHEMA)
    return pl.concat(parts)
