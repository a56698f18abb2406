"""Out-of-core ordering of events: parts are re-bucketed by time range, each range sorted alone.

Memory then follows the bucket size, not the size of the evidence.  Parts are written as
they are parsed; the final times (year inference, DST decisions, clock skew) are only
known once every part exists, so bucketing happens after ``finalize``, one part at a
time.  Bucket boundaries are quantiles of the final timestamps (read alone, 8 bytes an
event), so every bucket holds about ``BUCKET_ROWS`` events whatever the time spread.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

BUCKET_ROWS = 400_000
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
        """Finalize every part, bucket it by hour of ``@timestamp``, sort each hour, concatenate."""
        parts = self.event_parts()
        if not parts:
            empty.write_parquet(target)
            return 0
        buckets = self.folder / "buckets"
        shutil.rmtree(buckets, ignore_errors=True)
        buckets.mkdir()
        stamps = (
            pl.concat([finalize(pl.scan_parquet(p)).select("@timestamp") for p in parts])
            .collect()
            .get_column("@timestamp")
        )
        edges = stamps.sort().gather_every(BUCKET_ROWS, offset=BUCKET_ROWS).unique(maintain_order=True)
        del stamps
        key = _bucket_of(edges)
        for i, part in enumerate(parts):
            df = finalize(pl.scan_parquet(part)).with_columns(key).collect()
            for (bucket,), piece in df.partition_by("_bucket", as_dict=True, include_key=False).items():
                folder = buckets / f"{bucket:012d}"
                folder.mkdir(exist_ok=True)
                piece.write_parquet(folder / f"{i:07d}.parquet", compression=PART_COMPRESSION)
            part.unlink()
        outputs: list[Path] = []
        rows = 0
        for folder in sorted(buckets.iterdir()):
            df = pl.read_parquet(sorted(folder.glob("*.parquet"))).sort(sort_keys, nulls_last=True)
            out = buckets / f"{folder.name}.sorted.parquet"
            df.write_parquet(out, compression=PART_COMPRESSION)
            shutil.rmtree(folder)
            outputs.append(out)
            rows += df.height
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
