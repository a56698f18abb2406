"""Detectors: one module per detector, each ``detect(ctx, prior) -> list[Finding]``.

``prior`` holds the findings of the detectors that ran before (the success detector
reads the campaigns).  The order below is the order they run in.
"""

from __future__ import annotations

from collections.abc import Callable

from forensics.correlate.context import Context
from forensics.correlate.detectors import (
    anonymisers,
    brute_force,
    bulk,
    coverage,
    db_reads,
    persistence,
    recon,
    scripted,
    spray,
    stuffing,
    success_after_failures,
    unusual_access,
    xff_spoof,
)
from forensics.findings import Finding

Detector = Callable[[Context, list[Finding]], list[Finding]]

#: (name, function) in execution order.
DETECTORS: list[tuple[str, Detector]] = [
    (spray.NAME, spray.detect),
    (brute_force.NAME, brute_force.detect),
    (stuffing.NAME, stuffing.detect),
    (success_after_failures.NAME, success_after_failures.detect),
    (unusual_access.NAME, unusual_access.detect),
    (scripted.NAME, scripted.detect),
    (anonymisers.NAME, anonymisers.detect),
    (xff_spoof.NAME, xff_spoof.detect),
    (recon.NAME, recon.detect),
    (bulk.NAME, bulk.detect),
    (db_reads.NAME, db_reads.detect),
    (persistence.NAME, persistence.detect),
    (coverage.NAME, coverage.detect),
]


def run_all(ctx: Context, only: set[str] | None = None) -> list[Finding]:
    """Run every detector in order; each sees the findings of those before it."""
    found: list[Finding] = []
    for name, fn in DETECTORS:
        if only is not None and name not in only:
            continue
        found.extend(fn(ctx, list(found)))
    return found


__all__ = ["DETECTORS", "Detector", "run_all"]
