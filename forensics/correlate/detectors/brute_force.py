"""Brute force (T1110.001): one account, many failures in a short time.

Rule: at least ``brute_min_failures`` failures on one account within ``brute_window``,
not counting failures from an address that had already logged in successfully to that
same account (the owner mistyping their own password).  When no audit trail records
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
        "brute.web.title": "Burst of failed logins from {ip:ip} (web logs)",
        "brute.web.reason": "{events:num} login requests from {ip:ip} were refused (HTTP 401/403) within {minutes:g} minutes; no audit trail names the accounts tried. Rule: at least {min_failures} refused login requests from one address within the window.",
    },
    "fr": {
        "brute.title": "Force brute contre {account}",
        "brute.reason": "{events:num} échecs de connexion sur {account} depuis {ips:ips} entre {first:time} et {last:clock}. Règle : au moins {min_failures:num} échecs sur un même compte en {minutes:g} minutes, depuis une adresse qui ne s'y était jamais connectée.",
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
