"""Out-of-core ordering of events: each time range is sorted alone, then ranges are concatenated.

Memory then follows the range size, not the size of the evidence.  Parts are written as
they are parsed; the final times (year inference, DST decisions, clock skew) are only
known once every part exists, so ranges are cut after ``finalize``: their boundaries are
quantiles of the final timestamps (read alone, 8 bytes an event), so every range holds
about ``BUCKET_ROWS`` events whatever the time spread, and a range reads only the parts
whose timestamps overlap it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

BUCKET_ROWS = 250_000
PART_COMPRESSION = "lz4"


class PartStore:
    """Write event and reject parts while parsing; produce the sorted outputs at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.n = 0
        for sub in ("events", "rejects"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def _next(self, sub: str) -> Path:
        self.n += 1
        return self.folder / sub / f"{self.n:07d}.parquet"

    def add_events(self, df: pl.DataFrame) -> None:
        if df.height:
            df.write_parquet(self._next("events"), compression=PART_COMPRESSION)

    def add_rejects(self, df: pl.DataFrame) -> None:
        if df.height:
            df.write_parquet(self._next("rejects"), compression=PART_COMPRESSION)

    def event_parts(self) -> list[Path]:
        return sorted((self.folder / "events").glob("*.parquet"))

    def write_events(
        self,
        target: Path,
        finalize: Callable[[pl.LazyFrame], pl.LazyFrame],
        sort_keys: list[str],
        empty: pl.DataFrame,
    ) -> int:
        """Finalize the parts, sort them one time range at a time, and concatenate in order.

        Each range reads only the parts whose final timestamps overlap it (parts are chunks
        of files, so their time spans are narrow), so every event is written once here.
        """
        parts = self.event_parts()
        if not parts:
            empty.write_parquet(target)
            return 0
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
        readers: list[list[int]] = [[] for _ in range(n_buckets)]
        for part, lo, hi in spans.iter_rows():
            for bucket in range(lo, hi + 1):
                readers[bucket].append(part)
        sorted_dir = self.folder / "sorted"
        shutil.rmtree(sorted_dir, ignore_errors=True)
        sorted_dir.mkdir()
        outputs: list[Path] = []
        rows = 0
        for bucket, members in enumerate(readers):
            if not members:
                continue
            lf = pl.concat([finalize(pl.scan_parquet(parts[i])) for i in sorted(members)], how="diagonal_relaxed")
            if n_buckets > 1:
                lf = lf.filter(_bucket_of(edges) == bucket)
            df = lf.collect().sort(sort_keys, nulls_last=True)
            if not df.height:
                continue
            out = sorted_dir / f"{bucket:07d}.parquet"
            df.write_parquet(out, compression=PART_COMPRESSION)
            outputs.append(out)
            rows += df.height
        for part in parts:
            part.unlink()
        pl.scan_parquet(outputs).sink_parquet(target, compression="zstd")
        return rows

    def write_rejects(self, target: Path, sort_keys: list[str], empty: pl.DataFrame) -> None:
        parts = sorted((self.folder / "rejects").glob("*.parquet"))
        if parts:
            pl.scan_parquet(parts).sort(sort_keys).sink_parquet(target, compression="zstd")
        else:
            empty.write_parquet(target)


def _bucket_of(edges: pl.Series) -> pl.Expr:
    """Bucket number of each ``@timestamp``: how many edges are at or before it."""
    if edges.len() == 0:
        return pl.lit(0, dtype=pl.Int64).alias("_bucket")
    return pl.lit(edges).search_sorted(pl.col("@timestamp"), side="right").cast(pl.Int64).alias("_bucket")
