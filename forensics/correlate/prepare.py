"""Name the account behind every application event, and read the few label fields we use.

Audit tables name users by id in some rows and by login in others; the login tried in a
failed attempt may not exist at all.  Here every event gets ``account`` (the login name,
or ``#<id>`` when only an id is known anywhere), ``account.known`` (the name belongs to an
account that exists: it has an id somewhere or logged in successfully), ``realm``
(``app`` for the application, ``system`` for operating-system logins) and
``auth.no_screen`` (a form login that recorded no screen size), from the typed columns
the application profile filled (``auth.method``, ``auth.screen``: see forensics/apps/).
"""

from __future__ import annotations

import polars as pl

from forensics.apps import APP_FIELDS, with_app_fields

#: Datasets whose logins are operating-system logins (sshd, PAM, sudo), not the application's.
SYSTEM_DATASET = r"(?i)^(?:syslog|linux|auth|sshd|secure|pam|sudo|system)"

#: Authentication methods that present a key or token rather than the account's password.
KEY_METHODS = ("token", "oauth", "api")
#: Authentication methods of API clients (no screen size is expected from them): the credential
#: goes with every request, so one login row stands for any of the requests.
API_METHODS = ["basic", *KEY_METHODS]

NEEDS = ("event.dataset", "event.action", "user.name", "user.id", "auth.method", "auth.screen")
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
    if any(c not in app.columns for c in APP_FIELDS):
        app = with_app_fields(app, {})  # no profile ran: the application said nothing more
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
    method = pl.col("auth.method") if "auth.method" in out.columns else pl.lit(None, dtype=pl.String)
    screen = pl.col("auth.screen") if "auth.screen" in out.columns else pl.lit(None, dtype=pl.Boolean)
    return out.with_columns(
        pl.col("account").is_in(known_names.implode()).fill_null(False).alias("account.known"),
        pl.when(pl.col("event.dataset").fill_null("").str.contains(SYSTEM_DATASET))
        .then(pl.lit("system"))
        .otherwise(pl.lit("app"))
        .alias("realm"),
        method.str.to_lowercase().alias("auth.method"),
        # an API login (basic, token) never has a screen; a form login without one ran no browser script
        (
            (screen == False)  # noqa: E712  (null: the application does not record screens)
            & (pl.col("event.action") == "login")
            & ~method.str.to_lowercase().is_in(API_METHODS).fill_null(False)
        )
        .fill_null(False)
        .alias("auth.no_screen"),
    )
