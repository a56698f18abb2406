"""What the engine adds to a parser's events: provenance, ids, client IP, zone, ``related.*``, tags.

A parser returns only what its log says; here every event gets its file, line, byte
offset, raw text and SHA-256, a stable ``event.id``, the host, the client address behind
trusted proxies, its time read in the decided zone, and the ``related.ip`` and
``related.user`` lists the correlation searches on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from forensics.config import CaseConfig
from forensics.intake.reader import dense_records
from forensics.intake.walk import EvidenceFile
from forensics.netaddr import resolve_clients
from forensics.schema import conform
from forensics.time.zones import ZoneDecision, localize, with_private
from parsers.base import ParserState

if TYPE_CHECKING:
    from forensics.intake.accounting import FileReport


def finish_events(
    events: pl.DataFrame,
    rec_meta: pl.DataFrame,
    f: EvidenceFile,
    report: FileReport,
    cfg: CaseConfig,
    decision: ZoneDecision,
    state: ParserState,
) -> pl.DataFrame:
    """Provenance, ids, client IP, zone, related.* and tags: everything parsers leave to us."""
    events = _with_records(events.with_columns(pl.col("_rec").cast(pl.Int64)), rec_meta)
    if events.get_column("_rec").n_unique() == events.height:
        # one event per record (access logs): the window below is the costliest step here
        events = events.with_columns(_sub=pl.lit(0, dtype=pl.Int64))
    else:
        events = events.with_columns(_position_in_record(events))
    sha16 = f.sha256_before[:16]
    for name in ("tags", "time.flags"):
        if name not in events.columns:
            events = events.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(name))
    events = events.with_columns(
        pl.concat_str(
            [pl.lit(sha16 + ":"), pl.col("offset").cast(pl.String), pl.lit(":"), pl.col("_sub").cast(pl.String)]
        ).alias("event.id"),
        pl.lit(report.parser).alias("event.dataset"),
        pl.lit(f.relpath).alias("log.file.path"),
        pl.lit(f.sha256_before).alias("log.file.sha256"),
        pl.lit(f.source).alias("log.source"),
        pl.col("line").alias("log.file.line"),
        pl.col("n_lines").cast(pl.Int32).alias("log.file.lines"),
        pl.col("offset").alias("log.offset"),
        pl.col("text").alias("event.original"),
        _reading_tags(events).alias("tags"),
    )
    if "host.name" in events.columns:
        events = events.with_columns(pl.col("host.name").fill_null(pl.lit(report.host, dtype=pl.String)))
    else:
        events = events.with_columns(pl.lit(report.host, dtype=pl.String).alias("host.name"))
    if "message" not in events.columns:
        events = events.with_columns(pl.col("event.original").str.slice(0, 300).alias("message"))
    events = resolve_clients(events, list(cfg.trusted_proxies))
    events = localize(events, decision, state["source"].setdefault("timing", {}))
    events = _related(events)
    events = events.with_columns(pl.col("time.recorded").alias("@timestamp"))
    return with_private(conform(events), events)  # type: ignore[arg-type]


def _reading_tags(events: pl.DataFrame) -> pl.Expr:
    """``tags`` with ``latin1_decoded`` and ``line_truncated`` where the reader says so.

    Most chunks have no such line: their tags are kept as they are (concatenating three
    lists for every row cost more than every other provenance column together).
    """
    tags = pl.col("tags").fill_null([])
    if not events.select((pl.col("latin1") | pl.col("truncated")).any()).item():
        return tags
    none = pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(
        [
            tags,
            pl.when(pl.col("latin1")).then(pl.lit(["latin1_decoded"])).otherwise(none),
            pl.when(pl.col("truncated")).then(pl.lit(["line_truncated"])).otherwise(none),
        ]
    )


def _position_in_record(events: pl.DataFrame) -> pl.Series:
    """``_sub``: each event's 0-based position among the events of its record, in frame order.

    What ``pl.int_range(pl.len()).over("_rec")`` says, by a stable sort on ``_rec`` and a
    scatter back (a window over hundreds of thousands of records costs twenty times more),
    or without the sort when ``_rec`` never goes back.
    """
    rec = pl.col("_rec")
    pos = pl.int_range(pl.len(), dtype=pl.Int64)
    first = rec.ne_missing(rec.shift(1)) | (pos == 0)
    sub = (pos - pl.when(first).then(pos).forward_fill()).alias("_sub")
    if events.select((rec.null_count() == 0) & (rec.diff().drop_nulls() >= 0).all()).item():
        # records in order, their events together (the usual chunk): the frame is its own sort
        return events.select(sub).to_series()
    ranked = events.select("_rec").with_row_index("_i").sort("_rec", maintain_order=True, nulls_last=True)
    ranked = ranked.with_columns(sub)
    sub = pl.Series("_sub", [], dtype=pl.Int64).extend_constant(0, events.height)
    return sub.scatter(ranked.get_column("_i"), ranked.get_column("_sub"))


def _with_records(events: pl.DataFrame, rec_meta: pl.DataFrame) -> pl.DataFrame:
    """``events`` left-joined with the record columns on ``_rec`` (row order kept).

    ``_rec`` numbers the records 0..n-1, so the join is a positional gather (or nothing at
    all when the events are the records in order), far cheaper than a hash join on a
    million rows; anything unusual (a name clash, an unknown ``_rec``) takes the join.
    """
    ids = events.get_column("_rec")
    n = rec_meta.height
    positional = (
        n > 0
        and events.height > 0
        and not set(events.columns) & (set(rec_meta.columns) - {"_rec"})
        and dense_records(rec_meta)
        and ids.null_count() == 0
        and ids.min() >= 0  # type: ignore[operator]
        and ids.max() < n  # type: ignore[operator]
    )
    if not positional:
        return events.join(rec_meta, on="_rec", how="left", maintain_order="left")
    columns = rec_meta.drop("_rec")
    if not (events.height == n and ids.equals(rec_meta.get_column("_rec"))):
        columns = columns[ids]
    return events.hstack(columns)


def _related(events: pl.DataFrame) -> pl.DataFrame:
    ips = [c for c in ("source.ip", "network.peer_ip", "destination.ip") if c in events.columns]
    forwarded = "network.forwarded_ip" if "network.forwarded_ip" in events.columns else None
    users = [c for c in ("user.name", "db.user") if c in events.columns]
    # a chunk whose records name no address still gets empty lists, as it would in a bigger chunk
    empty = pl.lit([], dtype=pl.List(pl.String))
    out = events
    if ips or forwarded is not None:
        out = out.with_columns(_present_values(events, ips, forwarded, noise=("-", "")).alias("related.ip"))
    else:
        out = out.with_columns(empty.alias("related.ip"))
    if users:
        out = out.with_columns(_present_values(events, users, None, noise=("-",)).alias("related.user"))
    else:
        out = out.with_columns(empty.alias("related.user"))
    return out


#: Joins the values of one row into a string that is split back into the list (rows whose
#: values hold it take the list expression).
_SEP = "\x1f"


def _present_values(
    events: pl.DataFrame, columns: list[str], forwarded: str | None, noise: tuple[str, ...]
) -> pl.Series:
    """The values of ``columns`` then of the ``forwarded`` chain, without nulls and ``noise``,
    first occurrence kept (a List(String) per row).

    The list expression that says this directly is the costliest step of the engine, so it
    only runs on the rows that need it.  A row whose other columns are empty or repeat the
    first one (and that has no chain) gets ``[first]`` or ``[]`` (access logs: peer ==
    client); a row whose chain is one address (no comma) treats it as one more column, and
    its kept values are joined and split back.
    """
    keep = pl.element().is_not_null()
    for value in noise:
        keep &= pl.element() != value
    items = [pl.col(c) for c in columns]
    if forwarded is not None:
        # a row without the header must not null the whole list (concat_list of a null list is null)
        chain = pl.col(forwarded).str.split(",").list.eval(pl.element().str.strip_chars())
        items.append(chain.fill_null(pl.lit([], dtype=pl.List(pl.String))))
    general = pl.concat_list(items).list.eval(pl.element().filter(keep)).list.unique(maintain_order=True)
    names = columns + ([forwarded] if forwarded is not None else [])
    if not columns or any(events.schema[c] != pl.String for c in names):
        return events.select(general).to_series()

    def present(c: pl.Expr) -> pl.Expr:
        ok = c.is_not_null()
        for value in noise:
            ok &= c != value
        return ok

    empty = pl.lit([], dtype=pl.List(pl.String))
    first = pl.col(columns[0])
    simple = pl.lit(True)
    for name in columns[1:]:
        other = pl.col(name)
        simple &= ~present(other) | (other == first)
    if forwarded is not None:
        simple &= pl.col(forwarded).is_null()
    if events.select(simple.fill_null(False).all()).item():
        return events.select(pl.when(present(first)).then(pl.concat_list([first])).otherwise(empty)).to_series()

    values = [pl.col(c) for c in columns]
    scalar = pl.lit(True)
    if forwarded is not None:
        values.append(pl.col(forwarded).str.strip_chars())
        scalar &= ~pl.col(forwarded).str.contains(",", literal=True).fill_null(False)
    for v in values:
        scalar &= ~v.str.contains(_SEP, literal=True).fill_null(False)
    kept = []
    for i, v in enumerate(values):
        new = present(v)
        for earlier in values[:i]:
            new &= v.ne_missing(earlier)
        kept.append(pl.when(new).then(v).alias(f"_k{i}"))
    staged = events.select(scalar.fill_null(False).alias("_scalar"), *kept)
    k = [pl.col(f"_k{i}") for i in range(len(values))]
    joined = pl.concat_str(k, separator=_SEP, ignore_nulls=True).str.split(_SEP)
    quick = staged.select(pl.when(pl.any_horizontal([c.is_not_null() for c in k])).then(joined).otherwise(empty))
    mask = staged.get_column("_scalar")
    if mask.all():
        return quick.to_series()
    rest = events.filter(~mask).select(general).to_series()
    # row i of the result is rest[j] where j counts the rows before i that need the list expression
    slot = (~mask).cast(pl.UInt32).cum_sum() - 1
    spread = rest.gather(pl.select(pl.when(~mask).then(slot)).to_series())
    return pl.select(pl.when(mask).then(quick.to_series()).otherwise(spread)).to_series()
