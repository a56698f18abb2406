"""A successful login that completes a credential attack (T1078 after T1110).

Rules:

* **campaign success**: a successful login from an address of a spraying, brute-force or
  stuffing campaign, between the campaign's first failure and ``campaign_success_window``
  after its last, unless that address had already logged in to that account before the
  campaign started.  For stuffing, a login during the campaign window from a new external
  address to one of the targeted accounts also counts (a stuffed pair often works on the
  first try).  Signal ``credential_attack_success``.
* **success after own failures**: at least 3 failures on an account from one address,
  then a successful login from that address within ``brute_window``, when that address
  had never logged in to the account before.  Signal ``success_after_failures``, technique
  T1110 only: three typos on a new device look the same, so this alone never says T1078.  A user
  who mistypes on their usual workstation does not match (the address is known), nor
  does one who mistypes on a colleague's desk: an internal address where some account
  had logged in before the failures, used with a browser (user agent) this account had
  logged in with before, for the failures and the success alike.  A lockout followed by
  an unlock is what the owner's typos look like; it is not evidence of compromise.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, LOCAL_LABELS, Context
from forensics.correlate.detectors._util import by_detector, rows, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "success_after_failures"
ORDER = 40
TECHNIQUES: tuple[str, ...] = ("T1078", "T1110", "T1110.001", "T1110.003", "T1110.004")
SIGNALS: dict[str, float] = {"credential_attack_success": 0.9, "success_after_failures": 0.4}
ACCESS_SIGNALS: tuple[str, ...] = ("credential_attack_success",)
BASELINE = "own_history+campaign"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "campaign.spray": "password spray",
        "campaign.brute_force": "brute force",
        "campaign.stuffing": "credential stuffing",
        "saf.campaign.title": "Successful login to {account} from the {kind:msg} ({ip:ip})",
        "saf.campaign.reason": "{account} logged in successfully at {time:time} from {ips:join:, }, {relation:msg} the {kind:msg} campaign{campaign:msg} ({failures:num} failures, {targets:num} accounts targeted, {before:num} on {account} before the success); the address had not logged in to {account} before the campaign. The password was most likely obtained by the {kind:msg}.",
        "saf.relation.address": "an address of",
        "saf.relation.during": "during",
        "saf.campaign_id": " {id}",
        "saf.title": "Login to {account} after {failures} failures from a new address",
        "saf.reason": "{failures} failed logins on {account} from {ip:ip}, then a success at {time:time} from the same address, which had never logged in to {account} before. Rule: at least 3 failures then a success within {minutes:g} minutes from an address new for the account.",
    },
    "fr": {
        "campaign.spray": "pulvérisation de mots de passe",
        "campaign.brute_force": "force brute",
        "campaign.stuffing": "bourrage d'identifiants",
        "saf.campaign.title": "Connexion réussie à {account} depuis l'attaque par {kind:msg} ({ip:ip})",
        "saf.campaign.reason": "{account} s'est connecté avec succès le {time:time} depuis {ips:ips:99}, {relation:msg} l'attaque par {kind:msg}{campaign:msg} ({failures:num} échecs, {targets:num} comptes visés, dont {before:num} sur {account} avant la réussite) ; cette adresse ne s'était jamais connectée à {account} avant l'attaque. Le mot de passe a très probablement été obtenu par cette attaque.",
        "saf.relation.address": "une adresse de",
        "saf.relation.during": "pendant",
        "saf.campaign_id": " {id}",
        "saf.title": "Connexion à {account} après {failures:num} échecs depuis une nouvelle adresse",
        "saf.reason": "{failures:num} échecs de connexion sur {account} depuis {ip:ip}, puis une réussite le {time:time} depuis la même adresse, qui ne s'était jamais connectée à {account}. Règle : au moins 3 échecs puis une réussite en {minutes:g} minutes depuis une adresse nouvelle pour le compte.",
    },
}
CAMPAIGNS = ("spray", "brute_force", "stuffing")


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    logins = ctx.logins().filter(pl.col("client.ip").is_not_null())
    if logins.height == 0:
        return []
    known = ctx.first_success_by_account_ip()
    out: list[Finding] = []
    claimed: set[int] = set()
    for camp in by_detector(prior, *CAMPAIGNS):
        cips = camp.details.get("campaign_ips", [])
        targets = set(camp.details.get("targeted_accounts", []))
        lo = camp.first_seen
        hi = camp.last_seen + timedelta(seconds=t.campaign_success_window)
        in_time = (pl.col("@timestamp") >= lo) & (pl.col("@timestamp") <= hi)
        cond = pl.col("client.ip").is_in(cips)
        if camp.detector == "stuffing":
            cond = cond | (
                pl.col("account").is_in(sorted(targets))
                & ~pl.col("client.ip.label").fill_null("").is_in(list(LOCAL_LABELS))
                & (pl.col("@timestamp") <= camp.last_seen + timedelta(seconds=t.stuffing_window))
            )
        hits = logins.filter(in_time & cond)
        if hits.height == 0:
            continue
        hits = hits.join(known.rename({"_first_ok": "_known_since"}), on=["account", "client.ip"], how="left").filter(
            ~(pl.col("_known_since") < lo).fill_null(False)
        )
        for account in sorted(hits.get_column("account").unique().to_list()):
            h = hits.filter(pl.col("account") == account).sort("@timestamp")
            claimed.update(h.get_column("_row").to_list())
            ipl = sort_ips(h.get_column("client.ip").unique().to_list())
            first, last = span(h)
            kind = msg(f"campaign.{camp.detector}")
            tried = camp.details.get("targeted_accounts", [])
            fails = ctx.failures().filter(
                (pl.col("account") == account) & pl.col("client.ip").is_in(cips) & (pl.col("@timestamp") <= first)
            )
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("saf.campaign.title", account=account, kind=kind, ip=ipl[0]),
                    techniques=["T1078", *camp.techniques],
                    basis="inferred",
                    reason=msg(
                        "saf.campaign.reason",
                        account=account,
                        time=first,
                        ips=ipl,
                        relation=msg("saf.relation.address" if set(ipl) & set(cips) else "saf.relation.during"),
                        kind=kind,
                        campaign=msg("saf.campaign_id", id=camp.id) if camp.id else "",
                        failures=camp.event_count,
                        targets=len(tried),
                        before=fails.height,
                    ),
                    account=account,
                    ips=ipl,
                    first_seen=first,
                    last_seen=last,
                    event_count=h.height + fails.height,
                    rows=rows(h, "_row", "web.row") + rows(fails, "_row", "web.row"),
                    signal="credential_attack_success",
                    weight=SIGNAL_WEIGHTS["credential_attack_success"],
                    details={
                        "campaign": camp.id,
                        "campaign_detector": camp.detector,
                        "login_rows": h.get_column("_row").to_list(),
                    },
                )
            )
    # success after failures on the same account from a new address (no campaign)
    f = ctx.failures().filter(pl.col("account").is_not_null() & pl.col("client.ip").is_not_null())
    if f.height:
        cand = logins.filter(~pl.col("_row").is_in(sorted(claimed)))
        pairs = cand.join(known.rename({"_first_ok": "_known_since"}), on=["account", "client.ip"], how="left").filter(
            pl.col("_known_since") >= pl.col("@timestamp")
        )
        joined = pairs.select(
            "_row", "web.row", "account", "client.ip", "client.ip.label", "ua", pl.col("@timestamp").alias("_ok")
        ).join(
            f.select(
                pl.col("_row").alias("_frow"),
                pl.col("web.row").alias("_fweb"),
                pl.col("ua").alias("_fua"),
                "account",
                "client.ip",
                "@timestamp",
            ),
            on=["account", "client.ip"],
        )
        joined = joined.filter(
            (pl.col("@timestamp") < pl.col("_ok"))
            & (pl.col("@timestamp") >= pl.col("_ok") - pl.duration(seconds=int(t.brute_window)))
        )
        counted = joined.group_by("_row", "web.row", "account", "client.ip", "client.ip.label", "ua", "_ok").agg(
            pl.len().alias("_n"),
            pl.col("_frow"),
            pl.col("_fweb"),
            pl.col("_fua").drop_nulls().unique().alias("_fuas"),
            pl.col("@timestamp").min().alias("_ff"),
        )
        counted = counted.filter(pl.col("_n") >= 3)
        counted = counted.filter(~_owner_at_a_known_desk(ctx, counted, logins))
        for r in counted.sort("_ok").to_dicts():
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("saf.title", account=r["account"], failures=r["_n"]),
                    # a few typos then a success is also what the owner on a new device looks
                    # like: it is an attempt on the password (T1110), not proof that someone
                    # else used the account (T1078 needs a campaign or other access evidence)
                    techniques=["T1110"],
                    basis="inferred",
                    reason=msg(
                        "saf.reason",
                        failures=r["_n"],
                        account=r["account"],
                        ip=r["client.ip"],
                        time=r["_ok"],
                        minutes=t.brute_window / 60,
                    ),
                    account=r["account"],
                    ips=[r["client.ip"]],
                    first_seen=r["_ff"],
                    last_seen=r["_ok"],
                    event_count=r["_n"] + 1,
                    rows=sorted({r["_row"], *(x for x in [r["web.row"], *r["_frow"], *r["_fweb"]] if x is not None)}),
                    signal="success_after_failures",
                    weight=SIGNAL_WEIGHTS["success_after_failures"],
                )
            )
    return out


def _owner_at_a_known_desk(ctx: Context, counted: pl.DataFrame, logins: pl.DataFrame) -> pl.Series:
    """True where failures then success look like the owner mistyping on an organisation desk.

    The address is internal (not an anonymiser), some account had logged in from it before
    the first failure (a known workstation: wards share desks), and the user agent of the
    success, and of every failure whose request was matched, is one this account had logged
    in with before the first failure.  A missing user agent proves nothing: it does not count
    as familiar.
    """
    if counted.height == 0:
        return pl.Series("_owner", [], dtype=pl.Boolean)
    label = pl.col("client.ip.label").fill_null("")
    local = label.is_in(list(LOCAL_LABELS)) & ~label.is_in(list(FLAGGED_LABELS))
    seen_ip = (
        counted.select("client.ip", "_ff")
        .join(ctx.first_success_by_ip(), on="client.ip", how="left", maintain_order="left")
        .select((pl.col("_first_ok") < pl.col("_ff")).fill_null(False))
        .to_series()
    )
    uas = (
        counted.select("account", "_ff")
        .join(logins.select("account", "@timestamp", "ua").drop_nulls("ua"), on="account", how="left")
        .filter(pl.col("@timestamp") < pl.col("_ff"))
        .group_by("account", "_ff")
        .agg(pl.col("ua").unique().alias("_uas"))
    )
    own_ua = (
        counted.join(uas, on=["account", "_ff"], how="left", maintain_order="left")
        .with_columns(pl.col("_uas").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .select(
            pl.col("ua").is_not_null()
            & pl.col("_uas").list.contains(pl.col("ua")).fill_null(False)
            & (pl.col("_fuas").list.set_difference(pl.col("_uas")).list.len() == 0)
        )
        .to_series()
    )
    return (counted.select(local).to_series() & seen_ip & own_ua).alias("_owner")
