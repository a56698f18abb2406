"""The local executor: every file parsed in this process, in order, streaming into the part store."""

from __future__ import annotations

from typing import Any

from forensics.executors.task import ParseContext, ParseOptions, parse_file
from forensics.intake.accounting import FileReport
from forensics.intake.engine import ProgressFn, _within
from forensics.intake.walk import EvidenceFile


class LocalExecutor:
    """Parse files one after the other here (each file's chunks still parse two at a time)."""

    name = "local"

    def describe(self) -> dict[str, Any]:
        return {"executor": "local"}

    def parse(
        self,
        files: list[EvidenceFile],
        options: ParseOptions,
        writer: Any,
        source_states: dict[str, dict[str, Any]],
        progress: ProgressFn | None,
    ) -> list[FileReport]:
        total = sum(f.size for f in files) or 1
        done = 0
        reports = []
        context = ParseContext(options)
        for f in files:
            report = parse_file(
                f,
                options,
                source_states.setdefault(f.source, {}),
                writer,
                measure=False,
                progress=_within(progress, done, f.size, total, f.relpath),
                context=context,
            )
            reports.append(report)
            done += f.size
            if progress:
                progress(done, total, f.relpath)
        return reports

    def close(self) -> None:
        return None


__all__ = ["LocalExecutor"]
