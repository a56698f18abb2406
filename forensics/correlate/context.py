"""What every detector reads: the prepared frames, sessions, links, and the case settings.

Built once by the pipeline; detectors only read it (they are pure functions of a
Context and the findings made before them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from forensics.config import CaseConfig
from forensics.correlate.frames import rows_of
from forensics.correlate.ipcontext import IpContext
from forensics.correlate.thresholds import Thresholds

#: Address labels that are not the client's own network (anonymisers, hosting).
FLAGGED_LABELS = ("tor", "vpn", "proxy", "hosting")
#: The organisation's own addresses (as the case config says, plus loopback).
INTERNAL_LABELS = ("internal", "infrastructure", "loopback")
#: Not from the outside world: the organisation's addresses and private ranges.
LOCAL_LABELS = (*INTERNAL_LABELS, "private")


@dataclass
class Context:
    """Prepared inputs of the detectors (see pipeline.correlate for how it is built)."""

    config: CaseConfig
    thresholds: Thresholds
    ipctx: IpContext
    web: pl.DataFrame  # web requests + activity + ip labels + session.web + account
    app: pl.DataFrame  # authentication and audit events + account + client.ip
    db: pl.DataFrame  # database events + shape + session.db
    web_sessions: pl.DataFrame
    app_sessions: pl.DataFrame
    db_sessions: pl.DataFrame
    links: pl.DataFrame
    db_links: pl.DataFrame
    ip_info: pl.DataFrame  # ip, ip.label, ip.note, ip.network
    coverage: pl.DataFrame  # source, hour, events
    accounts_requested: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)  # warnings found while preparing
    web_duplicates: int = 0  # requests logged by two hosts, counted once
    names: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"user.id": pl.String, "_name": pl.String}))
    profile: str = "generic"  # the application profile that labelled the events (forensics/apps/)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tol(self) -> float:
        return float(self.config.skew_tolerance)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone or "UTC")

    @property
    def zone_name(self) -> str:
        return self.config.timezone or "UTC"

    def label_of(self, column: str = "client.ip") -> pl.Expr:
        """An expression usable after ``with_ip_labels``."""
        return pl.col(f"{column}.label")

    def with_ip_labels(self, df: pl.DataFrame, column: str) -> pl.DataFrame:
        """Join ``<column>.label`` and ``<column>.network`` from the address table."""
        info = self.ip_info.select(
            pl.col("ip").alias(column),
            pl.col("ip.label").alias(f"{column}.label"),
            pl.col("ip.network").alias(f"{column}.network"),
        )
        drop = [c for c in (f"{column}.label", f"{column}.network") if c in df.columns]
        return df.drop(drop).join(info, on=column, how="left", maintain_order="left")

    def logins(self) -> pl.DataFrame:
        """Successful logins with the reconciled client address, its label/network, user agent."""
        if "logins" not in self._cache:
            lg = self.app.filter((pl.col("event.action") == "login") & pl.col("account").is_not_null())
            ua_web = rows_of(self.web, lg.get_column("web.row"), ["user_agent.original"]).rename(
                {"_row": "web.row", "user_agent.original": "_wua"}
            )
            lg = (
                lg.join(ua_web, on="web.row", how="left", maintain_order="left")
                .with_columns(pl.coalesce(pl.col("user_agent.original"), pl.col("_wua")).alias("ua"))
                .drop("_wua")
            )
            self._cache["logins"] = self.with_ip_labels(lg, "client.ip")
        return self._cache["logins"]

    def failures(self) -> pl.DataFrame:
        """Failed authentications (application and system) with reconciled client and user agent.

        When the case has no failure rows from any audit trail, failed login answers in the
        web logs (POST answered 401/403) stand in, without an account name.
        """
        if "failures" not in self._cache:
            ua_web = self.web.select(
                pl.col("_row").alias("web.row"),
                pl.col("user_agent.original").alias("_wua"),
                pl.col("@timestamp").alias("web.ts"),
            )
            f = (
                self.app.filter(pl.col("event.action") == "login_failed")
                .join(ua_web, on="web.row", how="left", maintain_order="left")
                .with_columns(pl.coalesce(pl.col("user_agent.original"), pl.col("_wua")).alias("ua"))
                .select(
                    "_row",
                    "@timestamp",
                    "account",
                    "account.known",
                    "client.ip",
                    "client.basis",
                    "ua",
                    "event.reason",
                    "realm",
                    "web.row",
                    "web.ts",
                )
            )
            if f.height == 0 and "activity" in self.web.columns:
                f = self.web.filter(pl.col("activity") == "login_failed").select(
                    "_row",
                    "@timestamp",
                    pl.lit(None, dtype=pl.String).alias("account"),
                    pl.lit(False).alias("account.known"),
                    pl.col("source.ip").alias("client.ip"),
                    pl.lit("proxy_observed").alias("client.basis"),
                    pl.col("user_agent.original").alias("ua"),
                    pl.lit(None, dtype=pl.String).alias("event.reason"),
                    pl.lit("web").alias("realm"),
                    pl.col("_row").alias("web.row"),
                    pl.col("@timestamp").alias("web.ts"),
                )
            self._cache["failures"] = self.with_ip_labels(f, "client.ip")
        return self._cache["failures"]

    def first_success_by_ip(self) -> pl.DataFrame:
        """Earliest successful login per client address (any account): what makes an address known."""
        return self.logins().group_by("client.ip").agg(pl.col("@timestamp").min().alias("_first_ok"))

    def first_success_by_account_ip(self) -> pl.DataFrame:
        """Earliest successful login per (account, client address)."""
        return self.logins().group_by("account", "client.ip").agg(pl.col("@timestamp").min().alias("_first_ok"))
