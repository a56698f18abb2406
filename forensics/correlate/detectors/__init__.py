"""Detectors: one module each, found by auto-discovery, run in their declared order.

A detector module declares everything about itself, so that adding one is adding one file
(and its test); see ``docs/adding-a-detector.md``:

``NAME``
    the detector's name (``findings[].detector``).
``ORDER``
    when it runs (lower first); a detector reads the findings of those before it
    (``success_after_failures`` reads the campaigns).
``TECHNIQUES``
    the ATT&CK techniques its findings may carry (documentation and tests).
``SIGNALS``
    ``{signal: weight}``: the account signals its findings may carry (combined by the
    verdict as ``1 - prod(1 - w)``); ``ACCESS_SIGNALS`` the subset that shows use of the
    account by someone else (required for ``compromised``).
``THRESHOLDS``
    ``{name: default}`` for numbers of its own (read as ``ctx.thresholds.<name>``; copied
    into ``findings.json`` with the others).  Older detectors keep theirs in
    ``thresholds.Thresholds``.
``BASELINE``
    what it compares behaviour with: ``own_history``, ``peers``, ``population``,
    ``campaign`` or ``observed`` (what a log line says), joined with ``+``.
``MESSAGES``
    ``{"en": {code: template}, "fr": {...}}``: the texts of its findings (see
    ``forensics.finding_text``, which merges them into its catalogues).
``detect(ctx, prior) -> list[Finding]``
    the detector itself: a pure function of the prepared ``Context``.

Modules whose name starts with ``_`` are helpers, not detectors.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType

from forensics.correlate.context import Context
from forensics.findings import Finding

Detector = Callable[[Context, list[Finding]], list[Finding]]

REQUIRED = ("NAME", "ORDER", "detect")


class DetectorError(TypeError):
    """A detector module that does not declare what the registry needs."""


def discover() -> list[ModuleType]:
    """Every detector module of this package, in execution order (ORDER, then NAME)."""
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        missing = [k for k in REQUIRED if not hasattr(mod, k)]
        if missing:
            raise DetectorError(f"detector module {info.name} does not declare {', '.join(missing)}")
        mods.append(mod)
    mods.sort(key=lambda m: (m.ORDER, m.NAME))
    names = [m.NAME for m in mods]
    if len(set(names)) != len(names):
        raise DetectorError(f"two detectors share a name: {names}")
    return mods


MODULES: list[ModuleType] = discover()

#: (name, function) in execution order.
DETECTORS: list[tuple[str, Detector]] = [(m.NAME, m.detect) for m in MODULES]


def _register() -> None:
    """Merge what the modules declare into the shared tables (weights, thresholds, texts)."""
    from forensics import finding_text
    from forensics.correlate import thresholds

    for m in MODULES:
        for signal, weight in getattr(m, "SIGNALS", {}).items():
            known = thresholds.SIGNAL_WEIGHTS.get(signal)
            if known is not None and known != weight:
                raise DetectorError(f"{m.NAME}: signal {signal} weighs {weight}, already {known}")
            thresholds.SIGNAL_WEIGHTS[signal] = weight
        thresholds.ACCESS_SIGNALS.update(getattr(m, "ACCESS_SIGNALS", ()))
        for key, value in getattr(m, "THRESHOLDS", {}).items():
            if key in thresholds.Thresholds.__dataclass_fields__:
                raise DetectorError(f"{m.NAME}: threshold {key} is already a core threshold")
            thresholds.PLUGIN_THRESHOLDS[key] = value
        finding_text.register_messages(getattr(m, "MESSAGES", {}), owner=m.NAME)


_register()


def run_all(ctx: Context, only: set[str] | None = None) -> list[Finding]:
    """Run every detector in order; each sees the findings of those before it."""
    found: list[Finding] = []
    for name, fn in DETECTORS:
        if only is not None and name not in only:
            continue
        found.extend(fn(ctx, list(found)))
    return found


def describe() -> list[dict[str, object]]:
    """What each detector declares (for docs and ``forensics`` listings)."""
    return [
        {
            "name": m.NAME,
            "order": m.ORDER,
            "summary": (m.__doc__ or "").strip().splitlines()[0] if m.__doc__ else "",
            "techniques": list(getattr(m, "TECHNIQUES", ())),
            "signals": dict(getattr(m, "SIGNALS", {})),
            "baseline": getattr(m, "BASELINE", ""),
        }
        for m in MODULES
    ]


__all__ = ["DETECTORS", "MODULES", "Detector", "DetectorError", "describe", "discover", "run_all"]
