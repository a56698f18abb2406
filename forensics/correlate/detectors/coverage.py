"""Gaps in log coverage: a silent hour in a source that is otherwise continuous.

Per source (the rotation set, else the file), events are counted per UTC hour.  A source
is continuous when at least ``coverage_min_share`` of the hours between its first and
last event have events, over at least ``coverage_min_hours`` hours; then every run of
silent hours inside its span is a gap.  A gap is not proof of tampering (rotation,
retention, an outage); it is where the evidence cannot speak.  The evidence lines are the
last event before and the first after the gap.

The repeated hour of a fall-back (clocks going back in the case's zone) is never a gap:
local times written without an offset are placed on the earlier of their two instants, so
the second pass of that hour is empty in UTC whatever happened then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import polars as pl

from forensics.correlate.context import Context
from forensics.finding_text import msg
from forensics.findings import Finding

NAME = "coverage"
ORDER = 130
TECHNIQUES: tuple[str, ...] = ()
SIGNALS: dict[str, float] = {}
BASELINE = "own_history"

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "coverage.title": "No events from {source} for {missing} hour(s) from {start:minute}",
        "coverage.reason": "{source} has events in {present} of the {total} hours between its first and last event, but none between {start:minute} and {end:minute}. Activity in that window cannot be seen in this source (rotation, retention, outage or removal).",
    },
    "fr": {
        "coverage.title": "Aucun événement de {source} pendant {missing:num} {missing:plural:heure|heures} à partir de {start:minute}",
        "coverage.reason": "{source} a des événements dans {present:num} des {total:num} heures entre son premier et son dernier événement, mais aucun entre {start:minute} et {end:minute}. L'activité de cette période n'est pas visible dans cette source (rotation, durée de conservation, panne ou suppression).",
    },
}


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    t = ctx.thresholds
    cov = ctx.coverage
    if cov.height == 0:
        return []
    out = []
    for source in sorted(cov.get_column("source").drop_nulls().unique().to_list()):
        c = cov.filter(pl.col("source") == source).sort("hour")
        hours = c.get_column("hour").to_list()
        total = int((hours[-1] - hours[0]).total_seconds() // 3600) + 1
        if total < t.coverage_min_hours or len(hours) / total < t.coverage_min_share:
            continue
        recs = c.to_dicts()
        for prev, nxt in pairwise(recs):
            missing = int((nxt["hour"] - prev["hour"]).total_seconds() // 3600) - 1
            if missing <= 0:
                continue
            start = prev["hour"] + timedelta(hours=1)
            end = nxt["hour"]
            # a source that stamps the end of an hour (rounded times) shows it one hour early
            if missing == 1 and (_repeated_hour(start, ctx.zone) or _repeated_hour(end, ctx.zone)):
                continue
            out.append(
                Finding(
                    detector=NAME,
                    title=msg("coverage.title", source=source, missing=missing, start=start),
                    techniques=[],
                    basis="derived",
                    reason=msg("coverage.reason", source=source, present=len(hours), total=total, start=start, end=end),
                    first_seen=prev["last"],
                    last_seen=nxt["first"],
                    event_count=2,
                    rows=[int(prev["last_row"]), int(nxt["first_row"])],
                    details={"source": source, "missing_hours": missing, "gap_start": start, "gap_end": end},
                )
            )
    return out


def _repeated_hour(hour: datetime, zone: ZoneInfo) -> bool:
    """True when the UTC ``hour`` is the second pass of a local hour (clocks went back at its start)."""
    before = (hour - timedelta(seconds=1)).astimezone(zone).utcoffset()
    after = hour.astimezone(zone).utcoffset()
    return before is not None and after is not None and after < before
