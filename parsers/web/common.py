"""Helpers shared by the web parsers: request splitting, log unescaping, URL decoding, labels.

Decoding runs in Python once per *distinct* value that needs it (values with a backslash
or a ``%``), never once per line, so the hot path stays in polars.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import unquote_to_bytes

import polars as pl

_APACHE_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)")
_SIMPLE = {"n": b"\n", "t": b"\t", "r": b"\r", "v": b"\v", "b": b"\b", "f": b"\f"}


def unescape_apache(value: str) -> str:
    """Undo Apache/nginx log escaping: ``\\"``, ``\\\\``, ``\\n``, ``\\t``, ``\\xhh`` (and JSON ``\\uhhhh``).

    Apache (``ap_escape_logitem``) and nginx (``\\xHH``, or ``escape=json``) escape the
    quote, the backslash and non-printable bytes.  The ``\\xhh`` bytes are gathered and
    decoded as UTF-8 when valid, otherwise latin-1.  A lone trailing backslash stays.
    """
    out = bytearray()
    pos = 0
    for m in _APACHE_ESCAPE.finditer(value):
        out += value[pos : m.start()].encode("utf-8", "surrogatepass")
        code = m.group(1)
        if code[0] == "x" and len(code) == 3:
            out.append(int(code[1:], 16))
        elif code[0] == "u" and len(code) == 5:
            out += chr(int(code[1:], 16)).encode("utf-8", "surrogatepass")
        else:
            out += _SIMPLE.get(code, code.encode("utf-8", "surrogatepass"))
        pos = m.end()
    out += value[pos:].encode("utf-8", "surrogatepass")
    return _decode(bytes(out))


_HAPROXY_ESCAPE = re.compile(r"#([0-9A-Fa-f]{2})")


def unescape_haproxy(value: str) -> str:
    """Undo HAProxy's log escaping (``#22`` for ``"``, ``#20`` for a space, ``#xx`` bytes)."""
    out = bytearray()
    pos = 0
    for m in _HAPROXY_ESCAPE.finditer(value):
        out += value[pos : m.start()].encode("utf-8", "surrogatepass")
        out.append(int(m.group(1), 16))
        pos = m.end()
    out += value[pos:].encode("utf-8", "surrogatepass")
    return _decode(bytes(out))


_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def percent_decode(value: str) -> str:
    """``%E9`` -> ``é`` for display: each run of ``%XX`` bytes is UTF-8 when valid, else latin-1.

    Decoding run by run keeps a URL that mixes a latin-1 form field (``nom=H%E9l%E8ne``)
    and a UTF-8 one (``prenom=Ma%C3%ABlle``) readable in both parts.
    """
    return _PERCENT_RUN.sub(lambda m: _decode(unquote_to_bytes(m.group(0))), value)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def map_distinct(
    df: pl.DataFrame, column: str, func: Callable[[str], str], needs: str, rows: pl.Series | None = None
) -> pl.DataFrame:
    """Replace ``column`` by ``func(value)`` where the value contains ``needs``, per distinct value.

    Only the rows that need it are touched: their positions are found with one vectorised
    ``contains``, their distinct values go through ``func`` once each, and the results are
    scattered back in place (row order is kept).  ``rows`` (positions) limits the search
    to the rows that may need it.
    """
    if column not in df.columns or df.height == 0:
        return df
    series = df.get_column(column)
    if rows is None:
        idx = series.str.contains(needs, literal=True).fill_null(False).arg_true()
    else:
        if rows.len() == 0:
            return df
        hit = series.gather(rows).str.contains(needs, literal=True).fill_null(False)
        idx = rows.filter(hit)
    if idx.len() == 0:
        return df
    todo = series.gather(idx)
    values = todo.unique().to_list()
    mapped = todo.replace_strict(values, [func(v) for v in values], return_dtype=pl.String)
    return df.with_columns(series.clone().scatter(idx, mapped))


def map_distinct_many(
    df: pl.DataFrame,
    columns: Sequence[str],
    func: Callable[[str], str],
    needs: str,
    rows: pl.Series | None = None,
) -> pl.DataFrame:
    """``map_distinct`` over several columns."""
    for column in columns:
        df = map_distinct(df, column, func, needs, rows)
    return df


_METHOD = r"^[A-Za-z][A-Za-z0-9_-]*$"
_ABSOLUTE = r"^[A-Za-z][A-Za-z0-9+.-]*://"


def with_request(lf: pl.LazyFrame, request: str) -> pl.LazyFrame:
    """Add method, url.original and http.version from a request line column.

    ``"GET /a?b=1 HTTP/1.1"``: the method is the first word, the version the last one
    when it is ``HTTP/x``; the target is everything between, so a target with raw spaces
    (nginx logs them) stays whole.  HTTP/0.9 lines have no version; a request that is not
    ``METHOD target`` (``-``, a TLS handshake written as ``\\x16\\x03...``, garbage) gives
    nulls.  Lengths are counted in characters, which ``slice`` counts: the version suffix is
    measured on its own text (ASCII), never from a ``find`` position, which polars gave in
    bytes up to 2.1 and gives in characters since 2.2 (a target holding ``é`` lost its last
    character to the version under one of them).  The first space is found with ``find``: a
    kept row's method is ASCII, where bytes and characters agree.  Intermediate columns are
    materialised in stages: each kernel runs once.
    """
    r = pl.col(request)
    # signed: a line with no target between them ("GET HTTP/1.1") has a negative length, which
    # unsigned counts wrapped into a huge one (it read as the target "HTTP/1.1", version 1.1)
    lf = lf.with_columns(
        _rs=r.str.find(" ", literal=True).cast(pl.Int64),
        _rsuf=r.str.extract(r"( HTTP/[0-9.]+)$", 1).str.len_chars().fill_null(0).cast(pl.Int64),
        _rc=r.str.len_chars().cast(pl.Int64),
    )
    lf = lf.with_columns(_rm=r.str.slice(0, pl.col("_rs")))
    suffix = pl.col("_rsuf")
    length = pl.col("_rc") - pl.col("_rs") - 1 - suffix
    ok = (pl.col("_rs") > 0) & (length > 0) & pl.col("_rm").str.contains(_METHOD)
    lf = lf.with_columns(_rok=ok.fill_null(False), _rlen=length, _rsuf=suffix)
    return lf.with_columns(
        pl.when(pl.col("_rok")).then(pl.col("_rm")).alias("http.request.method"),
        pl.when(pl.col("_rok")).then(r.str.slice(pl.col("_rs") + 1, pl.col("_rlen"))).alias("url.original"),
        pl.when(pl.col("_rok") & (pl.col("_rsuf") > 0)).then(r.str.tail(pl.col("_rsuf") - 6)).alias("http.version"),
    ).drop("_rs", "_rc", "_rm", "_rok", "_rlen", "_rsuf")


def with_url_parts(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``url.path`` and ``url.query`` (as written) from ``url.original``.

    Cut at the first ``?`` by ``splitn``: ``find`` gives a byte position and ``slice``
    counts characters, so slicing at it misplaces the cut after a non-ASCII character.
    """
    lf = lf.with_columns(_qs=pl.col("url.original").str.splitn("?", 2))
    return lf.with_columns(
        pl.col("_qs").struct.field("field_0").alias("url.path"),
        pl.col("_qs").struct.field("field_1").alias("url.query"),
    ).drop("_qs")


def decode_urls(df: pl.DataFrame) -> pl.DataFrame:
    """Percent-decode ``url.path``/``url.query`` for display; split absolute-form targets.

    ``GET http://host/path`` (proxy probes) gives its host in ``url.domain`` when the log
    did not name one, and the path in ``url.path``.
    """
    if "url.path" not in df.columns or df.height == 0:
        return df
    absolute = pl.col("url.path").str.contains(_ABSOLUTE).fill_null(False)
    if df.select(absolute.any()).item():
        parts = pl.col("url.path").str.extract_groups(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<h>[^/]*)(?P<p>.*)$")
        domain = pl.when(absolute).then(parts.struct.field("h"))
        if "url.domain" in df.columns:
            domain = pl.coalesce(pl.col("url.domain"), domain)
        df = df.with_columns(
            domain.alias("url.domain"),
            pl.when(absolute)
            .then(parts.struct.field("p").replace("", "/"))
            .otherwise(pl.col("url.path"))
            .alias("url.path"),
        )
    return map_distinct_many(df, ["url.path", "url.query"], percent_decode, "%")


def http_outcome(status: pl.Expr) -> pl.Expr:
    """``failure`` for status >= 400, ``success`` below, ``unknown`` without a status."""
    return (
        pl.when(status >= 400)
        .then(pl.lit("failure"))
        .when(status.is_not_null() & (status > 0))
        .then(pl.lit("success"))
        .otherwise(pl.lit("unknown"))
    )


def json_object(pairs: Sequence[tuple[str, pl.Expr]]) -> pl.Expr:
    """A JSON object string of the non-null values (null when all are null).

    Keys are ours (header names, directive names): they are made safe here (anything but
    ``A-Za-z0-9_.:@()#-`` becomes ``_``), so a key never needs a JSON escape; each value is
    written by the JSON encoder.
    """
    if not pairs:
        return pl.lit(None, dtype=pl.String)
    safe = [(re.sub(r"[^A-Za-z0-9_.:@()#-]", "_", k), e.cast(pl.String)) for k, e in pairs]
    # each value is JSON-encoded alone and the non-null members joined: the text of the whole
    # struct encoded with its null members cut out, without scanning it again once per key
    members = [pl.concat_str([pl.lit(f'"{k}":'), _json_literal(e)]) for k, e in safe]
    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.concat_str([pl.lit("{"), body, pl.lit("}")]).replace("{}", None)


def _json_literal(expr: pl.Expr) -> pl.Expr:
    """A value as the JSON literal the struct encoder writes for it (null stays null)."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    return pl.when(expr.is_not_null()).then(encoded)


_IPV4 = r"^\d{1,3}(?:\.\d{1,3}){3}$"
_IPV6 = r"^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$"
_WITH_PORT = r"^(?:(?P<v4>\d{1,3}(?:\.\d{1,3}){3})|\[(?P<v6>[0-9A-Fa-f:.]+)\]):(?P<port>\d{1,5})$"


def normalise_addresses(df: pl.DataFrame) -> pl.DataFrame:
    """Keep only IP addresses in ``source.ip`` / ``network.peer_ip``.

    A logged client may be ``127.0.0.1:80`` or ``[2001:db8::1]:443`` (the port goes to
    ``source.port`` when none was logged apart), ``unix:`` (nginx behind a unix socket),
    ``localhost`` or a host name (``HostnameLookups On``): what is not an IP is no IP, so it
    leaves both columns and is kept in ``labels`` as ``source.address``.  Read once per
    distinct value; a frame whose addresses are all bare IPs is returned untouched.
    """
    if df.height == 0:
        return df
    extra: pl.Expr | None = None
    for col in ("source.ip", "network.peer_ip"):
        if col not in df.columns:
            continue
        values = df.get_column(col).drop_nulls().unique()
        bare = values.str.contains(_IPV4) | values.str.contains(_IPV6) | (values == "-")
        odd = values.filter(~bare)
        if odd.len() == 0:
            continue
        parts = odd.str.extract_groups(_WITH_PORT)
        ip = pl.Series(
            [
                a or b
                for a, b in zip(parts.struct.field("v4").to_list(), parts.struct.field("v6").to_list(), strict=True)
            ],
            dtype=pl.String,
        )
        port = parts.struct.field("port").cast(pl.Int32, strict=False)
        fixed = pl.col(col).replace_strict(odd, ip, default=pl.col(col), return_dtype=pl.String)
        updates = [fixed.alias(col)]
        if col == "source.ip":
            moved = pl.col(col).replace_strict(odd, port, default=None, return_dtype=pl.Int32)
            if "source.port" in df.columns:
                updates.append(pl.coalesce(pl.col("source.port"), moved).alias("source.port"))
            else:
                updates.append(moved.alias("source.port"))
            other = odd.filter(ip.is_null())
            if other.len():
                extra = json_object([("source.address", pl.when(pl.col(col).is_in(other.implode())).then(pl.col(col)))])
                df = df.with_columns(extra.alias("_addr"))
        df = df.with_columns(updates)
    if extra is None:
        return df
    labels = pl.col("labels") if "labels" in df.columns else pl.lit(None, dtype=pl.String)
    merged = (
        pl.when(pl.col("_addr").is_null())
        .then(labels)
        .when(labels.is_null())
        .then(pl.col("_addr"))
        .otherwise(pl.concat_str([pl.col("_addr").str.strip_suffix("}"), pl.lit(","), labels.str.strip_prefix("{")]))
    )
    return df.with_columns(merged.alias("labels")).drop("_addr")
