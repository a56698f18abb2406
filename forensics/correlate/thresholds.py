"""Every number correlation decides with, in one place.

An investigator who has to explain a verdict in court needs to say which rule fired and
with which threshold.  Each field below is one such number; ``docs/correlation.md`` quotes
them.  Pass a modified copy (``dataclasses.replace(DEFAULT, spray_min_accounts=20)``) to
``correlate(..., thresholds=...)`` to test how sensitive a conclusion is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Numbers behind every session split, link, detector and verdict (seconds unless named)."""

    # -- sessions -------------------------------------------------------------------
    #: A web session (client IP + user agent) ends after this much silence.
    web_idle_gap: float = 1800.0
    #: An application session without a recorded end is assumed to last at most this long.
    app_session_default: float = 8 * 3600.0
    #: A session with no account link may continue an attributed one (same user agent)
    #: if it starts at most this long after the attributed one stopped.
    continuation_max_gap: float = 300.0

    # -- credential attacks ---------------------------------------------------------
    #: Spraying: one source fails on at least this many distinct accounts...
    spray_min_accounts: int = 10
    #: ...with at most this many attempts per account on average (spraying stays under lockouts).
    spray_max_tries_per_account: float = 5.0
    #: A failed login followed within this long by the same account's successful login from
    #: the same address is a corrected typo: it does not count towards a spray.
    typo_correction_window: float = 300.0
    #: Brute force: at least this many failures on one account within ``brute_window``.
    brute_min_failures: int = 10
    brute_window: float = 3600.0
    #: Stuffing: low-volume external sources (each at most ``stuffing_max_per_ip`` attempts, no
    #: earlier successful login) that share a network or user agent: at least
    #: ``stuffing_min_ips`` of them on at least ``stuffing_min_accounts`` accounts, far above the
    #: case's normal failure rate (``stuffing_rate_factor``, in the detector) over at least
    #: ``stuffing_window``.
    stuffing_window: float = 3600.0
    stuffing_max_per_ip: int = 5
    stuffing_min_ips: int = 10
    stuffing_min_accounts: int = 5
    #: Flagged sources whose activity is this close in time (and share a user agent or a
    #: /24) are one campaign.
    campaign_gap: float = 3600.0
    #: A successful login this long after a campaign's last failure still counts as its outcome.
    campaign_success_window: float = 24 * 3600.0
    #: Web-only fallback (no application failure rows): this many HTTP 401/403 answers to
    #: login requests from one address within ``brute_window``.
    web_auth_failures_min: int = 30

    # -- account baselines ----------------------------------------------------------
    #: An account needs this many earlier successful logins before "new IP/UA/hour" means anything.
    baseline_min_logins: int = 3
    #: An hour of day is unusual for an account when none of its earlier logins fell within
    #: this many hours of it (circular, in the case time zone).
    unusual_hour_margin: int = 1
    #: Peers: accounts whose functions (activity labels and modules of their requests) overlap
    #: at least this much (Jaccard index) with the account's own.
    peer_similarity: float = 0.5
    #: With fewer peers than this, the population of all accounts is the peer baseline.
    peer_min_accounts: int = 3
    #: A network, user agent or hour that at least this share of an account's peers used is
    #: ordinary for accounts like it, even when the account itself never used it.
    peer_common_share: float = 0.2

    # -- scripted clients -----------------------------------------------------------
    #: Metronomic cadence: at least this many requests with a coefficient of variation of
    #: the gaps between them at most ``cadence_max_cv``.
    cadence_min_requests: int = 30
    cadence_max_cv: float = 0.35

    # -- reconnaissance -------------------------------------------------------------
    #: Distinct account/permission/log views in one session that make reconnaissance.
    recon_min_views: int = 3

    # -- bulk collection ------------------------------------------------------------
    #: Exports by one actor in 24 hours that make a bulk export (any one suffices).
    export_min_requests: int = 5
    export_min_bytes: int = 50_000_000
    export_min_span_days: int = 365
    #: Chunking: at least this many exports whose date ranges follow each other.
    chunk_min_requests: int = 4
    #: API pagination: at least this many list pages by one actor.
    api_min_pages: int = 20
    #: API enumeration: at least this many distinct record ids fetched one by one.
    api_min_details: int = 100
    #: Record volume in one day: at least ``volume_min_records`` records, and at least
    #: ``volume_factor`` times the account's own median day, and at least
    #: ``volume_population_factor`` times the 95th percentile of all account-days.
    volume_min_records: int = 500
    volume_factor: float = 10.0
    volume_population_factor: float = 3.0
    #: An actor whose other export episodes reach this share of an episode's volume...
    usual_volume_share: float = 0.5
    #: ...in at least this many other episodes (earlier or later) from the same address and user agent.
    usual_min_episodes: int = 2

    # -- database -------------------------------------------------------------------
    #: A database read is large from this many rows returned...
    db_min_rows: int = 1000
    #: ...or when it lists at least this many ids in an ``IN (...)`` on a patient table.
    db_min_in_list: int = 50
    #: Large reads tied to one account before they weigh on its verdict (one export is routine).
    db_min_reads: int = 5
    #: Requests at least this long are linked to database activity by time alone.
    db_link_min_duration: float = 2.0

    # -- coverage -------------------------------------------------------------------
    #: A source is continuous when at least this share of the hours in its span have events...
    coverage_min_share: float = 0.9
    #: ...over at least this many hours; then any silent hour inside the span is a gap.
    coverage_min_hours: int = 24

    # -- verdicts -------------------------------------------------------------------
    #: Score at or above which an account is ``compromised`` (needs an access signal too).
    compromised_score: float = 0.85
    #: Score at or above which an account is ``suspicious``.
    suspicious_score: float = 0.4

    # -- evidence -------------------------------------------------------------------
    #: Evidence lines quoted per finding in findings.json (all of them go to finding_events.parquet).
    evidence_max: int = 25

    #: Values for thresholds that detectors declare themselves (``THRESHOLDS`` in their
    #: module), overriding the declared defaults: ``Thresholds(extra={"name": value})``.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not fields: a detector's own threshold
        if name.startswith("__"):
            raise AttributeError(name)
        extra = self.__dict__.get("extra") or {}
        if name in extra:
            return extra[name]
        if name in PLUGIN_THRESHOLDS:
            return PLUGIN_THRESHOLDS[name]
        raise AttributeError(f"no threshold named {name!r}")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        extra = dict(out.pop("extra"))
        return {**out, **PLUGIN_THRESHOLDS, **extra}


#: Defaults of the thresholds detectors declare in their own module (filled at discovery).
PLUGIN_THRESHOLDS: dict[str, Any] = {}


DEFAULT = Thresholds()


#: Weight of each account signal (combined as 1 - prod(1 - w)); see docs/correlation.md.
SIGNAL_WEIGHTS: dict[str, float] = {
    "credential_attack_success": 0.9,
    "backdoor_account": 0.9,
    "attacker_ip": 0.8,
    "anonymiser_tor": 0.7,
    "spoofed_identity": 0.6,
    "anonymiser_proxy": 0.4,
    "bulk_collection": 0.5,
    "persistence": 0.5,
    "success_after_failures": 0.4,
    "reconnaissance": 0.3,
    "scripted_client": 0.2,
    "large_db_reads": 0.2,
    "new_source": 0.1,  # per new dimension (IP, network, user agent, hour), at most 0.35
    "xff_mismatch": 0.05,
}

#: Signals that show the account was used by someone it does not belong to: one of them is
#: required for a ``compromised`` verdict (a high score from volume alone stays ``suspicious``).
#: Detectors add theirs (``ACCESS_SIGNALS`` in their module) when they are discovered.
ACCESS_SIGNALS: set[str] = {
    "credential_attack_success",
    "backdoor_account",
    "attacker_ip",
    "anonymiser_tor",
    "spoofed_identity",
}
