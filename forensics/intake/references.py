"""Files a parser reads beside the one it parses: found among the walked files, read like them.

A parser never opens a file.  One that needs other files of the evidence (the reference
tables of a Mediboard dump: ``users`` names the ``user_id`` of every other table) declares
their formats (``Parser.references``); for each file it reads, the engine looks in the same
folder for a file of each format, as the engine itself decided it (case config, ``--format``
or detection), and hands its records to the parser through ``ParserState.references``.  So
a reference table is one of the walked files: the case config's exclusions apply to it, it
is hashed before and after the run, and its own lines are read and counted in the manifest
like every other file's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from forensics.intake.reader import group_records, lines_frame
from forensics.intake.stream import StreamStatus, open_stream
from forensics.intake.walk import EvidenceFile
from parsers.base import get_parser

#: A reference table is read whole into memory: at most this many (decompressed) bytes.
REFERENCE_MAX_BYTES = 2 << 30


class References:
    """The walked files of a run, searched for the reference tables a parser asks for."""

    def __init__(
        self,
        files: Sequence[EvidenceFile],
        format_of: Callable[[EvidenceFile], str | None],
        options_of: Callable[[EvidenceFile], dict[str, Any]],
        max_bytes: int = REFERENCE_MAX_BYTES,
    ) -> None:
        # the files of each folder, in name order (the first readable one of a format is taken)
        self.by_folder: dict[Path, list[EvidenceFile]] = {}
        for f in sorted(files, key=lambda f: str(f.path)):
            self.by_folder.setdefault(f.path.parent, []).append(f)
        self.format_of = format_of
        self.options_of = options_of
        self.max_bytes = max_bytes

    def for_file(self, f: EvidenceFile, wanted: Sequence[str]) -> dict[str, pl.DataFrame]:
        """Records of the first readable file of each ``wanted`` format in ``f``'s folder (absent: none).

        A reference file that cannot be read is passed over: it is one of the run's files, so
        its own entry in the manifest carries the read error.
        """
        found: dict[str, pl.DataFrame] = {}
        if not wanted:
            return found
        beside = [g for g in self.by_folder.get(f.path.parent, []) if g.path != f.path]
        for fmt in wanted:
            for g in beside:
                if self.format_of(g) != fmt:
                    continue
                try:
                    found[fmt] = self.records(g, fmt)
                    break
                except OSError:
                    continue
        return found

    def records(self, g: EvidenceFile, fmt: str) -> pl.DataFrame:
        """All records of ``g``, grouped by the rules of its format (decompressed transparently)."""
        buf = b"".join(open_stream(g.path, StreamStatus(), self.max_bytes))
        if buf.endswith(b"\n"):
            buf = buf[:-1]
        if not buf:
            return pl.DataFrame(schema={"_rec": pl.Int64, "text": pl.String})
        records, _, _ = group_records(lines_frame(buf, 1, 0), get_parser(fmt, self.options_of(g)))
        return records
