"""Per-file accounting: every line read is in an event, blank, meta, a reject or an unrecognised count.

``process_lines`` takes one parsed chunk and counts its lines where they went: events,
records the parser set aside as meta, rejects with their reason (orphan continuation
lines, records the parser forgot, events without a readable time), blank lines.  The
``FileReport`` it fills is the file's entry in the manifest, where ``balanced`` proves
that nothing was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from forensics.config import CaseConfig
from forensics.ingest_messages import note
from forensics.intake.enrichment import finish_events
from forensics.intake.reader import dense_records
from forensics.intake.stream import StreamStatus, open_stream
from forensics.intake.walk import EvidenceFile
from forensics.time.zones import ZoneDecision
from parsers.base import ParserState

if TYPE_CHECKING:
    from forensics.intake.parsing import Parsed
    from forensics.intake.writer import PartWriter


@dataclass
class FileReport:
    """Per-file accounting: every physical line is in an event, blank, meta or a reject."""

    path: str
    size: int
    sha256_before: str
    sha256_after: str = ""
    #: SHA-256 measured by the process that parsed the file (a Dask worker hashes its own copy)
    sha256_read: str | None = None
    unchanged: bool | None = None
    source: str = ""
    host: str | None = None
    parser: str | None = None
    detection: str = "detected"  # config, cli, detected, unrecognised
    score: float | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    #: settings the parser inferred from the file because the config gave none (e.g. log_line_prefix)
    inferred: dict[str, str] = field(default_factory=dict)
    compression: str | None = None
    decompressed_bytes: int = 0
    lines_read: int = 0
    lines_in_events: int = 0
    lines_blank: int = 0
    lines_meta: int = 0
    lines_rejected: int = 0
    records: int = 0
    events: int = 0
    rejects: int = 0
    #: lines of a file no parser recognised: counted, not parsed
    lines_unrecognised: int = 0
    latin1_lines: int = 0
    truncated_lines: int = 0
    final_newline: bool = True
    #: "lf", or "cr" when lone CR line ends were read as line ends
    line_ends: str = "lf"
    #: an encoding decoded to UTF-8 before reading (UTF-16 with a byte order mark)
    encoding: str | None = None
    #: the name is not valid UTF-8: ``path`` shows its undecodable bytes as ``\\xNN``
    name_escaped: bool = False
    #: other names of this file (symlinks, hard links) inside the evidence, not read again
    aliases: list[str] = field(default_factory=list)
    #: every open of this file used O_NOATIME (its access time did not change)
    noatime: bool | None = None
    zone: str | None = None
    zone_source: str | None = None
    clock_offset: float | None = None
    time_first: str | None = None
    time_last: str | None = None
    naive_events: int = 0
    time_flags: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def lines_accounted(self) -> int:
        return self.lines_in_events + self.lines_blank + self.lines_meta + self.lines_rejected + self.lines_unrecognised

    @property
    def balanced(self) -> bool:
        """Every line read is in an event, blank, meta, a reject, or an unrecognised file's count."""
        return self.lines_accounted == self.lines_read


def count_unrecognised(f: EvidenceFile, report: FileReport, max_decompressed: int) -> FileReport:
    """An unrecognised file is still read: its lines are counted so the manifest proves it."""
    status = StreamStatus()
    lines = 0
    last = b""
    try:
        for block in open_stream(f.path, status, max_decompressed):
            lines += block.count(b"\n")
            last = block[-1:]
    except OSError as exc:
        report.warnings.append(note("read.error", error=str(exc)))
    if status.decompressed_bytes and last != b"\n":
        lines += 1
    report.lines_read = lines
    report.lines_unrecognised = lines
    stream_facts(report, status)
    report.warnings.append(note("read.unrecognised"))
    return report


def stream_facts(report: FileReport, status: StreamStatus) -> None:
    """What the reader learnt about the file: compression, line ends, encoding, O_NOATIME, warnings."""
    report.compression = status.compression
    report.decompressed_bytes = status.decompressed_bytes
    report.line_ends = status.line_ends
    report.encoding = status.encoding
    report.noatime = bool(report.noatime and status.noatime)
    report.warnings.extend(status.warnings)


def process_lines(
    parsed: Parsed,
    state: ParserState,
    f: EvidenceFile,
    report: FileReport,
    cfg: CaseConfig,
    decision: ZoneDecision,
    writer: PartWriter,
) -> tuple[datetime | None, datetime | None]:
    lines, records, blanks, orphans, result = (
        parsed.lines,
        parsed.records,
        parsed.blanks,
        parsed.orphans,
        parsed.result,
    )
    if parsed.error is not None:
        first, last = records.get_column("line").min(), lines.get_column("line").max()
        report.warnings.append(note("read.parser_error", first=first, last=last, error=str(parsed.error)))
    report.lines_blank += blanks.height
    report.latin1_lines += int(lines.get_column("latin1").sum())
    report.truncated_lines += int(lines.get_column("truncated").sum())
    report.records += records.height
    reject_frames = []
    if orphans.height:
        reject_frames.append(
            orphans.select(
                pl.col("line"),
                pl.col("offset"),
                pl.lit(1, dtype=pl.Int32).alias("n_lines"),
                pl.col("text"),
                pl.lit("continuation line without a record start").alias("reason"),
            )
        )
    events = result.events if result is not None else pl.DataFrame(schema={"_rec": pl.Int64})
    if "_rec" not in events.columns or events.height == 0:
        events = pl.DataFrame(schema={"_rec": pl.Int64})  # a parser's empty output may have no columns at all
    rec_meta = records.select("_rec", "line", "offset", "n_lines", "text", "latin1", "truncated")
    if result is not None:
        covered_events = events.select(pl.col("_rec").cast(pl.Int64)).unique()
        meta = result.meta.select(pl.col("_rec").cast(pl.Int64), "reason").unique("_rec")
        rejects = result.rejects.select(pl.col("_rec").cast(pl.Int64), "reason").unique("_rec")
        if rejects.height:  # anti joins against a million covered records are not free: skip them when empty
            rejects = rejects.join(covered_events, on="_rec", how="anti").join(
                meta.select("_rec"), on="_rec", how="anti"
            )
        if meta.height:
            meta = meta.join(covered_events, on="_rec", how="anti")
        seen = pl.concat([covered_events, rejects.select("_rec"), meta.select("_rec")])
        if _every_record(seen.get_column("_rec"), rec_meta):
            forgotten = rec_meta.select("_rec").clear()
        else:
            forgotten = rec_meta.select("_rec").join(seen, on="_rec", how="anti")
        if forgotten.height:
            rejects = pl.concat(
                [rejects, forgotten.with_columns(reason=pl.lit("parser produced no event for this record"))]
            )
        if events.height:
            # events without a readable time cannot be placed on a timeline: they are rejects
            bad_time = events.filter(pl.col("_ts").is_null()).select(pl.col("_rec").cast(pl.Int64)).unique()
            if bad_time.height:
                events = events.filter(pl.col("_ts").is_not_null())
                still = events.select(pl.col("_rec").cast(pl.Int64)).unique()
                lost = bad_time.join(still, on="_rec", how="anti")
                rejects = pl.concat([rejects, lost.with_columns(reason=pl.lit("timestamp missing or unreadable"))])
                covered_events = still
        report.lines_meta += int(rec_meta.join(meta.select("_rec"), on="_rec").get_column("n_lines").sum())
        if _every_record(covered_events.get_column("_rec"), rec_meta):
            report.lines_in_events += int(rec_meta.get_column("n_lines").sum())
        else:
            report.lines_in_events += int(rec_meta.join(covered_events, on="_rec").get_column("n_lines").sum())
        if rejects.height:
            reject_frames.append(
                rejects.join(rec_meta, on="_rec").select("line", "offset", "n_lines", "text", "reason")
            )
    rejected = pl.concat(reject_frames) if reject_frames else None
    if rejected is not None and rejected.height:
        report.lines_rejected += int(rejected.get_column("n_lines").sum())
        report.rejects += rejected.height
        for reason, count in rejected.group_by("reason").len().iter_rows():
            report.reject_reasons[reason] = report.reject_reasons.get(reason, 0) + count
        writer.rejects(
            rejected.select(
                pl.lit(f.relpath).alias("log.file.path"),
                pl.lit(f.sha256_before).alias("log.file.sha256"),
                pl.col("line").alias("log.file.line"),
                pl.col("n_lines").cast(pl.Int32).alias("log.file.lines"),
                pl.col("offset").alias("log.offset"),
                pl.lit(report.parser).alias("event.dataset"),
                pl.col("reason"),
                pl.col("text").alias("event.original"),
            )
        )
    if not events.height:
        return None, None
    events = finish_events(events, rec_meta, f, report, cfg, decision, state)
    report.events += events.height
    report.naive_events += int((events.get_column("time.zone_source") != "record").sum())
    # most chunks carry no time flag at all: counting them needs no explode of every row
    if events.select(pl.col("time.flags").list.len().sum()).item():
        for flag, count in (
            events.select(pl.col("time.flags").explode().drop_nulls()).group_by("time.flags").len().iter_rows()
        ):
            report.time_flags[flag] = report.time_flags.get(flag, 0) + count
    writer.events(events)
    stamps = events.get_column("time.recorded")
    return stamps.min(), stamps.max()  # type: ignore[return-value]


def _every_record(ids: pl.Series, rec_meta: pl.DataFrame) -> bool:
    """Are the distinct ``ids`` exactly the records of ``rec_meta`` (``_rec`` = 0..n-1)?"""
    n = rec_meta.height
    return (
        ids.len() == n
        and (n == 0 or (ids.null_count() == 0 and ids.min() == 0 and ids.max() == n - 1))  # type: ignore[operator]
        and dense_records(rec_meta)
    )
