"""Property: for any instant, zone and offset, reading a timestamp then converting it back gives the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from forensics.time.zones import ZoneDecision, localize_all
from tests.timing.fixture_parsers import NaiveNoIds

ZONES = [
    "UTC",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",  # -03:30 / -02:30
    "Asia/Kolkata",  # +05:30, no DST
    "Australia/Lord_Howe",  # a 30-minute DST change
    "Pacific/Chatham",  # +12:45 / +13:45
]
INSTANTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC))
OFFSETS = st.integers(min_value=-14 * 4, max_value=14 * 4).map(lambda q: q * 15 * 60)


def _wall(dt: datetime, micro: bool) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f" if micro else "%Y-%m-%d %H:%M:%S")


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def _read(lines: list[str], zone: str):
    parser = NaiveNoIds()
    records = records_from_text("\n".join(f"{line} event {i}" for i, line in enumerate(lines)), parser)
    events = parser.parse(records, {}).events
    return localize_all(events, ZoneDecision(zone, "source")).sort("_rec")


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(INSTANTS, st.one_of(st.none(), OFFSETS), st.booleans()), min_size=1, max_size=12),
    zone=st.sampled_from(ZONES),
)
def test_reading_then_converting_back_reproduces_the_original(rows, zone: str) -> None:
    z = ZoneInfo(zone)
    rows = [(i if micro else i.replace(microsecond=0), o, micro) for i, o, micro in rows]
    lines = []
    for instant, offset, micro in rows:
        if offset is None:  # naive local time in the source's zone
            lines.append(_wall(instant.astimezone(z).replace(tzinfo=None), micro))
        else:  # the record carries its offset
            lines.append(
                _wall((instant + timedelta(seconds=offset)).replace(tzinfo=None), micro) + _offset_text(offset)
            )
    df = _read(lines, zone)
    assert df.height == len(rows)
    for (instant, offset, micro), row in zip(rows, df.iter_rows(named=True)):
        recorded = row["time.recorded"]
        original = row["time.original"]
        if offset is None:
            assert row["time.zone_source"] == "source"
            assert _wall(recorded.astimezone(z).replace(tzinfo=None), micro) == original
            # the true instant is the one recorded, or one of the two kept when undecidable
            if "dst_ambiguous" in row["time.flags"]:
                assert instant in (row["time.earliest"], row["time.latest"])
            else:
                assert recorded == instant
        else:
            assert row["time.zone_source"] == "record"
            assert row["time.zone"] == _offset_text(offset)
            back = (recorded + timedelta(seconds=offset)).replace(tzinfo=None)
            assert _wall(back, micro) + row["time.zone"] == original
            assert recorded == instant
            assert row["time.flags"] == []


@settings(max_examples=100, deadline=None)
@given(wall=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31)), zone=st.sampled_from(ZONES))
def test_any_wall_clock_time_is_read_and_flagged_honestly(wall: datetime, zone: str) -> None:
    z = ZoneInfo(zone)
    wall = wall.replace(microsecond=0)
    row = _read([_wall(wall, False)], zone).row(0, named=True)
    recorded = row["time.recorded"]
    exists = wall.replace(tzinfo=z).astimezone(UTC).astimezone(z).replace(tzinfo=None) == wall
    if not exists:
        # a time in the spring-forward gap: read with the offset before the change, never silently
        assert row["time.flags"] == ["dst_nonexistent"]
        assert recorded == wall.replace(tzinfo=z, fold=0).astimezone(UTC)
    else:
        assert recorded.astimezone(z).replace(tzinfo=None) == wall
        two = wall.replace(tzinfo=z, fold=0).utcoffset() != wall.replace(tzinfo=z, fold=1).utcoffset()
        assert ("dst_ambiguous" in row["time.flags"]) == two
