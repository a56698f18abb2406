"""Brute force (T1110.001): one account, many failures in a short time.

Rule: at least ``brute_min_failures`` failures on one account within ``brute_window``,
not counting failures from an address that had already logged in successfully to that
same account (the owner mistyping their own password).

Rule for a guess paced under a lockout (an application that locks an account after a few
failures forces the guesser to spread them over hours, so no short window ever fills):
failures on one account from one address that had never logged in to it, ending with a
successful login from that same address within ``campaign_success_window`` of the first of
them, when those failures span more than ``brute_window`` and number at least
``brute_min_failures`` and more than twice the most failures any other (account, address)
pair of the evidence reached (the account's own other addresses and its peers: what typos
and a forgotten password look like here), and the account's password was not changed in
between (a user who forgot it and had it reset logs in with the new one, not a guessed
one).  The success then completes the attack (see success_after_failures).

When no audit trail records
failed logins, a fallback counts failed login answers in the web logs (POST answered
401/403) per address: ``web_auth_failures_min`` within ``brute_window`` (T1110, no
account named).
"""

from __future__ import annotations

import polars as pl

from forensics.correlate.context import Context
from forensics.correlate.detectors._attempts import attempts
from forensics.correlate.detectors._util import rows, span
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

NAME = "brute_force"
ORDER = 20
TECHNIQUES: tuple[str, ...] = ("T1110.001", "T1110")
SIGNALS: dict[str, float] = {}
BASELINE = "own_history+population"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "brute.title": "Brute force against {account}",
        "brute.reason": "{events:num} failed logins on {account} from {ips:ips} between {first:time} and {last:clock}. Rule: at least {min_failures} failures on one account within {minutes:g} minutes, not from an address that had logged in to it before.",
        "brute.paced.title": "Slow brute force against {account} from {ip:ip}, then a login",
        "brute.paced.reason": "{events:num} failed logins on {account} from {ip:ip} between {first:time} and {last:clock}, then a successful login from the same address at {success:time}; the address had never logged in to {account} before. No other account and address pair in the evidence reached more than {baseline:num} failures (the account's own other addresses and its peers), and the password was not changed in between. Rule: failures spread over more than {minutes:g} minutes, at least {min_failures:num} and more than twice that baseline, ending in a success from the same address.",
        "brute.web.title": "Burst of failed logins from {ip:ip} (web logs)",
        "brute.web.reason": "{events:num} login requests from {ip:ip} were refused (HTTP 401/403) within {minutes:g} minutes; no audit trail names the accounts tried. Rule: at least {min_failures} refused login requests from one address within the window.",
    },
    "fr": {
        "brute.title": "Force brute contre {account}",
        "brute.reason": "{events:num} échecs de connexion sur {account} depuis {ips:ips} entre {first:time} et {last:clock}. Règle : au moins {min_failures:num} échecs sur un même compte en {minutes:g} minutes, depuis une adresse qui ne s'y était jamais connectée.",
        "brute.paced.title": "Force brute lente contre {account} depuis {ip:ip}, puis une connexion",
        "brute.paced.reason": "{events:num} échecs de connexion sur {account} depuis {ip:ip} entre {first:time} et {last:clock}, puis une connexion réussie depuis la même adresse le {success:time} ; cette adresse ne s'était jamais connectée à {account}. Aucune autre paire compte et adresse des traces n'a dépassé {baseline:num} échecs (les autres adresses du compte et ses pairs), et le mot de passe n'a pas été changé entre-temps. Règle : des échecs étalés sur plus de {minutes:g} minutes, au moins {min_failures:num} et plus du double de cette référence, suivis d'une réussite depuis la même adresse.",
        "brute.web.title": "Rafale d'échecs de connexion depuis {ip:ip} (journaux web)",
        "brute.web.reason": "{events:num} demandes de connexion depuis {ip:ip} ont été refusées (HTTP 401/403) en {minutes:g} minutes ; aucun journal d'audit ne nomme les comptes essayés. Règle : au moins {min_failures:num} demandes de connexion refusées depuis une même adresse dans la fenêtre.",
    },
}


def _windows(f: pl.DataFrame, key: str, period_s: float, minimum: int) -> pl.DataFrame:
    """Rows of ``f`` inside any window of ``period_s`` holding at least ``minimum`` rows of one key."""
    f = f.sort(key, "@timestamp")
    counted = f.rolling(index_column="@timestamp", period=f"{int(period_s)}s", group_by=key).agg(
        pl.len().alias("_n"), pl.col("_row").last().alias("_last_row")
    )
    hot = (
        counted.filter(pl.col("_n") >= minimum)
        .group_by(key)
        .agg(
            (pl.col("@timestamp").min() - pl.duration(seconds=int(period_s))).alias("_from"),
            pl.col("@timestamp").max().alias("_to"),
        )
    )
    return f.join(hot, on=key).filter(
        (pl.col("@timestamp") > pl.col("_from")) & (pl.col("@timestamp") <= pl.col("_to"))
    )


def _paced(ctx: Context, new: pl.DataFrame, every: pl.DataFrame) -> list[Finding]:
    """Guesses paced under a lockout: see the module docstring.

    ``new`` holds the failures from addresses that had not logged in to the account before;
    ``every`` all named failures, the baseline of what failures look like in this evidence.
    """
    t = ctx.thresholds
    if new.height == 0:
        return []
    logins = ctx.logins().filter(pl.col("client.ip").is_not_null())
    ok = (
        new.select("account", "client.ip", pl.col("@timestamp").alias("_fail"))
        .join(logins.select("account", "client.ip", pl.col("@timestamp").alias("_ok")), on=["account", "client.ip"])
        .filter(pl.col("_ok") > pl.col("_fail"))
        .group_by("account", "client.ip")
        .agg(pl.col("_ok").min())
    )
    if ok.height == 0:
        return []
    pairs = every.filter(pl.col("account").is_not_null()).group_by("account", "client.ip").agg(pl.len().alias("_n"))
    changes = ctx.app.filter(pl.col("event.action") == "password_changed")
    changed = pl.concat(
        [
            changes.select(pl.col("account"), "@timestamp"),
            changes.select(pl.col("user.target.name").alias("account"), "@timestamp"),
        ]
    ).drop_nulls()
    out: list[Finding] = []
    for account, ip, success in ok.sort("account", "client.ip").iter_rows():
        g = new.filter(
            (pl.col("account") == account)
            & (pl.col("client.ip") == ip)
            & (pl.col("@timestamp") < success)
            & (pl.col("@timestamp") >= success - pl.duration(seconds=int(t.campaign_success_window)))
        ).sort("@timestamp")
        if g.height < t.brute_min_failures:
            continue
        lo, hi = g.get_column("@timestamp").min(), g.get_column("@timestamp").max()
        if (hi - lo).total_seconds() <= t.brute_window:
            continue
        others = pairs.filter((pl.col("account") != account) | (pl.col("client.ip") != ip)).get_column("_n")
        baseline = int(others.max() or 0)
        if g.height <= 2 * baseline:
            continue
        reset = changed.filter(
            (pl.col("account") == account) & (pl.col("@timestamp") >= lo) & (pl.col("@timestamp") <= success)
        )
        if reset.height:
            continue
        first, last = span(g, "@timestamp", "web.ts")
        out.append(
            Finding(
                detector=NAME,
                title=msg("brute.paced.title", account=account, ip=ip),
                techniques=["T1110.001"],
                basis="derived",
                reason=msg(
                    "brute.paced.reason",
                    events=g.height,
                    account=account,
                    ip=ip,
                    first=first,
                    last=last,
                    success=success,
                    baseline=baseline,
                    min_failures=t.brute_min_failures,
                    minutes=t.brute_window / 60,
                ),
                accounts=[account],
                ips=[ip],
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row", "web.row"),
                details={
                    "campaign_ips": [ip],
                    "targeted_accounts": [account],
                    "attempts": g.height,
                    "paced": True,
                    "baseline_failures": baseline,
                },
            )
        )
    return out


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    f = attempts(ctx)
    if f.height == 0:
        return []
    out: list[Finding] = []
    named = f.filter(pl.col("account").is_not_null())
    if named.height:
        own = ctx.first_success_by_account_ip()
        named = named.join(own, on=["account", "client.ip"], how="left", maintain_order="left").filter(
            ~(pl.col("_first_ok") < pl.col("@timestamp")).fill_null(False)
        )
        hot = _windows(named, "account", t.brute_window, t.brute_min_failures)
        for account in sorted(hot.get_column("account").unique().to_list()):
            g = hot.filter(pl.col("account") == account)
            ipl = sort_ips(g.get_column("client.ip").unique().to_list())
            first, last = span(g, "@timestamp", "web.ts")
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("brute.title", account=account),
                    techniques=["T1110.001"],
                    basis="derived",
                    reason=msg(
                        "brute.reason",
                        events=g.height,
                        account=account,
                        ips=ipl,
                        first=first,
                        last=last,
                        min_failures=t.brute_min_failures,
                        minutes=t.brute_window / 60,
                    ),
                    account=None,
                    accounts=[account],
                    ips=ipl,
                    first_seen=first,
                    last_seen=last,
                    event_count=g.height,
                    rows=rows(g, "_row", "web.row"),
                    details={"campaign_ips": ipl, "targeted_accounts": [account], "attempts": g.height},
                )
            )
        done = {a for fd in out for a in fd.accounts}
        out.extend(_paced(ctx, named.filter(~pl.col("account").is_in(sorted(done))), f))
    anon = f.filter(pl.col("account").is_null())
    if anon.height:
        hot = _windows(anon, "client.ip", t.brute_window, t.web_auth_failures_min)
        for ip in sort_ips(hot.get_column("client.ip").unique().to_list()):
            g = hot.filter(pl.col("client.ip") == ip)
            first, last = span(g, "@timestamp", "web.ts")
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("brute.web.title", ip=ip),
                    techniques=["T1110"],
                    basis="derived",
                    reason=msg(
                        "brute.web.reason",
                        events=g.height,
                        ip=ip,
                        minutes=t.brute_window / 60,
                        min_failures=t.web_auth_failures_min,
                    ),
                    ips=[ip],
                    first_seen=first,
                    last_seen=last,
                    event_count=g.height,
                    rows=rows(g, "_row", "web.row"),
                    details={"campaign_ips": [ip], "targeted_accounts": [], "attempts": g.height},
                )
            )
    return out
