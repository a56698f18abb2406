"""``--since``/``--until``: dates as people type them, with the zone said, never guessed silently."""

from __future__ import annotations

import pytest

from forensics.time.window import WindowError, parse_bound, parse_window


@pytest.mark.parametrize(
    ("text", "utc", "source"),
    [
        ("2024-10-25", "2024-10-24T22:00:00Z", "assumed"),
        ("25/10/2024 14:00", "2024-10-25T12:00:00Z", "assumed"),
        ("25 Oct 2024 2pm", "2024-10-25T12:00:00Z", "assumed"),
        ("2024-10-25T01:12:00Z", "2024-10-25T01:12:00Z", "written"),
        ("2024-10-25 14:00 +02:00", "2024-10-25T12:00:00Z", "written"),
        ("2024-10-25 14:00 America/New_York", "2024-10-25T18:00:00Z", "written"),
    ],
)
def test_dates_people_type(text: str, utc: str, source: str) -> None:
    bound = parse_bound(text, until=False, zone="Europe/Paris")
    assert bound.iso() == utc and bound.zone_source == source


def test_until_is_inclusive_at_the_precision_typed() -> None:
    assert parse_bound("2024-10-25", until=True, zone=None).iso() == "2024-10-25T23:59:59.999999Z"
    assert parse_bound("2024-10-25 14:00", until=True, zone=None).iso() == "2024-10-25T14:00:59.999999Z"


def test_the_assumed_zone_is_said() -> None:
    window = parse_window("2024-10-25", None, zone=None)
    assert window.notes() == [
        "--since '2024-10-25' has no zone: read in UTC (no case zone, no --tz) (assumed), i.e. 2024-10-25T00:00:00Z"
    ]
    assert parse_window(None, None, zone=None).to_json() is None


def test_dst_gap_and_overlap_are_flagged() -> None:
    overlap = parse_bound("2024-10-27 02:30", until=False, zone="Europe/Paris")
    gap = parse_bound("2024-03-31 02:30", until=False, zone="Europe/Paris")
    assert overlap.iso() == "2024-10-27T00:30:00Z" and "ambiguous" in (overlap.note or "")
    assert gap.iso() == "2024-03-31T01:30:00Z" and "does not exist" in (gap.note or "")


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("03/04/2024", None, "YYYY-MM-DD"),
        ("2024-10-25 14:00 CET", None, "abbreviation"),
        ("soon", None, "is not a date"),
        ("2024-10-25 Mars/Olympus", None, "not a known time zone"),
        ("2024-10-26", "2024-10-25", "is after"),
    ],
)
def test_what_cannot_be_read_without_guessing_is_refused(since: str, until: str | None, words: str) -> None:
    with pytest.raises(WindowError, match=words):
        parse_window(since, until, zone="Europe/Paris")
