"""Facts that must add up: coverage gaps by each source's rhythm, the evidence window, precision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from forensics.report import frames as fr
from forensics.report.annex import _signed
from forensics.report.i18n import Locale

T0 = datetime(2024, 10, 21, 0, 0, tzinfo=UTC)
DAYS = 7


def _events(rows: list[tuple[str, datetime, list[str]]]) -> pl.LazyFrame:
    return pl.DataFrame(
        {
            "@timestamp": [t for _, t, _ in rows],
            "log.source": [s for s, _, _ in rows],
            "time.flags": [f for _, _, f in rows],
        },
        schema={"@timestamp": pl.Datetime("us", "UTC"), "log.source": pl.String, "time.flags": pl.List(pl.String)},
    ).lazy()


def _gaps(rows: list[tuple[str, datetime, list[str]]], repeated: list[datetime] | None = None) -> list[fr.Gap]:
    lf = _events(rows)
    first, last, _ = fr.evidence_window(lf)
    assert first is not None and last is not None
    return fr.gaps(lf, fr.hourly(lf), "Europe/Paris", (first, last), repeated or [])


def _busy(source: str, skip: tuple[datetime, datetime] | None = None) -> list[tuple[str, datetime, list[str]]]:
    """A web log: an event every two minutes, day and night."""
    out = []
    t = T0
    while t < T0 + timedelta(days=DAYS):
        if skip is None or not (skip[0] <= t < skip[1]):
            out.append((source, t, []))
        t += timedelta(minutes=2)
    return out


def test_an_hour_of_silence_in_a_busy_log_is_a_gap_even_with_a_stray_event() -> None:
    lost = (datetime(2024, 10, 24, 11, 0, tzinfo=UTC), datetime(2024, 10, 24, 12, 0, tzinfo=UTC))
    rows = [*_busy("web", lost), ("web", datetime(2024, 10, 24, 11, 59, 59, 991000, tzinfo=UTC), [])]
    gaps = _gaps(rows)
    assert len(gaps) == 1
    assert gaps[0].source == "web" and gaps[0].start < lost[0] + timedelta(minutes=1) and gaps[0].hours >= 0.9


def test_a_database_log_quiet_every_night_has_no_gap() -> None:
    rows = []
    for d in range(DAYS):
        day = T0 + timedelta(days=d)
        for m in range(8 * 60, 18 * 60, 3):  # busy from 08:00 to 18:00 UTC, silent at night
            rows.append(("db", day + timedelta(minutes=m), []))
        rows.append(("db", day + timedelta(hours=2, minutes=13), []))  # a stray night job
    assert _gaps(rows) == []


def test_a_bursty_log_is_judged_by_its_bursts() -> None:
    rows = []
    t = T0
    while t < T0 + timedelta(days=DAYS):
        rows += [("audit", t + timedelta(seconds=s), []) for s in range(0, 20, 2)]  # a burst every 40 min
        t += timedelta(minutes=40)
    assert _gaps(rows) == []


def test_the_repeated_dst_hour_is_never_a_gap() -> None:
    back = datetime(2024, 10, 27, 1, 0, tzinfo=UTC)  # Paris: 03:00 CEST -> 02:00 CET
    rows = [(s, t, ["dst_ambiguous_resolved"] if back - timedelta(hours=1) <= t < back else [])
            for s, t, _ in _busy("app", (back, back + timedelta(hours=1)))]  # fmt: skip
    assert _gaps(rows, [back]) == []
    # the same silence in a source that writes UTC offsets (no ambiguity) is a gap
    plain = [(s, t, []) for s, t, _ in rows]
    assert len(_gaps(plain, [back])) == 1


def test_old_reference_dates_do_not_stretch_the_evidence_window() -> None:
    rows = _busy("web")
    rows += [
        ("users.tsv", datetime(2019, 3, 12, 9, 2, 37, tzinfo=UTC), []),
        ("users.tsv", datetime(2024, 8, 19, tzinfo=UTC), []),
    ]
    first, last, outside = fr.evidence_window(_events(rows))
    assert first == T0 and last is not None and last > T0 + timedelta(days=DAYS - 1)
    assert outside == 2


def test_skews_keep_their_precision() -> None:
    loc = Locale("en", "UTC")
    assert _signed(loc, 3.009) == "+3.009"
    assert _signed(loc, 3.0) == "+3.0"
    assert _signed(loc, -0.25) == "−0.25"
    assert _signed(Locale("fr", "UTC"), 3.009) == "+3,009"
