"""The part store: events held in memory up to a budget, spilled to disk past it, ordered at the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.store import PartStore, _in_order

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
    rows = store.write_events(target, lambda lf: lf, KEYS, _frame([]))
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
