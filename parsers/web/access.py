"""The access-log engine shared by ``apache.access`` and ``nginx.access``.

A compiled format (``parsers.web.logformat``) is applied in two passes:

1. the *split* pass: lines are cut on ``"`` (escaped ``\\"`` and ``\\\\`` set aside first)
   and then on spaces, and each slot is read at its known position.  The segment and
   token counts prove that no field held a quote or a space, so this gives exactly what
   the regex would; it is a few polars kernels per line instead of a capture-regex
   (which costs several microseconds a line), and it is what makes big files fast;
2. the *regex* pass: the remaining lines (odd spacing, a leading vhost or address list,
   a last field cut short, other variants) go through the anchored regex with named
   groups.

Both passes produce one *raw* frame (``_rec`` + one string column per slot, named by
role) which ``build_events`` turns into schema columns.  Lines neither pass accepts are
rejects with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from parsers.base import rejects_of
from parsers.web.common import (
    decode_urls,
    http_outcome,
    json_object,
    map_distinct_many,
    normalise_addresses,
    unescape_apache,
    with_request,
    with_url_parts,
)
from parsers.web.logformat import FLOAT, NUM, STATUS, AccessFormat, Lit, Slot

#: Roles whose values may carry log escapes (``\\"``, ``\\xhh``).
TEXT_ROLES = (
    "peer",
    "client",
    "forwarded",
    "forwarded_tail",
    "forwarded_peer",
    "prefix",
    "user",
    "request",
    "method",
    "path",
    "query",
    "query_args",
    "uri",
    "protocol",
    "referrer",
    "user_agent",
    "vhost",
    "host_header",
    "request_id",
)

STREAMING = "streaming"

#: In ``key=value`` fields appended to a combined line: the request time in seconds
#: (nginx ``$request_time``) and a forwarded chain, under the names people give them.
_EXTRA_SECONDS = r"(?:^| )(?:rt|request_time|req_time)=(\d+(?:\.\d+)?)(?: |$)"
_EXTRA_XFF = r'(?:^| )(?:xff|xff_in|x_forwarded_for|http_x_forwarded_for)="?([^"\s]+)'


@dataclass
class Meta:
    """What ``build_events`` needs to know about the format that produced a raw frame."""

    time_kind: str = "clf"
    time_end: bool = False
    clf_bytes: bool = True
    client_as_forwarded: bool = False
    client_left_header: bool = False
    escape: str = "default"
    #: (slot name, chrono format) of strftime time parts, in line order
    time_parts: tuple[tuple[str, str], ...] = ()
    #: literal text / slot names that rebuild ``time.original`` from the line
    time_original: tuple[tuple[bool, str], ...] = ()


def meta_of(fmt: AccessFormat) -> Meta:
    """The build metadata of a compiled format."""
    parts = tuple((s.name, s.time_format) for s in fmt.slots if s.name.startswith("time_p"))
    original: list[tuple[bool, str]] = []
    idx = [i for i, it in enumerate(fmt.items) if isinstance(it, Slot) and it.name.startswith("time_")]
    if idx:
        window = fmt.items[idx[0] : idx[-1] + 1]
        if all(isinstance(it, Lit) or it.name.startswith("time_") for it in window):
            original = [(isinstance(it, Slot), it.name if isinstance(it, Slot) else it.text) for it in window]
        else:
            original = [(True, fmt.items[i].name) for i in idx]  # type: ignore[union-attr]
    return Meta(
        time_kind=fmt.time_kind,
        time_end=fmt.time_end,
        clf_bytes=fmt.clf_bytes,
        client_as_forwarded=fmt.client_as_forwarded,
        client_left_header=fmt.client_left_header,
        escape=fmt.escape,
        time_parts=parts,
        time_original=tuple(original),
    )


# -- pass 1: split layout -----------------------------------------------------------------


#: Stand-ins for ``\\\\`` and ``\\"`` while a line is cut on quotes (Apache and nginx escape
#: every control byte, so these never occur raw in a line they wrote; lines that hold them
#: anyway are left to the regex pass).
_BS, _QT = "\x01", "\x02"


def with_quote_split(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` plus ``_q`` (the line cut on ``"``) and ``_esc`` (escapes were set aside).

    In a line with escapes, ``\\\\`` and ``\\"`` are first replaced by stand-ins so that the
    cut only falls on real quotes; ``restore_escapes`` puts them back in the values.  Only
    those (few) lines pay for the replacement.
    """
    text = pl.col("text")
    df = records.lazy().select("_rec", "text", text.str.contains("\\", literal=True).alias("_esc"))
    df = df.collect(engine=STREAMING)
    esc = df.get_column("_esc")
    if not esc.any():
        return df.with_columns(_q=text.str.split('"'))
    swapped = text.str.replace_all("\\\\", _BS, literal=True).str.replace_all('\\"', _QT, literal=True)
    plain = df.filter(~pl.col("_esc")).with_columns(_q=text.str.split('"'))
    escaped = df.filter(pl.col("_esc")).with_columns(
        _q=pl.when(~text.str.contains(f"[{_BS}{_QT}]")).then(swapped.str.split('"'))
    )
    return pl.concat([plain, escaped])


def restore_escapes(raw: pl.DataFrame) -> pl.DataFrame:
    """Put ``\\\\`` and ``\\"`` back into the values of lines whose escapes were set aside."""
    if "_esc" not in raw.columns:
        return raw
    idx = raw.get_column("_esc").fill_null(False).arg_true()
    if idx.len() == 0:
        return raw
    updates = []
    for name in raw.columns:
        if name in ("_rec", "_esc") or raw.schema[name] != pl.String:
            continue
        series = raw.get_column(name)
        held = series.gather(idx)
        if not held.str.contains(f"[{_BS}{_QT}]").any():
            continue  # most columns hold no set-aside escape: leave them uncopied
        fixed = held.str.replace_all(_QT, '\\"', literal=True).str.replace_all(_BS, "\\\\", literal=True)
        updates.append(series.clone().scatter(idx, fixed))
    return raw.with_columns(updates)


def _numeric(v: pl.Expr, regex: str) -> pl.Expr:
    if regex == NUM:
        return (v == "-") | v.cast(pl.Int64, strict=False).is_not_null()
    if regex == STATUS:
        return (v == "-") | ((v.str.len_bytes() == 3) & v.cast(pl.Int32, strict=False).is_not_null())
    if regex == FLOAT:
        return (v == "-") | v.cast(pl.Float64, strict=False).is_not_null()
    return pl.lit(True)


def split_extract(df: pl.DataFrame, fmt: AccessFormat) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the lines that fit ``fmt.layout`` (``df`` from ``with_quote_split``).

    Returns (raw frame of the fitting lines, the other lines with ``_q`` kept).  Every
    intermediate (segment, token list, token) is materialised once as a column, so each
    kernel runs once per line.
    """
    layout = fmt.layout
    if layout is None or df.height == 0:
        return pl.DataFrame(), df
    regexes = {s.name: s.regex for s in fmt.slots}
    q = pl.col("_q")
    stage_a: list[pl.Expr] = [pl.col("_rec"), pl.col("_esc"), q.list.len().alias("_n")]
    checks: list[pl.Expr] = [pl.col("_n") == len(layout)]
    out: dict[str, pl.Expr] = {}
    for i, seg in enumerate(layout):
        piece = q.list.get(i, null_on_oob=True)
        if seg.slot is not None:
            stage_a.append(piece.alias(seg.slot))
            out[seg.slot] = pl.col(seg.slot)
        elif seg.tokens:
            # one field more than expected: it must be null (no extra space in a value)
            stage_a.append(piece.str.split_exact(" ", len(seg.tokens)).alias(f"_t{i}"))
        else:
            stage_a.append(piece.alias(f"_l{i}"))
            checks.append(pl.col(f"_l{i}") == seg.literal)
    stage_b: list[pl.Expr] = []
    for i, seg in enumerate(layout):
        if not seg.tokens:
            continue
        t = pl.col(f"_t{i}")
        n = len(seg.tokens)
        stage_b.append(
            (t.struct.field(f"field_{n - 1}").is_not_null() & t.struct.field(f"field_{n}").is_null()).alias(f"_c{i}")
        )
        checks.append(pl.col(f"_c{i}"))
        for j, token in enumerate(seg.tokens):
            name = f"_v{i}_{j}"
            stage_b.append(t.struct.field(f"field_{j}").alias(name))
            v = pl.col(name)
            if token.slot is None:
                checks.append(v == token.prefix)
                continue
            if token.prefix:
                checks.append(v.str.starts_with(token.prefix))
                v = v.str.strip_prefix(token.prefix)
            if token.suffix:
                checks.append(v.str.ends_with(token.suffix))
                v = v.str.strip_suffix(token.suffix)
            if token.slot2 is not None:
                last = v.str.split(token.sep).list.last()
                checks.append(v.str.contains(token.sep, literal=True) & _numeric(last, regexes[token.slot2]))
                out[token.slot2] = last
                v = v.str.slice(0, v.str.len_chars() - last.str.len_chars() - len(token.sep))
            out[token.slot] = v
    for slot, expr in out.items():
        if regexes.get(slot) in (NUM, FLOAT, STATUS):
            checks.append(_numeric(expr, regexes[slot]))
    fits = pl.all_horizontal(checks).fill_null(False).alias("_fits")
    raw = (
        df.lazy()
        .select(stage_a)
        .with_columns(stage_b)
        .select("_rec", "_esc", *[e.alias(k) for k, e in out.items()], fits)
        .collect(engine=STREAMING)
    )
    good = restore_escapes(raw.filter(pl.col("_fits")).drop("_fits"))
    if good.height == df.height:
        return good, df.clear()
    rest = df.join(raw.filter(~pl.col("_fits")).select("_rec"), on="_rec", how="semi")
    return good, rest


# -- pass 2: regex -----------------------------------------------------------------------------


def regex_extract(
    df: pl.DataFrame, regex: str, groups: dict[str, str], irregular: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply ``regex`` (named groups -> slot names via ``groups``); (raw matched, rest).

    ``irregular`` marks the matched lines (``_irregular``): they were read by a lenient
    pattern and are tagged ``line_irregular``.
    """
    if df.height == 0:
        return pl.DataFrame(), df
    pattern = regex.replace("^", "^(?P<_m>)", 1) if regex.startswith("^") else "(?P<_m>)" + regex
    m = df.lazy().with_columns(_g=pl.col("text").str.extract_groups(pattern)).collect(engine=STREAMING)
    hit = pl.col("_g").struct.field("_m").is_not_null()
    matched = m.filter(hit)
    rest = m.filter(~hit).drop("_g")
    fields = [f.name for f in m.schema["_g"].fields]  # type: ignore[attr-defined]
    raw = matched.select(
        "_rec",
        pl.lit(True).alias("_esc"),  # may hold escapes: build_events looks
        *[pl.col("_g").struct.field(g).alias(groups.get(g, g)) for g in fields if g != "_m"],
    )
    if irregular:
        raw = raw.with_columns(_irregular=pl.lit(True))
    return raw, rest


# -- building events ----------------------------------------------------------------------------


def _dash(expr: pl.Expr) -> pl.Expr:
    return pl.when((expr == "-") | (expr == "")).then(None).otherwise(expr)


def _zone_stage(lf: pl.LazyFrame, column: str) -> tuple[pl.LazyFrame, pl.Expr]:
    """``+0200``/``+02:00``/``Z`` -> seconds east of UTC (null when it is not a zone)."""
    lf = lf.with_columns(_z=pl.col(column).str.replace(":", "", literal=True))
    z = pl.col("_z")
    lf = lf.with_columns(
        _zs=z.str.slice(0, 1),
        _zh=z.str.slice(1, 2).cast(pl.Int32, strict=False),
        _zm=z.str.slice(3, 2).cast(pl.Int32, strict=False),
        _zok=z.str.len_bytes() == 5,
    )
    sign = pl.when(pl.col("_zs") == "-").then(-1).when(pl.col("_zs") == "+").then(1)
    value = pl.when(pl.col("_zok") & (pl.col("_zm") < 60)).then(sign * (pl.col("_zh") * 3600 + pl.col("_zm") * 60))
    offset = pl.when(pl.col(column) == "Z").then(pl.lit(0)).otherwise(value).cast(pl.Int32)
    return lf, offset


_ZONE_TEMP = ["_z", "_zs", "_zh", "_zm", "_zok"]


def _distinct_offsets(zones: pl.Series) -> pl.Expr:
    """The ``time_zone`` column as seconds east of UTC, read once per distinct value.

    A chunk holds a handful of zones (``+0200``, ``+0100``), so the string kernels of
    ``_zone_stage`` run on those few values and a lookup maps them back to the lines.
    """
    values = zones.drop_nulls().unique()
    table, offset = _zone_stage(pl.LazyFrame({"time_zone": values}), "time_zone")
    offsets = table.select(offset).collect().to_series()
    return pl.col("time_zone").replace_strict(values, offsets, default=None, return_dtype=pl.Int32)


def _time_stage(lf: pl.LazyFrame, meta: Meta, cols: set[str], zones: pl.Series | None = None) -> pl.LazyFrame:
    """Add ``_ts``, ``_offset`` and ``time.original`` for the format's time slots.

    ``zones`` is the ``time_zone`` column when the caller holds it (CLF times).
    """
    kind = meta.time_kind
    original: pl.Expr | None = None
    if meta.time_original and all(not is_slot or name in cols for is_slot, name in meta.time_original):
        original = pl.concat_str([pl.col(n) if s else pl.lit(n) for s, n in meta.time_original])
    if kind == "clf" and {"time_clf", "time_zone"} <= cols:
        local = pl.col("time_clf").str.to_datetime("%d/%b/%Y:%H:%M:%S", strict=False, time_unit="us")
        if zones is not None:
            lf = lf.with_columns(_offset=_distinct_offsets(zones))
        else:
            lf, offset = _zone_stage(lf, "time_zone")
            lf = lf.with_columns(_offset=offset)
        ts = pl.when(pl.col("_offset").is_not_null()).then(local)
        original = pl.concat_str([pl.col("time_clf"), pl.lit(" "), pl.col("time_zone")])
        return lf.with_columns(ts.alias("_ts"), original.alias("time.original")).drop(_ZONE_TEMP, strict=False)
    if kind == "iso" and "time_iso" in cols:
        lf = lf.with_columns(
            _iso=pl.col("time_iso").str.extract_groups(
                r"^(?P<l>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?)(?P<z>Z|[+-]\d{2}:?\d{2})?$"
            )
        ).with_columns(_isoz=pl.col("_iso").struct.field("z"))
        local = pl.col("_iso").struct.field("l").str.replace(",", ".", literal=True).str.replace(" ", "T", literal=True)
        lf, offset = _zone_stage(lf, "_isoz")
        return lf.with_columns(
            local.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
            offset.alias("_offset"),
            pl.col("time_iso").alias("time.original"),
        ).drop(["_iso", "_isoz", *_ZONE_TEMP])
    if kind.startswith("epoch") and f"time_{kind}" in cols:
        col = pl.col(f"time_{kind}")
        if kind == "epoch_float":
            micros = (col.cast(pl.Float64, strict=False) * 1_000_000).round().cast(pl.Int64)
        else:
            scale = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}[kind]
            micros = col.cast(pl.Int64, strict=False) * scale
        lf = lf.with_columns(_ts=pl.from_epoch(micros, time_unit="us"))
        return lf.with_columns(
            pl.when(pl.col("_ts").is_not_null()).then(pl.lit(0, dtype=pl.Int32)).alias("_offset"),
            col.alias("time.original"),
        )
    if kind == "strftime" and meta.time_parts and all(n in cols for n, _ in meta.time_parts):
        names = [n for n, _ in meta.time_parts]
        fmt = "|".join(f for _, f in meta.time_parts)
        text = pl.concat_str([pl.col(n) for n in names], separator="|")
        if "%z" in fmt:
            zone_part = next(n for n, f in meta.time_parts if "%z" in f)
            lf = lf.with_columns(_tz=pl.col(zone_part).str.extract(r"(Z|[+-]\d{2}:?\d{2})$", 1))
            lf, offset = _zone_stage(lf, "_tz")
            lf = lf.with_columns(
                _offset=offset, _utc=text.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone(None)
            )
            lf = lf.with_columns(_ts=pl.col("_utc") + pl.duration(seconds=pl.col("_offset"))).drop(
                ["_utc", "_tz", *_ZONE_TEMP]
            )
        else:
            lf = lf.with_columns(
                _ts=text.str.to_datetime(fmt, strict=False, time_unit="us"), _offset=pl.lit(None, dtype=pl.Int32)
            )
        return lf.with_columns((original if original is not None else text).alias("time.original"))
    return lf.with_columns(
        pl.lit(None, dtype=pl.Datetime("us")).alias("_ts"),
        pl.lit(None, dtype=pl.Int32).alias("_offset"),
        pl.lit(None, dtype=pl.String).alias("time.original"),
    )


_PREFIX_IP = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$"


def prefix_is_server(raw: pl.DataFrame) -> bool:
    """Whether a lone IP before the peer is the server's address rather than a forwarded client.

    ``192.0.2.10 198.51.100.7 - - [...]`` is ambiguous: Apache's ``%v`` (a virtual host
    named by its address) or ``%A``, or nginx's unquoted ``$http_x_forwarded_for
    $remote_addr``.  A server address is the same on every line while the clients vary;
    forwarded clients vary with the requests.  So: one distinct IP before two or more
    distinct peers is the server; anything else stays a forwarded client.
    """
    if "prefix" not in raw.columns or "peer" not in raw.columns:
        return False
    ips = raw.select("prefix", "peer").filter(pl.col("prefix").str.contains(_PREFIX_IP).fill_null(False))
    return ips.height >= 2 and ips.get_column("prefix").n_unique() == 1 and ips.get_column("peer").n_unique() >= 2


def _prefix_stage(lf: pl.LazyFrame, server_ip: bool = False) -> pl.LazyFrame:
    """What an unquoted token before the peer is: ``vhost:port``, a vhost, a forwarded list,
    or (``server_ip``, see ``prefix_is_server``) a lone IP that is the server's address."""
    pre = pl.col("prefix")
    lf = lf.with_columns(
        _pl=pre.str.contains(",", literal=True),
        _pi=pre.str.contains(_PREFIX_IP),
        _hp=pre.str.extract_groups(r"^(?P<h>[^:\s]+):(?P<p>\d+)$"),
    )
    is_list, is_ip, host = pl.col("_pl"), pl.col("_pi"), pl.col("_hp").struct.field("h")
    server = is_ip & pl.lit(server_ip)
    return lf.with_columns(
        pl.when(host.is_not_null())
        .then(host)
        .when((~is_list & ~is_ip & (pre != "-")) | server)
        .then(pre)
        .alias("_pre_vhost"),
        pl.when(server).then(pre).alias("_pre_server"),
        pl.col("_hp").struct.field("p").alias("_pre_port"),
        pl.when((is_list | is_ip | (pre == "-")) & ~server)
        .then(pre.str.strip_suffix(",").str.strip_chars(" "))
        .alias("_pre_fwd"),
    ).drop("_pl", "_pi", "_hp")


def build_events(raw: pl.DataFrame, meta: Meta) -> pl.DataFrame:
    """Schema columns from a raw slot frame (one row per line).

    Built in stages (``with_columns`` after ``with_columns``) so that each string kernel
    runs once per line; Python runs only per distinct value that needs unescaping.
    """
    if raw.height == 0:
        return pl.DataFrame()
    if meta.escape != "none":
        text_cols = [c for c in raw.columns if c in TEXT_ROLES or c.startswith("label:")]
        # only lines that held a backslash can hold an escape (the split pass knows which)
        rows = raw.get_column("_esc").fill_null(True).arg_true() if "_esc" in raw.columns else None
        raw = map_distinct_many(raw, text_cols, unescape_apache, "\\", rows)
    raw = raw.drop("_esc", strict=False)
    cols = set(raw.columns)
    lf = raw.lazy()
    if "prefix" in cols:
        lf = _prefix_stage(lf, prefix_is_server(raw))
    lf = _time_stage(lf, meta, cols, raw.get_column("time_zone") if "time_zone" in cols else None)
    out: list[pl.Expr] = [pl.col("_rec"), pl.col("_ts"), pl.col("_offset"), pl.col("time.original")]

    # addresses: the peer as logged, the client the server resolved (if any), the XFF chain
    peer: pl.Expr | None = pl.col("peer") if "peer" in cols else None
    forwarded: list[pl.Expr] = []
    if "forwarded_tail" in cols:
        forwarded.append(pl.col("forwarded_tail"))
    if "forwarded" in cols and "client" in cols and meta.client_left_header and peer is not None:
        # mod_remoteip took the client (%a) out of the header it logs: put it back at the end
        left = _dash(pl.col("forwarded"))
        moved = pl.col("client") != peer
        back = (
            pl.when(left.is_null())
            .then(pl.col("client"))
            .otherwise(pl.concat_str([left, pl.lit(", "), pl.col("client")]))
        )
        forwarded.append(pl.when(moved).then(back).otherwise(pl.col("forwarded")))
    elif "forwarded" in cols:
        forwarded.append(pl.col("forwarded"))
    if "prefix" in cols:
        forwarded.append(pl.col("_pre_fwd"))
    if "forwarded_peer" in cols:
        chain = pl.col("forwarded_peer")
        lf = lf.with_columns(_fpl=chain.str.split(",").list.last())
        last = pl.col("_fpl")
        before = chain.str.slice(0, chain.str.len_chars() - last.str.len_chars())
        forwarded.append(pl.when(before.str.len_bytes() > 0).then(before.str.strip_suffix(",")))
        if peer is None:
            peer = last.str.strip_chars(" ")
    if "extras" in cols:
        forwarded.append(pl.col("extras").str.extract(_EXTRA_XFF, 1))
    if "client" in cols and meta.client_as_forwarded and peer is not None:
        forwarded.append(pl.when(pl.col("client") != peer).then(pl.col("client")))
    if peer is None and "client" in cols:
        peer = pl.col("client")
    if peer is not None:
        out.append(peer.alias("network.peer_ip"))
        out.append((pl.col("client") if "client" in cols else peer).alias("source.ip"))
    if forwarded:
        out.append(_dash(pl.coalesce([_dash(f) for f in forwarded])).alias("network.forwarded_ip"))
    if "client_port" in cols:
        out.append(pl.col("client_port").cast(pl.Int32, strict=False).alias("source.port"))
    if "local_ip" in cols:
        out.append(_dash(pl.col("local_ip")).alias("destination.ip"))
    elif "prefix" in cols:
        out.append(pl.col("_pre_server").alias("destination.ip"))
    if "user" in cols:
        out.append(_dash(pl.col("user")).alias("user.name"))
    if "user_agent" in cols:
        out.append(pl.when(pl.col("user_agent") != "-").then(pl.col("user_agent")).alias("user_agent.original"))
    if "referrer" in cols:
        out.append(_dash(pl.col("referrer")).alias("http.request.referrer"))
    if "request_id" in cols:
        out.append(_dash(pl.col("request_id")).alias("http.request.id"))
    domains = [pl.col(c) for c in ("vhost", "host_header") if c in cols]
    if "prefix" in cols:
        domains.append(pl.col("_pre_vhost"))
    if domains:
        out.append(pl.coalesce([_dash(d) for d in domains]).alias("url.domain"))

    # the request: whole (%r, $request) or in pieces (%m %U%q %H, $request_method $request_uri)
    leftovers: list[tuple[str, pl.Expr]] = []
    request: pl.Expr | None = None
    if "request" in cols:
        request = pl.col("request")
        leftovers = [(c, pl.col(c)) for c in ("method", "path", "query", "query_args", "uri", "protocol") if c in cols]
    elif cols & {"method", "path", "uri"}:
        if "uri" in cols:
            target = _dash(pl.col("uri"))
        else:
            path = _dash(pl.col("path")) if "path" in cols else pl.lit("")
            if "query" in cols:
                target = pl.concat_str([path, pl.col("query").fill_null("")])
            elif "query_args" in cols:
                args = _dash(pl.col("query_args"))
                target = pl.when(args.is_null()).then(path).otherwise(pl.concat_str([path, pl.lit("?"), args]))
            else:
                target = path
        parts = [pl.col("method") if "method" in cols else pl.lit("-"), target]
        if "protocol" in cols:
            parts.append(pl.col("protocol"))
        request = pl.concat_str(parts, separator=" ", ignore_nulls=True)
    if request is not None:
        out.append(request.alias("_request"))

    # numbers
    if "status" in cols:
        out.append(pl.col("status").cast(pl.Int32, strict=False).alias("http.response.status_code"))
    body: pl.Expr | None = None
    if "bytes_body" in cols:
        body = pl.col("bytes_body").cast(pl.Int64, strict=False)
        if meta.clf_bytes:
            body = pl.when(pl.col("bytes_body") == "-").then(pl.lit(0, dtype=pl.Int64)).otherwise(body)
    if "bytes_sent" in cols:
        sent = pl.col("bytes_sent").cast(pl.Int64, strict=False)
        body = sent if body is None else pl.coalesce(body, sent)
    if body is not None:
        out.append(body.alias("http.response.bytes"))
    if "bytes_in" in cols:
        out.append(pl.col("bytes_in").cast(pl.Int64, strict=False).alias("http.request.bytes"))
    duration: pl.Expr | None = None
    if "duration_us" in cols:
        duration = pl.col("duration_us").cast(pl.Int64, strict=False) * 1000
    elif "duration_ms" in cols:
        duration = (pl.col("duration_ms").cast(pl.Float64, strict=False) * 1e6).round().cast(pl.Int64)
    elif "duration_s" in cols:
        duration = (pl.col("duration_s").cast(pl.Float64, strict=False) * 1e9).round().cast(pl.Int64)
    elif "duration_auto" in cols:
        d = pl.col("duration_auto")
        duration = (
            pl.when(d.str.contains(".", literal=True))
            .then((d.cast(pl.Float64, strict=False) * 1e9).round().cast(pl.Int64))
            .otherwise(d.cast(pl.Int64, strict=False) * 1000)
        )
    if "extras" in cols:
        seconds = pl.col("extras").str.extract(_EXTRA_SECONDS, 1).cast(pl.Float64, strict=False)
        in_extras = (seconds * 1e9).round().cast(pl.Int64)
        duration = in_extras if duration is None else pl.coalesce(duration, in_extras)
    if duration is not None:
        out.append(duration.alias("event.duration"))

    # labels: every field with no schema column (nothing is dropped)
    labels = [(c.removeprefix("label:"), _dash(pl.col(c))) for c in raw.columns if c.startswith("label:")]
    labels += [(k, _dash(e)) for k, e in leftovers]
    if "extras" in cols:
        labels.append(("extras", pl.col("extras").str.strip_chars(" ")))
    if "server_port" in cols:
        labels.append(("destination.port", _dash(pl.col("server_port"))))
    elif "prefix" in cols:
        labels.append(("destination.port", pl.col("_pre_port")))
    if labels:
        out.append(_labels(lf, labels).alias("labels"))
    tags = _tags(cols)
    if tags is not None:
        out.append(tags.alias("tags"))

    lf = lf.select(out)
    status = pl.col("http.response.status_code") if "status" in cols else pl.lit(None, dtype=pl.Int32)
    if request is not None:
        lf = with_url_parts(with_request(lf, "_request"))
        shown = pl.when(pl.col("_request") == "").then(pl.lit('""')).otherwise(pl.col("_request"))
        message = pl.concat_str([shown, pl.lit(" -> "), status.cast(pl.String).fill_null("-")])
    else:
        message = pl.concat_str([pl.lit("request -> "), status.cast(pl.String).fill_null("-")])
    lf = lf.with_columns(
        pl.lit("web").alias("event.category"),
        pl.lit("http_request").alias("event.action"),
        http_outcome(status).alias("event.outcome"),
        pl.lit("Request completed" if meta.time_end else "Request received").alias("timestamp_desc"),
        message.alias("message"),
    )
    df = lf.drop("_request", strict=False).collect(engine=STREAMING)
    return decode_urls(normalise_addresses(df))


def _labels(lf: pl.LazyFrame, labels: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The labels JSON, or a typed null when no line has any (the usual ``%l`` = ``-``)."""
    present = lf.select(pl.any_horizontal([e.is_not_null() for _, e in labels]).any()).collect().item()
    if not present:
        return pl.lit(None, dtype=pl.String)
    return json_object(labels)


def _tags(cols: set[str]) -> pl.Expr | None:
    """``line_malformed`` (last quote missing), ``line_irregular`` (a raw quote inside a
    quoted field: fields found from both ends) and ``duration_unit_assumed`` (auto %D)."""
    exprs = []
    if "_irregular" in cols:
        exprs.append(pl.when(pl.col("_irregular").fill_null(False)).then(pl.lit("line_irregular")))
    if "ua_end" in cols:
        exprs.append(
            pl.when(pl.col("user_agent").is_not_null() & (pl.col("ua_end") == "")).then(pl.lit("line_malformed"))
        )
    if "xff_end" in cols:
        exprs.append(
            pl.when(pl.col("forwarded_tail").is_not_null() & (pl.col("xff_end") == "")).then(pl.lit("line_malformed"))
        )
    if "duration_auto" in cols:
        d = pl.col("duration_auto")
        exprs.append(
            pl.when(d.is_not_null() & ~d.str.contains(".", literal=True)).then(pl.lit("duration_unit_assumed"))
        )
    if not exprs:
        return None
    return pl.concat_list(exprs).list.drop_nulls().list.unique(maintain_order=True)


def unreadable_time(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split off events whose time could not be read: (good events, rejects)."""
    if events.height == 0:
        return events, pl.DataFrame(schema={"_rec": pl.Int64, "reason": pl.String})
    if events.get_column("_ts").null_count() == 0:  # the usual case: no copy of the frame
        return events, pl.DataFrame(schema={"_rec": pl.Int64, "reason": pl.String})
    bad = events.filter(pl.col("_ts").is_null())
    return events.filter(pl.col("_ts").is_not_null()), rejects_of(bad, "unreadable time")


def concat_raw(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Raw frames of several passes (columns may differ) as one."""
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame()
    if len(frames) == 1:
        return frames[0]
    return pl.concat(frames, how="diagonal_relaxed")


def parse_access(
    records: pl.DataFrame,
    fast: Sequence[AccessFormat],
    slow: Sequence[tuple[str, dict[str, str]]],
    meta: Meta,
    reject_reason: pl.Expr | str,
    hits: dict[str, int] | None = None,
    lenient: Sequence[tuple[str, dict[str, str]]] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run the split pass for each of ``fast`` (in order), then each regex of ``slow``,
    then each regex of ``lenient`` on what is still refused (tagged ``line_irregular``).

    Only the lines every earlier pass refused pay for the lenient patterns, which find
    a quoted field holding a raw ``"`` (``"GET /?q=<script>alert("x")</script> HTTP/1.0"``)
    by anchoring what follows it (status, size...) from the end of the line.

    Returns (events, rejects).  ``hits`` (format source -> lines) is updated so a caller
    can try the most frequent format first on the next chunk.
    """
    raws: list[pl.DataFrame] = []
    rest = with_quote_split(records) if any(f.layout for f in fast) else records.select("_rec", "text")
    for fmt in fast:
        if rest.height == 0:
            break
        good, rest = split_extract(rest, fmt)
        if good.height:
            raws.append(good)
            if hits is not None:
                hits[fmt.source] = hits.get(fmt.source, 0) + good.height
    rest = rest.select("_rec", "text")
    for regex, groups in slow:
        if rest.height == 0:
            break
        good, rest = regex_extract(rest, regex, groups)
        if good.height:
            raws.append(good)
    for regex, groups in lenient:
        if rest.height == 0:
            break
        good, rest = regex_extract(rest, regex, groups, irregular=True)
        if good.height:
            raws.append(good)
    events = build_events(concat_raw(raws), meta)
    if meta.time_kind == "none" and events.height:
        # a format without a time field cannot place anything on a timeline: say so once per line
        no_time = rejects_of(events, "the configured log_format has no time field (%t, $time_local...)")
        return events.clear(), pl.concat([rejects_of(rest, reject_reason), no_time])
    events, bad_time = unreadable_time(events)
    if isinstance(reject_reason, str) and len(fast) == 1:
        rejects = diagnose(rest, fast[0], reject_reason)
    else:
        rejects = rejects_of(rest, reject_reason)
    if bad_time.height:
        rejects = pl.concat([rejects, bad_time])
    return events, rejects


_DESCRIBE = {
    "peer": "the client address",
    "client": "the client address",
    "label:ident": "the ident field",
    "user": "the user",
    "time_clf": "the time",
    "time_zone": "the time zone",
    "time_iso": "the time",
    "request": "the request",
    "status": "the status",
    "bytes_body": "the byte count",
    "bytes_sent": "the byte count",
    "referrer": "the referer",
    "user_agent": "the user agent",
    "forwarded": "the X-Forwarded-For value",
    "duration_s": "the request time",
    "duration_us": "the duration",
    "vhost": "the server name",
    "server_port": "the server port",
}
#: Above this many refused lines the reason stays generic (the diagnosis costs a pass per field).
DIAGNOSE_MAX = 20_000


def diagnose(rejects: pl.DataFrame, fmt: AccessFormat, generic: str) -> pl.DataFrame:
    """Reasons that say where a refused line stops following ``fmt``.

    The format's pieces are matched as growing prefixes: a line that matches every piece
    it has but ends early is "cut short after <field>"; otherwise the first piece that does
    not match is named.
    """
    if rejects.height == 0 or rejects.height > DIAGNOSE_MAX:
        return rejects_of(rejects, generic)
    pieces: list[tuple[str, str]] = []
    kinds: list[bool] = []  # True for literal text
    quoted_after = False
    for i, item in enumerate(fmt.items):
        kinds.append(isinstance(item, Lit))
        if isinstance(item, Lit):
            pieces.append((re.escape(item.text), f"the text {item.text.strip()!r}" if item.text.strip() else "a space"))
            quoted_after = item.text.endswith('"')
            continue
        nxt = fmt.items[i + 1] if i + 1 < len(fmt.items) else None
        quoted = quoted_after and isinstance(nxt, Lit) and nxt.text.startswith('"')
        regex = r'(?:[^"\\]|\\.)*' if quoted else item.regex
        name = _DESCRIBE.get(item.name, item.name.removeprefix("label:").replace("_", " "))
        pieces.append((regex, name))
    text = pl.col("text")
    checks = []
    prefix = "^"
    for k, (regex, _) in enumerate(pieces):
        prefix += f"(?:{regex})"
        checks.append(text.str.contains(prefix).alias(f"_ok{k}"))
        checks.append(text.str.contains(prefix + r"\s*$").alias(f"_end{k}"))
    flags = rejects.select("_rec", *checks)
    reason: pl.Expr = pl.lit(generic)
    # the deepest matching piece decides: it is wrapped last, so it is tested first
    for k in range(len(pieces)):
        after = pieces[k][1]
        if k + 1 < len(pieces):
            nxt_name = pieces[k + 1][1]
            is_literal = kinds[k + 1]
            failing = f"unexpected text after {after}" if is_literal else f"{nxt_name} does not match the log format"
        else:
            failing = "unexpected text at the end of the line"
        reason = (
            pl.when(pl.col(f"_end{k}") & (k + 1 < len(pieces)))
            .then(pl.lit(f"line cut short after {after}"))
            .when(pl.col(f"_ok{k}"))
            .then(pl.lit(failing))
            .otherwise(reason)
        )
    # a line that does not even reach the format's first landmark ("[", a quote...) is
    # simply another kind of line
    landmark = next(
        (k for k, (lit, (regex, _)) in enumerate(zip(kinds, pieces, strict=True)) if lit and regex.strip("\\ ")), None
    )
    if landmark is not None:
        reason = pl.when(~pl.col(f"_ok{landmark}")).then(pl.lit(generic)).otherwise(reason)
    return flags.select(pl.col("_rec").cast(pl.Int64), reason.alias("reason"))
