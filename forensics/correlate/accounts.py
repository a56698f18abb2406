"""Per-account verdicts: signals from findings -> score -> compromised / suspicious / normal.

Each finding that concerns an account may carry a *signal* with a weight
(``thresholds.SIGNAL_WEIGHTS``).  Per account, the strongest finding of each signal counts
once, and the signals combine like independent pieces of evidence:
``score = 1 - prod(1 - weight)``.

* ``compromised``: score >= ``compromised_score`` **and** at least one *access* signal of
  weight >= 0.5 (credential attack success, use from an attacker address, Tor, a forged
  internal address, or an account created by a compromised account).  Volume, scripts or
  reconnaissance alone, however large, never make an account compromised: an insider
  is ``suspicious``, and a person decides.
* ``suspicious``: score >= ``suspicious_score``.
* ``normal``: anything else (reasons, if any, are listed).

Two passes: the first gives verdicts from the detectors' findings; the attacker's
addresses follow (campaign sources, plus the addresses named by the findings of
compromised accounts that those accounts had not used before); the second pass adds
``attacker_ip`` (another account used from an attacker address) and ``backdoor_account``
(an account created by a compromised account inside its malicious window), then decides
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from forensics.correlate.context import FLAGGED_LABELS, LOCAL_LABELS, Context
from forensics.correlate.detectors._util import rows, span
from forensics.correlate.thresholds import ACCESS_SIGNALS, SIGNAL_WEIGHTS
from forensics.finding_text import msg
from forensics.findings import Finding, sort_ips

CAMPAIGN_DETECTORS = ("spray", "brute_force", "stuffing")
#: Signals whose findings name attacker addresses once the account is compromised.
ATTACKER_IP_SIGNALS = (
    "credential_attack_success",
    "anonymiser_tor",
    "anonymiser_proxy",
    "spoofed_identity",
    "reconnaissance",
    "bulk_collection",
    "persistence",
    "scripted_client",
    "large_db_reads",
    "attacker_ip",
)


_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def _rank(f: Finding) -> tuple[float, datetime]:
    first = f.first_seen if f.first_seen is not None else _FAR
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return (-(f.weight or 0.0), first)


@dataclass
class AccountState:
    """Signals and verdict of one account (built in two passes)."""

    account: str
    signals: dict[str, Finding] = field(default_factory=dict)
    score: float = 0.0
    verdict: str = "normal"
    first_malicious: datetime | None = None
    last_malicious: datetime | None = None
    source_ips: list[str] = field(default_factory=list)
    created_by: str | None = None
    #: The web sessions that carry the signals of a suspicious account (what its exfiltration
    #: estimate counts); empty when its findings name none (then the window is the scope).
    scope_sessions: list[str] = field(default_factory=list)
    #: The application sessions that carry them, when the findings name them (narrower: two
    #: sessions of one account on one desk share a web session).
    scope_app_sessions: list[str] = field(default_factory=list)

    def add(self, f: Finding) -> None:
        """Keep the strongest finding per signal (ties: the earliest)."""
        if not f.signal or f.weight is None or f.weight <= 0:
            return
        cur = self.signals.get(f.signal)
        if cur is None or _rank(f) < _rank(cur):
            self.signals[f.signal] = f

    def decide(self, compromised: float, suspicious: float) -> None:
        prod = 1.0
        for f in self.signals.values():
            prod *= 1.0 - float(f.weight or 0)
        self.score = round(1.0 - prod, 4)
        access = any(s in ACCESS_SIGNALS and (f.weight or 0) >= 0.5 for s, f in self.signals.items())
        if self.score >= compromised and access:
            self.verdict = "compromised"
        elif self.score >= suspicious:
            self.verdict = "suspicious"
        else:
            self.verdict = "normal"


@dataclass
class Decision:
    """Everything the verdict step concludes."""

    accounts: dict[str, AccountState]
    attacker_ips: list[str]
    spoofed_ips: list[str]
    created_accounts: list[str]
    attack_first: datetime | None
    attack_last: datetime | None
    attack_basis: str | None
    extra: list[Finding]


def _states(findings: list[Finding], t: Any) -> dict[str, AccountState]:
    states: dict[str, AccountState] = {}
    for f in findings:
        if f.account and f.signal:
            states.setdefault(f.account, AccountState(f.account)).add(f)
    for s in states.values():
        s.decide(t.compromised_score, t.suspicious_score)
    return states


def _compromise_start(s: AccountState) -> datetime | None:
    times = [
        f.first_seen
        for sig, f in s.signals.items()
        if sig in ACCESS_SIGNALS and f.first_seen and (f.weight or 0) >= 0.5
    ]
    return min(times) if times else None


def _used_ips(ctx: Context, account: str, before: datetime | None = None) -> pl.DataFrame:
    """Addresses an account was used from (successful logins, attributed requests), with first use."""
    web = ctx.web.filter(pl.col("account") == account).select(pl.col("source.ip").alias("ip"), "@timestamp")
    app = ctx.app.filter(
        (pl.col("account") == account)
        & (pl.col("event.action") != "login_failed")
        & pl.col("client.ip").is_not_null()
        & (pl.col("client.basis") != "application")
    ).select(pl.col("client.ip").alias("ip"), "@timestamp")
    allx = pl.concat([web, app]).drop_nulls("ip")
    if before is not None:
        allx = allx.filter(pl.col("@timestamp") < before)
    return allx.group_by("ip").agg(pl.col("@timestamp").min().alias("first"))


def attacker_addresses(ctx: Context, findings: list[Finding], states: dict[str, AccountState]) -> list[str]:
    """Campaign sources, plus new addresses named by the findings of compromised accounts.

    An address counts for a compromised account when one of its attack findings names it
    and the account had not been used from it before the compromise started.  Internal
    addresses need more than novelty: they count only as campaign sources or when labelled
    as anonymisers.  Forged X-Forwarded-For claims are never attacker addresses (the
    findings name the proxy-observed client).
    """
    ips: set[str] = set()
    for f in findings:
        if f.detector in CAMPAIGN_DETECTORS:
            ips.update(f.details.get("campaign_ips", []))
    labels = dict(zip(ctx.ip_info.get_column("ip").to_list(), ctx.ip_info.get_column("ip.label").to_list()))
    for acc, s in states.items():
        if s.verdict != "compromised":
            continue
        start = _compromise_start(s)
        baseline = (
            set(
                _used_ips(ctx, acc, before=(start - timedelta(seconds=ctx.tol)) if start else None)
                .get_column("ip")
                .to_list()
            )
            if start
            else set()
        )
        for f in findings:
            # the sessions that carry a signal of use by someone else name the attacker too
            if f.account != acc or (f.signal not in ATTACKER_IP_SIGNALS and f.signal not in ACCESS_SIGNALS):
                continue
            for ip in f.ips:
                label = labels.get(ip) or ""
                if ip in baseline:
                    continue
                if label in LOCAL_LABELS and label not in FLAGGED_LABELS and ip not in ips:
                    continue
                ips.add(ip)
    return sort_ips(ips)


def _pivot(ctx: Context, attacker: list[str], states: dict[str, AccountState]) -> list[Finding]:
    """Other accounts used (successfully) from attacker addresses: signal ``attacker_ip``."""
    if not attacker:
        return []
    web = ctx.web.filter(pl.col("account").is_not_null() & pl.col("source.ip").is_in(attacker)).select(
        "_row", "@timestamp", "account", pl.col("source.ip").alias("ip")
    )
    app = ctx.app.filter(
        pl.col("account").is_not_null()
        & (pl.col("event.action") != "login_failed")
        & pl.col("client.ip").is_in(attacker)
        & (pl.col("client.basis") != "application")
    ).select("_row", "@timestamp", "account", pl.col("client.ip").alias("ip"))
    used = pl.concat([web, app])
    out = []
    for acc in sorted(used.get_column("account").unique().to_list()):
        s = states.get(acc)
        if s and s.verdict == "compromised" and "attacker_ip" not in s.signals:
            # already compromised on its own evidence: the addresses came from it
            if _compromise_start(s) is not None:
                continue
        g = used.filter(pl.col("account") == acc)
        first, last = span(g)
        ipl = sort_ips(g.get_column("ip").unique().to_list())
        out.append(
            Finding(
                detector="attacker_ip",
                title=msg("attacker_ip.title", account=acc, ips=ipl),
                techniques=["T1078"],
                basis="inferred",
                reason=msg("attacker_ip.reason", events=g.height, account=acc, ips=ipl),
                account=acc,
                ips=ipl,
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                signal="attacker_ip",
                weight=SIGNAL_WEIGHTS["attacker_ip"],
            )
        )
    return out


def _backdoors(ctx: Context, findings: list[Finding], states: dict[str, AccountState]) -> list[Finding]:
    """Accounts created (and changes made) by a compromised account after its compromise started."""
    out = []
    app_rows = ctx.app.select("_row", "@timestamp", "object.id", "client.ip")
    for f in findings:
        if f.detector != "persistence" or not f.account:
            continue
        s = states.get(f.account)
        if not s or s.verdict != "compromised":
            continue
        start = _compromise_start(s)
        if start is None:
            continue
        change_rows = f.details.get("change_rows", [])
        after = app_rows.filter(
            pl.col("_row").is_in(change_rows) & (pl.col("@timestamp") >= start - timedelta(seconds=ctx.tol))
        )
        if after.height == 0:
            continue
        if f.signal != "persistence":
            f.signal, f.weight = "persistence", SIGNAL_WEIGHTS["persistence"]
            f.add_reason(msg("persistence.by_attacker", account=f.account))
            f.basis = "inferred"
        # only the accounts created from the compromise on: an administrator's earlier, planned
        # creation of a new hire is not the attacker's
        cutoff = start - timedelta(seconds=ctx.tol)
        made = [x for _row, x, ts in f.details.get("created_rows", []) if ts is not None and ts >= cutoff]
        for created in sorted(set(made)):
            first = after.get_column("@timestamp").min()
            out.append(
                Finding(
                    detector="backdoor",
                    title=msg("backdoor.title", created=created, creator=f.account),
                    techniques=["T1136.001", "T1098"],
                    basis="inferred",
                    reason=msg("backdoor.reason", created=created, creator=f.account, time=first, since=start),
                    account=created,
                    ips=list(f.ips),
                    first_seen=first,
                    last_seen=after.get_column("@timestamp").max(),
                    event_count=after.height,
                    rows=after.get_column("_row").to_list(),
                    signal="backdoor_account",
                    weight=SIGNAL_WEIGHTS["backdoor_account"],
                    details={"created_by": f.account},
                )
            )
    return out


def _malicious_window(
    ctx: Context, acc: str, s: AccountState, attacker: list[str]
) -> tuple[datetime | None, datetime | None, list[str]]:
    """First/last attacker use of a compromised account and the addresses it came from."""
    times: list[datetime] = []
    ips: set[str] = set()
    if attacker:
        web = ctx.web.filter((pl.col("account") == acc) & pl.col("source.ip").is_in(attacker))
        app = ctx.app.filter(
            (pl.col("account") == acc)
            & (pl.col("event.action") != "login_failed")
            & pl.col("client.ip").is_in(attacker)
            & ~pl.col("time.rounded")
        )
        for df, col in ((web, "source.ip"), (app, "client.ip")):
            if df.height:
                times += [df.get_column("@timestamp").min(), df.get_column("@timestamp").max()]
                ips.update(df.get_column(col).unique().to_list())
    for sig, f in s.signals.items():
        if sig == "credential_attack_success" and f.first_seen:
            times += [t for t in (f.first_seen, f.last_seen) if t]
            ips.update(i for i in f.ips if i in attacker)
    # persistence and backdoors count only from the attacker's first use on: the account's own
    # history (a password set years before, at creation) is not the attacker's doing
    start = min(times) if times else None
    for sig, f in s.signals.items():
        if sig in ("backdoor_account", "persistence") and f.first_seen:
            times += [t for t in (f.first_seen, f.last_seen) if t and (start is None or t >= start)]
            if sig != "backdoor_account":
                ips.update(i for i in f.ips if i in attacker)
    if not times:
        return None, None, []
    return min(times), max(times), sort_ips(ips)


def decide(ctx: Context, findings: list[Finding]) -> Decision:
    """Two-pass verdicts, attacker addresses, backdoors and the attack window."""
    t = ctx.thresholds
    states = _states(findings, t)
    attacker = attacker_addresses(ctx, findings, states)
    extra = _pivot(ctx, attacker, states) + _backdoors(ctx, findings, states)
    states = _states(findings + extra, t)
    attacker = attacker_addresses(ctx, findings + extra, states)
    for acc in ctx.accounts_requested:
        states.setdefault(acc, AccountState(acc))
    for acc, s in states.items():
        if s.verdict == "compromised":
            s.first_malicious, s.last_malicious, s.source_ips = _malicious_window(ctx, acc, s, attacker)
            b = s.signals.get("backdoor_account")
            if b is not None:
                s.created_by = b.details.get("created_by")
        elif s.signals and s.verdict == "suspicious":
            fs = [f for f in s.signals.values() if f.first_seen]
            s.first_malicious = min((f.first_seen for f in fs), default=None)
            s.last_malicious = max((f.last_seen or f.first_seen for f in fs), default=None)
            s.source_ips = sort_ips({ip for f in s.signals.values() for ip in f.ips})
            s.scope_sessions = sorted({x for f in s.signals.values() for x in f.sessions if x})
            s.scope_app_sessions = sorted({x for f in s.signals.values() for x in f.details.get("app_sessions", [])})
    created = sorted({f.account for f in extra if f.detector == "backdoor" and f.account})
    spoofed = sort_ips(
        {
            f.details.get("claimed_ip")
            for f in findings
            if f.detector == "xff_spoof" and f.details.get("claimed_internal")
        }
    )
    # attack window: attacker addresses (any event) and compromised accounts
    times: list[datetime] = []
    if attacker:
        for df, col in (
            (ctx.web, "source.ip"),
            (ctx.app.filter(~pl.col("time.rounded") & (pl.col("client.basis") != "application")), "client.ip"),
        ):
            hit = df.filter(pl.col(col).is_in(attacker))
            if hit.height:
                times += [hit.get_column("@timestamp").min(), hit.get_column("@timestamp").max()]
    for s in states.values():
        if s.verdict == "compromised":
            times += [x for x in (s.first_malicious, s.last_malicious) if x]
    basis = "compromise" if times else None
    if not times:
        for s in states.values():
            if s.verdict == "suspicious":
                times += [x for x in (s.first_malicious, s.last_malicious) if x]
        basis = "suspicion" if times else None
    first, last = (min(times), max(times)) if times else (None, None)
    return Decision(
        accounts=states,
        attacker_ips=attacker,
        spoofed_ips=spoofed,
        created_accounts=created,
        attack_first=first,
        attack_last=last,
        attack_basis=basis,
        extra=extra,
    )


def account_profiles(ctx: Context, decision: Decision) -> pl.DataFrame:
    """One row per account seen: logins, failures, addresses, user agents, sessions, verdict, score."""
    # lazily: only the columns aggregated are filtered, not every column of the application frame
    prof = (
        ctx.app.lazy()
        .filter(pl.col("account").is_not_null())
        .group_by("account")
        .agg(
            pl.col("realm").first(),
            pl.col("user.id").drop_nulls().first().alias("user_id"),
            (pl.col("event.action") == "login").sum().alias("logins"),
            (pl.col("event.action") == "login_failed").sum().alias("failures"),
            pl.col("@timestamp").min().alias("first_seen"),
            pl.col("@timestamp").max().alias("last_seen"),
            pl.col("client.ip").drop_nulls().n_unique().alias("addresses"),
            pl.col("session.app").drop_nulls().n_unique().alias("app_sessions"),
            pl.col("account.known").any().alias("exists"),
        )
        .collect()
    )
    ws = ctx.web_sessions
    if ws.height and "account" in ws.columns:
        # from the session table (already aggregated): a session counts for its main account
        w = (
            ws.filter(pl.col("account").is_not_null())
            .group_by("account")
            .agg(
                pl.col("events").sum().alias("web_requests"),
                pl.len().alias("web_sessions"),
                pl.col("bytes").sum().alias("web_bytes"),
                pl.col("user_agents")
                .list.explode(keep_nulls=False, empty_as_null=False)
                .n_unique()
                .alias("user_agents"),
            )
        )
        prof = prof.join(w, on="account", how="full", coalesce=True)
    verdicts = pl.DataFrame(
        {
            "account": list(decision.accounts),
            "verdict": [s.verdict for s in decision.accounts.values()],
            "score": [s.score for s in decision.accounts.values()],
        },
        schema={"account": pl.String, "verdict": pl.String, "score": pl.Float64},
    )
    prof = prof.join(verdicts, on="account", how="full", coalesce=True)
    return prof.with_columns(pl.col("verdict").fill_null("normal"), pl.col("score").fill_null(0.0)).sort(
        ["score", "account"], descending=[True, False]
    )
