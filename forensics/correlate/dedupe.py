"""One request, two logs: the reverse proxy and the application server both log every request.

Counting both would double every figure (requests, bytes, exports, API pages) and break
the cadence of a script.  When several hosts log web requests, a request logged by one
host is dropped when another host logged the same request (same client after proxy
resolution, method, path, query, status and user agent) at most ``tolerance`` seconds
earlier.  The earliest copy is kept (the front proxy's, usually); how many were dropped is
reported in the findings summary.  Two genuine identical requests within the tolerance on
*different* hosts would be merged: that is the price of not double counting.
"""

from __future__ import annotations

import polars as pl

KEY = ("source.ip", "http.request.method", "url.path", "url.query", "http.response.status_code", "user_agent.original")
_US = 1_000_000


def _key_hash(cols: list[str], seed: int) -> pl.Expr:
    """A 64-bit hash of the key columns together, each column hashed on its own first.

    Hashing a struct of the text columns row-encodes every row's user agent, path and query
    into one buffer (gigabytes at ten million requests); a struct of their 64-bit hashes is
    eight bytes a column.  Two independent seeds give the 128 bits the key is compared on.
    """
    return pl.struct([pl.col(c).hash(seed=seed).alias(c) for c in cols]).hash(seed=seed)


def drop_cross_host_duplicates(web: pl.DataFrame, tolerance: float) -> tuple[pl.DataFrame, int]:
    """``web`` without the second copy of requests logged by two hosts, and the number dropped."""
    keep = kept_rows(web, tolerance)
    if keep is None:
        return web, 0
    return web.filter(keep), int(keep.len() - keep.sum())


def kept_rows(web: pl.DataFrame, tolerance: float) -> pl.Series | None:
    """Which requests ``drop_cross_host_duplicates`` keeps (a mask in row order), or None when it keeps all.

    The mask alone lets a caller that owns the frame filter it a column at a time
    (``forensics.correlate.frames.rebuilt``) instead of holding the whole frame twice.
    """
    if web.height == 0 or "host.name" not in web.columns or web.get_column("host.name").n_unique() < 2:
        return None
    return kept_of_keys(duplicate_keys(web), tolerance)


def duplicate_keys(web: pl.DataFrame) -> pl.DataFrame:
    """What the duplicate test reads of each request, in row order: two 64-bit hashes of its key,
    its host and when it began (about 40 bytes a request).

    The test needs every request of the case side by side (a copy may be logged the next UTC
    day), but not their text: on a cluster each day's keys are made where the day was read
    (``forensics.correlate.partitions``), and only they travel.
    """
    cols = [c for c in KEY if c in web.columns]
    # one seed after the other: hashed together, the per-column hashes of both seeds existed at
    # once (twelve 64-bit columns, about 0.8 GB at 8 M requests)
    k1 = web.select(_key_hash(cols, 3).alias("_k1")).to_series()
    k2 = web.select(_key_hash(cols, 4).alias("_k2")).to_series()
    return web.select(
        pl.lit(k1),
        pl.lit(k2),
        pl.col("host.name").alias("_h"),
        (pl.col("request.start") if "request.start" in web.columns else pl.col("@timestamp")).alias("_t"),
    )


def kept_of_keys(keys: pl.DataFrame, tolerance: float) -> pl.Series | None:
    """``kept_rows`` from the requests' ``duplicate_keys`` (concatenated in row order)."""
    if keys.height == 0 or keys.get_column("_h").n_unique() < 2:
        return None
    narrow = keys.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"), "_k1", "_k2", "_h", "_t").sort(
        "_k1", "_k2", "_t", "_i"
    )
    same = (pl.col("_k1") == pl.col("_k1").shift(1)) & (pl.col("_k2") == pl.col("_k2").shift(1))
    other_host = pl.col("_h") != pl.col("_h").shift(1)
    # compared by when each request began (a proxy that stamps completions is not late)
    close = (pl.col("_t") - pl.col("_t").shift(1)).dt.total_microseconds() <= int(tolerance * _US)
    # pair each row with at most one earlier row: along a chain of linked rows, every second
    # row is the copy (A, A', B, B' of two identical requests seconds apart keep A and B)
    narrow = narrow.with_columns((same & other_host & close).fill_null(False).alias("_link"))
    # a row's place in its chain: the chains are runs of consecutive rows, so it is its distance
    # from the run's first row (numbering the rows of each chain with a window over a chain id
    # grouped millions of two-row chains)
    row = pl.int_range(0, pl.len(), dtype=pl.Int64)
    narrow = narrow.select("_i", (row - pl.when(~pl.col("_link")).then(row).forward_fill()).alias("_pos"))
    dup = narrow.filter(pl.col("_pos") % 2 == 1).get_column("_i")
    del narrow
    if dup.len() == 0:
        return None
    return pl.repeat(True, keys.height, dtype=pl.Boolean, eager=True).scatter(dup, False)
