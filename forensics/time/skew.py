"""Clock skew between hosts, estimated from happenings that two hosts both recorded.

An *anchor* is one happening seen by two sources on different hosts.  The difference of
the two recorded times is the difference of the two clocks (plus a small processing
delay).  Three kinds of anchors are used:

* ``same_request``: one HTTP request in two access logs (reverse proxy and app server),
  matched on method, URL, status and bytes;
* ``login_request``: an application login row and the web POST from the same client IP;
* ``connect_request``: a database CONNECT and the web request that opened it.

The first two are paired one to one, and only when the pair is unambiguous: a key must
occur once within twice the search window in each source, so each record can meet at
most one partner.  Pairs where either side took more than a second (``event.duration``)
are dropped, since a log may stamp either the start or the end of a request.

A database CONNECT cannot be paired one to one (a busy app server serves several requests
a second), so the third kind is counted instead: for every lag of whole seconds within the
window, how many requests of the web source fall that far from each CONNECT.  Unrelated
requests give a flat background; the requests that opened the connections pile up at the
true lag.  The excess over the background (median of all lags) in the peak and its two
neighbours is the number of anchors, and their weighted mean lag is the estimate (a clock
offset of 0.4 s shows as 60 % of anchors at lag 0 and 40 % at lag 1).

Per pair of hosts the estimate is the mean of the pairs within three MADs (at least one
second) of their median: the mean, because one-second log resolution makes the median
jump by whole seconds.  An estimate is *well supported* when it rests on at least
``MIN_PAIRS`` anchors with a MAD of at most ``MAX_MAD`` seconds (and, for counted anchors,
a peak at least ``MIN_PEAK_Z`` standard deviations above the background, not at the edge
of the window).

Host clocks are then solved from a reference: the hosts whose offset the case config
gives (``clock_offset``; ``0`` declares an NTP-synchronised host), else the host with the
most anchors, whose clock is then taken as right.  Other hosts are reached through well
supported estimates only, strongest first (a maximum spanning tree); their offsets add up
along the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from forensics.ingest_messages import note
from forensics.schema import EVENT_SCHEMA, activity_start

#: An estimate needs at least this many anchors...
MIN_PAIRS = 20
#: ...with a median absolute deviation of at most this many seconds.
MAX_MAD = 0.5
#: A counted-anchor peak must stand this many standard deviations above the background.
MIN_PEAK_Z = 5.0
#: Corrections smaller than this (under the one-second resolution of most logs) are not applied.
MIN_APPLY = 0.1
#: Requests longer than this (ns) are not used as anchors.
MAX_ANCHOR_DURATION_NS = 1_000_000_000
#: Search window beyond the case's skew_tolerance (seconds): processing delay and resolution.
WINDOW_MARGIN = 2.0
#: At most this many web events per source are paired one to one (a deterministic sample by key).
MAX_KEYED = 500_000
#: At most about this many CONNECTs are counted (a deterministic sample of 10-minute blocks).
MAX_CONNECTS = 300_000
SAMPLE_BLOCK_S = 600

US = 1_000_000

#: Columns the estimator reads from the events.
COLUMNS = (
    "log.source",
    "event.action",
    "time.recorded",
    "time.flags",
    "http.request.method",
    "url.original",
    "http.response.status_code",
    "http.response.bytes",
    "event.duration",
    "source.ip",
    "timestamp_desc",
)

PAIR_SCHEMA = {
    "kind": pl.String,
    "source_a": pl.String,
    "host_a": pl.String,
    "source_b": pl.String,
    "host_b": pl.String,
    "delta": pl.Float64,
}


@dataclass
class Edge:
    """What the anchors say about clock(host_b) - clock(host_a), in seconds."""

    host_a: str
    host_b: str
    method: str  # "pairs" or "counted"
    kinds: dict[str, int]
    pairs: int
    median: float | None
    mad: float | None
    estimate: float | None
    supported: bool
    z: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "host_a": self.host_a,
            "host_b": self.host_b,
            "method": self.method,
            "kinds": self.kinds,
            "pairs": self.pairs,
            "median": _r(self.median),
            "mad": _r(self.mad),
            "estimate": _r(self.estimate),
            "supported": self.supported,
            "peak_z": _r(self.z, 1),
            "note": self.note,
        }


@dataclass
class HostClock:
    """The offset of one host's clock (seconds ahead of the reference) and its basis."""

    host: str
    offset: float | None = None
    origin: str | None = None  # "config", "reference", "estimated" or None
    pairs: int = 0
    median: float | None = None
    mad: float | None = None
    via: list[str] = field(default_factory=list)
    applied: bool = False
    reason: str = ""
    estimate: float | None = None  # what the anchors say, also for configured hosts

    def as_dict(self) -> dict[str, Any]:
        return {
            "offset": _r(self.offset),
            "origin": self.origin,
            "pairs": self.pairs,
            "median": _r(self.median),
            "mad": _r(self.mad),
            "via": self.via,
            "applied": self.applied,
            "reason": self.reason,
            "estimate": _r(self.estimate),
        }


@dataclass
class SkewReport:
    """Every estimate, the reference and the per-host clocks."""

    reference: list[str]
    reference_reason: str
    hosts: dict[str, HostClock]
    edges: list[Edge]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "reference_reason": self.reference_reason,
            "rule": f">= {MIN_PAIRS} anchors, MAD <= {MAX_MAD} s (counted anchors: peak >= {MIN_PEAK_Z} sd)",
            "hosts": {h: c.as_dict() for h, c in sorted(self.hosts.items())},
            "edges": [e.as_dict() for e in self.edges],
        }


def _r(v: float | None, nd: int = 3) -> float | None:
    return None if v is None else round(v, nd)


# -- anchors --------------------------------------------------------------------------------

#: Codes of the three kinds of events anchors are made of.
WEB, LOGIN, CONNECT = 0, 1, 2


@dataclass
class Anchors:
    """The slim frame anchors are built from, and the names behind its integer codes.

    ``events`` has ``_src``/``_hid`` (source and host index), ``_act`` (WEB, LOGIN,
    CONNECT), ``_t`` (µs since epoch), ``_k`` (hash of method, URL, status, bytes for web
    events), ``_ip`` (hash of ``source.ip``), ``_post`` and ``_short`` (duration unknown or
    at most a second).
    """

    events: pl.DataFrame
    sources: list[str]
    hosts: list[str]
    host_of: list[int]


def anchor_events(lf: pl.LazyFrame, hosts: dict[str, str]) -> Anchors:
    """Read only what anchors need (URLs are hashed inside the scan, never held as text).

    ``hosts`` maps each ``log.source`` to its host; events of other sources are not used.
    Events with an undecided DST reading are left out.
    """
    sources = sorted(hosts)
    host_names = sorted(set(hosts.values()))
    host_index = {h: i for i, h in enumerate(host_names)}
    host_of = [host_index[hosts[s]] for s in sources]
    mapping = pl.LazyFrame(
        {"log.source": sources, "_src": list(range(len(sources))), "_hid": host_of},
        schema={"log.source": pl.String, "_src": pl.UInt32, "_hid": pl.UInt32},
    )
    names = lf.collect_schema().names()
    col = {c: (pl.col(c) if c in names else pl.lit(None)) for c in COLUMNS}
    action = col["event.action"]
    key = pl.struct(
        col["http.request.method"].cast(pl.String).alias("m"),
        col["url.original"].cast(pl.String).alias("u"),
        col["http.response.status_code"].cast(pl.Int32).alias("s"),
        col["http.response.bytes"].cast(pl.Int64).alias("b"),
    ).hash(seed=7)
    duration = col["event.duration"].cast(pl.Int64)
    events = (
        lf.filter(action.is_in(["http_request", "login", "db_connect"]) & col["time.recorded"].is_not_null())
        .filter(~col["time.flags"].list.contains("dst_ambiguous").fill_null(False))
        .join(mapping, on="log.source", how="inner")
        .select(
            "_src",
            "_hid",
            pl.when(action == "http_request")
            .then(pl.lit(WEB))
            .when(action == "login")
            .then(pl.lit(LOGIN))
            .otherwise(pl.lit(CONNECT))
            .cast(pl.UInt8)
            .alias("_act"),
            activity_start(col["time.recorded"], col["timestamp_desc"].cast(pl.String), duration)
            .dt.epoch("us")
            .alias("_t"),
            pl.when((action == "http_request") & col["url.original"].is_not_null()).then(key).alias("_k"),
            pl.when(col["source.ip"].is_not_null()).then(col["source.ip"].cast(pl.String).hash(seed=11)).alias("_ip"),
            (col["http.request.method"].cast(pl.String) == "POST").fill_null(False).alias("_post"),
            (duration.is_null() | (duration <= MAX_ANCHOR_DURATION_NS)).alias("_short"),
        )
        .collect()
    )
    return Anchors(events, sources, host_names, host_of)


def _unique_in_window(df: pl.DataFrame, key: str, window_us: int) -> pl.DataFrame:
    """Rows whose key occurs nowhere else in their source within ±2 windows."""
    span = 2 * window_us
    same = (pl.col("_src") == pl.col("_src").shift(1)) & (pl.col(key) == pl.col(key).shift(1))
    gap = pl.col("_t") - pl.col("_t").shift(1)
    lonely_before = (~same).fill_null(True) | (gap > span)
    return (
        df.sort(["_src", key, "_t"])
        .with_columns(lonely_before.alias("_lb"))
        .with_columns(pl.col("_lb").shift(-1, fill_value=True).alias("_la"))
        .filter(pl.col("_lb") & pl.col("_la"))
        .drop("_lb", "_la")
    )


def _pair_sources(
    left: pl.DataFrame, right: pl.DataFrame, key: str, window_us: int, kind: str, same_pool: bool, a: Anchors
) -> pl.DataFrame:
    """One-to-one pairs between every source of ``left`` and every source of ``right`` on other hosts."""
    frames = []
    lsrc = sorted(left.get_column("_src").unique().to_list(), key=lambda i: a.sources[i])
    rsrc = sorted(right.get_column("_src").unique().to_list(), key=lambda i: a.sources[i])
    for ia in lsrc:
        ha = a.hosts[a.host_of[ia]]
        left_side = left.filter(pl.col("_src") == ia).select(key, "_t").sort("_t")
        for ib in rsrc:
            hb = a.hosts[a.host_of[ib]]
            if ha == hb or (same_pool and a.sources[ib] <= a.sources[ia]):
                continue
            right_side = right.filter(pl.col("_src") == ib).select(key, pl.col("_t").alias("_tb")).sort("_tb")
            j = left_side.join_asof(
                right_side,
                left_on="_t",
                right_on="_tb",
                by=key,
                strategy="nearest",
                tolerance=window_us,
                coalesce=False,
                check_sortedness=False,  # both sides are sorted on time just above
            ).filter(pl.col("_tb").is_not_null())
            if j.height == 0:
                continue
            delta = (pl.col("_tb") - pl.col("_t")).cast(pl.Float64) / US
            # orient every pair as clock(host_b) - clock(host_a) with host_a < host_b
            meta = (a.sources[ia], ha, a.sources[ib], hb)
            if ha > hb:
                meta, delta = (meta[2], meta[3], meta[0], meta[1]), -delta
            frames.append(
                j.select(
                    pl.lit(kind).alias("kind"),
                    pl.lit(meta[0]).alias("source_a"),
                    pl.lit(meta[1]).alias("host_a"),
                    pl.lit(meta[2]).alias("source_b"),
                    pl.lit(meta[3]).alias("host_b"),
                    delta.alias("delta"),
                )
            )
    return pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)


def _thin_keys(df: pl.DataFrame, key: str, limit: int) -> pl.DataFrame:
    """A deterministic sample by key (whole keys kept or dropped) when a source has more than ``limit`` rows."""
    if df.height == 0:
        return df
    most = int(df.group_by("_src").len().get_column("len").max())  # type: ignore[arg-type]
    if most <= limit:
        return df
    step = math.ceil(most / limit)
    return df.filter(pl.col(key) % step == 0)


def anchor_pairs(anchors: Anchors, window: float) -> pl.DataFrame:
    """One-to-one anchor pairs (``same_request``, ``login_request``) as signed deltas in seconds."""
    window_us = int(window * US)
    ev = anchors.events
    web = ev.filter((pl.col("_act") == WEB) & pl.col("_short"))
    frames = []
    keyed = _thin_keys(web.filter(pl.col("_k").is_not_null()).select("_src", "_k", "_t"), "_k", MAX_KEYED)
    if keyed.height:
        uniq = _unique_in_window(keyed, "_k", window_us)
        frames.append(_pair_sources(uniq, uniq, "_k", window_us, "same_request", True, anchors))
    logins = ev.filter((pl.col("_act") == LOGIN) & pl.col("_ip").is_not_null()).select("_src", "_ip", "_t")
    posts = web.filter(pl.col("_post") & pl.col("_ip").is_not_null()).select("_src", "_ip", "_t")
    if logins.height and posts.height:
        lu = _unique_in_window(_thin_keys(logins, "_ip", MAX_KEYED), "_ip", window_us)
        pu = _unique_in_window(_thin_keys(posts, "_ip", MAX_KEYED), "_ip", window_us)
        frames.append(_pair_sources(lu, pu, "_ip", window_us, "login_request", False, anchors))
    frames = [f for f in frames if f.height]
    return pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)


def connect_lags(anchors: Anchors, window: float) -> pl.DataFrame:
    """Counted anchors: per (db host, web host, lag s), how many requests lie ``lag`` before a CONNECT.

    Lags are whole seconds: lag = second(CONNECT) - second(request).  With more than
    ``MAX_CONNECTS`` CONNECTs, whole blocks of ``SAMPLE_BLOCK_S`` seconds are sampled
    (with every request near them), which keeps the count honest.
    """
    schema = {"host_db": pl.String, "host_web": pl.String, "lag": pl.Int32, "count": pl.Int64, "connects": pl.Int64}
    ev = anchors.events.select("_hid", "_act", (pl.col("_t") // US).alias("_s"))
    conn = ev.filter(pl.col("_act") == CONNECT)
    req = ev.filter(pl.col("_act") == WEB)
    if conn.height == 0 or req.height == 0:
        return pl.DataFrame(schema=schema)
    width = math.ceil(window)
    if conn.height > MAX_CONNECTS:
        k = math.ceil(conn.height / MAX_CONNECTS)
        conn = conn.filter((pl.col("_s") // SAMPLE_BLOCK_S) % k == 0)
        req = req.filter(
            (((pl.col("_s") + width) // SAMPLE_BLOCK_S) % k == 0)
            | (((pl.col("_s") - width) // SAMPLE_BLOCK_S) % k == 0)
        )
    c = conn.group_by(pl.col("_hid").alias("_hdb"), "_s").agg(pl.len().alias("_c"))
    r = req.group_by(pl.col("_hid").alias("_hweb"), "_s").agg(pl.len().alias("_r"))
    totals = c.group_by("_hdb").agg(pl.col("_c").sum().alias("connects"))
    parts = []
    for lag in range(-width, width + 1):
        parts.append(
            c.lazy()
            .with_columns((pl.col("_s") - lag).alias("_s"))
            .join(r.lazy(), on="_s")
            .filter(pl.col("_hdb") != pl.col("_hweb"))
            .group_by("_hdb", "_hweb")
            .agg((pl.col("_c") * pl.col("_r")).sum().alias("count"))
            .with_columns(pl.lit(lag, dtype=pl.Int32).alias("lag"))
        )
    out = pl.concat(pl.collect_all(parts))
    if out.height == 0:
        return pl.DataFrame(schema=schema)
    # every lag of the window, with zero where no request lies at that lag
    grid = (
        out.select("_hdb", "_hweb")
        .unique()
        .join(pl.DataFrame({"lag": list(range(-width, width + 1))}, schema={"lag": pl.Int32}), how="cross")
    )
    out = grid.join(out, on=["_hdb", "_hweb", "lag"], how="left").with_columns(pl.col("count").fill_null(0))
    names = pl.DataFrame(
        {"_h": list(range(len(anchors.hosts))), "_n": anchors.hosts}, schema={"_h": pl.UInt32, "_n": pl.String}
    )
    return (
        out.join(totals, on="_hdb")
        .join(names.rename({"_h": "_hdb", "_n": "host_db"}), on="_hdb")
        .join(names.rename({"_h": "_hweb", "_n": "host_web"}), on="_hweb")
        .select(list(schema))
        .cast(schema)  # type: ignore[arg-type]
    )


# -- statistics ------------------------------------------------------------------------------


def _stats(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per group: pairs, median, MAD and the mean of the deltas within max(3 MAD, 1 s) of the median."""
    if not by:
        frame = frame.with_columns(pl.lit(0).alias("_g"))
        by = ["_g"]
    centre = frame.group_by(by).agg(pl.col("delta").median().alias("median"))
    spread = (
        frame.join(centre, on=by)
        .group_by(by)
        .agg((pl.col("delta") - pl.col("median")).abs().median().alias("mad"), pl.col("median").first())
    )
    return (
        frame.join(spread, on=by)
        .filter((pl.col("delta") - pl.col("median")).abs() <= pl.max_horizontal(3 * pl.col("mad"), pl.lit(1.0)))
        .group_by(by, maintain_order=True)
        .agg(
            pl.len().alias("pairs"),
            pl.col("median").first(),
            pl.col("mad").first(),
            pl.col("delta").mean().alias("estimate"),
        )
        .sort(by)
    )


def pair_stats(deltas: list[float]) -> tuple[float, float, float, int]:
    """(median, MAD, estimate, inliers): estimate = mean of deltas within max(3 MAD, 1 s) of the median."""
    row = _stats(pl.DataFrame({"delta": deltas}, schema={"delta": pl.Float64}), []).row(0, named=True)
    return row["median"], row["mad"], row["estimate"], row["pairs"]


def pair_edges(pairs: pl.DataFrame) -> list[Edge]:
    """One edge per pair of hosts from the one-to-one anchors (all kinds pooled)."""
    edges: list[Edge] = []
    if pairs.height == 0:
        return edges
    kinds: dict[tuple[str, str], dict[str, int]] = {}
    for ha, hb, kind, n in pairs.group_by("host_a", "host_b", "kind").len().sort("kind").iter_rows():
        kinds.setdefault((ha, hb), {})[kind] = n
    for ha, hb, n, med, mad, est in _stats(pairs, ["host_a", "host_b"]).iter_rows():
        ok = n >= MIN_PAIRS and mad <= MAX_MAD
        note = "" if ok else f"{n} pairs, MAD {mad:.2f} s: below the rule"
        edges.append(Edge(ha, hb, "pairs", kinds[(ha, hb)], n, med, mad, est, ok, note=note))
    return edges


def counted_edges(lags: pl.DataFrame) -> list[Edge]:
    """One edge per (db host, web host) from the counted CONNECT anchors."""
    edges = []
    if lags.height == 0:
        return edges
    for (hdb, hweb), grp in lags.group_by(["host_db", "host_web"], maintain_order=True):
        grp = grp.sort("lag")
        lag_list = grp.get_column("lag").to_list()
        counts = grp.get_column("count").to_list()
        full = dict(zip(lag_list, counts))
        lo, hi = min(lag_list), max(lag_list)
        series = [full.get(k, 0) for k in range(lo, hi + 1)]
        keys = list(range(lo, hi + 1))
        background = _median([float(v) for v in series])
        peak_i = max(range(len(series)), key=lambda i: series[i])
        peak = keys[peak_i]
        z = (series[peak_i] - background) / math.sqrt(background + 1.0)
        window = [
            (keys[i], max(series[i] - background, 0.0))
            for i in (peak_i - 1, peak_i, peak_i + 1)
            if 0 <= i < len(series)
        ]
        weight = sum(w for _, w in window)
        if weight <= 0:
            est, mad = None, None
        else:
            est = sum(k * w for k, w in window) / weight
            mad = _weighted_median([abs(k - est) for k, _ in window], [w for _, w in window])
        n = round(weight)
        at_edge = peak in (lo, hi)
        ok = (
            est is not None
            and mad is not None
            and n >= MIN_PAIRS
            and mad <= MAX_MAD
            and z >= MIN_PEAK_Z
            and not at_edge
        )
        note = ""
        if not ok:
            note = (
                "peak at the edge of the window" if at_edge else f"{n} excess anchors, peak {z:.1f} sd: below the rule"
            )
        # lag = clock(db) - clock(web); orient as clock(host_b) - clock(host_a)
        if hdb <= hweb:
            ha, hb, sign = hdb, hweb, -1.0
        else:
            ha, hb, sign = hweb, hdb, 1.0
        edges.append(
            Edge(
                str(ha),
                str(hb),
                "counted",
                {"connect_request": n},
                n,
                None if est is None else sign * peak,
                mad,
                None if est is None else sign * est,
                ok,
                z=z,
                note=note,
            )
        )
    return edges


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _weighted_median(values: list[float], weights: list[float]) -> float:
    order = sorted(zip(values, weights))
    total = sum(weights)
    acc = 0.0
    for v, w in order:
        acc += w
        if acc >= total / 2:
            return v
    return order[-1][0]


# -- solving host clocks -----------------------------------------------------------------------


def _best_edges(edges: list[Edge]) -> dict[tuple[str, str], Edge]:
    """The edge used per pair of hosts: well supported only; direct pairs before counted anchors."""
    best: dict[tuple[str, str], Edge] = {}
    for e in edges:
        if not e.supported:
            continue
        k = (e.host_a, e.host_b)
        cur = best.get(k)
        if cur is None or (e.method == "pairs", e.pairs) > (cur.method == "pairs", cur.pairs):
            best[k] = e
    return best


def _rank(host: str, best: dict[tuple[str, str], Edge]) -> tuple[int, int, int]:
    """How well a host is connected: hosts reached, one-to-one pairs, counted anchors."""
    mine = [e for e in best.values() if host in (e.host_a, e.host_b)]
    return (
        len(mine),
        sum(e.pairs for e in mine if e.method == "pairs"),
        sum(e.pairs for e in mine if e.method == "counted"),
    )


def _spread(clocks: dict[str, HostClock], best: dict[tuple[str, str], Edge], roots: list[str]) -> None:
    """Reach every host it can from ``roots`` through the strongest edges (a maximum spanning tree)."""
    done = set(roots)
    while True:
        cand = [e for e in best.values() if (e.host_a in done) != (e.host_b in done)]
        if not cand:
            return
        e = max(cand, key=lambda x: (x.method == "pairs", x.pairs, x.host_a, x.host_b))
        src, dst = (e.host_a, e.host_b) if e.host_a in done else (e.host_b, e.host_a)
        sign = 1.0 if dst == e.host_b else -1.0
        step = sign * (e.estimate or 0.0)
        parent = clocks[src]
        c = clocks[dst]
        c.offset = (parent.offset or 0.0) + step
        c.origin = "estimated"
        c.pairs = e.pairs
        c.median = (parent.offset or 0.0) + sign * (e.median or 0.0)
        c.mad = (parent.mad or 0.0) + (e.mad or 0.0)
        c.via = [*parent.via, src]
        c.estimate = c.offset
        c.applied = abs(c.offset) >= MIN_APPLY
        kind = "pairs" if e.method == "pairs" else "counted anchors"
        c.reason = f"{e.pairs} {kind} with {src}" + ("" if c.applied else f"; under {MIN_APPLY} s, not applied")
        done.add(dst)


def solve(hosts: list[str], edges: list[Edge], configured: dict[str, float]) -> SkewReport:
    """Host offsets from the configured ones (or a reference host) through well-supported edges."""
    warnings: list[str] = []
    # a fixed order (group-by output has none): same evidence, same manifest, same choice on ties
    edges = sorted(edges, key=lambda e: (e.method != "pairs", e.host_a, e.host_b, e.method))
    best = _best_edges(edges)
    everyone = sorted(set(hosts) | set(configured) | {h for e in edges for h in (e.host_a, e.host_b)})
    clocks = {h: HostClock(h) for h in everyone}
    for h, off in configured.items():
        c = clocks[h]
        c.offset, c.origin, c.applied, c.reason = off, "config", True, "clock_offset in the case config"
    if configured:
        reference = sorted(configured)
        reason = "hosts with a clock_offset in the case config"
    else:
        linked = sorted({h for e in best.values() for h in (e.host_a, e.host_b)})
        if not linked:
            reference, reason = [], "no clock_offset in the case config and no well-supported anchors between hosts"
        else:
            ref = max(linked, key=lambda h: (*_rank(h, best), [-ord(ch) for ch in h]))
            reference = [ref]
            reason = (
                f"no clock_offset in the case config: host {ref}, the best connected, is taken as right "
                "(set clock_offset = 0 on an NTP-synchronised host to choose the reference)"
            )
            clocks[ref].offset, clocks[ref].origin = 0.0, "reference"
            clocks[ref].reason = "reference clock (assumed right)"
            warnings.append(note("time.reference_clock", host=ref))
    _spread(clocks, best, reference)
    for h, c in clocks.items():
        if c.origin is None:
            weak = [e for e in edges if h in (e.host_a, e.host_b)]
            c.reason = (
                "no well-supported anchors: " + "; ".join(f"{e.host_a}-{e.host_b} {e.note}" for e in weak)
                if weak
                else "no anchors with another host"
            )
    # what the anchors say about each configured host, were its offset not configured
    for h in sorted(configured):
        others = {k: v for k, v in configured.items() if k != h}
        trial = {x: HostClock(x) for x in everyone}
        for k, v in others.items():
            trial[k].offset, trial[k].origin = v, "config"
        _spread(trial, best, sorted(others))
        if trial[h].origin == "estimated" and trial[h].offset is not None:
            clocks[h].estimate = trial[h].offset
            clocks[h].pairs, clocks[h].median = trial[h].pairs, trial[h].median
            clocks[h].mad, clocks[h].via = trial[h].mad, trial[h].via
            if abs(trial[h].offset - configured[h]) > 1.0:
                warnings.append(
                    note(
                        "time.configured_offset_disputed",
                        host=h,
                        x=configured[h],
                        n=trial[h].pairs,
                        other=trial[h].via[-1],
                        x2=trial[h].offset,
                    )
                )
    # edges left out of the tree must agree with the solved offsets
    for e in best.values():
        a, b = clocks[e.host_a], clocks[e.host_b]
        if a.offset is None or b.offset is None or e.estimate is None:
            continue
        residual = (b.offset - a.offset) - e.estimate
        if abs(residual) > 1.0 and not (a.origin == "config" and b.origin == "config"):
            warnings.append(
                note(
                    "time.clocks_disagree",
                    host=e.host_a,
                    x=a.offset,
                    other=e.host_b,
                    x2=b.offset,
                    n=e.pairs,
                    x3=e.estimate,
                )
            )
    return SkewReport(reference, reason, clocks, edges, warnings)


def estimate(lf: pl.LazyFrame, hosts: dict[str, str], configured: dict[str, float], tolerance: float) -> SkewReport:
    """The whole estimation: anchors, per-host-pair estimates and solved host clocks.

    ``hosts`` maps each ``log.source`` to its host; ``configured`` maps hosts to their
    configured offsets; ``tolerance`` is the largest clock difference searched (seconds).
    """
    if len(set(hosts.values())) < 2:
        # every anchor pairs events of two hosts: with one host there is none, whatever the
        # events say, so they are not read (hashing every URL of a one-host case cost more
        # than the rest of the time pass)
        lf = pl.LazyFrame(schema={c: EVENT_SCHEMA[c] for c in COLUMNS})
    return estimate_from(anchor_events(lf, hosts), hosts, configured, tolerance)


def estimate_from(
    anchors: Anchors, hosts: dict[str, str], configured: dict[str, float], tolerance: float
) -> SkewReport:
    """``estimate`` from anchor events already read (``anchor_events``, or ``merge_anchors`` of parts)."""
    window = tolerance + WINDOW_MARGIN
    edges = pair_edges(anchor_pairs(anchors, window)) + counted_edges(connect_lags(anchors, window))
    all_hosts = sorted(set(hosts.values()))
    return solve(all_hosts, edges, configured)


def merge_anchors(parts: list[Anchors], hosts: dict[str, str]) -> Anchors:
    """The anchor events of several parts of one case, read with the same ``hosts`` (same codes).

    Concatenated in the order given: the order the parts' events would have in one frame.
    """
    empty = anchor_events(pl.LazyFrame(schema={c: EVENT_SCHEMA[c] for c in COLUMNS}), hosts)
    frames = [a.events for a in parts if a.events.height]
    events = pl.concat(frames) if frames else empty.events
    return Anchors(events, empty.sources, empty.hosts, empty.host_of)


def apply_skew(events: pl.LazyFrame, skews: dict[str, float]) -> pl.LazyFrame:
    """``@timestamp`` = ``time.recorded`` minus the clock offset of the event's source (seconds).

    ``skews`` maps a ``log.source`` to seconds its clock is ahead; sources not named keep
    ``@timestamp`` = ``time.recorded``.  ``time.recorded`` itself is never changed;
    ``time.earliest``/``time.latest`` (the candidates of an undecided DST reading) move
    with ``@timestamp``.
    """
    if not skews:
        return events.with_columns(
            pl.col("time.recorded").alias("@timestamp"), pl.lit(None, dtype=pl.Float64).alias("time.skew")
        )
    shift = pl.duration(microseconds=(pl.col("_skew").fill_null(0) * 1e6).round().cast(pl.Int64))
    # a mapping, not a join: a join gathered every column of every event to add this one
    offset = pl.col("log.source").replace_strict(
        list(skews), [float(v) for v in skews.values()], default=pl.lit(None, dtype=pl.Float64), return_dtype=pl.Float64
    )
    return (
        events.with_columns(offset.alias("_skew"))
        .with_columns(
            (pl.col("time.recorded") - shift).alias("@timestamp"),
            # the two candidates of an undecided DST reading are candidates for @timestamp
            (pl.col("time.earliest") - shift).alias("time.earliest"),
            (pl.col("time.latest") - shift).alias("time.latest"),
            pl.col("_skew").alias("time.skew"),
            pl.when(pl.col("_skew").is_not_null() & (pl.col("_skew") != 0))
            .then(pl.concat_list([pl.col("time.flags"), pl.lit(["skew_corrected"])]))
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
        )
        .drop("_skew")
    )
