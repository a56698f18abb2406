"""The shared parser contract, the registry, and the building blocks parsers share.

A parser holds only what its log says.  It receives *records* (one physical line, or
several lines for multi-line formats, grouped by the engine with ``record_start``) and
returns events and rejects keyed by the record index ``_rec``.  Provenance, hashing, zone
decisions and ``related.*`` are the engine's job.

What a parser returns in ``ParseResult.events``:

* schema columns it knows (``forensics.schema.FIELDS``), named exactly;
* ``_rec``: the record each event came from (several events may share one record);
* ``_ts``: naive ``Datetime("us")``, the wall-clock time as written;
* ``_offset``: ``Int32`` seconds east of UTC when the record carries a zone (``Z`` is 0),
  null when the time is naive (the engine applies the source/case zone);
* ``time.original``: the timestamp text as written;
* optionally ``_order`` (``Int64``, a monotonic id: thread/query id, primary key) that
  orders records inside an ambiguous DST hour, optionally ``_unordered`` (``Boolean``: this
  time is not in file order, e.g. a column updated in place; it is left out of the file-order
  reading of that hour), and ``time.flags`` / ``tags`` lists.

Every record must end up in ``events``, ``rejects`` (``_rec``, ``reason``) or ``meta``
(``_rec``, ``reason``: headers and directives that are not events).  The engine turns any
record that a parser forgot into a reject, so nothing is ever lost silently.

A parser that raises loses only the records that made it raise (``parse_isolating``).

A parser whose output for a chunk does not depend on earlier chunks sets
``chunk_independent``; the engine then parses chunks of a big file side by side.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any, ClassVar

import polars as pl

REJECT_COLUMNS = {"_rec": pl.Int64, "reason": pl.String}


@dataclass
class ParseResult:
    """What a parser returns for one batch of records."""

    events: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_COLUMNS))
    meta: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_COLUMNS))


class ParserState:
    """What a parser keeps while it reads one file, and what a source keeps across its files.

    ``source`` is shared by the files of one ``[[source]]`` (rotated logs: the database a
    connection selected in yesterday's file, the engine's timing state); ``hints`` are the
    parser's own notes about the file being read (the header of a CSV, the layout that
    matched, the last time seen).  Parsers read and write hints as ``state["key"]``;
    ``state["source"]`` is the source's dict.  The engine gives every chunk parsed ahead of
    order its own copy of the hints (``for_chunk``), never of ``source``.

    ``references`` holds, by format, the records of the files the parser asked for
    (``Parser.references``) that the engine found beside the file being read: walked,
    hashed and counted like every other file, grouped into records by their own format's
    rules.  A format that is absent was not found.  Parsers only read it.
    """

    __slots__ = ("hints", "references", "source")

    def __init__(
        self,
        source: dict[str, Any] | None = None,
        hints: dict[str, Any] | None = None,
        references: Mapping[str, pl.DataFrame] | None = None,
    ) -> None:
        self.source: dict[str, Any] = {} if source is None else source
        self.hints: dict[str, Any] = {} if hints is None else hints
        self.references: Mapping[str, pl.DataFrame] = {} if references is None else references

    def __repr__(self) -> str:
        return f"ParserState(source={sorted(self.source)}, hints={sorted(self.hints)}, references={sorted(self.references)})"

    def __getitem__(self, key: str) -> Any:
        return self.source if key == "source" else self.hints[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "source":
            self.source = value
        else:
            self.hints[key] = value

    def __contains__(self, key: object) -> bool:
        return key == "source" or key in self.hints

    def get(self, key: str, default: Any = None) -> Any:
        return self.source if key == "source" else self.hints.get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        return self.source if key == "source" else self.hints.setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        return self.hints.pop(key, *default)

    def for_chunk(self) -> ParserState:
        """A copy for a chunk parsed ahead: its own hints, the same source and references."""
        return ParserState(self.source, copy.deepcopy(self.hints), self.references)


class Parser:
    """Base class: subclass, set ``name``, implement ``parse``, decorate with ``@register``."""

    #: Registry name, e.g. ``apache.access``; what ``--format`` and ``format =`` take.
    name: ClassVar[str] = ""
    #: True when a record may span several physical lines (then define ``record_start``).
    multiline: ClassVar[bool] = False
    #: Cheap prefilter: at least one of these substrings must occur in the sniffed text.
    literals: ClassVar[tuple[str, ...]] = ()
    #: fnmatch patterns on the file name; a match is required when ``filename_required``.
    filenames: ClassVar[tuple[str, ...]] = ()
    filename_required: ClassVar[bool] = False
    #: False for parsers that are only chosen explicitly (config or --format).
    detectable: ClassVar[bool] = True
    #: A catch-all reader (e.g. syslog) that any more specific parser scoring as well beats.
    generic: ClassVar[bool] = False
    #: The ``event.action`` values this parser produces (documented in docs/actions.md).
    actions: ClassVar[tuple[str, ...] | None] = None
    #: Option keys this parser understands: the only ones a ``[[source]]`` of this format may give
    #: besides the engine's own (``forensics.config`` refuses any other when it reads the case config).
    option_keys: ClassVar[tuple[str, ...]] = ()
    #: Formats of the files this parser reads beside the one it parses (the reference tables of
    #: a dump folder).  A parser never opens a file: the engine finds files of these formats in
    #: the same folder among the files it walked, and hands their records to ``parse`` in
    #: ``state.references``.
    references: ClassVar[tuple[str, ...]] = ()
    #: True when what ``parse`` returns for a chunk does not depend on earlier chunks: the
    #: engine may then parse several chunks of a file at once.  ``state`` may still hold
    #: hints that only change speed (which layout to try first); the engine gives every
    #: chunk after the first its own copy of the state the first chunk left.
    chunk_independent: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})
        #: settings the last ``score`` inferred from the sample (``state["inferred"]``, e.g. a log_line_prefix)
        self.inferred: dict[str, str] = {}

    # -- contract -------------------------------------------------------------------
    def record_start(self, text: pl.Expr) -> pl.Expr:
        """Boolean expression: does this physical line start a new record?"""
        return pl.lit(True)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        """Parse ``records`` (columns ``_rec``, ``text``, ``line``); ``state`` persists per file."""
        raise NotImplementedError

    def blank(self, text: pl.Expr) -> pl.Expr:
        """Boolean expression: is this physical line blank (in no record)?  Whitespace-only by default."""
        return is_blank(text)

    # -- detection ------------------------------------------------------------------
    @classmethod
    def description(cls) -> str:
        """First docstring line: what ``forensics formats`` prints."""
        return (cls.__doc__ or cls.name).strip().splitlines()[0]

    @classmethod
    def prefilter(cls, sample: str, filename: str) -> bool:
        """Cheap first stage of detection: literals and file name."""
        if cls.filenames:
            named = any(fnmatch(filename, pattern) for pattern in cls.filenames)
            if cls.filename_required and not named:
                return False
        return not cls.literals or any(lit in sample for lit in cls.literals)

    def score(self, records: pl.DataFrame, filename: str) -> float:
        """Second stage: the share of sampled records this parser turns into events."""
        if records.height == 0:
            return 0.0
        # a record the parser cannot cope with costs its own share of the score, not the file's
        state = ParserState()
        result, _ = parse_isolating(self, records, state, max_parses=SCORE_RETRY_PARSES)
        self.inferred = dict(state.get("inferred", {}))
        parsed = result.events.get_column("_rec").n_unique() if result.events.height else 0
        meta = result.meta.height
        if parsed == 0:
            return 0.0
        return min(1.0, (parsed + meta) / records.height)


#: How many extra parses may isolate the failing records of a chunk (ingest) or a sample (score).
INGEST_RETRY_PARSES = 256
SCORE_RETRY_PARSES = 64
_ERROR_CHARS = 300


def failure_text(parser: Parser, exc: BaseException, n_records: int) -> str:
    """The reject reason for records a parser raised on (one line, at most 300 characters)."""
    what = "this record" if n_records == 1 else f"a batch of {n_records} records holding this one (not split further)"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"parser {parser.name} failed on {what}: {type(exc).__name__}: {first_line}"
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 3] + "..."


def parse_isolating(
    parser: Parser, records: pl.DataFrame, state: ParserState, max_parses: int = INGEST_RETRY_PARSES
) -> tuple[ParseResult, list[str]]:
    """``parser.parse`` that costs a failure only the records that caused it.

    When the parse raises, the records are parsed again in halves, recursively, down to
    single records: every part that parses gives its events, and each record that still
    makes the parser raise becomes a reject carrying the error.  After ``max_parses`` extra
    parses (a chunk where most records fail would otherwise be parsed twice per record) the
    parts still failing are rejected whole, and the reason says they were not split
    further.  Parts are parsed in file order with the same ``state``, so a parser that
    carries state from record to record sees them in order.  Returns the combined result
    and the distinct error texts (empty when the first parse succeeded).
    """
    try:
        return parser.parse(records, state), []
    except Exception as exc:  # hostile input must not cost more than itself
        first = exc
    budget = [max_parses]
    results: list[ParseResult] = []
    errors: list[str] = []

    def reject(part: pl.DataFrame, exc: Exception) -> None:
        reason = failure_text(parser, exc, part.height)
        results.append(ParseResult(_no_events(), rejects_of(part, reason)))
        if reason not in errors:
            errors.append(reason)

    def split(part: pl.DataFrame, exc: Exception) -> None:
        if part.height <= 1:
            reject(part, exc)
            return
        half = part.height // 2
        for piece in (part.slice(0, half), part.slice(half)):
            if budget[0] <= 0:
                reject(piece, exc)
                continue
            budget[0] -= 1
            try:
                results.append(parser.parse(piece, state))
            except Exception as err:
                split(piece, err)

    split(records, first)
    return _combine(results), errors


def _no_events() -> pl.DataFrame:
    return pl.DataFrame(schema={"_rec": pl.Int64, "_ts": pl.Datetime("us")})


def _combine(results: list[ParseResult]) -> ParseResult:
    """One result from the results of consecutive parts (columns may differ between parts)."""
    events = [r.events for r in results if r.events.height]
    return ParseResult(
        events=pl.concat(events, how="diagonal_relaxed") if events else _no_events(),
        rejects=pl.concat(
            [r.rejects.select(pl.col("_rec").cast(pl.Int64), pl.col("reason").cast(pl.String)) for r in results]
        ),
        meta=pl.concat(
            [r.meta.select(pl.col("_rec").cast(pl.Int64), pl.col("reason").cast(pl.String)) for r in results]
        ),
    )


REGISTRY: dict[str, type[Parser]] = {}


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator: make a parser known under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"parser name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


_LOADED = False


def load_all() -> dict[str, type[Parser]]:
    """Import every module under ``parsers`` so that each registers itself."""
    global _LOADED
    if not _LOADED:
        import parsers

        for info in pkgutil.walk_packages(parsers.__path__, prefix="parsers."):
            importlib.import_module(info.name)
        _LOADED = True
    return dict(sorted(REGISTRY.items()))


def get_parser(name: str, options: Mapping[str, Any] | None = None) -> Parser:
    """Instantiate a registered parser by name (with a clear error for unknown names)."""
    registry = load_all()
    if name not in registry:
        known = ", ".join(registry)
        raise KeyError(f"unknown format {name!r}; known formats: {known}")
    return registry[name](options)


# -- building blocks parsers share --------------------------------------------------------

MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def split_match(records: pl.DataFrame, pattern: str, column: str = "text") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply a regex with named groups to ``column``: (matched rows with groups, unmatched rows)."""
    groups = pl.col(column).str.extract_groups(pattern)
    df = records.with_columns(_m=groups)
    first = df.schema["_m"].fields[0].name  # type: ignore[attr-defined]
    matched_mask = pl.col("_m").struct.field(first).is_not_null()
    matched = df.filter(matched_mask).unnest("_m")
    unmatched = df.filter(~matched_mask).drop("_m")
    return matched, unmatched


def rejects_of(df: pl.DataFrame, reason: str | pl.Expr) -> pl.DataFrame:
    """Reject rows (``_rec`` + ``reason``) for every record in ``df``."""
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return df.select(pl.col("_rec").cast(pl.Int64), reason_expr.cast(pl.String).alias("reason"))


def dash_null(expr: pl.Expr) -> pl.Expr:
    """``-`` (the common log convention for 'no value') becomes null."""
    return pl.when(expr == "-").then(None).otherwise(expr)


def offset_seconds(expr: pl.Expr) -> pl.Expr:
    """Parse ``+0200``, ``-05:30``, ``+00:00`` or ``Z`` into Int32 seconds east of UTC."""
    clean = expr.str.replace(":", "", literal=True)
    sign = pl.when(clean.str.slice(0, 1) == "-").then(-1).otherwise(1)
    hours = clean.str.slice(1, 2).cast(pl.Int32, strict=False)
    minutes = clean.str.slice(3, 2).cast(pl.Int32, strict=False)
    value = sign * (hours * 3600 + minutes * 60)
    return pl.when(expr == "Z").then(pl.lit(0)).otherwise(value).cast(pl.Int32)


def is_blank(text: pl.Expr) -> pl.Expr:
    """A line with nothing but whitespace."""
    return text.str.strip_chars().str.len_bytes() == 0
