"""Correlation's load stage over the partitioned dataset, one UTC day per Dask task.

When an ingest kept its events on the workers (``forensics.executors.mapreduce``, ``--layout partitioned``), the
workers also read them back for correlation: each task reads the dataset's parts of one UTC
day (every source), puts them in the canonical order, numbers them, and keeps only what
correlation reads (``forensics.correlate.frames.COLUMNS``: never ``event.original``), split
into web requests, database events and the rest, with the ``user.id``/``user.name`` pairs
and the day's coverage rows (events per source and hour).  The client chooses the
application profile from every day's datasets.  It also decides which web requests are
copies another host logged (``forensics.correlate.dedupe``): a copy may fall on the next
day, so the test needs every request side by side, but only its key hashes, host and time
(``web_keys``: about 40 bytes a request) come to the client.  The workers then drop the
copies from their days, label the rest with the profile and read their list pages from the
query string (which stays on the worker); the client concatenates the days in order and runs
the rest of correlation on these compact frames.

Why a day: the canonical order sorts by ``@timestamp`` first, so every event of a day comes
after every event of the days before it, and an event's number (``_row``, the key of
``attribution.parquet`` and of every finding's evidence) is the number of events of the
earlier days (known from the parts' row counts) plus its rank within its own day.  No
task needs another's events, and nothing sorts the whole case.  Events without a time
(the ``__HIVE_DEFAULT_PARTITION__`` day) come last, as in the canonical order.

The frames equal those ``load_inputs`` reads from the same dataset on the client (same
rows, same numbers, same order): ``tests/executors/test_dask_equal.py`` compares the
findings and ``attribution.parquet`` byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from forensics.apps import AppProfile, label_requests, profile_for
from forensics.config import CaseConfig
from forensics.correlate.dedupe import duplicate_keys, kept_of_keys
from forensics.correlate.frames import (
    APP_COLUMNS,
    COLUMNS,
    DB_ACTIONS,
    DB_COLUMNS,
    WEB_ACTION,
    WEB_COLUMNS,
    Inputs,
    hold_empty_as_one_null,
)
from forensics.correlate.pagination import with_pagination
from forensics.correlate.pipeline import _config, coverage_table
from forensics.dataset import DATASET, NULL_PARTITION, ORDER, part_files
from forensics.schema import EVENT_SCHEMA


@dataclass
class ClusterInputs(Inputs):
    """``Inputs`` read on the workers, with the coverage table they counted and the application
    profile whose activity labels the web requests already carry (``prepare`` does not label
    them again when it chooses the same profile)."""

    coverage: pl.DataFrame | None = None
    labelled_with: AppProfile | None = None
    #: the ``[pagination]`` the list pages were read with on the workers (the query string is gone)
    paginated_with: Mapping[str, Sequence[str]] | None = None
    #: the skew tolerance the workers' frames were cleared of cross-host copies with, and how
    #: many copies were dropped (``prepare`` does not test again with the same tolerance)
    deduplicated_with: float | None = None
    duplicates_dropped: int = 0


def day_scan(paths: list[str], offset: int) -> pl.LazyFrame:
    """One day's events (every part of that day) in the canonical order, numbered from ``offset``."""
    lf = pl.scan_parquet(paths, hive_partitioning=False)
    missing = [c for c in EVENT_SCHEMA.names() if c not in lf.collect_schema().names()]
    if missing:
        lf = lf.with_columns(pl.lit(None, dtype=EVENT_SCHEMA[c]).alias(c) for c in missing)
    return lf.sort(ORDER, nulls_last=True, maintain_order=True).with_row_index("_row", offset=offset)


@dataclass
class DayInputs:
    """What one day gives correlation (compact: only the columns it reads)."""

    web: pl.DataFrame
    db: pl.DataFrame
    app: pl.DataFrame
    names: pl.DataFrame
    coverage: pl.DataFrame
    total: int
    untimed: int


def _kind(day: pl.DataFrame, columns: list[str], keep: pl.Expr) -> pl.DataFrame:
    return (
        day.lazy()
        .filter(pl.col("@timestamp").is_not_null() & keep)
        .select([COLUMNS[c].alias(c) for c in columns])
        .collect()
    )


def load_day(paths: list[str], offset: int) -> DayInputs:
    """Map: read one day's parts (on a worker) into correlation's compact frames."""
    needed = {"event.action", "@timestamp", "user.id", "user.name", "log.source", "log.file.path", "event.dataset"}
    # the columns the expressions of COLUMNS read, and the keys of the order
    for expr in COLUMNS.values():
        needed.update(expr.meta.root_names())
    needed.discard("_row")
    day = day_scan(paths, offset).select("_row", *sorted(needed)).collect()
    action = pl.col("event.action").fill_null("")
    names = day.filter(
        pl.col("user.id").is_not_null()
        & pl.col("user.name").is_not_null()
        & ~action.is_in(["login_failed", WEB_ACTION, *DB_ACTIONS])
    ).select("user.id", "user.name", "event.action")
    return DayInputs(
        web=_kind(day, WEB_COLUMNS, action == WEB_ACTION),
        db=_kind(day, DB_COLUMNS, action.is_in(DB_ACTIONS)),
        app=_kind(day, APP_COLUMNS, ~action.is_in([WEB_ACTION, *DB_ACTIONS])),
        names=names,
        coverage=coverage_table(day.lazy()),
        total=day.height,
        untimed=int(day.get_column("@timestamp").null_count()),
    )


def app_datasets(day: DayInputs) -> list[str]:
    """Map: the datasets of the day's application events (what chooses the application profile)."""
    return [d for d in day.app.get_column("event.dataset").unique().to_list() if d]


def web_keys(day: DayInputs) -> pl.DataFrame | None:
    """Map: what the cross-host duplicate test reads of the day's web requests (``dedupe.duplicate_keys``)."""
    if "host.name" not in day.web.columns:
        return None
    return duplicate_keys(day.web)


def label_day(
    day: DayInputs,
    profile: AppProfile,
    keep: pl.Series | None = None,
    pagination: Mapping[str, Sequence[str]] | None = None,
) -> DayInputs:
    """Map: the day's web requests without the copies another host logged (``keep``: the mask the
    client decided from every day's keys), with the profile's activity labels (same order).

    With ``pagination`` (the case config's ``[pagination]``), also their list pages, and without
    their query string, which has then said all it had to say (it does not cross the network).
    """
    web = day.web if keep is None else day.web.filter(keep)
    web = label_requests(profile, web)
    if pagination is not None:
        web = with_pagination(web, pagination).drop("url.query")
    return replace(day, web=web)


def _kept_per_day(client: Any, futures: list[Any], tolerance: float) -> tuple[list[pl.Series | None], int]:
    """Reduce: which web requests of each day are kept, from every day's ``web_keys`` side by side.

    A request's copy may be logged by another host the next UTC day, so the test runs on the
    keys of the whole case (about 40 bytes a request), in the order of the local load: the
    same requests are dropped as ``prepare`` would drop from the concatenated days.
    """
    keys = client.gather([client.submit(web_keys, f, pure=False) for f in futures])
    heights = [0 if k is None else k.height for k in keys]
    present = [k for k in keys if k is not None and k.height]
    keep = kept_of_keys(pl.concat(present), tolerance) if present else None
    del keys, present
    if keep is None:
        return [None] * len(futures), 0
    masks: list[pl.Series | None] = []
    at = 0
    for h in heights:
        masks.append(keep.slice(at, h) if h else None)
        at += h
    return masks, int(keep.len() - keep.sum())


def days(out: Path) -> list[tuple[list[Path], int]]:
    """The dataset's parts grouped by UTC day, in time order (untimed last), with each day's row count."""
    by_day: dict[str, list[Path]] = {}
    for p in part_files(out):
        by_day.setdefault(p.parent.name.removeprefix("day="), []).append(p)
    rows = _part_rows(out)
    ordered = sorted(by_day, key=lambda d: (d == NULL_PARTITION, d))
    out_days = []
    for d in ordered:
        paths = by_day[d]
        n = sum(rows[p] if p in rows else _count(p) for p in paths)
        out_days.append((paths, n))
    return out_days


def _part_rows(out: Path) -> dict[Path, int]:
    """Row counts of the parts as the manifest lists them (none when it does not)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    parts = (manifest.get("dataset") or {}).get("parts") or []
    return {out / DATASET / p["path"]: int(p["rows"]) for p in parts if "path" in p and "rows" in p}


def _count(path: Path) -> int:
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def load_on_cluster(client: Any, out: Path, config: CaseConfig | Path | str | None = None) -> ClusterInputs:
    """Reduce: correlation's inputs from one task per day (the events never come to the client).

    ``config`` is correlation's (default: the ingest's, as ``prepare`` reads it): its
    application profile, chosen from every day's datasets, labels the web requests on the
    workers.
    """
    out = Path(out)
    plan = days(out)
    offsets = []
    at = 0
    for _, n in plan:
        offsets.append(at)
        at += n
    manifest: dict[str, Any] = {}
    if (out / "manifest.json").is_file():
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    futures = [
        client.submit(load_day, [str(p) for p in paths], off, pure=False) for (paths, _), off in zip(plan, offsets)
    ]
    profile = None
    pagination: dict[str, Sequence[str]] | None = None
    tolerance: float | None = None
    dropped = 0
    try:
        if futures:
            found = client.gather([client.submit(app_datasets, f, pure=False) for f in futures])
            cfg, _ = _config(config, SimpleNamespace(manifest=manifest))  # type: ignore[arg-type]
            profile = profile_for(cfg.app_profile, cfg.app_options, sorted({d for day in found for d in day}))
            tolerance = float(cfg.skew_tolerance)
            masks, dropped = _kept_per_day(client, futures, tolerance)
            pagination = dict(cfg.pagination)
            futures = [
                client.submit(label_day, f, profile, keep, pagination, pure=False)
                for f, keep in zip(futures, masks, strict=True)
            ]
        # one day at a time, in order, each released on its worker once here: the client holds
        # the days taken so far and one in transit, not every day's serialised frames at once
        loaded: list[DayInputs] = []
        while futures:
            taken = futures.pop(0)
            loaded.append(taken.result())
            taken.release()
    finally:
        for f in futures:
            f.cancel()

    def joined(name: str, columns: list[str]) -> pl.DataFrame:
        frames = [getattr(d, name) for d in loaded]
        if not frames:
            return (
                pl.LazyFrame(schema=EVENT_SCHEMA)
                .with_row_index("_row")
                .select([COLUMNS[c].alias(c) for c in columns])
                .collect()
            )
        # days whose web logs all lack a column (request ids) still carry a null per row each
        return hold_empty_as_one_null(pl.concat(frames))

    names = (
        pl.concat([d.names for d in loaded])
        if loaded
        else pl.DataFrame(
            schema={
                "user.id": EVENT_SCHEMA["user.id"],
                "user.name": EVENT_SCHEMA["user.name"],
                "event.action": EVENT_SCHEMA["event.action"],
            }
        )
    )
    coverage = pl.concat([d.coverage for d in loaded]).sort("source", "hour") if loaded else None
    # evidence lookups (a few rows per finding) read one day at a time, numbered as above
    scan = (
        pl.concat([day_scan([str(p) for p in paths], off) for (paths, _), off in zip(plan, offsets)])
        if plan
        else pl.LazyFrame(schema=EVENT_SCHEMA).with_row_index("_row")
    )
    return ClusterInputs(
        web=joined("web", WEB_COLUMNS),
        db=joined("db", DB_COLUMNS),
        app=joined("app", APP_COLUMNS),
        scan=scan,
        names=names,
        total=sum(d.total for d in loaded),
        untimed=sum(d.untimed for d in loaded),
        manifest=manifest,
        out_dir=out,
        coverage=coverage,
        labelled_with=profile,
        paginated_with=pagination,
        deduplicated_with=tolerance,
        duplicates_dropped=dropped,
    )


__all__ = [
    "ClusterInputs",
    "DayInputs",
    "app_datasets",
    "day_scan",
    "days",
    "label_day",
    "load_day",
    "load_on_cluster",
    "web_keys",
]
