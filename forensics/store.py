"""Out-of-core ordering of events: parts are bucketed by hour, each hour is sorted alone.

Memory then follows the busiest hour, not the size of the evidence.  Clock-skew
correction can move an event across an hour boundary, so an hour is assembled from its
neighbours' parts too (as many neighbours as the largest skew needs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

BUCKET_SECONDS = 3600
PART_COMPRESSION = "lz4"


class PartStore:
    """Write event and reject parts while parsing; produce the sorted outputs at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.n = 0
        (folder / "events").mkdir(parents=True, exist_ok=True)
        (folder / "rejects").mkdir(parents=True, exist_ok=True)

    def add_events(self, df: pl.DataFrame) -> None:
        if not df.height:
            return
        bucket = (pl.col("time.recorded").dt.epoch("s") // BUCKET_SECONDS).alias("_bucket")
        for (key,), part in df.with_columns(bucket).partition_by("_bucket", as_dict=True, include_key=False).items():
            target = self.folder / "events" / str(key)
            target.mkdir(exist_ok=True)
            part.write_parquet(target / f"{self.n:07d}.parquet", compression=PART_COMPRESSION)
            self.n += 1

    def add_rejects(self, df: pl.DataFrame) -> None:
        if df.height:
            df.write_parquet(self.folder / "rejects" / f"{self.n:07d}.parquet", compression=PART_COMPRESSION)
            self.n += 1

    def buckets(self) -> list[int]:
        return sorted(int(p.name) for p in (self.folder / "events").iterdir() if p.is_dir())

    def write_events(
        self,
        target: Path,
        finalize: Callable[[pl.LazyFrame], pl.LazyFrame],
        sort_keys: list[str],
        max_skew: float,
        empty: pl.DataFrame,
    ) -> int:
        """Sort every hour (after ``finalize``, which sets ``@timestamp``) and concatenate in order."""
        buckets = self.buckets()
        if not buckets:
            empty.write_parquet(target)
            return 0
        reach = math.ceil(abs(max_skew) / BUCKET_SECONDS) if max_skew else 0
        present = set(buckets)
        wanted = sorted({b + d for b in buckets for d in range(-reach, reach + 1)})
        sorted_dir = self.folder / "sorted"
        sorted_dir.mkdir(exist_ok=True)
        outputs: list[Path] = []
        rows = 0
        for bucket in wanted:
            sources = [b for b in range(bucket - reach, bucket + reach + 1) if b in present]
            if not sources:
                continue
            files = [f for b in sources for f in sorted((self.folder / "events" / str(b)).glob("*.parquet"))]
            lf = finalize(pl.scan_parquet(files))
            if reach:
                start = datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC)
                end = start + timedelta(seconds=BUCKET_SECONDS)
                lf = lf.filter((pl.col("@timestamp") >= start) & (pl.col("@timestamp") < end))
            df = lf.collect().sort(sort_keys, nulls_last=True)
            if not df.height:
                continue
            out = sorted_dir / f"{bucket:012d}.parquet"
            df.write_parquet(out, compression=PART_COMPRESSION)
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
