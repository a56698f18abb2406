"""Where parsed events wait for the second time pass, and how they are ordered at the end.

The final times (year inference, DST decisions, clock skew) are only known once every
file is read, so events are held until then.  They are held in memory while they fit a
fixed budget (``MEMORY_BUDGET`` bytes of columns); past it every held chunk is written
to a Parquet part on disk and so is every later chunk.  Memory therefore follows the
budget, never the size of the evidence.

At the end, events held in memory are finalized, sorted (skipped when already in order)
and written once.  Spilled parts are ordered out of core: ranges are cut on quantiles of
the final timestamps (read alone, 8 bytes an event), so every range holds about
``BUCKET_ROWS`` events whatever the time spread; a range reads only the parts whose
timestamps overlap it and is sorted alone; the Parquet sink pulls the sorted ranges one
after the other, so the output is written once and only one range is in memory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

BUCKET_ROWS = 250_000
#: A spilled part whose events fall in more time ranges than this is split once by range.
WIDE_PART_RANGES = 2
#: Bytes of event columns held in memory before chunks go to disk (about 1.4 M web events).
MEMORY_BUDGET = 1 << 30
PART_COMPRESSION = "lz4"
#: How events.parquet is written: zstd level 1 (about 10 % faster than the default for the
#: same size), row groups of 131,072 events (both cores encode; readers skip by time range).
OUTPUT_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1, "row_group_size": 131_072}


class PartStore:
    """Hold event and reject chunks while parsing; produce the sorted outputs at the end."""

    def __init__(self, folder: Path, memory_budget: int | None = None) -> None:
        self.folder = folder
        self.memory_budget = MEMORY_BUDGET if memory_budget is None else memory_budget
        self.n = 0
        self._held: list[pl.DataFrame] = []
        self._held_bytes = 0
        self._paths: list[Path] = []
        self._rejects: list[pl.DataFrame] = []
        self._reject_bytes = 0
        for sub in ("events", "rejects"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    @property
    def spilled(self) -> bool:
        """True once events went to disk (the input did not fit the memory budget)."""
        return bool(self._paths)

    def _next(self, sub: str) -> Path:
        self.n += 1
        return self.folder / sub / f"{self.n:07d}.parquet"

    def add_events(self, df: pl.DataFrame, size: int | None = None) -> None:
        """Hold (or spill) one chunk of events.

        ``size`` is the chunk's ``estimated_size()`` where it was made: a frame that came from
        a Dask worker was laid out anew on the way, and its own estimate differs, but when to
        spill (and so how events.parquet is written) must not depend on where a file was parsed.
        """
        if not df.height:
            return
        if self.spilled:
            self._write_part(df)
            return
        self._held.append(df)
        self._held_bytes += df.estimated_size() if size is None else size
        if self._held_bytes > self.memory_budget:
            self._spill()

    def _write_part(self, df: pl.DataFrame) -> None:
        path = self._next("events")
        df.write_parquet(path, compression=PART_COMPRESSION)
        self._paths.append(path)

    def _spill(self) -> None:
        held, self._held, self._held_bytes = self._held, [], 0
        for df in held:
            self._write_part(df)

    def add_rejects(self, df: pl.DataFrame, size: int | None = None) -> None:
        # rejects are few (every one is a line no parser accepted); they stay in memory
        # unless a hostile input makes them many
        if not df.height:
            return
        self._rejects.append(df)
        self._reject_bytes += df.estimated_size() if size is None else size
        if self._reject_bytes > self.memory_budget // 4:
            for r in self._rejects:
                r.write_parquet(self._next("rejects"), compression=PART_COMPRESSION)
            self._rejects = []
            self._reject_bytes = 0

    # -- what the second time pass needs --------------------------------------------------

    def __len__(self) -> int:
        return len(self._held) + len(self._paths)

    def scan_events(self) -> pl.LazyFrame | None:
        """Every event held so far, as one lazy frame (None when there is none)."""
        frames = [df.lazy() for df in self._held] + [pl.scan_parquet(p) for p in self._paths]
        return pl.concat(frames) if frames else None

    def rewrite_events(self, fn: Callable[[pl.DataFrame], pl.DataFrame | None]) -> None:
        """Replace each chunk by ``fn(chunk)`` (None leaves it as it is); the schema stays."""
        for i, df in enumerate(self._held):
            new = fn(df)
            if new is not None:
                self._held[i] = new
        for path in self._paths:
            new = fn(pl.read_parquet(path))
            if new is not None:
                new.write_parquet(path, compression=PART_COMPRESSION)

    # -- the outputs ----------------------------------------------------------------------

    def write_events(
        self,
        target: Path,
        finalize: Callable[[pl.LazyFrame], pl.LazyFrame],
        sort_keys: list[str],
        empty: pl.DataFrame,
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Finalize every event, sort by ``sort_keys`` and write ``target``; return the row count.

        ``metadata`` goes into the Parquet file's key-value metadata (the run id).
        """
        if not len(self):
            empty.write_parquet(target, metadata=metadata)
            return 0
        if not self.spilled:
            return self._write_held(target, finalize, sort_keys, metadata)
        return self._write_ranges(target, finalize, sort_keys, metadata)

    def _write_held(
        self,
        target: Path,
        finalize: Callable[[pl.LazyFrame], pl.LazyFrame],
        keys: list[str],
        metadata: dict[str, str] | None = None,
    ) -> int:
        held, self._held, self._held_bytes = self._held, [], 0
        df = finalize(pl.concat([h.lazy() for h in held])).collect()
        del held
        if not _in_order(df, keys):
            df = df.sort(keys, nulls_last=True)
        df.write_parquet(target, metadata=metadata, **OUTPUT_OPTIONS)
        return df.height

    def _write_ranges(
        self,
        target: Path,
        finalize: Callable[[pl.LazyFrame], pl.LazyFrame],
        keys: list[str],
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Out-of-core ordering: each time range is sorted alone, then ranges are concatenated."""
        parts = self._paths
        stamps = pl.concat(
            [
                finalize(pl.scan_parquet(p)).select("@timestamp", pl.lit(i, dtype=pl.Int64).alias("_part"))
                for i, p in enumerate(parts)
            ]
        ).collect()
        edges = (
            stamps.get_column("@timestamp")
            .sort()
            .gather_every(BUCKET_ROWS, offset=BUCKET_ROWS)
            .unique(maintain_order=True)
        )
        spans = (
            stamps.with_columns(_bucket_of(edges))
            .group_by("_part")
            .agg(pl.col("_bucket").min().alias("lo"), pl.col("_bucket").max().alias("hi"))
        )
        del stamps
        n_buckets = edges.len() + 1
        # a part that spans many ranges (a table dump covering years) would be read once per
        # range: it is read once instead and split into one file per range, already final
        split_dir = self.folder / "split"
        readers: list[list[int]] = [[] for _ in range(n_buckets)]
        split: list[list[Path]] = [[] for _ in range(n_buckets)]
        for part, lo, hi in spans.sort("_part").iter_rows():
            if hi - lo + 1 > WIDE_PART_RANGES:
                done = finalize(pl.scan_parquet(parts[part])).with_columns(_bucket_of(edges)).collect()
                for (bucket,), piece in done.partition_by("_bucket", as_dict=True).items():
                    folder = split_dir / f"{bucket:07d}"
                    folder.mkdir(parents=True, exist_ok=True)
                    out = folder / f"{part:07d}.parquet"
                    piece.drop("_bucket").write_parquet(out, compression=PART_COMPRESSION)
                    split[bucket].append(out)
                continue
            for bucket in range(lo, hi + 1):
                readers[bucket].append(part)
        schema = finalize(pl.scan_parquet(parts[0])).collect_schema()

        def ranges(
            with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
        ) -> Iterator[pl.DataFrame]:
            """One sorted time range at a time, pulled by the Parquet sink as it writes."""
            for bucket in range(n_buckets):
                frames = []
                if readers[bucket]:
                    lf = pl.concat(
                        [finalize(pl.scan_parquet(parts[i])) for i in readers[bucket]], how="diagonal_relaxed"
                    )
                    frames.append(lf.filter(_bucket_of(edges) == bucket) if n_buckets > 1 else lf)
                frames += [pl.scan_parquet(path) for path in split[bucket]]
                if not frames:
                    continue
                df = pl.concat(frames, how="diagonal_relaxed").collect()
                if not _in_order(df, keys):
                    df = df.sort(keys, nulls_last=True)
                if predicate is not None:
                    df = df.filter(predicate)
                if with_columns is not None:
                    df = df.select(with_columns)
                if df.height:
                    yield df

        register_io_source(ranges, schema=schema).sink_parquet(target, metadata=metadata, **OUTPUT_OPTIONS)
        for part in parts:
            part.unlink()
        shutil.rmtree(split_dir, ignore_errors=True)
        self._paths = []
        return pl.scan_parquet(target).select(pl.len()).collect().item()

    def write_rejects(
        self, target: Path, sort_keys: list[str], empty: pl.DataFrame, metadata: dict[str, str] | None = None
    ) -> None:
        frames = [r.lazy() for r in self._rejects]
        frames += [pl.scan_parquet(p) for p in sorted((self.folder / "rejects").glob("*.parquet"))]
        if frames:
            pl.concat(frames).sort(sort_keys).sink_parquet(
                target, compression=OUTPUT_OPTIONS["compression"], metadata=metadata
            )
        else:
            empty.write_parquet(target, metadata=metadata)


def _in_order(df: pl.DataFrame, keys: list[str]) -> bool:
    """True when ``df`` is already sorted by ``keys`` (nulls last): then sorting is skipped.

    One evidence file read in order is usually in time order already; checking costs a
    few column comparisons, sorting a copy of every column.
    """
    if df.height < 2:
        return True
    if df.select(pl.any_horizontal(pl.col(k).is_null().any() for k in keys)).item():
        return False  # nulls: leave it to sort, whose null placement is the rule
    later = pl.lit(False)
    same = pl.lit(True)
    for k in keys:
        prev = pl.col(k).shift(1)
        later = later | (same & (pl.col(k) > prev))
        same = same & (pl.col(k) == prev)
    ok = (later | same).slice(1)
    return bool(df.select(ok.all()).item())


def _bucket_of(edges: pl.Series) -> pl.Expr:
    """Bucket number of each ``@timestamp``: how many edges are at or before it."""
    if edges.len() == 0:
        return pl.lit(0, dtype=pl.Int64).alias("_bucket")
    return pl.lit(edges).search_sorted(pl.col("@timestamp"), side="right").cast(pl.Int64).alias("_bucket")
