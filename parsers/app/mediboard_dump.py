"""Reading Mediboard tables dumped as text: the two forms hosts hand over, and sibling tables.

Forms:

* ``mysql --batch``: tab-separated, a header line, ``NULL`` for NULL, and the escapes
  ``\\t`` ``\\n`` ``\\\\`` ``\\0`` written as two characters;
* ``SELECT ... INTO OUTFILE``: tab-separated, no header, ``\\N`` for NULL, and the
  escape character written before a special character itself: a tab inside a value is
  ``\\`` + TAB and a newline is ``\\`` + newline, so one row may span several physical
  lines.

Record rule: a physical line starts a new record unless the previous line ends with an
odd number of backslashes (an escaped newline).  Fields are split on tabs that are not
escaped, with one vectorised regex; values are unescaped in Python once per distinct
value that holds a backslash.  NULL: ``\\N`` always; ``NULL`` in a dump with a header
(``--batch``), and in typed columns (ids, dates, numbers) of any dump, where it cannot
be text; in text columns of a header-less dump ``NULL`` is the four letters someone typed.

Lines are decoded by the reader (UTF-8 where valid, otherwise latin-1), so both
encodings arrive as text; the ``latin1_decoded`` tag says which lines needed latin-1.

Cross-table resolution: ``user_id``, ``user_agent_id``, ``module_action_id`` and
``object_class_id`` are resolved from the referenced table's dump when it lies in the same
folder (``users.tsv``, ``user_agent.tsv.gz``...).  Each table parser declares the tables it
reads (``references``: their formats); the engine finds and reads those files like every
other file and hands their records over in ``state.references``; the parser never opens a
file.  An id that cannot be resolved (table absent, or id not in it) gets an
``<column>_unresolved`` tag.

Reference: https://dev.mysql.com/doc/refman/8.0/en/load-data.html (FIELDS ESCAPED BY),
https://dev.mysql.com/doc/refman/8.0/en/mysql-command-options.html#option_mysql_batch
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl

from parsers.app.common import STR_LIST, labels_json, plain_text_columns, tag_column, to_datetime
from parsers.app.mediboard_layouts import (
    ALIASES,
    KIND_PATTERNS,
    LAYOUTS,
    PRIMARY_KEYS,
    filename_patterns,
    kind,
)
from parsers.base import REJECT_COLUMNS, Parser, ParseResult, ParserState, is_blank
from parsers.web.common import map_distinct

#: One field: anything but an unescaped tab (``(?s)``: an escaped newline is part of it).
FIELD_RX = r"(?s)(?:[^\t\\]|\\.)*"
#: A line whose last newline is escaped (odd number of trailing backslashes).
CONTINUED_RX = r"(?:^|[^\\])(?:\\\\)*\\$"
IDENT_RX = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: Share of typed values that must fit a layout for it to be used (rows whose own time
#: does not read are rejected one by one afterwards).
MIN_FIT = 0.5
#: Rows looked at when choosing a layout.
SAMPLE_ROWS = 500

_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_ESCAPE_RX = re.compile(r"\\(.)", re.S)


def unescape_mysql(value: str) -> str:
    """Undo MySQL's text escapes: ``\\t`` ``\\n`` ``\\r`` ``\\0`` ``\\Z`` ``\\b``; ``\\x`` is ``x``."""
    return _ESCAPE_RX.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def split_fields_python(text: str) -> list[str]:
    """Reference splitter (slow, exact): the raw, still escaped fields of one record."""
    fields, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c == "\\":  # dangling: the escaped newline of a record whose next line was blank
            cur.append("\\\n")
        elif c == "\t":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    fields.append("".join(cur))
    return fields


def continued(text: pl.Expr) -> pl.Expr:
    """True where the line's final newline is escaped (the record goes on)."""
    return text.str.contains(CONTINUED_RX)


def split_fields(text: pl.Expr) -> pl.Expr:
    """List of raw (still escaped) fields of each record, split on unescaped tabs."""
    fixed = pl.when(continued(text)).then(pl.concat_str([text, pl.lit("\n")])).otherwise(text)
    return fixed.str.extract_all(FIELD_RX)


def with_fields(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with ``_fields``, the raw fields of its ``text``: same rows, same order.

    For most rows of a dump a split on tabs is the whole job: every row without a backslash,
    and every row whose backslashes each escape something other than a tab or a backslash
    (``\\N`` for NULL, ``\\n`` inside a value) and that does not end with one.  Only the
    others (an escaped tab, an escaped backslash, an escaped final newline) need the
    escape-aware regex, which costs several times more.  The two kinds are split apart and
    put back in order.
    """
    text = pl.col("text")
    escaped = (
        text.str.contains("\\\t", literal=True) | text.str.contains("\\\\", literal=True) | text.str.ends_with("\\")
    ).fill_null(False)
    if not df.select(escaped.any()).item():
        return df.with_columns(_fields=pl.col("text").str.split("\t"))
    numbered = df.with_row_index("_order")
    plain = numbered.filter(~escaped).with_columns(_fields=pl.col("text").str.split("\t"))
    rest = numbered.filter(escaped).with_columns(_fields=split_fields(pl.col("text")))
    return pl.concat([plain, rest]).sort("_order").drop("_order")


@dataclass
class DumpRows:
    """Rows of a dump as named String columns, plus the header and bad rows."""

    frame: pl.DataFrame  # _rec, latin1, then one String column per table column
    meta: pl.DataFrame
    rejects: pl.DataFrame


def _unique_names(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for raw in names:
        name = ALIASES.get(raw, raw)
        if name in ("_rec", "latin1", "_fields", "_n"):
            name = f"{name}_column"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _null_if(raw: pl.Expr, column: str, batch: bool) -> pl.Expr:
    typed = kind(column) not in ("text", "json")
    null = raw == "\\N"
    if batch or typed:
        null = null | (raw == "NULL")
    if typed:
        null = null | (raw.str.strip_chars() == "")
    return pl.when(null).then(None).otherwise(raw)


def _columns_frame(rows: pl.DataFrame, columns: Sequence[str], batch: bool) -> pl.DataFrame:
    fields = pl.col("_fields")
    df = rows.select(
        pl.col("_rec"),
        pl.col("latin1"),
        *[_null_if(fields.list.get(i, null_on_oob=True), c, batch).alias(c) for i, c in enumerate(columns)],
    )
    if df.height == 0:
        return df
    escaped = df.select([pl.col(c).str.contains("\\", literal=True).any().alias(c) for c in columns]).row(0)
    for c, has_escape in zip(columns, escaped):
        if has_escape:
            df = map_distinct(df, c, unescape_mysql, "\\")
    return df


def layout_fit(rows: pl.DataFrame, layout: Sequence[str]) -> float:
    """Share of the typed values of ``rows`` (with ``_fields``) that fit ``layout``'s kinds."""
    checks = []
    for i, col in enumerate(layout):
        k = kind(col)
        if k in ("text",):
            continue
        raw = pl.col("_fields").list.get(i, null_on_oob=True)
        present = raw.is_not_null() & ~raw.is_in(["\\N", "NULL", ""])
        ok = raw.str.contains(KIND_PATTERNS[k])
        checks.append(pl.struct(present.alias("p"), (present & ok).alias("o")))
    if not checks:
        return 1.0
    totals = rows.head(SAMPLE_ROWS).select(
        pl.sum_horizontal([c.struct.field("p").cast(pl.Int64) for c in checks]).sum().alias("p"),
        pl.sum_horizontal([c.struct.field("o").cast(pl.Int64) for c in checks]).sum().alias("o"),
    )
    present, ok = totals.row(0)
    return (ok / present) if present else 0.0


def choose_layout(rows: pl.DataFrame, candidates: Sequence[Sequence[str]]) -> tuple[str, ...] | None:
    """The candidate that fits best (first wins ties), or None when none fits MIN_FIT."""
    best: tuple[str, ...] | None = None
    best_fit = -1.0
    for layout in candidates:
        fit = layout_fit(rows, layout)
        if fit > best_fit:
            best, best_fit = tuple(layout), fit
    return best if best_fit >= MIN_FIT else None


def dump_rows(
    records: pl.DataFrame, table: str, state: ParserState, columns_option: Sequence[str] | None = None
) -> DumpRows:
    """Split records into named String columns: header -> meta, wrong shapes -> rejects."""
    pk = PRIMARY_KEYS[table]
    known = sorted({c for layout in LAYOUTS[table] for c in layout} | set(ALIASES))
    df = with_fields(records.select("_rec", "text", "latin1"))
    df = df.with_columns(_n=pl.col("_fields").list.len())
    fields = pl.col("_fields")
    header = (
        fields.list.eval(pl.element().str.contains(IDENT_RX)).list.all()
        & (fields.list.contains(pk) | (fields.list.eval(pl.element().is_in(known)).list.mean() >= 0.5))
    ).fill_null(False)
    # only a line that starts like a column name can be a header (data rows start with an id)
    headers = df.filter(pl.col("text").str.contains(r"^[A-Za-z_]")).filter(header)
    metas = [headers.select(pl.col("_rec"), pl.lit("column header (mysql --batch)").alias("reason"))]
    if headers.height and "columns" not in state:
        state["columns"] = _unique_names(headers.get_column("_fields")[0].to_list())
        state["batch"] = True
    data = df.filter(~pl.col("_rec").is_in(headers.get_column("_rec").implode())) if headers.height else df
    rejects: list[pl.DataFrame] = []
    frames: list[pl.DataFrame] = []
    if "columns" in state:
        columns = state["columns"]
        good = data.filter(pl.col("_n") == len(columns))
        bad = data.filter(pl.col("_n") != len(columns))
        rejects.append(
            bad.select(
                "_rec",
                pl.format("{} fields, the header names {}", pl.col("_n"), pl.lit(len(columns))).alias("reason"),
            )
        )
        if good.height:
            frames.append(_columns_frame(good, columns, True))
    elif columns_option:
        columns = _unique_names(list(columns_option))
        good = data.filter(pl.col("_n") == len(columns))
        bad = data.filter(pl.col("_n") != len(columns))
        rejects.append(
            bad.select(
                "_rec",
                pl.format("{} fields, the configured column list has {}", pl.col("_n"), pl.lit(len(columns))).alias(
                    "reason"
                ),
            )
        )
        if good.height:
            frames.append(_columns_frame(good, columns, False))
    else:
        chosen: dict[int, tuple[str, ...] | None] = state.setdefault("layouts", {})
        counts = {len(layout) for layout in LAYOUTS[table]}
        for (n,), group in data.group_by("_n", maintain_order=True):
            n = int(n)  # type: ignore[call-overload]
            layout = chosen.get(n)
            if layout is None:
                candidates = [layout for layout in LAYOUTS[table] if len(layout) == n]
                layout = choose_layout(group, candidates) if candidates else None
                if layout is not None:  # kept for the rest of the file; a failed choice is retried
                    chosen[n] = layout
            if layout is None:
                if n in counts:
                    reason = f"values do not fit the {n} columns of {table} (give a header or the column list)"
                else:
                    expected = " or ".join(str(c) for c in sorted(counts))
                    reason = f"{n} fields: a header-less {table} dump has {expected} (give a header or the column list)"
                rejects.append(group.select("_rec", pl.lit(reason).alias("reason")))
                continue
            frames.append(_columns_frame(group, layout, False))
    frame = (
        pl.concat(frames, how="diagonal") if frames else pl.DataFrame(schema={"_rec": pl.Int64, "latin1": pl.Boolean})
    )
    return DumpRows(
        frame=frame,
        meta=pl.concat(metas).cast(REJECT_COLUMNS),  # type: ignore[arg-type]
        rejects=pl.concat(rejects).cast(REJECT_COLUMNS) if rejects else pl.DataFrame(schema=REJECT_COLUMNS),  # type: ignore[arg-type]
    )


def ensure_columns(df: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Add missing table columns as null Strings (versions without optional columns)."""
    missing = [c for c in columns if c not in df.columns]
    return df.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in missing]) if missing else df


# -- sibling tables ---------------------------------------------------------------------


def dump_blank(text: pl.Expr) -> pl.Expr:
    """A dump line is blank when it is whitespace without a tab and continues no value."""
    after_escape = continued(text.shift(1)).fill_null(False)
    return is_blank(text) & ~text.str.contains("\t", literal=True) & ~after_escape


def table_format(table: str) -> str:
    """The format (parser name) of a Mediboard table's dump: ``users`` -> ``mediboard.users``."""
    return f"mediboard.{table}"


def table_frame(records: pl.DataFrame, table: str) -> pl.DataFrame:
    """All rows of one dump's records as named String columns."""
    if records.height == 0:
        return pl.DataFrame(schema={"_rec": pl.Int64, "latin1": pl.Boolean})
    return dump_rows(records, table, {}).frame


class Siblings:
    """Other tables of the same dump folder, from the records the engine handed over; each read once."""

    def __init__(self, references: Mapping[str, pl.DataFrame]) -> None:
        self.references = references
        self._frames: dict[str, pl.DataFrame | None] = {}

    def frame(self, table: str) -> pl.DataFrame | None:
        """The sibling dump of ``table`` (String columns), or None when it is not in the folder."""
        if table not in self._frames:
            records = self.references.get(table_format(table))
            self._frames[table] = None if records is None else table_frame(records, table)
        return self._frames[table]

    def lookup(self, table: str, key: str, values: Mapping[str, pl.Expr]) -> pl.DataFrame | None:
        """``key`` -> value columns of a sibling table (first row per key), or None."""
        df = self.frame(table)
        if df is None or key not in df.columns:
            return None
        df = ensure_columns(df, [c for c in _referenced(values) if c not in df.columns])
        return (
            df.select(pl.col(key).str.strip_chars().alias(key), *[e.alias(n) for n, e in values.items()])
            .drop_nulls(key)
            .unique(key, keep="first", maintain_order=True)
        )


def _referenced(values: Mapping[str, pl.Expr]) -> list[str]:
    names: list[str] = []
    for expr in values.values():
        names.extend(expr.meta.root_names())
    return names


def resolve(
    df: pl.DataFrame, siblings: Siblings, id_column: str, table: str, key: str, values: Mapping[str, pl.Expr]
) -> pl.DataFrame:
    """Join resolved names onto ``df`` by ``id_column``; add ``_unres_<id_column>`` (bool)."""
    table_df = siblings.lookup(table, key, values)
    flag = f"_unres_{id_column}"
    if table_df is None:
        df = df.with_columns([pl.lit(None, dtype=pl.String).alias(n) for n in values])
        return df.with_columns(pl.col(id_column).is_not_null().alias(flag))
    table_df = table_df.rename({key: "_key"}).with_columns(pl.lit(True).alias("_found"))
    df = df.with_columns(pl.col(id_column).str.strip_chars().alias("_key")).join(
        table_df, on="_key", how="left", maintain_order="left"
    )
    return df.with_columns((pl.col(id_column).is_not_null() & pl.col("_found").is_null()).alias(flag)).drop(
        "_key", "_found"
    )


def resolve_user(
    df: pl.DataFrame, siblings: Siblings, column: str = "user_id", out: str = "_user_name"
) -> pl.DataFrame:
    """``user_id`` -> ``users.user_username``."""
    return resolve(df, siblings, column, "users", "user_id", {out: pl.col("user_username")})


def resolve_module_action(df: pl.DataFrame, siblings: Siblings) -> pl.DataFrame:
    """``module_action_id`` -> ``_module``, ``_action``."""
    return resolve(
        df,
        siblings,
        "module_action_id",
        "module_action",
        "module_action_id",
        {"_module": pl.col("module"), "_action": pl.col("action")},
    )


def unresolved_tags(df: pl.DataFrame) -> dict[str, pl.Expr]:
    """Tag conditions for every ``_unres_*`` flag of ``df``."""
    return {f"{c.removeprefix('_unres_')}_unresolved": pl.col(c) for c in df.columns if c.startswith("_unres_")}


# -- the parser base ---------------------------------------------------------------------


class MediboardTable(Parser):
    """Base of the table parsers: detection by file name and shape, record grouping, rows.

    Subclasses set ``table`` and implement ``build(rows, state)``.  A header line, when
    the dump has one, names the columns; otherwise the layouts of ``mediboard_layouts``
    are tried, or the source's ``fields = ["col", ...]`` gives the order explicitly.
    """

    table: ClassVar[str] = ""
    multiline = True
    filename_required = True
    option_keys = ("fields",)
    #: ``event.action`` values this parser can produce (documented in docs/actions.md).
    actions: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.table:
            cls.filenames = filename_patterns(cls.table)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.siblings = Siblings({})

    def record_start(self, text: pl.Expr) -> pl.Expr:
        return (~continued(text.shift(1))).fill_null(True)

    def blank(self, text: pl.Expr) -> pl.Expr:
        """Blank unless it continues a value (escaped newline before it) or holds a tab (empty fields)."""
        return dump_blank(text)

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        references = state.references if isinstance(state, ParserState) else {}
        if references is not self.siblings.references:  # a new file's tables (read once per file)
            self.siblings = Siblings(references)
        columns = self.options.get("fields")
        columns = list(columns) if isinstance(columns, list | tuple) else None
        rows = dump_rows(records, self.table, state, columns)
        all_columns = {c for layout in LAYOUTS[self.table] for c in layout}
        frame = ensure_columns(rows.frame, sorted(all_columns))
        result = self.build(frame, state)
        return ParseResult(
            events=result.events,
            rejects=pl.concat([rows.rejects, result.rejects.cast(REJECT_COLUMNS)]),  # type: ignore[arg-type]
            meta=pl.concat([rows.meta, result.meta.cast(REJECT_COLUMNS)]),  # type: ignore[arg-type]
        )

    def build(self, rows: pl.DataFrame, state: ParserState) -> ParseResult:
        """Events (or meta, for reference tables) from the named String columns."""
        raise NotImplementedError

    def score(self, records: pl.DataFrame, filename: str) -> float:
        """Share of sampled records that are this table's rows (events or reference rows)."""
        if records.height == 0:
            return 0.0
        siblings, self.siblings = self.siblings, Siblings({})  # the shape decides; no resolution needed
        try:
            result = self.parse(records, {})
        except Exception:
            return 0.0
        finally:
            self.siblings = siblings
        covered = pl.concat(
            [result.events.select(pl.col("_rec").cast(pl.Int64)), result.meta.select(pl.col("_rec").cast(pl.Int64))]
        ).n_unique()
        return min(1.0, covered / records.height)


def reference_rows(rows: pl.DataFrame, table: str, used_by: str) -> ParseResult:
    """A reference table: every row is meta, used to resolve ids in other tables."""
    meta = rows.select(pl.col("_rec"), pl.lit(f"reference row of {table} (resolves ids in {used_by})").alias("reason"))
    return ParseResult(events=pl.DataFrame(schema={"_rec": pl.Int64}), meta=meta)


def event_frame(
    rows: pl.DataFrame,
    *,
    time_column: str,
    order: pl.Expr | None,
    columns: Mapping[str, pl.Expr],
    labels: Sequence[str] | Mapping[str, pl.Expr],
    tags: Mapping[str, pl.Expr] | None = None,
    flags: pl.Expr | None = None,
) -> pl.DataFrame:
    """One event per row at ``time_column`` (naive local DATETIME, zone left to the engine).

    ``labels`` names table columns (typed by their kind: numbers as JSON numbers, JSON
    columns nested) or maps label keys to expressions.
    """
    time_text = pl.col(time_column)
    return rows.select(
        pl.col("_rec"),
        to_datetime(time_text).alias("_ts"),
        pl.lit(None, dtype=pl.Int32).alias("_offset"),
        time_text.alias("time.original"),
        (order if order is not None else pl.lit(None, dtype=pl.Int64)).alias("_order"),
        *[e.alias(n) for n, e in columns.items()],
        table_labels(rows, labels).alias("labels"),
        tag_column(rows, tags or {}).alias("tags"),
        (flags if flags is not None else pl.lit([], dtype=STR_LIST)).alias("time.flags"),
    )


def table_labels(rows: pl.DataFrame, labels: Sequence[str] | Mapping[str, pl.Expr]) -> pl.Expr:
    """The labels object: table columns typed by kind, plus any extra expressions."""
    if isinstance(labels, Mapping):
        items = dict(labels)
    else:
        items = {c: pl.col(c) for c in labels if c in rows.columns}
    numeric: dict[str, pl.DataType] = {}
    raw_json = []
    for key in items:
        k = kind(key)
        if k == "int":
            numeric[key] = pl.Int64()
        elif k == "float":
            numeric[key] = pl.Float64()
        elif k == "json":
            raw_json.append(key)
    # labels that are a table column as it is: written without the JSON encoder when no value needs an escape
    columns = {key: expr.meta.output_name() for key, expr in items.items() if expr.meta.is_column()}
    plain_columns = plain_text_columns(rows, set(columns.values()))
    plain = [key for key, column in columns.items() if column in plain_columns]
    return labels_json(items, raw_json, numeric, plain)


def unreadable_time(rows: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Rejects for rows where none of ``columns`` holds a readable DATETIME."""
    readable = pl.any_horizontal([to_datetime(pl.col(c)).is_not_null() for c in columns])
    bad = rows.filter(~readable)
    names = " nor ".join(columns)
    return bad.select(pl.col("_rec"), pl.lit(f"{names}: no readable DATETIME").alias("reason"))


def other_columns(rows: pl.DataFrame, used: Sequence[str]) -> list[str]:
    """Table columns not mapped to a schema column (they go to labels), in table order."""
    skip = set(used) | {"_rec", "latin1"}
    return [c for c in rows.columns if c not in skip and not c.startswith("_")]


def message(parts: Sequence[pl.Expr | str]) -> pl.Expr:
    """Concatenate message parts, skipping nulls."""
    return pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts], ignore_nulls=True)
