"""Name the account behind every application event, and read the few label fields we use.

Audit tables name users by id in some rows and by login in others; the login tried in a
failed attempt may not exist at all.  Here every event gets ``account`` (the login name,
or ``#<id>`` when only an id is known anywhere), ``account.known`` (the name belongs to an
account that exists: it has an id somewhere or logged in successfully), ``realm``
(``app`` for the application, ``system`` for operating-system logins) and the
authentication details stored in ``labels`` (``auth.method``, ``auth.no_screen``).
"""

from __future__ import annotations

import polars as pl

#: Datasets whose logins are operating-system logins (sshd, PAM, sudo), not the application's.
SYSTEM_DATASET = r"(?i)^(?:syslog|linux|auth|sshd|secure|pam|sudo|system)"

#: Authentication methods of API clients (no screen size is expected from them).
API_METHODS = ["basic", "token", "oauth", "api"]

NEEDS = ("event.dataset", "event.action", "user.name", "user.id", "labels")
ADDS = ("account", "account.known", "realm", "auth.method", "auth.no_screen")


def id_names(app: pl.DataFrame) -> pl.DataFrame:
    """``user.id`` -> the login name most often seen with it (ties: alphabetical)."""
    pairs = app.filter(pl.col("user.id").is_not_null() & pl.col("user.name").is_not_null())
    pairs = pairs.filter(pl.col("event.action") != "login_failed")
    if pairs.height == 0:
        return pl.DataFrame(schema={"user.id": pl.String, "_name": pl.String})
    return (
        pairs.group_by("user.id", "user.name")
        .len()
        .sort(["user.id", "len", "user.name"], descending=[False, True, False])
        .group_by("user.id", maintain_order=True)
        .first()
        .select("user.id", pl.col("user.name").alias("_name"))
    )


def prepare_app(app: pl.DataFrame, names: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add ``account``, ``account.known``, ``realm``, ``auth.method``, ``auth.no_screen`` (same rows, same order).

    ``names`` (``user.id``, ``user.name``, ``event.action``) may add pairs from rows that
    have no time (an account table), so ids resolve even for accounts that never logged in.
    """
    pairs = app.select("user.id", "user.name", "event.action")
    if names is not None and names.height:
        pairs = pl.concat([pairs, names.select(pairs.columns)])
    names = id_names(pairs)
    out = app.join(names, on="user.id", how="left", maintain_order="left")
    account = pl.coalesce(
        pl.col("user.name").str.strip_chars(),
        pl.col("_name"),
        pl.when(pl.col("user.id").is_not_null()).then(pl.concat_str([pl.lit("#"), pl.col("user.id")])),
    )
    out = out.with_columns(account.alias("account")).drop("_name")
    with_id = pairs.filter(pl.col("user.id").is_not_null() & (pl.col("event.action") != "login_failed"))
    seen = out.filter(
        (pl.col("event.action") == "login")
        | (pl.col("user.id").is_not_null() & (pl.col("event.action") == "login_failed"))
    )
    known_names = pl.concat(
        [with_id.get_column("user.name").drop_nulls(), seen.get_column("account").drop_nulls()]
    ).unique()
    labels = pl.col("labels")
    has_screen_key = labels.str.contains('"screen_width"', literal=True).fill_null(False)
    screen = labels.str.json_path_match("$.screen_width")
    return out.with_columns(
        pl.col("account").is_in(known_names.implode()).fill_null(False).alias("account.known"),
        pl.when(pl.col("event.dataset").fill_null("").str.contains(SYSTEM_DATASET))
        .then(pl.lit("system"))
        .otherwise(pl.lit("app"))
        .alias("realm"),
        labels.str.json_path_match("$.auth_method").str.to_lowercase().alias("auth.method"),
        # an API login (basic, token) never has a screen; a form login without one ran no browser script
        (
            has_screen_key
            & screen.is_null()
            & (pl.col("event.action") == "login")
            & ~labels.str.json_path_match("$.auth_method").str.to_lowercase().is_in(API_METHODS).fill_null(False)
        ).alias("auth.no_screen"),
    )
