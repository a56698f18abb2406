"""The part store: events held in memory up to a budget, spilled to disk past it, ordered at the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.store import PartStore, _key_range
from forensics.time.zones import rows_in_order

KEYS = ["@timestamp", "log.file.path", "log.file.line", "event.id"]
T0 = datetime(2024, 10, 27, 1, 30)


def _frame(rows: list[tuple[int | None, str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "@timestamp": [None if s is None else T0 + timedelta(seconds=s) for s, *_ in rows],
            "log.file.path": [r[1] for r in rows],
            "log.file.line": [r[2] for r in rows],
            "event.id": [r[3] for r in rows],
        },
        schema={
            "@timestamp": pl.Datetime("us", "UTC"),
            "log.file.path": pl.String,
            "log.file.line": pl.Int64,
            "event.id": pl.String,
        },
    )


ROW = st.tuples(
    st.one_of(st.none(), st.integers(0, 3)),
    st.sampled_from(["a/access.log", "b/error.log"]),
    st.integers(1, 3),
    st.sampled_from(["x:0:0", "x:0:1", "y:9:0"]),
)


def _in_order(df: pl.DataFrame, keys: list[str]) -> bool:
    return rows_in_order(df, keys, ties=True)  # the part store's question


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, max_size=8))
def test_in_order_says_true_exactly_when_sorting_changes_nothing(rows: list[tuple[int | None, str, int, str]]) -> None:
    df = _frame(rows)
    unchanged = df.sort(KEYS, nulls_last=True, maintain_order=True).equals(df)
    if _in_order(df, KEYS):
        assert unchanged
    if df.get_column("@timestamp").null_count() == 0:
        assert _in_order(df, KEYS) == unchanged  # with nulls it may say False and leave it to sort


def _chunk(start: int, n: int) -> pl.DataFrame:
    return _frame([(start + i, "a/access.log", start + i + 1, f"id:{start + i}") for i in range(n)])


def _write(store: PartStore, target: Path) -> pl.DataFrame:
    rows = store.write_events(target, lambda lf, filled: lf, KEYS, _frame([]))
    out = pl.read_parquet(target)
    assert out.height == rows
    return out


def test_held_in_memory_until_the_budget_then_spilled(tmp_path: Path) -> None:
    chunks = [_chunk(100, 50), _chunk(0, 50), _chunk(50, 50)]  # out of order across chunks
    roomy = PartStore(tmp_path / "roomy", memory_budget=1 << 30)
    tight = PartStore(tmp_path / "tight", memory_budget=chunks[0].estimated_size() + 1)
    for c in chunks:
        roomy.add_events(c)
        tight.add_events(c)
    assert not roomy.spilled and not list((tmp_path / "roomy" / "events").iterdir())
    assert tight.spilled and len(list((tmp_path / "tight" / "events").iterdir())) == 3
    one, two = _write(roomy, tmp_path / "one.parquet"), _write(tight, tmp_path / "two.parquet")
    assert one.equals(two)
    assert one.get_column("log.file.line").to_list() == list(range(1, 151))


def test_rewrite_reaches_held_and_spilled_chunks(tmp_path: Path) -> None:
    store = PartStore(tmp_path / "s", memory_budget=_chunk(0, 10).estimated_size() + 1)
    store.add_events(_chunk(0, 10))
    store.add_events(_chunk(10, 10))  # over the budget: both go to disk
    store.add_events(_chunk(20, 10))
    store.rewrite_events(lambda df: df.with_columns(pl.col("event.id").str.to_uppercase()))
    scanned = store.scan_events()
    assert scanned is not None
    ids = scanned.collect().get_column("event.id").to_list()
    assert len(ids) == 30 and all(i.startswith("ID:") for i in ids)


def test_nothing_held_gives_an_empty_output(tmp_path: Path) -> None:
    store = PartStore(tmp_path / "s")
    assert store.scan_events() is None
    assert _write(store, tmp_path / "e.parquet").height == 0


def test_a_part_spanning_many_ranges_is_read_once_and_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table dump covers years: it is split by range once instead of being read for every range."""
    import forensics.intake.store as store_mod

    monkeypatch.setattr(store_mod, "BUCKET_ROWS", 20)
    wide = _frame([((i * 7919) % 500, "dump/users.tsv", i + 1, f"u:{i}") for i in range(200)])  # all over
    narrow = [_chunk(100 * k, 100) for k in range(5)]
    reads: list[str] = []
    real_scan = pl.scan_parquet

    def counting_scan(source: object, *args: object, **kwargs: object) -> pl.LazyFrame:
        reads.append(str(source))
        return real_scan(source, *args, **kwargs)  # type: ignore[arg-type]

    roomy, tight = PartStore(tmp_path / "roomy"), PartStore(tmp_path / "tight", memory_budget=0)
    for c in [wide, *narrow]:
        roomy.add_events(c)
        tight.add_events(c)
    monkeypatch.setattr(store_mod.pl, "scan_parquet", counting_scan)
    spilled = _write(tight, tmp_path / "two.parquet")
    monkeypatch.setattr(store_mod.pl, "scan_parquet", real_scan)
    assert spilled.equals(_write(roomy, tmp_path / "one.parquet"))
    wide_part = str(tmp_path / "tight" / "events" / "0000001.parquet")
    assert reads.count(wide_part) <= 3  # stamps, schema, the split: not once per range
    assert spilled.height == 700


def _events(start: int, n: int, path: str = "a/access.log") -> pl.DataFrame:
    """A chunk with the text column the budget projection reads and a column of nulls only."""
    return _chunk(start, n).with_columns(
        pl.col("log.file.path").str.replace("a/access.log", path),
        pl.format("line {}", pl.col("log.file.line")).alias("event.original"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("db.tables"),
    )


def test_evidence_known_to_be_too_big_spills_from_the_first_chunk(tmp_path: Path) -> None:
    chunk = _events(0, 100)
    text = int(chunk.get_column("event.original").str.len_bytes().sum())
    budget = chunk.estimated_size() * 3
    # the whole evidence holds ten chunks of text: it will not fit, so nothing is held
    early = PartStore(tmp_path / "early", memory_budget=budget, expected_text=text * 10)
    early.add_events(chunk)
    assert early.spilled
    # three chunks fit: they are held
    fits = PartStore(tmp_path / "fits", memory_budget=budget, expected_text=text * 2)
    fits.add_events(chunk)
    fits.add_events(_events(100, 100))
    assert not fits.spilled
    unknown = PartStore(tmp_path / "unknown", memory_budget=budget)
    unknown.add_events(chunk)
    assert not unknown.spilled


def test_a_part_keeps_only_columns_with_values_and_reads_back_whole(tmp_path: Path) -> None:
    store = PartStore(tmp_path / "s", memory_budget=0)
    chunk = _events(0, 20)
    store.add_events(chunk)
    (part,) = (tmp_path / "s" / "events").iterdir()
    assert "db.tables" not in pl.read_parquet_schema(part)
    scanned = store.scan_events()
    assert scanned is not None
    assert scanned.collect().equals(chunk)


def test_parts_that_follow_one_another_are_written_in_turn_without_sorting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotation set read oldest first: each part in order, each after the previous one."""
    import forensics.intake.store as store_mod

    chunks = [_events(100 * k, 100, "a/access.log") for k in range(4)]
    roomy, tight = PartStore(tmp_path / "roomy"), PartStore(tmp_path / "tight", memory_budget=0)
    for c in chunks:
        roomy.add_events(c)
        tight.add_events(c)
    monkeypatch.setattr(store_mod, "BUCKET_ROWS", 50)  # the range path would cut eight ranges
    ranged = _spy_ranges(monkeypatch)
    spilled = _write(tight, tmp_path / "two.parquet")
    assert not ranged
    assert spilled.equals(_write(roomy, tmp_path / "one.parquet"))
    assert spilled.get_column("log.file.line").to_list() == list(range(1, 401))


def _spy_ranges(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether the range path ran."""
    import forensics.intake.store as store_mod

    ranged: list[bool] = []
    real = store_mod.PartStore._write_buckets

    def spy(self: PartStore, *args: object, **kwargs: object) -> None:
        ranged.append(True)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_mod.PartStore, "_write_buckets", spy)
    return ranged


def test_rotated_files_sharing_their_boundary_second_are_sorted_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # access.log.2 ends at the second access.log.1 starts: by path, .1 comes first in that second
    older = _events(0, 100, "a/access.log.2")
    newer = _events(99, 100, "a/access.log.1")
    roomy, tight = PartStore(tmp_path / "roomy"), PartStore(tmp_path / "tight", memory_budget=0)
    for c in (older, newer):
        roomy.add_events(c)
        tight.add_events(c)
    ranged = _spy_ranges(monkeypatch)
    spilled = _write(tight, tmp_path / "two.parquet")
    assert not ranged
    assert spilled.equals(_write(roomy, tmp_path / "one.parquet"))
    assert spilled.get_column("log.file.path").to_list()[99:101] == ["a/access.log.1", "a/access.log.2"]


def test_sources_that_overlap_take_the_range_path_and_give_the_same_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forensics.intake.store as store_mod

    monkeypatch.setattr(store_mod, "SEGMENT_ROWS", 150)
    # two files over the same hours, and a part out of order
    chunks = [_events(0, 100, "a/access.log"), _events(50, 100, "b/access.log"), _events(200, 50).reverse()]
    roomy, tight = PartStore(tmp_path / "roomy"), PartStore(tmp_path / "tight", memory_budget=0)
    for c in chunks:
        roomy.add_events(c)
        tight.add_events(c)
    ranged = _spy_ranges(monkeypatch)
    assert _write(tight, tmp_path / "two.parquet").equals(_write(roomy, tmp_path / "one.parquet"))
    assert ranged


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 60), st.booleans(), st.booleans()), max_size=6))
def test_output_is_the_sorted_events_whatever_the_chunks_held_or_spilled(
    tmp_path_factory: pytest.TempPathFactory, specs: list[tuple[int, int, bool, bool]]
) -> None:
    tmp = tmp_path_factory.mktemp("parts")
    chunks = [
        _events(start, n, "b/access.log" if other else "a/access.log").pipe(lambda d, r=rev: d.reverse() if r else d)
        for start, n, other, rev in specs
    ]
    tight, roomy = PartStore(tmp / "tight", memory_budget=0), PartStore(tmp / "roomy")
    for c in chunks:
        tight.add_events(c)
        roomy.add_events(c)
    for store, name in ((tight, "spilled"), (roomy, "held")):
        out = _write(store, tmp / f"{name}.parquet")
        if chunks:
            expected = pl.concat(chunks).sort(KEYS, nulls_last=True)
            assert out.select(expected.columns).equals(expected), name


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=8))
def test_key_range_is_the_first_and_last_row_of_the_sorted_keys(rows: list[tuple[int | None, str, int, str]]) -> None:
    df = _frame(rows)
    got = _key_range(df, KEYS)
    if df.select(pl.any_horizontal(pl.col(k).is_null().any() for k in KEYS)).item():
        assert got is None
        return
    ordered = df.sort(KEYS)
    assert got == (ordered.row(0), ordered.row(-1))


@pytest.mark.parametrize("starts", [[0, 100, 200], [0, 99, 250], [200, 0, 100], [0, 50, 100]])
def test_each_held_chunk_is_finalized_once(tmp_path: Path, starts: list[int]) -> None:
    """Held chunks are finalized once each, for their key ranges and the write alike."""
    finalized: list[int] = []

    def count(s: pl.Series) -> pl.Series:
        finalized.append(s.len())
        return s

    def finalize(lf: pl.LazyFrame, filled: frozenset[str]) -> pl.LazyFrame:
        return lf.with_columns(pl.col("log.file.line").map_batches(count, return_dtype=pl.Int64))

    store = PartStore(tmp_path / "p")
    chunks = [_events(s, 100, "a/access.log") for s in starts]
    for c in chunks:
        store.add_events(c)
    assert store.write_events(tmp_path / "o.parquet", finalize, KEYS, _frame([])) == 300
    assert sum(finalized) == 300
    expected = pl.concat(chunks).sort(KEYS)
    assert pl.read_parquet(tmp_path / "o.parquet").select(expected.columns).equals(expected)


def test_expected_text_of_plain_and_gzip_files(tmp_path: Path) -> None:
    import gzip

    from forensics.intake.store import COMPRESSED_RATIO, expected_text_bytes

    text = b"".join(b"192.0.2.%d - - line %d\n" % (i % 250, i) for i in range(5000))
    plain, packed, other = tmp_path / "access.log", tmp_path / "access.log.1.gz", tmp_path / "audit.log.xz"
    plain.write_bytes(text)
    packed.write_bytes(gz := gzip.compress(text))
    other.write_bytes(b"\xfd7zXZ\x00" + b"x" * 94)
    files = [(p, p.stat().st_size) for p in (plain, packed, other)]
    # the gzip trailer gives the exact size; xz records none: its size times the ratio
    assert expected_text_bytes(files) == 2 * len(text) + 100 * COMPRESSED_RATIO
    assert packed.read_bytes() == gz  # read, never changed


def _overlapping_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, untimed: bool = False
) -> tuple[PartStore, PartStore, int]:
    """The same chunks of two files held in memory and spilled, ordered on the range path.

    The files log the same minutes (one event a second between them), one in chunks of 25 rows
    (50 s), the other of 40 (80 s): their chunks overlap in a chain, so the spilled store takes
    the range path, and its ranges of 80 events end at 80 s and 160 s, inside the second and the
    fourth chunk of the first file.  ``untimed``: every tenth event of the first file has no time.
    """
    import forensics.intake.store as store_mod

    monkeypatch.setattr(store_mod, "BUCKET_ROWS", 80)
    monkeypatch.setattr(store_mod, "SEGMENT_ROWS", 80)  # overlapping files: the range path
    one = _frame(
        [(None if untimed and i % 10 == 0 else 2 * i, "a/access.log", i + 1, f"a:{i:03d}") for i in range(100)]
    )
    two = _frame([(2 * i + 1, "b/access.log", i + 1, f"b:{i:03d}") for i in range(100)])
    chunks = [one.slice(k, 25) for k in range(0, 100, 25)] + [two.slice(k, 40) for k in range(0, 100, 40)]
    roomy, tight = PartStore(tmp_path / "roomy"), PartStore(tmp_path / "tight", memory_budget=0)
    for c in chunks:
        roomy.add_events(c)
        tight.add_events(c)
    return roomy, tight, len(chunks)


def test_a_part_straddling_two_ranges_is_read_once_for_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part that falls in two ranges gives the second range the rows it kept from the first
    read, and the output is the same as in memory."""
    import forensics.intake.store as store_mod

    roomy, tight, n_chunks = _overlapping_stores(tmp_path, monkeypatch)
    reads: list[str] = []
    real_scan = pl.scan_parquet

    def counting_scan(source: object, *args: object, **kwargs: object) -> pl.LazyFrame:
        reads.append(str(source))
        return real_scan(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_mod.pl, "scan_parquet", counting_scan)
    spilled = _write(tight, tmp_path / "two.parquet")
    monkeypatch.setattr(store_mod.pl, "scan_parquet", real_scan)
    assert spilled.equals(_write(roomy, tmp_path / "one.parquet"))
    assert spilled.get_column("event.id").to_list()[:4] == ["a:000", "b:000", "a:001", "b:001"]
    parts = sorted({r for r in reads if "/events/" in r})
    assert len(parts) == n_chunks
    # each part: its keys (the segment check and the time stamps the ranges are cut on), then
    # one read for its ranges
    assert [reads.count(p) for p in parts] == [2] * n_chunks


def test_events_without_a_time_come_last_on_the_range_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The canonical order puts events without a time last: spilled and ordered range by range,
    they must not land at the end of the first range (the rows' numbers would differ from those
    of the same events held in memory, and from the partitioned dataset's)."""
    roomy, tight, _ = _overlapping_stores(tmp_path, monkeypatch, untimed=True)
    spilled = _write(tight, tmp_path / "two.parquet")
    assert spilled.equals(_write(roomy, tmp_path / "one.parquet"))
    assert spilled.get_column("@timestamp").tail(10).null_count() == 10
