"""The event table in either of its two forms: one ``events.parquet``, or a partitioned dataset.

``OUT/events/source=<S>/day=<D>/part-<H>.parquet`` holds the same rows as ``events.parquet``,
split by source (the rotation set a file belongs to, ``log.source``), by UTC day of
``@timestamp`` and by input file (``H`` is the first 16 hex digits of the SHA-256 of the
file the rows were read from, ``log.file.sha256``).  It is a Hive-style layout, so DuckDB
(``read_parquet('OUT/events/**/*.parquet', hive_partitioning = true)``), Spark, Trino and
polars read it as one table with two extra columns, ``source`` and ``day``.

Why this shape: a rerun on the same evidence writes the same file names with the same bytes
(idempotent); each part names the input it came from; a query on one host or one day opens
only that folder.  Each part holds its rows in the canonical order (``@timestamp``,
``log.file.path``, ``log.file.line``, ``event.id``), and ``scan_events`` gives the whole
table back in that order, so the library (``Case``, correlation, the report) reads either
form and gets the same rows with the same row numbers.

Partition values come from the evidence (a folder or file name chosen by whoever wrote the
logs), so they are encoded before they become a path component: every byte outside
``A-Z a-z 0-9 - _ .`` is written ``%XX`` (RFC 3986 percent-encoding of the UTF-8 bytes,
which Hive, Spark, DuckDB, pyarrow and polars decode); a leading dot is encoded too (no
hidden file, no ``.`` or ``..``), an empty or missing value is ``__HIVE_DEFAULT_PARTITION__``
(Hive's convention), and a value whose encoding would pass ``MAX_COMPONENT`` bytes is cut
and ends with ``~`` and 16 hex digits of its SHA-256 (the rows keep the full value in
``log.source``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.outputs import OutputError, read_run_id
from forensics.schema import EVENT_SCHEMA

#: What an ingest writes: ``single`` (events.parquet), ``partitioned`` (events/), or ``both``.
LAYOUTS = ("single", "partitioned", "both")
#: The default: one file, which every tool and every earlier version reads.
DEFAULT_LAYOUT = "single"
#: The dataset folder inside OUT.
DATASET = "events"
#: The canonical order of the event table (the same as ``forensics.intake.writer.SORT_KEYS``).
ORDER = ["@timestamp", "log.file.path", "log.file.line", "event.id"]
#: Partition columns, in folder order.
PARTITION_BY = ("source", "day")
#: Hive's name for a missing partition value.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: Longest encoded partition value (a path component is at most 255 bytes on common file systems).
MAX_COMPONENT = 160
#: Hex digits of the input file's SHA-256 in a part's name.
SHA_PREFIX = 16

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def encode_component(value: str | None) -> str:
    """A partition value as a safe path component (percent-encoded; see the module docstring)."""
    if value is None or value == "":
        return NULL_PARTITION
    raw = value.encode("utf-8", "surrogateescape")
    out = []
    for i, b in enumerate(raw):
        if b in _SAFE and not (i == 0 and b == ord(".")):
            out.append(chr(b))
        else:
            out.append(f"%{b:02X}")
    text = "".join(out)
    if len(text) > MAX_COMPONENT:
        digest = hashlib.sha256(raw).hexdigest()[:16]
        cut = text[: MAX_COMPONENT - 17]
        # never cut inside a %XX escape
        tail = cut.rfind("%")
        if tail >= len(cut) - 2:
            cut = cut[:tail]
        text = f"{cut}~{digest}"
    return text


def part_name(sha256: str | None) -> str:
    """``part-<first 16 hex digits of the input's SHA-256>.parquet`` (hex only: always a safe name)."""
    prefix = "".join(c for c in (sha256 or "").lower() if c in "0123456789abcdef")[:SHA_PREFIX]
    return f"part-{prefix or 'unknown'}.parquet"


@dataclass(frozen=True)
class Part:
    """One file of the dataset: where it is (relative to OUT), its keys and its row count."""

    path: str
    source: str | None
    day: str | None
    sha256: str | None
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "source": self.source, "day": self.day, "sha256": self.sha256, "rows": self.rows}


#: The events read at once when the dataset is cut, in bytes of columns (the part store's budget).
CUT_BUDGET = 1 << 30
#: Rows read to estimate how many bytes of columns an event takes.
_SAMPLE_ROWS = 65_536


def write_dataset(
    events: Path,
    out: Path,
    *,
    metadata: dict[str, str] | None = None,
    compression: str = "zstd",
    compression_level: int | None = 1,
    memory_budget: int | None = None,
) -> list[Part]:
    """Write ``out/events/`` from an ordered events file; return its parts (sorted by path).

    The new dataset is written into a fresh hidden folder of ``out`` and renamed over
    ``out/events`` only when complete (the previous one, if any, is removed after), so an
    interrupted run never leaves a half-written dataset under the final name.  The events
    are read one UTC day at a time (the file is ordered by time, so a day is a narrow range
    of row groups), and a day whose events pass half of ``memory_budget`` bytes of columns
    (default ``CUT_BUDGET``; the size of an event is estimated from the largest day's first
    ones) a few of its sources at a time: memory follows the budget or the largest source of a day,
    not the case.
    """
    out = Path(out)
    staging = staging_folder(out)
    budget = CUT_BUDGET if memory_budget is None else memory_budget
    try:
        parts = _write_parts(events, staging, metadata, compression, compression_level, budget)
        publish_dataset(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return parts


def _day_expr() -> pl.Expr:
    return pl.col("@timestamp").dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d")


def _write_parts(
    events: Path,
    folder: Path,
    metadata: dict[str, str] | None,
    compression: str,
    compression_level: int | None,
    budget: int,
) -> list[Part]:
    lf = pl.scan_parquet(events)
    counts = (
        lf.group_by(_day_expr().alias("day"), pl.col("log.source").alias("source"))
        .agg(pl.len().alias("rows"))
        .sort("day", "source", nulls_last=True)
        .collect()
    )
    per_day = counts.group_by("day", maintain_order=True).agg(pl.col("rows").sum())
    largest = per_day.sort("rows", descending=True, maintain_order=True).get_column("day")[:1].to_list()
    limit = _rows_within(lf.filter(_of_day(largest[0])), budget) if largest else 1
    parts: list[Part] = []
    for (day,), sources in counts.group_by("day", maintain_order=True):
        keep = _of_day(day)
        batches = source_batches(sources.get_column("source").to_list(), sources.get_column("rows").to_list(), limit)
        for batch in batches:
            chunk = lf.filter(keep if len(batches) == 1 else keep & _among(batch)).collect()
            keys = chunk.select(pl.col("log.source").alias("_s"), pl.col("log.file.sha256").alias("_h"))
            for (source, sha), rows in chunk.with_columns(keys).group_by(["_s", "_h"], maintain_order=True):
                parts.append(
                    _write_part(
                        rows.drop("_s", "_h"), source, day, sha, folder, metadata, compression, compression_level
                    )
                )
            del chunk, keys
    return _merged(parts)


def _of_day(day: str | None) -> pl.Expr:
    """The events of one UTC day (None: the events without a time)."""
    ts = pl.col("@timestamp")
    if day is None:
        return ts.is_null()
    # a range on the column itself, so the scan skips the row groups of other days
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return (ts >= start) & (ts < start + timedelta(days=1))


def _rows_within(lf: pl.LazyFrame, budget: int) -> int:
    """How many events fit in ``budget`` bytes, from the first events of ``lf`` (the largest day's).

    A batch is held twice while it is cut (the batch, and each part's rows gathered from
    it), so a batch gets half the budget.
    """
    sample = lf.head(_SAMPLE_ROWS).collect()
    per_row = sample.estimated_size() / sample.height if sample.height else 1.0
    return max(1, int(budget / 2 / max(per_row, 1.0)))


def source_batches(sources: list[str | None], rows: list[int], limit: int) -> list[list[str | None]]:
    """The sources of one day in batches of at most ``limit`` events, in their order (a larger source alone).

    The day is read once per batch, so few batches is cheap; one batch is the whole day.
    """
    batches: list[list[str | None]] = []
    held = 0
    for source, n in zip(sources, rows, strict=True):
        if batches and held + n <= limit:
            batches[-1].append(source)
            held += n
        else:
            batches.append([source])
            held = n
    return batches


def _among(batch: list[str | None]) -> pl.Expr:
    """The events of the sources of ``batch`` (None: the events without a source)."""
    named = [s for s in batch if s is not None]
    expr = pl.col("log.source").is_in(named) if named else pl.lit(False)
    return expr | pl.col("log.source").is_null() if None in batch else expr


def _write_part(
    rows: pl.DataFrame,
    source: str | None,
    day: str | None,
    sha: str | None,
    folder: Path,
    metadata: dict[str, str] | None,
    compression: str,
    compression_level: int | None,
) -> Part:
    """Write the rows (in the canonical order) of one input file, one source and one day."""
    rel = Path(f"source={encode_component(source)}") / f"day={encode_component(day)}" / part_name(sha)
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # two sources whose names encode alike, or one input in two sources: one part, in order
        rows = pl.concat([pl.read_parquet(target), rows]).sort(ORDER, nulls_last=True)
    rows.write_parquet(target, compression=compression, compression_level=compression_level, metadata=metadata)
    return Part(rel.as_posix(), source, day, sha, rows.height)


def _merged(parts: list[Part]) -> list[Part]:
    merged: dict[str, Part] = {}
    for p in parts:
        merged[p.path] = p  # a rewritten part: its last write counts every row
    return sorted(merged.values(), key=lambda p: p.path)


def write_frame_parts(
    events: pl.DataFrame,
    folder: Path,
    *,
    metadata: dict[str, str] | None = None,
    compression: str = "zstd",
    compression_level: int | None = 1,
) -> list[Part]:
    """Write final events held in memory (any order) as parts of a dataset folder; return them.

    The same parts, with the same bytes, as ``write_dataset`` cuts from an events file that
    holds these rows among others: a part is one input file's rows of one source and one UTC
    day, whoever else is in the case.  This is how the workers of a cluster write the
    dataset of the rotation sets they read (``forensics.executors.mapreduce``), each into
    the same staging folder, which the client then publishes (``publish_dataset``).
    """
    keyed = events.with_columns(
        _day_expr().alias("_d"), pl.col("log.source").alias("_s"), pl.col("log.file.sha256").alias("_h")
    )
    parts = []
    for (day, source, sha), rows in keyed.group_by(["_d", "_s", "_h"], maintain_order=True):
        rows = rows.drop("_d", "_s", "_h").sort(ORDER, nulls_last=True, maintain_order=True)
        parts.append(_write_part(rows, source, day, sha, Path(folder), metadata, compression, compression_level))
    return _merged(parts)


def staging_folder(out: Path) -> Path:
    """A fresh hidden folder of ``out`` where a new dataset is written before it is published."""
    return Path(tempfile.mkdtemp(prefix=".events-", dir=Path(out)))


def publish_dataset(staging: Path, out: Path) -> None:
    """Rename a complete staging folder over ``out/events`` (an earlier dataset is removed after)."""
    _replace_folder(staging, Path(out) / DATASET)


def _replace_folder(new: Path, target: Path) -> None:
    """Rename ``new`` over ``target`` (a folder); the old one is moved aside, then removed."""
    old = None
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir():
            raise OutputError(f"{target} exists and is not a dataset folder; move it away or choose another output")
        old = Path(tempfile.mkdtemp(prefix=".events-old-", dir=target.parent))
        os.replace(target, old / DATASET)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def part_files(out: Path) -> list[Path]:
    """The part files of ``out/events/`` (sorted), or [] when there is no dataset."""
    folder = Path(out) / DATASET
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.glob("source=*/day=*/part-*.parquet") if p.is_file() and not p.is_symlink())


def has_events(out: Path) -> bool:
    """Does ``out`` hold the event table in either form (a dataset of no events is an empty folder)?"""
    folder = Path(out) / DATASET
    return (Path(out) / "events.parquet").is_file() or (folder.is_dir() and not folder.is_symlink())


def events_source(out: Path) -> Path | list[Path]:
    """What to scan for the events of ``out``: ``events.parquet`` when present, else the dataset's parts.

    ``FileNotFoundError`` when neither exists.
    """
    single = Path(out) / "events.parquet"
    if single.is_file():
        return single
    if has_events(out):
        return part_files(out)
    raise FileNotFoundError(
        f"{single} not found (nor a dataset in {Path(out) / DATASET}): run `forensics ingest` first"
    )


def scan_events(out: Path | str, *, row_index_name: str | None = None) -> pl.LazyFrame:
    """The event table of ``out`` in the canonical order, from either form.

    With ``row_index_name`` every row carries its number in that order, the same number in
    both forms (correlation's ``_row`` and ``attribution.parquet`` rely on it).  The dataset
    is read without its partition columns: its rows are exactly the event schema.
    """
    source = events_source(Path(out))
    if isinstance(source, Path):
        return pl.scan_parquet(source, row_index_name=row_index_name)
    if not source:  # a run that kept no event
        lf = pl.LazyFrame(schema=EVENT_SCHEMA)
        return lf.with_row_index(row_index_name) if row_index_name else lf
    lf = pl.scan_parquet(source, hive_partitioning=False).sort(ORDER, nulls_last=True, maintain_order=True)
    return lf.with_row_index(row_index_name) if row_index_name else lf


def events_digest(out: Path) -> tuple[str, str]:
    """A name and SHA-256 for the event table: the file's own, or one over every part (path and content).

    The report lists it among the hashes of what it was made from.
    """
    source = events_source(out)
    if isinstance(source, Path):
        return "events.parquet", _sha256_file(source)
    h = hashlib.sha256()
    for p in source:
        h.update(p.relative_to(Path(out)).as_posix().encode() + b"\0" + _sha256_file(p).encode() + b"\n")
    return f"{DATASET}/", h.hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_run_ids(out: Path) -> set[str | None]:
    """The run ids stamped in the dataset's parts (empty set without a dataset)."""
    return {read_run_id(p) for p in part_files(out)}


def clear_stale_dataset(out: Path, rid: str, *, force: bool, say: Callable[[str], None] | None = None) -> bool:
    """Refuse (``OutputError``) or, with ``force``, remove a dataset of another run; True if removed.

    Only ``part-*.parquet`` files under ``source=*/day=*`` and the folders they leave empty
    are removed; anything else found there stays and is named in the refusal.
    """
    folder = Path(out) / DATASET
    parts = part_files(out)
    if not parts:
        return False
    ids = {read_run_id(p) for p in parts}
    if ids == {rid}:
        return False
    if not force:
        raise OutputError(
            f"{out} holds an event dataset ({DATASET}/) of another run; choose another output folder, "
            "or pass --force to remove it first"
        )
    for p in parts:
        p.unlink()
    for d in sorted((d for d in folder.glob("*/*") if d.is_dir()), reverse=True):
        _rmdir_if_empty(d)
    for d in folder.glob("*"):
        if d.is_dir():
            _rmdir_if_empty(d)
    _rmdir_if_empty(folder)
    if say is not None:
        say(f"removed {DATASET}/ (event dataset of another run, {len(parts)} parts)")
    return True


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


__all__ = [
    "DATASET",
    "DEFAULT_LAYOUT",
    "LAYOUTS",
    "Part",
    "clear_stale_dataset",
    "dataset_run_ids",
    "encode_component",
    "events_digest",
    "events_source",
    "has_events",
    "part_files",
    "part_name",
    "publish_dataset",
    "scan_events",
    "staging_folder",
    "write_dataset",
    "write_frame_parts",
]
