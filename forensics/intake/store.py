"""Where parsed events wait for the second time pass, and how they are ordered at the end.

The final times (year inference, DST decisions, clock skew) are only known once every
file is read, so events are held until then.  They are held in memory while they fit a
fixed budget (``MEMORY_BUDGET`` bytes of columns); past it every held chunk is written
to a Parquet part on disk and so is every later chunk.  Memory therefore follows the
budget, never the size of the evidence.

When the evidence is known to be larger than the budget (``expected_text_bytes``: the
size of the files, compressed ones counted at a typical ratio), chunks go to disk from the
first one, as soon as the bytes of columns per byte of text seen so far say the whole would
not fit: holding a budget's worth first and then writing it all costs memory for nothing.
A part leaves out its columns that hold only nulls (most of the schema for any one format);
reading it puts them back as typed nulls.

At the end, events held in memory are finalized, sorted (skipped when already in order)
and written once.  Spilled parts are ordered out of core.  When the parts' key ranges
follow one another (one big file, or a rotation set read oldest first), the parts are
finalized and written one after the other, the few that overlap (two rotated files sharing
their boundary second) sorted together: nothing is read twice.
Otherwise ranges are cut on quantiles of the final timestamps (read alone, 8 bytes an
event), so every range holds about ``BUCKET_ROWS`` events whatever the time spread; a range
reads only the parts whose timestamps overlap it (a part that straddles two ranges is read
once, its rows of the next range kept until then) and is sorted alone; the Parquet sink pulls
the sorted ranges one after the other, so the output is written once and only one range is
in memory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

# the evidence is opened only the way the reader opens it: read-only, O_NOATIME when allowed
from forensics.intake.stream import _open_readonly as open_readonly
from forensics.time.zones import rows_in_order

BUCKET_ROWS = 250_000
#: Parts whose key ranges overlap are sorted together when they hold no more events than this.
SEGMENT_ROWS = BUCKET_ROWS
#: A spilled part whose events fall in more time ranges than this is split once by range.
WIDE_PART_RANGES = 2
#: Bytes of event columns held in memory before chunks go to disk (about 1.1 M web events).
MEMORY_BUDGET = 1 << 30
PART_COMPRESSION = "lz4"
#: How events.parquet is written: zstd level 1 (about 10 % faster than the default for the
#: same size), row groups of 131,072 events (both cores encode; readers skip by time range).
OUTPUT_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1, "row_group_size": 131_072}
#: Text bytes assumed per byte of a compressed file whose size is not written in it (bzip2,
#: xz, zstd): logs compress 8 to 15 times; a low guess only spills later.
COMPRESSED_RATIO = 8
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4")

#: How a chunk of events is finished before it is ordered: the chunk, and the names of its
#: columns that hold at least one value (a step whose inputs are all null can be skipped: the
#: fall-back rewrite touches no chunk without an undecided DST reading, most of them).
Finish = Callable[[pl.LazyFrame, frozenset[str]], pl.LazyFrame]


def expected_text_bytes(files: Iterable[tuple[Path, int]]) -> int:
    """About how many bytes of text the ``(path, size)`` files hold: a hint for the memory budget.

    A plain file is its size; a gzip file the size its trailer records (the last 4 bytes:
    the text's size modulo 4 GiB, of the last member only), read with the evidence's own
    read-only opening; other compressed files their size times ``COMPRESSED_RATIO``.  A
    wrong guess costs speed or memory, never a different output.
    """
    total = 0
    for path, size in files:
        name = path.name.lower()
        text = None
        if name.endswith(".gz"):
            text = _gzip_text_size(path, size)
        elif not name.endswith(_COMPRESSED):
            text = size
        total += size * COMPRESSED_RATIO if text is None else text
    return total


def _gzip_text_size(path: Path, size: int) -> int | None:
    """The uncompressed size a gzip file's trailer records, or None when it cannot be trusted."""
    if size < 18:  # header and trailer alone
        return None
    try:
        with open_readonly(path) as fh:
            fh.seek(-4, 2)
            text = int.from_bytes(fh.read(4), "little")
    except OSError:
        return None
    # the field wraps at 4 GiB, and a concatenated file records its last member only: a size
    # far below the compressed one is such a case, not a real ratio
    return text if text >= size // 2 else None


class PartStore:
    """Hold event and reject chunks while parsing; produce the sorted outputs at the end."""

    def __init__(self, folder: Path, memory_budget: int | None = None, expected_text: int | None = None) -> None:
        self.folder = folder
        self.memory_budget = MEMORY_BUDGET if memory_budget is None else memory_budget
        #: bytes of text the whole evidence is expected to hold (None: unknown, hold up to the budget)
        self.expected_text = expected_text
        self._text_seen = 0
        self.n = 0
        self._held: list[pl.DataFrame] = []
        self._held_bytes = 0
        self._paths: list[Path] = []
        #: per spilled part: the full schema and the columns actually stored (the others are all null)
        self._layout: dict[Path, tuple[pl.Schema, frozenset[str]]] = {}
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
        if self._held_bytes > self.memory_budget or self._projected(df) > self.memory_budget:
            self._spill()

    def _projected(self, df: pl.DataFrame) -> float:
        """Bytes of columns the whole evidence would take, at the ratio seen so far (0: unknown)."""
        if self.expected_text is None or "event.original" not in df.columns:
            return 0
        self._text_seen += int(df.get_column("event.original").str.len_bytes().sum() or 0)
        if not self._text_seen:
            return 0
        return self._held_bytes * max(self.expected_text, self._text_seen) / self._text_seen

    def _write_part(self, df: pl.DataFrame) -> None:
        path = self._next("events")
        self._store_part(path, df)
        self._paths.append(path)

    def _store_part(self, path: Path, df: pl.DataFrame) -> None:
        """Write ``df`` to ``path`` without its all-null columns (``_scan`` restores them)."""
        kept = [c for c in df.columns if df.get_column(c).null_count() < df.height] or df.columns[:1]
        df.select(kept).write_parquet(path, compression=PART_COMPRESSION)
        self._layout[path] = (df.schema, frozenset(kept))

    def _scan(self, path: Path) -> pl.LazyFrame:
        """A spilled part with every column of its chunk, in the chunk's order."""
        schema, kept = self._layout[path]
        return pl.scan_parquet(path).select(
            [pl.col(n) if n in kept else pl.lit(None, dtype=t).alias(n) for n, t in schema.items()]
        )

    def _finished(self, path: Path, finalize: Finish) -> pl.LazyFrame:
        """A spilled part, finished: ``finalize`` is told which of its columns hold a value."""
        return finalize(self._scan(path), self._layout[path][1])

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
        frames = [df.lazy() for df in self._held] + [self._scan(p) for p in self._paths]
        return pl.concat(frames) if frames else None

    def finished_parts(self, finalize: Finish) -> list[pl.LazyFrame]:
        """Every chunk held so far, in the order they were added, each finished by ``finalize``
        (told which of its columns hold a value)."""
        return [finalize(df.lazy(), _filled(df)) for df in self._held] + [
            self._finished(p, finalize) for p in self._paths
        ]

    def rewrite_events(self, fn: Callable[[pl.DataFrame], pl.DataFrame | None]) -> None:
        """Replace each chunk by ``fn(chunk)`` (None leaves it as it is); the schema stays."""
        for i, df in enumerate(self._held):
            new = fn(df)
            if new is not None:
                self._held[i] = new
        for path in self._paths:
            new = fn(self._scan(path).collect())
            if new is not None:
                self._store_part(path, new)

    # -- the outputs ----------------------------------------------------------------------

    def write_events(
        self,
        target: Path,
        finalize: Finish,
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
        finalize: Finish,
        keys: list[str],
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Held chunks in order: by segments when they follow one another, else all at once,
        sorted when not yet in order.

        Each chunk is finalized once, replacing the held chunk it came from (memory stays near
        what is held); its key range is read from the finalized frame and the same frame is
        written.
        """
        held, self._held, self._held_bytes = self._held, [], 0
        if len(held) == 1:
            df = held.pop()
            return _write_frame(finalize(df.lazy(), _filled(df)).collect(), target, keys, metadata)
        schema = finalize(pl.LazyFrame(schema=held[0].schema), frozenset(held[0].columns)).collect_schema()
        done: list[pl.DataFrame] = []
        while held:
            df = held.pop(0)
            done.append(finalize(df.lazy(), _filled(df)).collect())
        segments = _segments(done, keys)
        if segments is not None and len(segments) > 1:

            def batches() -> Iterator[list[pl.LazyFrame]]:
                for seg in segments:
                    frames = [done[i].lazy() for i in seg]
                    for i in seg:
                        done[i] = done[i].clear()  # written: its memory can go
                    yield frames

            _sink_sorted(batches(), schema, keys, target, metadata)
            return pl.scan_parquet(target).select(pl.len()).collect().item()
        df = pl.concat(done)
        done.clear()
        return _write_frame(df, target, keys, metadata)

    def _write_ranges(
        self,
        target: Path,
        finalize: Finish,
        keys: list[str],
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Out-of-core ordering: parts (or small groups of parts) in turn when they follow, else range by range."""
        parts = self._paths
        # the output's schema from the chunk's (no file is read for it)
        first = self._layout[parts[0]][0]
        schema = finalize(pl.LazyFrame(schema=first), frozenset(first.names())).collect_schema()
        stamps: list[pl.Series] = []
        segments = _segments([self._finished(p, finalize) for p in parts], keys, stamps)
        if segments is not None:
            stamps.clear()
            batches = ([self._finished(parts[i], finalize) for i in seg] for seg in segments)
            _sink_sorted(batches, schema, keys, target, metadata)
        else:
            self._write_buckets(target, finalize, keys, schema, metadata, stamps)
        for part in parts:
            part.unlink()
        self._paths = []
        self._layout = {}
        return pl.scan_parquet(target).select(pl.len()).collect().item()

    def _write_buckets(
        self,
        target: Path,
        finalize: Finish,
        keys: list[str],
        schema: pl.Schema,
        metadata: dict[str, str] | None,
        part_stamps: list[pl.Series],
    ) -> None:
        """Each time range is read from the parts that overlap it and sorted alone; ranges are concatenated.

        ``part_stamps``: each part's final ``@timestamp`` (read with its keys), emptied here.
        """
        parts = self._paths
        stamps = pl.concat(
            [
                pl.DataFrame([ts.rename("@timestamp")]).with_columns(pl.lit(i, dtype=pl.Int64).alias("_part"))
                for i, ts in enumerate(part_stamps)
            ]
        )
        part_stamps.clear()
        edges = (
            stamps.get_column("@timestamp")
            .drop_nulls()
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
        last_range: dict[int, int] = {}
        for part, lo, hi in spans.sort("_part").iter_rows():
            last_range[part] = hi
            if hi - lo + 1 > WIDE_PART_RANGES:
                done = self._finished(parts[part], finalize).with_columns(_bucket_of(edges)).collect()
                for (bucket,), piece in done.partition_by("_bucket", as_dict=True).items():
                    folder = split_dir / f"{bucket:07d}"
                    folder.mkdir(parents=True, exist_ok=True)
                    out = folder / f"{part:07d}.parquet"
                    piece.drop("_bucket").write_parquet(out, compression=PART_COMPRESSION)
                    split[bucket].append(out)
                continue
            for bucket in range(lo, hi + 1):
                readers[bucket].append(part)

        # a part that straddles two ranges is read once: its rows of the next range wait here
        later: dict[int, pl.DataFrame] = {}

        def read(i: int, bucket: int) -> pl.LazyFrame:
            """Part ``i``'s rows of range ``bucket`` (it is read once, with its ranges numbered)."""
            if i in later:
                df = later.pop(i)
            elif last_range[i] <= bucket:
                return self._finished(parts[i], finalize)
            else:
                df = self._finished(parts[i], finalize).with_columns(_bucket_of(edges)).collect()
            if last_range[i] > bucket:
                later[i] = df.filter(pl.col("_bucket") > bucket)
                df = df.filter(pl.col("_bucket") == bucket)
            return df.drop("_bucket").lazy()

        def ranges() -> Iterator[list[pl.LazyFrame]]:
            for bucket in range(n_buckets):
                # every frame holds the range's rows only (a part of one range is all in it)
                frames = [read(i, bucket) for i in readers[bucket]]
                frames += [pl.scan_parquet(path) for path in split[bucket]]
                if frames:
                    yield frames

        _sink_sorted(ranges(), schema, keys, target, metadata)
        shutil.rmtree(split_dir, ignore_errors=True)

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


def _filled(df: pl.DataFrame) -> frozenset[str]:
    """The columns of ``df`` that hold at least one value (null counts are kept with the data)."""
    return frozenset(c for c in df.columns if df.get_column(c).null_count() < df.height)


def _write_frame(df: pl.DataFrame, target: Path, keys: list[str], metadata: dict[str, str] | None) -> int:
    """Write one finalized frame to ``target``, sorted by ``keys`` unless already in order."""
    if not rows_in_order(df, keys, ties=True):
        df = df.sort(keys, nulls_last=True)
    df.write_parquet(target, metadata=metadata, **OUTPUT_OPTIONS)
    return df.height


def _sink_sorted(
    batches: Iterator[list[pl.LazyFrame]],
    schema: pl.Schema,
    keys: list[str],
    target: Path,
    metadata: dict[str, str] | None,
) -> None:
    """Write ``target`` from batches whose key ranges follow one another, each sorted when it is not yet.

    The Parquet sink pulls one batch at a time, so only one is in memory.
    """

    def pull(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        for frames in batches:
            df = pl.concat(frames, how="diagonal_relaxed").collect()
            if not rows_in_order(df, keys, ties=True):
                df = df.sort(keys, nulls_last=True)
            if predicate is not None:
                df = df.filter(predicate)
            if with_columns is not None:
                df = df.select(with_columns)
            if df.height:
                yield df

    register_io_source(pull, schema=schema).sink_parquet(target, metadata=metadata, **OUTPUT_OPTIONS)


def _segments(
    parts: Sequence[pl.LazyFrame | pl.DataFrame], keys: list[str], stamps: list[pl.Series] | None = None
) -> list[list[int]] | None:
    """The parts grouped into runs that follow one another by ``keys``, or None when they do not.

    Parts are taken by their first key; a part whose first key comes after the last key of
    every part before it starts a new segment, any other joins the current one (two rotated
    files that share their boundary second, say).  Writing the segments one after the other,
    each sorted alone, is then exactly the sorted output.  None (the range path) when a key is
    null or when a segment of several parts would hold more than ``SEGMENT_ROWS`` events
    (sources that overlap in time: one segment would be the whole case).  Only the key
    columns are read, one part at a time (a lazy part is collected for them alone).

    ``stamps``, when given, receives each part's first key column (``@timestamp``), in the
    order of ``parts``: what the range path cuts its ranges on, so no part is read again for it.
    """
    bounds = []
    ordered = True
    for i, part in enumerate(parts):
        if not ordered:  # already known: the range path; only its stamps are still wanted
            assert stamps is not None
            stamps.append(part.select(keys[0]).collect().to_series())
            continue
        df = part.select(keys) if isinstance(part, pl.DataFrame) else part.select(keys).collect()
        if stamps is not None:
            stamps.append(df.get_column(keys[0]))
        if not df.height:
            continue
        ends = _key_range(df, keys)
        if ends is None:
            if stamps is None:
                return None
            ordered = False
            continue
        bounds.append((ends[0], ends[1], i, df.height))
    if not ordered:
        return None
    bounds.sort()
    segments: list[list[int]] = []
    rows = 0
    high: tuple[Any, ...] | None = None
    for first, last, i, n in bounds:
        if high is None or first > high:
            segments.append([])
            rows = 0
        segments[-1].append(i)
        rows += n
        if len(segments[-1]) > 1 and rows > SEGMENT_ROWS:
            return None
        high = last if high is None or last > high else high
    return segments


def _key_range(df: pl.DataFrame, keys: list[str]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """The least and the greatest ``keys`` of the non-empty ``df`` (None when a key is null).

    What the first and last rows of ``df.sort(keys)`` say, without the sort: only the rows
    that hold the least (greatest) first key are sorted, a handful where a chunk sorted
    whole cost a copy of every key column.
    """
    if df.select(pl.any_horizontal(pl.col(k).is_null().any() for k in keys)).item():
        return None
    first = pl.col(keys[0])
    low = df.filter(first == first.min()).sort(keys).row(0)
    high = df.filter(first == first.max()).sort(keys).row(-1)
    return low, high


def _bucket_of(edges: pl.Series) -> pl.Expr:
    """Bucket number of each ``@timestamp``: how many edges are at or before it; the last for no time.

    Events without a time come last in the canonical order (``nulls_last``), so they belong to
    the last range: a search would put them in the first, in the middle of events.parquet.
    """
    if edges.len() == 0:
        return pl.lit(0, dtype=pl.Int64).alias("_bucket")
    found = pl.lit(edges).search_sorted(pl.col("@timestamp"), side="right").cast(pl.Int64)
    return (
        pl.when(pl.col("@timestamp").is_null())
        .then(pl.lit(edges.len(), dtype=pl.Int64))
        .otherwise(found)
        .alias("_bucket")
    )
