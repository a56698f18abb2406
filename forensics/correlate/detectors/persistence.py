"""Persistence by an account: accounts created, permissions or passwords changed (T1136.001, T1098).

Every such audit row is listed per actor (basis ``observed``: the audit trail says it).
The ``persistence`` signal is given when a change was made from an unusual source for the
actor: an anonymiser or hosting network, or an address that had never logged in to the
actor's account before.  The verdict step adds that a change made by a compromised
account inside its malicious window is persistence, and that the accounts it created are
backdoors.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "persistence"
ORDER = 120
TECHNIQUES: tuple[str, ...] = ("T1136.001", "T1098")
SIGNALS: dict[str, float] = {"persistence": 0.5}
BASELINE = "observed+own_history"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "persistence.title": "{actor:msg} {parts:msgs:, }",
        "persistence.reason": "The audit trail records that {actor:msg} {parts:msgs:; } between {first:time} and {last:time}{source:msg}{end:msg}",
        "persistence.unknown_actor": "Unknown actor",
        "persistence.unknown_actor.lower": "an unknown actor",
        "persistence.created": "created {n} account(s): {accounts:list}",
        "persistence.permissions": "changed permissions {n:num} time(s)",
        "persistence.passwords": "changed passwords {n:num} time(s)",
        "persistence.from": " from {ips:ips}",
        "persistence.end.flagged": ", from a source unusual for this account (anonymiser, or an address that had never logged in to it).",
        "persistence.end": ".",
        "persistence.by_attacker": "{account} was compromised at that time: this is persistence by the attacker.",
    },
    "fr": {
        "persistence.title": "{actor:msg} a {parts:msgs:, }",
        "persistence.reason": "Le journal d'audit enregistre que {actor:msg} a {parts:msgs: ; } entre {first:time} et {last:time}{source:msg}{end:msg}",
        "persistence.unknown_actor": "Auteur inconnu",
        "persistence.unknown_actor.lower": "un auteur inconnu",
        "persistence.created": "créé {n:num} {n:plural:compte|comptes} : {accounts:list}",
        "persistence.permissions": "modifié des droits {n:num} fois",
        "persistence.passwords": "changé de mot de passe {n:num} fois",
        "persistence.from": " depuis {ips:ips}",
        "persistence.end.flagged": ", depuis une source inhabituelle pour ce compte (anonymiseur, ou adresse qui ne s'y était jamais connectée).",
        "persistence.end": ".",
        "persistence.by_attacker": "{account} était alors compromis : il s'agit d'une persistance installée par l'attaquant.",
    },
}
ACCOUNT_CLASSES = ("CUser", "CMediusers", "User", "user", "users")
PERM_CLASSES = ("CPermModule", "CPermObject", "CPermission", "Permission")


def changes(ctx: Context) -> pl.DataFrame:
    """Account/permission/password changes with ``change`` (created, permission, password) and ``target``."""
    a = ctx.app
    otype = pl.col("object.type").fill_null("")
    created = (pl.col("event.action") == "account_created") | (
        (pl.col("event.action") == "record_create") & otype.is_in(list(ACCOUNT_CLASSES))
    )
    perm = (pl.col("event.action") == "permission_changed") | (
        pl.col("event.action").is_in(["record_create", "record_update", "record_delete"])
        & otype.is_in(list(PERM_CLASSES))
    )
    pwd = pl.col("event.action") == "password_changed"
    ch = a.filter(created | perm | pwd)
    if ctx.web.height:
        # a change dated before the activity logs begin is state read from a table dump (the
        # date an account's password was last set, years ago), not activity in the case
        start = ctx.web.get_column("@timestamp").min() - timedelta(days=1)
        ch = ch.filter(pl.col("@timestamp") >= start)
    ch = ch.with_columns(
        pl.when(created)
        .then(pl.lit("created"))
        .when(perm)
        .then(pl.lit("permission"))
        .otherwise(pl.lit("password"))
        .alias("change")
    )
    if ch.height == 0:
        return ch.with_columns(pl.lit(None, dtype=pl.String).alias("target"))
    names = ctx.names.rename({"_name": "_target_name"})
    # the account acted on: the target column (user.target.*, written by the parser or filled by
    # the application profile) first, then the object of an account class
    target_id = pl.coalesce(
        _col(ch, "user.target.id"), pl.when(otype.is_in(list(ACCOUNT_CLASSES))).then(pl.col("object.id"))
    )
    ch = ch.with_columns(target_id.alias("_target_id"))
    ch = ch.join(names, left_on="_target_id", right_on="user.id", how="left", maintain_order="left")
    by_id = pl.when(pl.col("_target_id").is_not_null()).then(
        pl.coalesce(pl.col("_target_name"), pl.concat_str([pl.lit("#"), pl.col("_target_id")]))
    )
    target = pl.coalesce(_col(ch, "user.target.name").str.strip_chars(), by_id)
    return ch.with_columns(target.alias("target")).drop("_target_name", "_target_id")


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=pl.String)


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    ch = changes(ctx)
    if ch.height == 0:
        return []
    ch = ctx.with_ip_labels(ch, "client.ip")
    known = ctx.first_success_by_account_ip()
    ch = ch.join(known, on=["account", "client.ip"], how="left", maintain_order="left")
    new_src = pl.col("client.ip").is_not_null() & ~(
        pl.col("_first_ok") < pl.col("@timestamp") - pl.duration(seconds=int(ctx.tol))
    ).fill_null(False)
    # a password change alone from a new address is the ordinary expiry flow (the change comes
    # before the first login from that desk): only an anonymiser makes it count
    flagged = pl.col("client.ip.label").fill_null("").is_in(list(FLAGGED_LABELS)) | (
        new_src & (pl.col("client.basis") != "application") & (pl.col("change") != "password")
    )
    ch = ch.with_columns(flagged.fill_null(False).alias("_flagged"))
    out = []
    # one finding per actor for its ordinary changes and one for those from an unusual source:
    # an administrator's planned change and an attacker's change under the same account are
    # two different facts, with two different times
    keys = ch.select("account", "_flagged").unique()
    for acc, flag in sorted(keys.iter_rows(), key=lambda k: (k[0] is None, k[0] or "", k[1])):
        g = ch.filter(pl.col("account").eq_missing(acc) & (pl.col("_flagged") == flag))
        created = sorted({x for x in g.filter(pl.col("change") == "created").get_column("target").to_list() if x})
        perms = g.filter(pl.col("change") == "permission").height
        pwds = g.filter(pl.col("change") == "password").height
        flagged_any = bool(g.get_column("_flagged").any())
        ipl = sort_ips(g.get_column("client.ip").drop_nulls().unique().to_list())
        techniques = (["T1136.001"] if created else []) + (["T1098"] if perms or pwds else [])
        first, last = span(g)
        parts = []
        if created:
            parts.append(msg("persistence.created", n=len(created), accounts=created))
        if perms:
            parts.append(msg("persistence.permissions", n=perms))
        if pwds:
            parts.append(msg("persistence.passwords", n=pwds))
        out.append(
            Finding(
                detector=NAME,
                title=msg("persistence.title", actor=acc or msg("persistence.unknown_actor"), parts=parts),
                techniques=techniques,
                basis="observed",
                reason=msg(
                    "persistence.reason",
                    actor=acc or msg("persistence.unknown_actor.lower"),
                    parts=parts,
                    first=first,
                    last=last,
                    source=msg("persistence.from", ips=ipl) if ipl else "",
                    end=msg("persistence.end.flagged" if flagged_any else "persistence.end"),
                ),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row", "web.row"),
                signal="persistence" if (acc and flagged_any) else None,
                weight=SIGNAL_WEIGHTS["persistence"] if (acc and flagged_any) else None,
                details={
                    "created_accounts": created,
                    "permission_changes": perms,
                    "password_changes": pwds,
                    "flagged": flagged_any,
                    "change_rows": g.get_column("_row").to_list(),
                    # which account each creation made, and when (the verdict keeps those made
                    # after a compromise began)
                    "created_rows": [
                        [int(r), str(x), ts]
                        for r, x, ts in g.filter(pl.col("change") == "created")
                        .select("_row", "target", "@timestamp")
                        .iter_rows()
                        if x
                    ],
                },
            )
        )
    return out
