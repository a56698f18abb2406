"""Application profiles: what one application's logs mean, registered like parsers.

Correlation reads schema columns only (``user.name``, ``session.id``, ``source.ip``,
``event.action``, ``url.*``, ``db.*``...).  Everything that depends on *which* application
wrote the logs lives in one profile module here:

* its URL scheme: ``label_activity(web)`` adds the activity columns (``activity``,
  ``activity.module``, ``activity.view``, ``activity.object``, ``api.offset``, ``api.limit``,
  ``export.date_min``, ``export.date_max``, ``export.all``; vocabulary in ``activity.py``);
* the meaning of its own audit keys: ``app_fields(app)`` turns them into typed columns
  (``auth.method``, ``auth.screen``, ``request.query``, ``user.target.name``);
* its record tables and record-id columns in the database (``record_tables``,
  ``record_id_columns``), which tie a query to the record a request named.

A profile is one module defining one ``AppProfile`` subclass decorated with ``@register``;
the registry finds the modules of this package by itself.  The case config chooses one
(``[app] profile = "generic"`` with the profile's own options); otherwise the first profile
whose datasets are in the evidence (``mediboard.*``), else ``generic``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import polars as pl

PROFILES: dict[str, type[AppProfile]] = {}

#: Typed columns a profile's ``app_fields`` guarantees (null when the application does not say).
APP_FIELDS: dict[str, pl.DataType] = {
    "auth.method": pl.String(),
    "auth.screen": pl.Boolean(),
    "request.query": pl.String(),
    "user.target.name": pl.String(),
    # what the parameters a long-request row stored mean, in the profile's own terms (the
    # activity label of the request they describe): links compare them with the web request's
    "request.activity": pl.String(),
    "request.view": pl.String(),
    "request.date_min": pl.String(),
    "request.date_max": pl.String(),
    "request.offset": pl.Int64(),
    "request.limit": pl.Int64(),
}


#: What a web request's activity labels depend on (``AppProfile.label_inputs``).
LABEL_INPUTS = ("http.request.method", "url.path", "url.query", "http.response.status_code")

#: Above this share of distinct combinations among the requests, ``label_requests`` labels
#: every row: finding the combinations and joining their labels back would cost more.
DISTINCT_SHARE = 0.5
#: Requests labelled at a time: the dozen working columns of the labels exist for one slice
#: only, not for every request of a case at once.
LABEL_SLICE = 1 << 20


class AppProfile:
    """Base class: subclass, set ``name``, override what the application does differently."""

    #: Registry name, what ``[app] profile`` takes.
    name: ClassVar[str] = ""
    #: ``event.dataset`` prefixes of this application's own parsers (auto-selection).
    dataset_prefixes: ClassVar[tuple[str, ...]] = ()
    #: Option keys of ``[app]`` this profile understands, with their defaults.
    defaults: ClassVar[Mapping[str, Any]] = {}
    #: Database tables that hold the application's records (patients, customers...).
    record_tables: tuple[str, ...] = ()
    #: Columns that name one record in a single-record lookup (``patient_id = '48213'``).
    record_id_columns: tuple[str, ...] = ()
    #: The only request columns ``label_activity`` reads: ``label_requests`` labels each distinct
    #: combination of them once.  A profile whose labels read anything else lists it here.
    label_inputs: ClassVar[tuple[str, ...]] = LABEL_INPUTS

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        unknown = sorted(set(options or {}) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"[app] profile {self.name!r} has no option {unknown[0]!r} (options: {', '.join(sorted(self.defaults))})"
            )
        self.options: dict[str, Any] = {**self.defaults, **dict(options or {})}

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or cls.name).strip().splitlines()[0]

    def label_activity(self, web: pl.DataFrame) -> pl.DataFrame:
        """Add the activity columns (same rows, same order)."""
        raise NotImplementedError

    def app_fields(self, app: pl.DataFrame) -> pl.DataFrame:
        """Add the typed columns of ``APP_FIELDS`` (same rows, same order); none known by default."""
        return with_app_fields(app, {})


def label_requests(profile: AppProfile, web: pl.DataFrame) -> pl.DataFrame:
    """``profile.label_activity(web)``, computed once per distinct combination of its inputs.

    A case of 4 M requests names about 100,000 distinct (method, path, query, status): the
    labels' dozen regular expressions and working columns run on those, and a join on the
    input columns puts the labels back on every request (same rows, same order, same
    columns, same values: a label reads only ``profile.label_inputs``).  When most requests
    are distinct, or a column is missing, every row is labelled as before.
    """
    key = list(profile.label_inputs)
    if web.height == 0 or not set(key) <= set(web.columns):
        return _in_slices(profile, web)
    distinct = web.select(key).unique()
    if distinct.height > DISTINCT_SHARE * web.height:
        return _in_slices(profile, web)
    labelled = _in_slices(profile, distinct)
    # what the profile adds (or sets again, on requests labelled before)
    added = [c for c in labelled.columns if c not in key]
    labels = web.select(key).join(labelled, on=key, how="left", nulls_equal=True, maintain_order="left").select(added)
    return web.with_columns(labels.get_columns())


def _in_slices(profile: AppProfile, web: pl.DataFrame) -> pl.DataFrame:
    """``profile.label_activity(web)``, ``LABEL_SLICE`` requests at a time (a label reads one request)."""
    if web.height <= LABEL_SLICE:
        return profile.label_activity(web)
    return pl.concat([profile.label_activity(web.slice(i, LABEL_SLICE)) for i in range(0, web.height, LABEL_SLICE)])


def with_app_fields(app: pl.DataFrame, exprs: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """Fill every column of ``APP_FIELDS``: a value already in the frame wins, then ``exprs``."""
    cols = []
    for name, dtype in APP_FIELDS.items():
        parts = []
        if name in app.columns:
            parts.append(pl.col(name).cast(dtype))
        if name in exprs:
            parts.append(exprs[name].cast(dtype))
        cols.append((pl.coalesce(parts) if parts else pl.lit(None, dtype=dtype)).alias(name))
    return app.with_columns(cols)


def register(cls: type[AppProfile]) -> type[AppProfile]:
    """Class decorator: add a profile to the registry (by its ``name``)."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    if cls.name in PROFILES and PROFILES[cls.name] is not cls:
        raise TypeError(f"two application profiles are named {cls.name!r}")
    PROFILES[cls.name] = cls
    return cls


def discover() -> dict[str, type[AppProfile]]:
    """Import every module of this package once (each registers its profile)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return PROFILES


def profile_for(
    name: str | None = None, options: Mapping[str, Any] | None = None, datasets: Iterable[str] = ()
) -> AppProfile:
    """The profile the case config names, else the one whose datasets are present, else ``generic``."""
    profiles = discover()
    if name:
        if name not in profiles:
            raise ValueError(f"unknown application profile {name!r} (known: {', '.join(sorted(profiles))})")
        return profiles[name](options)
    present = [d for d in datasets if d]
    for pname in sorted(profiles):
        cls = profiles[pname]
        if cls.dataset_prefixes and any(d.startswith(cls.dataset_prefixes) for d in present):
            return cls(options)
    return profiles["generic"](options)


__all__ = ["APP_FIELDS", "PROFILES", "AppProfile", "discover", "profile_for", "register", "with_app_fields"]
