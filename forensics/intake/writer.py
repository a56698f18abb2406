"""Holding the events of a run, then writing them ordered: ``events.parquet`` and ``rejects.parquet``.

Chunks go to the part store (in memory up to a budget, then on disk); once every file is
read, the second time pass decides years, DST fall-back hours and clock offsets, and the
events are written in one ordered pass, through the ``--since``/``--until`` window.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.intake.store import PartStore
from forensics.outputs import parquet_metadata, temporary
from forensics.schema import EVENT_SCHEMA, REJECT_SCHEMA, conform
from forensics.time.second_pass import CaseTime, TimeOutcome, file_stats, finalize, time_pass
from forensics.time.window import Window

SORT_KEYS = ["@timestamp", "log.file.path", "log.file.line", "event.id"]


class PartWriter:
    """Holds the per-chunk events (in memory up to a budget, then on disk), then sorts them into the outputs."""

    def __init__(
        self,
        folder: Path,
        memory_budget: int | None = None,
        window: Window | None = None,
        rid: str | None = None,
        expected_text: int | None = None,
    ) -> None:
        self.store = PartStore(folder, memory_budget, expected_text)
        self.window = window or Window()
        self.metadata = parquet_metadata(rid)
        self.rows = 0

    def events(self, df: pl.DataFrame, size: int | None = None) -> None:
        self.store.add_events(df, size)

    def rejects(self, df: pl.DataFrame, size: int | None = None) -> None:
        self.store.add_rejects(df, size)

    def finish(self, out: Path, case_time: CaseTime) -> TimeOutcome:
        """Second time pass (years, DST fall-back, clock skew), then sort into the outputs."""
        timing = time_pass(self.store, case_time)
        events = temporary(out / "events.parquet")
        rows = self.store.write_events(
            events,
            lambda lf, filled: self.window.apply(conform(finalize(lf, timing, filled))),
            SORT_KEYS,
            pl.DataFrame(schema=EVENT_SCHEMA),
            metadata=self.metadata,
        )
        self.rows = rows
        if rows:
            timing.files = file_stats(events)
        self.finish_rejects(out)
        return timing

    def finish_rejects(self, out: Path) -> None:
        """Sort the rejects into ``rejects.parquet`` (under its temporary name)."""
        self.store.write_rejects(
            temporary(out / "rejects.parquet"),
            ["log.file.path", "log.file.line"],
            pl.DataFrame(schema=REJECT_SCHEMA),
            metadata=self.metadata,
        )
