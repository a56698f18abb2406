"""The few small frames a report needs, computed lazily from ``events.parquet``.

Every function reads only the columns it names and returns something whose size depends on
the number of sources, bins, findings or indicators, never on the number of events: that is
what keeps a report of ten million events under a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from forensics.report.attack import primary_phase
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
#: A zero hour is a gap only in a source whose median hourly volume is at least this.
GAP_MIN_RATE = 3.0


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
    source: str
    start: datetime
    end: datetime
    hours: int
    expected: float


def gaps(counts: pl.DataFrame, min_rate: float = GAP_MIN_RATE) -> list[Gap]:
    """Hours with no event inside a source that is otherwise continuous.

    A source's median hourly count over its own span (zero hours included) is its expected
    rate; when that is at least ``min_rate``, every empty hour is a gap (a Poisson source
    of rate 3 is silent for a whole hour about once in 20).  Consecutive hours are merged.
    """
    out: list[Gap] = []
    for source in counts.get_column("source").unique().sort().to_list():
        rows = counts.filter(pl.col("source") == source)
        first, last = rows.get_column("bin").min(), rows.get_column("bin").max()
        hours = pl.DataFrame({"bin": pl.datetime_range(first, last, "1h", eager=True)})
        full = hours.join(rows.select("bin", "n"), on="bin", how="left").with_columns(pl.col("n").fill_null(0))
        median = float(full.get_column("n").median() or 0)
        if median < min_rate:
            continue
        empty = full.filter(pl.col("n") == 0).get_column("bin").to_list()
        run: list[datetime] = []
        for hour in [*empty, None]:
            if hour is not None and run and hour - run[-1] == timedelta(hours=1):
                run.append(hour)
                continue
            if run:
                out.append(Gap(source, run[0], run[-1] + timedelta(hours=1), len(run), median))
            run = [hour] if hour is not None else []
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
