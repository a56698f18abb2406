"""The few small frames a report needs, computed lazily from ``events.parquet``.

Every function reads only the columns it names and returns something whose size depends on
the number of sources, bins, findings or indicators, never on the number of events: that is
what keeps a report of ten million events under a few megabytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from forensics.findings.attack import primary_phase
from forensics.report.model import Evidence, Finding, Findings
from forensics.report.scope import Scope

TS = "@timestamp"
LANE = "log.source"

#: Bin widths tried in order for the timeline density and the grouped attack marks.
BIN_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
#: At most this many time bins across the timeline (density) and the coverage map.
MAX_BINS = 400
MAX_COVERAGE_COLUMNS = 1500
#: Attack events drawn one by one up to this count; above, grouped per lane, phase and bin.
MAX_MARKS = 5000
#: Sources drawn as lanes; the rest are summed into one "other sources" lane.
MAX_LANES = 24
#: A silence is a gap when it lasts at least this long (beyond the source's time resolution)...
GAP_MIN_SECONDS = 1800.0
#: ...and the source's rhythm makes so long a silence less likely than one in this many.
GAP_ODDS = 10_000
#: Slots of this many seconds measure a source's rhythm; a share is capped (no slot is certain)...
GAP_SLOT = 300
GAP_MAX_SHARE = 0.99
#: ...and an hour of the day seen on fewer days than this has no known rhythm.
GAP_MIN_DAYS = 3
#: A source's usual share at an hour of the day is that of its quieter days (this quantile over
#: its days): a weekend or a holiday is part of its rhythm, a silence must be unusual even then.
GAP_QUANTILE = 0.25
#: Event days further apart than this split the evidence into runs (see ``evidence_window``).
WINDOW_BREAK_DAYS = 3


def scan(path: Path) -> pl.LazyFrame:
    return pl.scan_parquet(path)


def span(lf: pl.LazyFrame) -> tuple[datetime | None, datetime | None, int]:
    """First and last event time, and the number of events."""
    row = lf.select(pl.col(TS).min().alias("a"), pl.col(TS).max().alias("b"), pl.len().alias("n")).collect().row(0)
    return row[0], row[1], int(row[2])


def pick_bin(first: datetime, last: datetime, max_bins: int = MAX_BINS) -> int:
    """The smallest step of BIN_STEPS that cuts the span into at most ``max_bins`` bins."""
    seconds = max((last - first).total_seconds(), 1)
    for step in BIN_STEPS:
        if seconds / step <= max_bins:
            return step
    return int(seconds // max_bins) + 1


def _bin(step: int) -> pl.Expr:
    return pl.col(TS).dt.truncate(f"{step}s")


def lane_volumes(lf: pl.LazyFrame) -> pl.DataFrame:
    """Events per source, largest first (ties by name): lane order of the timeline."""
    return (
        lf.group_by(LANE)
        .agg(pl.len().alias("n"))
        .with_columns(pl.col(LANE).fill_null("(none)"))
        .sort(["n", LANE], descending=[True, False])
        .collect()
    )


def density(lf: pl.LazyFrame, step: int, lanes: list[str], other: str) -> pl.DataFrame:
    """Events per lane and time bin (lanes beyond MAX_LANES folded into ``other``)."""
    lane = pl.when(pl.col(LANE).is_in(lanes)).then(pl.col(LANE)).otherwise(pl.lit(other))
    return (
        lf.select(lane.alias("lane"), _bin(step).alias("bin"))
        .group_by(["lane", "bin"])
        .agg(pl.len().alias("n"))
        .sort(["lane", "bin"])
        .collect()
    )


def totals(lf: pl.LazyFrame, step: int, first: datetime | None, last: datetime | None) -> pl.DataFrame:
    """All events per ``step``-second bin between ``first`` and ``last`` (the overview strip)."""
    if first is None or last is None:
        return pl.DataFrame(schema={"bin": pl.Datetime("us", "UTC"), "n": pl.UInt32})
    return (
        lf.filter(pl.col(TS).is_between(first, last))
        .group_by(_bin(step).alias("bin"))
        .agg(pl.len().alias("n"))
        .sort("bin")
        .collect()
    )


def hourly(lf: pl.LazyFrame, step: int = 3600) -> pl.DataFrame:
    """Events per source and hour (or per ``step`` seconds), for the coverage map."""
    return (
        lf.select(pl.col(LANE).fill_null("(none)").alias("source"), _bin(step).alias("bin"))
        .group_by(["source", "bin"])
        .agg(pl.len().alias("n"))
        .sort(["source", "bin"])
        .collect()
    )


@dataclass(frozen=True)
class Gap:
    """A silence of one source: from its last event before to its first event after."""

    source: str
    start: datetime
    end: datetime
    hours: float  # length of the silence
    expected: float  # events per hour the source usually writes over those hours of the day


def evidence_window(lf: pl.LazyFrame) -> tuple[datetime | None, datetime | None, int]:
    """Where the logs speak: (first, last, events outside).

    A table dump carries dated facts that are not logged moments (a password set in 2019,
    an account created years ago); they must not stretch the case over years.  Event days
    closer than ``WINDOW_BREAK_DAYS`` to each other form runs; the window is the run that
    holds the most events, from its first event to its last.
    """
    days = (
        lf.select(pl.col(TS).dt.truncate("1d").alias("day"))
        .drop_nulls()
        .group_by("day")
        .agg(pl.len().alias("n"))
        .sort("day")
        .collect()
    )
    if days.height == 0:
        return None, None, 0
    days = days.with_columns(
        ((pl.col("day") - pl.col("day").shift(1)) > timedelta(days=WINDOW_BREAK_DAYS))
        .fill_null(False)
        .cum_sum()
        .alias("run")
    )
    runs = days.group_by("run").agg(pl.col("n").sum(), pl.col("day").min().alias("a"), pl.col("day").max().alias("b"))
    best = runs.sort(["n", "a"], descending=[True, False]).row(0, named=True)
    lo, hi = best["a"], best["b"] + timedelta(days=1)
    row = (
        lf.filter(pl.col(TS).is_between(lo, hi, closed="left"))
        .select(pl.col(TS).min().alias("a"), pl.col(TS).max().alias("b"))
        .collect()
        .row(0)
    )
    total = int(days.get_column("n").sum())
    return row[0], row[1], total - int(best["n"])


def _rates(counts: pl.DataFrame, zone: str) -> dict[str, list[float]]:
    """Per source, its usual events per hour for each local hour of the day (median over its days)."""
    out: dict[str, list[float]] = {}
    for source in counts.get_column("source").unique().sort().to_list():
        rows = counts.filter(pl.col("source") == source)
        grid = pl.DataFrame(
            {"bin": pl.datetime_range(rows["bin"].min(), rows["bin"].max(), "1h", eager=True, time_zone="UTC")}
        )
        full = grid.join(rows.select("bin", "n"), on="bin", how="left").with_columns(pl.col("n").fill_null(0))
        med = full.group_by(pl.col("bin").dt.convert_time_zone(zone).dt.hour().alias("h")).agg(pl.col("n").median())
        rate = [0.0] * 24
        for h, m in med.iter_rows():
            rate[int(h)] = float(m or 0.0)
        out[source] = rate
    return out


def _occupancy(times: pl.DataFrame, slot: int, zone: str) -> list[float]:
    """For each local hour of the day, the usual share of ``slot``-second slots holding an event.

    The lower quartile over the source's days (empty hours count as zero), so a log that is quiet
    every night has a share near zero at night, and a bursty log (a query burst every half
    hour) a share well below one.  An hour of the day seen on fewer than GAP_MIN_DAYS days
    gets zero: its rhythm is not known, so nothing is judged there.
    """
    first, last = times["t"].min(), times["t"].max()
    per_hour = (
        times.select(pl.col("t").dt.truncate(f"{slot}s").alias("s"))
        .unique()
        .group_by(pl.col("s").dt.truncate("1h").alias("bin"))
        .agg(pl.len().alias("k"))
    )
    grid = pl.DataFrame(
        {
            "bin": pl.datetime_range(
                first.replace(minute=0, second=0, microsecond=0), last, "1h", eager=True, time_zone="UTC"
            )
        }
    )
    slots = 3600 / slot
    full = grid.join(per_hour, on="bin", how="left").with_columns((pl.col("k").fill_null(0) / slots).alias("p"))
    local = pl.col("bin").dt.convert_time_zone(zone)
    med = full.group_by(local.dt.hour().alias("h")).agg(
        pl.col("p").quantile(GAP_QUANTILE, "higher"), local.dt.date().n_unique().alias("days")
    )
    share = [0.0] * 24
    for h, p, days in med.iter_rows():
        share[int(h)] = min(float(p or 0.0), GAP_MAX_SHARE) if days >= GAP_MIN_DAYS else 0.0
    return share


def _surprise(share: list[float], zone: ZoneInfo, slot: int, a: datetime, b: datetime) -> float:
    """-ln of the chance that every slot between ``a`` and ``b`` is empty, slots taken as independent."""
    total, t = 0.0, a
    step = timedelta(seconds=slot)
    while t + step <= b:
        total += -math.log(1.0 - share[t.astimezone(zone).hour])
        t += step
    return total


def _expected(rate: list[float], zone: ZoneInfo, a: datetime, b: datetime) -> float:
    """Events the source usually writes between ``a`` and ``b`` (its hour-of-day rates, pro rata)."""
    total, t = 0.0, a
    while t < b:
        nxt = min(b, t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        total += rate[t.astimezone(zone).hour] * (nxt - t).total_seconds() / 3600
        t = nxt
    return total


def gaps(
    lf: pl.LazyFrame,
    counts: pl.DataFrame,
    zone: str,
    window: tuple[datetime, datetime],
    repeated_hours: list[datetime],
    *,
    min_seconds: float = GAP_MIN_SECONDS,
) -> list[Gap]:
    """Silences of each source that its own rhythm cannot explain.

    A source's rhythm is, for each local hour of the day, the usual share of five-minute
    slots (or of its own time resolution, if coarser) in which it writes something.  A
    silence between two of its events is a gap when it lasts at least ``min_seconds``
    beyond that resolution and the chance of so many usually busy slots all being empty is
    below one in GAP_ODDS: an hour of silence in a busy log is a gap even if one stray event
    falls inside that clock hour; a database log quiet at night, or one that writes a burst
    every half hour, is not.  For a source whose local times were ambiguous in a repeated
    hour (``dst_ambiguous`` flags), that hour's second pass is taken out of the silence: its
    events were all placed on the first pass.  ``counts`` (events per source and UTC hour)
    give the usual volume shown beside each gap.
    """
    zi = ZoneInfo(zone)
    lo, hi = window
    rates = _rates(counts, zone)
    flagged = set(
        lf.filter(
            pl.col("time.flags").list.eval(pl.element().str.starts_with("dst_ambiguous")).list.any().fill_null(False)
        )
        .select(pl.col(LANE).fill_null("(none)").unique())
        .collect()
        .to_series()
        .to_list()
    )
    times = (
        lf.filter(pl.col(TS).is_between(lo, hi))
        .select(pl.col(LANE).fill_null("(none)").alias("source"), pl.col(TS).alias("t"))
        .unique()
        .sort(["source", "t"])
        .collect()
    )
    floor = timedelta(seconds=min_seconds)
    threshold = math.log(GAP_ODDS)
    out: list[Gap] = []
    for (source,), rows in times.group_by(["source"], maintain_order=True):
        rows = rows.with_columns((pl.col("t").shift(-1) - pl.col("t")).alias("d"), pl.col("t").shift(-1).alias("u"))
        silences = rows.filter(pl.col("d") >= floor)
        if silences.height == 0:
            continue
        positive = rows.filter(pl.col("d") > timedelta(0)).get_column("d")
        res = positive.median() if positive.len() else timedelta(0)
        slot = max(GAP_SLOT, math.ceil(res.total_seconds()))
        share = _occupancy(rows.select("t"), slot, zone)
        for a, b in silences.select("t", "u").iter_rows():
            pieces = [(a + min(res, b - a), b)]
            if source in flagged:
                for h in repeated_hours:
                    end = h + timedelta(hours=1)
                    pieces = [q for x, y in pieces for q in ((x, min(y, h)), (max(x, end), y)) if q[0] < q[1]]
            if sum(((y - x) for x, y in pieces), timedelta(0)) < floor:
                continue
            if sum(_surprise(share, zi, slot, x, y) for x, y in pieces) < threshold:
                continue
            hours = (b - a).total_seconds() / 3600
            usual = _expected(rates.get(source, [0.0] * 24), zi, a, b) / hours if hours else 0.0
            out.append(Gap(source, a, b, hours, usual))
    return out


@dataclass
class Marks:
    """Attack events for the timeline: one row per event, or per (lane, phase, bin) if grouped."""

    frame: pl.DataFrame
    grouped_step: int | None  # bin width in seconds when grouped, else None
    total: int  # attributed events before grouping


def _attacker_events(f: Finding, scope: Scope | None) -> pl.Expr | None:
    """The events of a finding's window that are the attacker's, or None when none can be.

    Without a scope (findings that name no attacker): the finding's addresses, else its
    account.  With one: the attacker addresses the finding names, and events of an assessed
    account from an address the attacker used for it (a forged one included).  The same
    account used by its owners from their usual desks between two attack steps is theirs.
    """
    if scope is None or not scope.known:
        if f.ips:
            return pl.col("source.ip").is_in(f.ips)
        return pl.col("user.name") == f.account if f.account else None
    parts = []
    external = sorted(scope.attacker_ips.intersection(f.ips))
    if external:
        parts.append(pl.col("source.ip").is_in(external))
    if f.account is not None and f.account in scope.accounts:
        own = scope.account_ips(f.account)
        used = sorted(own.intersection(f.ips)) if f.ips else sorted(own)
        if used:
            parts.append((pl.col("user.name") == f.account) & pl.col("source.ip").is_in(used))
    if not parts:
        return None
    who = parts[0]
    for part in parts[1:]:
        who = who | part
    return who


def _window_tags(findings: list[Finding], tolerance: float, scope: Scope | None) -> pl.Expr:
    """``phase<TAB>finding`` for the attacker's events in a finding's window.

    The narrowest window wins, so the single successful login of a long spray is drawn as
    initial access, not as one more spray attempt.
    """
    pad = timedelta(seconds=tolerance)
    ordered = sorted(
        (f for f in findings if f.techniques and (f.ips or f.account) and f.first_seen and f.last_seen),
        key=lambda f: (f.window, f.id),
    )
    chain = None
    for f in ordered:
        assert f.first_seen is not None and f.last_seen is not None
        who = _attacker_events(f, scope)
        if who is None:
            continue
        cond = (who & pl.col(TS).is_between(f.first_seen - pad, f.last_seen + pad)).fill_null(False)
        chain = pl.when(cond) if chain is None else chain.when(cond)
        chain = chain.then(pl.lit(f"{primary_phase(f.techniques)}\t{f.id}"))
    if chain is None:
        return pl.lit(None, dtype=pl.String)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def _evidence_tags(findings: list[Finding]) -> pl.DataFrame:
    """(file, line) -> ``phase<TAB>finding`` for cited lines; the first finding citing a line wins."""
    rows: dict[tuple[str, int], str] = {}
    for f in findings:
        phase = primary_phase(f.techniques)
        if phase is None:
            continue
        for e in f.evidence:
            rows.setdefault((e.file, e.line), f"{phase}\t{f.id}")
    return pl.DataFrame(
        {
            "log.file.path": [k[0] for k in rows],
            "log.file.line": [k[1] for k in rows],
            "_cited": list(rows.values()),
        },
        schema={"log.file.path": pl.String, "log.file.line": pl.Int64, "_cited": pl.String},
    )


def attack_marks(
    lf: pl.LazyFrame,
    findings: Findings,
    lanes: list[str],
    other: str,
    tolerance: float,
    scope: Scope | None = None,
    limit: int = MAX_MARKS,
) -> Marks:
    """The attacker's events, attributed to a finding of the attack, with their phase.

    Lines an attack finding cites, and the attacker's events inside its window (see
    ``_attacker_events``); findings ``scope`` does not tie to the attacker mark nothing.
    Grouped per lane, phase and time bin when there are too many.
    """
    empty = pl.DataFrame(
        schema={
            "ts": pl.Datetime("us", "UTC"),
            "lane": pl.String,
            "phase": pl.String,
            "finding": pl.String,
            "file": pl.String,
            "line": pl.Int64,
            "ip": pl.String,
            "message": pl.String,
            "n": pl.UInt32,
            "last": pl.Datetime("us", "UTC"),
        }
    )
    story = [f for f in findings.findings if scope is None or scope.is_attack(f)]
    windows = [(f.first_seen, f.last_seen) for f in story if f.first_seen and f.last_seen]
    if not windows:
        return Marks(empty, None, 0)
    pad = timedelta(seconds=tolerance)
    if findings.first_seen and findings.last_seen:
        # the attack window: a finding that also lists an account's old history (a password
        # set years before) must not stretch the marks over years and bin them into nothing
        lo, hi = findings.first_seen - pad, findings.last_seen + pad
    else:
        lo = min(w[0] for w in windows if w[0]) - pad
        hi = max(w[1] for w in windows if w[1]) + pad
    lane = pl.when(pl.col(LANE).is_in(lanes)).then(pl.col(LANE)).otherwise(pl.lit(other))
    tagged = (
        lf.filter(pl.col(TS).is_between(lo, hi))
        .select(TS, LANE, "log.file.path", "log.file.line", "source.ip", "user.name", "message")
        .join(_evidence_tags(story).lazy(), on=["log.file.path", "log.file.line"], how="left", maintain_order="left")
        .select(
            pl.col(TS).alias("ts"),
            lane.alias("lane"),
            pl.coalesce(pl.col("_cited"), _window_tags(story, tolerance, scope)).alias("_tag"),
            pl.col("log.file.path").alias("file"),
            pl.col("log.file.line").alias("line"),
            pl.col("source.ip").alias("ip"),
            pl.col("message").str.slice(0, 200).alias("message"),
        )
        .filter(pl.col("_tag").is_not_null())
        .with_columns(
            pl.col("_tag").str.splitn("\t", 2).struct.field("field_0").alias("phase"),
            pl.col("_tag").str.splitn("\t", 2).struct.field("field_1").alias("finding"),
        )
        .drop("_tag")
    )
    total = int(tagged.select(pl.len()).collect().item())
    if total <= limit:
        frame = (
            tagged.sort(["ts", "file", "line"])
            .with_columns(pl.lit(1, dtype=pl.UInt32).alias("n"), pl.col("ts").alias("last"))
            .collect()
        )
        return Marks(frame.select(empty.columns), None, total)
    first = tagged.select(pl.col("ts").min()).collect().item()
    last = tagged.select(pl.col("ts").max()).collect().item()
    step = pick_bin(first, last, max_bins=60)
    for candidate in [s for s in BIN_STEPS if s >= step] + [step * 10]:
        groups = tagged.select(pl.struct("lane", "phase", pl.col("ts").dt.truncate(f"{candidate}s")).n_unique())
        if int(groups.collect().item()) <= limit:
            step = candidate
            break
    frame = (
        tagged.sort(["ts", "file", "line"])
        .group_by(["lane", "phase", pl.col("ts").dt.truncate(f"{step}s").alias("bin")], maintain_order=True)
        .agg(
            pl.col("ts").first().alias("ts"),
            pl.col("ts").last().alias("last"),
            pl.len().alias("n"),
            pl.col("finding").first(),
            pl.col("file").first(),
            pl.col("line").first(),
            pl.col("ip").first(),
            pl.col("message").first(),
        )
        .sort(["ts", "lane", "phase"])
        .collect()
    )
    return Marks(frame.select(empty.columns), step, total)


@dataclass(frozen=True)
class Quote:
    """A cited line as the evidence holds it."""

    time: datetime | None
    raw: str
    where: str  # "events" or "rejects"


def quotes(events: Path, rejects: Path | None, refs: list[Evidence]) -> dict[Evidence, Quote]:
    """The raw text of each cited (file, line), read only for those rows."""
    if not refs:
        return {}
    keys = pl.DataFrame(
        {"log.file.path": [r.file for r in refs], "log.file.line": [r.line for r in refs]},
        schema={"log.file.path": pl.String, "log.file.line": pl.Int64},
    ).unique()
    files = sorted(set(keys.get_column("log.file.path").to_list()))
    lines = sorted(set(keys.get_column("log.file.line").to_list()))
    found: dict[Evidence, Quote] = {}
    rows = (
        pl.scan_parquet(events)
        .filter(pl.col("log.file.path").is_in(files) & pl.col("log.file.line").is_in(lines))
        .select("log.file.path", "log.file.line", TS, "event.original")
        .join(keys.lazy(), on=["log.file.path", "log.file.line"], how="semi")
        .sort(["log.file.path", "log.file.line", TS])
        .unique(["log.file.path", "log.file.line"], keep="first", maintain_order=True)
        .collect()
    )
    for path, line, ts, raw in rows.iter_rows():
        found[Evidence(path, line)] = Quote(ts, raw or "", "events")
    missing = [r for r in refs if r not in found]
    if missing and rejects is not None:
        rows = (
            pl.scan_parquet(rejects)
            .filter(pl.col("log.file.path").is_in(files) & pl.col("log.file.line").is_in(lines))
            .select("log.file.path", "log.file.line", "event.original")
            .join(keys.lazy(), on=["log.file.path", "log.file.line"], how="semi")
            .unique(["log.file.path", "log.file.line"], keep="first", maintain_order=True)
            .collect()
        )
        for path, line, raw in rows.iter_rows():
            found.setdefault(Evidence(path, line), Quote(None, raw or "", "rejects"))
    return found


def ip_activity(lf: pl.LazyFrame, ips: list[str]) -> pl.DataFrame:
    """Per indicator IP: events naming it (client, peer or forwarded), first and last time."""
    if not ips:
        return pl.DataFrame(
            schema={
                "ip": pl.String,
                "n": pl.UInt32,
                "first": pl.Datetime("us", "UTC"),
                "last": pl.Datetime("us", "UTC"),
            }
        )
    return (
        lf.select(TS, pl.col("related.ip").alias("ip"))
        .filter(pl.col("ip").list.eval(pl.element().is_in(ips)).list.any())
        .explode("ip")
        .filter(pl.col("ip").is_in(ips))
        .group_by("ip")
        .agg(pl.len().alias("n"), pl.col(TS).min().alias("first"), pl.col(TS).max().alias("last"))
        .sort("ip")
        .collect()
    )


def user_agents(lf: pl.LazyFrame, ips: list[str], limit: int = 50) -> pl.DataFrame:
    """User agents sent from attacker addresses: events, addresses, first and last time."""
    schema = {
        "ua": pl.String,
        "n": pl.UInt32,
        "ips": pl.List(pl.String),
        "first": pl.Datetime("us", "UTC"),
        "last": pl.Datetime("us", "UTC"),
    }
    if not ips:
        return pl.DataFrame(schema=schema)
    return (
        lf.filter(pl.col("source.ip").is_in(ips) & pl.col("user_agent.original").is_not_null())
        .group_by(pl.col("user_agent.original").alias("ua"))
        .agg(
            pl.len().alias("n"),
            pl.col("source.ip").unique().sort().alias("ips"),
            pl.col(TS).min().alias("first"),
            pl.col(TS).max().alias("last"),
        )
        .sort(["n", "ua"], descending=[True, False])
        .head(limit)
        .collect()
    )


def reject_examples(rejects: Path | None) -> dict[str, tuple[str, int, str]]:
    """One example line per reject reason: reason -> (file, line, raw)."""
    if rejects is None:
        return {}
    rows = (
        pl.scan_parquet(rejects)
        .select("reason", "log.file.path", "log.file.line", pl.col("event.original").str.slice(0, 400))
        .sort(["reason", "log.file.path", "log.file.line"])
        .unique("reason", keep="first", maintain_order=True)
        .collect()
    )
    return {r: (p, ln, raw or "") for r, p, ln, raw in rows.iter_rows()}


def time_flags(lf: pl.LazyFrame) -> pl.DataFrame:
    """Events per source and time flag (dst_ambiguous, year_inferred, skew_corrected...)."""
    return (
        lf.select(pl.col(LANE).fill_null("(none)").alias("source"), pl.col("time.flags").alias("flag"))
        .explode("flag")
        .drop_nulls("flag")
        .group_by(["source", "flag"])
        .agg(pl.len().alias("n"))
        .sort(["source", "flag"])
        .collect()
    )
