"""How much left: records (estimate, low, high), distinct objects, bytes, per account and per address.

Scope: for a compromised account, its requests from attacker addresses; for a suspicious
(or investigator-named) account, its requests within its flagged window (all of them when
there is none); for an attacker address, every request from it (attributed or not).

Methods, each with its own evidence and bounds:

* **API list pages** (offset/limit): the union of ``[offset, offset + limit)`` over the
  pages served (2xx) is the high bound.  Every page but the last holds ``limit`` records
  (an API returns a short page only at the end); the last holds 1 to ``limit``, estimated
  from its bytes at the median bytes per record of the full pages (fewer than ``limit``
  means the listing reached the end of the table).  Empty pages past the end are dropped.
* **API records fetched one by one** and **record views**: distinct ids, exact.
* **CSV exports**: when a tied database read names the records it sent (an ``IN (...)``
  list on a record-id column, logged whole: ``db.record_ids``), those ids, exact: a record
  in two exports (two date ranges) is one record.  Otherwise rows returned by the database
  reads tied to each export (slow log ``Rows_sent``) where logged, else the export's bytes
  divided by the bytes per row measured on the tied exports (their lowest and highest
  ratios as bounds), or by 150 to 2,000 bytes per row when nothing was tied; two such
  exports may hold the same records, so only the largest is certain (low bound) and their
  sum is the most (high bound).
* **Audit-trail reads** (``record_read``, the account only): distinct ids, exact.  For a
  compromised account, rows stored with an attacker address are the attacker's, rows stored
  with another address are left out, and rows stored with no address (a trail that keeps
  none) may be the owner's own reads at the same hours: they raise the high bound only.

Distinct records exposed: methods that name their records (API ids, record views, audit
reads, named exports) are united exactly (an id a database query named, whose kind the
query does not say, is the record of that id another method named); the counted ones (list
pages, CSV rows) may overlap them and each other, so the low bound is the largest of them
and the high bound their sum.  When a listing reached the end of the table, nothing can
exceed the table and the listing's estimate is the estimate.
Rows transferred (``rows_transferred``) add every method up (repeats included).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from forensics.correlate.context import Context
from forensics.finding_text import Msg, msg, render, word
from forensics.findings import sort_ips

DEFAULT_ROW_BYTES = (150.0, 2000.0)
#: The kind of a record named by a database query's id list: the same id named by another
#: method (a record view of ``CPatient:17``) is the same record.
ANY_KIND = "*"
#: A last page smaller than this share of one record (in bytes) holds no record.
EMPTY_SHARE = 0.5


@dataclass
class Component:
    """One method's figure, with its bounds, bytes and the rows it rests on."""

    method: str
    basis: str
    estimate: int
    low: int
    high: int
    requests: int
    bytes: int
    description: str | Msg
    rows: list[int] = field(default_factory=list)
    reached_end: bool = False
    objects: set[str] = field(default_factory=set)
    #: Records it names that may be someone else's (an audit row with no address, inside the
    #: window): they raise the high bound only.
    possible: set[str] = field(default_factory=set)
    message: Msg | None = None

    def __post_init__(self) -> None:
        # the message is kept for the report; the description is its English text
        if isinstance(self.description, Msg):
            self.message, self.description = self.description, render(self.description)


def _api_list(g: pl.DataFrame) -> Component | None:
    p = g.filter(
        (pl.col("activity") == "api_list")
        & (pl.col("http.response.status_code") < 400)
        & pl.col("api.offset").is_not_null()
        & pl.col("api.limit").is_not_null()
        & (pl.col("api.limit") > 0)
    )
    if p.height == 0:
        return None
    p = _zero_based_pages(p)
    items = "api.items" in p.columns
    pages = (
        p.group_by("api.offset", "api.limit")
        .agg(
            pl.col("http.response.bytes").max().alias("_bytes"),
            pl.col("_row").min(),
            (pl.col("api.items").max() if items else pl.lit(None, dtype=pl.Int64)).alias("_items"),
        )
        .sort("api.offset")
    )
    if pages.get_column("_items").null_count() == 0:
        return _counted_pages(p, pages)
    limit = int(pages.get_column("api.limit").mode().sort()[-1])
    full = pages.filter(pl.col("api.limit") == limit)
    per_page = float(full.get_column("_bytes").median() or 0.0)
    last = pages.row(-1, named=True)
    note: Msg | str = ""
    while pages.height > 1 and per_page > 0 and (last["_bytes"] or 0) < EMPTY_SHARE * per_page / limit:
        pages = pages.head(pages.height - 1)
        note = msg("exfil.pages.empty")
        last = pages.row(-1, named=True)
    covered, cur_a, cur_b = 0, None, None
    for o, lim in pages.select("api.offset", "api.limit").iter_rows():
        a, b = int(o), int(o) + int(lim)
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                covered += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        covered += cur_b - cur_a
    last_lim = int(last["api.limit"])
    # every page but the last holds `limit` records (a page is short only at the end of the
    # table); the last holds 1 to `limit`: its bytes tell how many, at the bytes per record of
    # the full pages
    per_record = per_page / limit if per_page > 0 else 0.0
    est_last = last_lim
    if last["_items"] is not None:
        # the application said how many the last page held
        est_last = max(1, min(last_lim, int(last["_items"])))
    elif per_record > 0 and pages.height > 1:
        est_last = max(1, min(last_lim, round((last["_bytes"] or 0) / per_record)))
    partial = est_last < last_lim
    low, high = covered - last_lim + 1, covered
    estimate = covered - last_lim + est_last
    first_off = int(pages.get_column("api.offset").min())
    end_off = int(last["api.offset"]) + last_lim - 1
    desc = msg(
        "exfil.pages",
        pages=p.height,
        limit=limit,
        first=first_off,
        end=end_off,
        covered=covered,
        last_offset=last["api.offset"],
        last_bytes=last["_bytes"],
        page_bytes=per_page,
        last_records=est_last,
        end_note=msg("exfil.pages.end" if partial else "exfil.pages.not_end"),
        empty_note=note,
    )
    return Component(
        method="api_pagination",
        basis="derived",
        estimate=int(estimate),
        low=int(low),
        high=int(high),
        requests=p.height,
        bytes=int(p.get_column("http.response.bytes").sum() or 0),
        description=desc,
        rows=sorted(set(p.get_column("_row").to_list())),
        reached_end=bool(partial),
    )


# -- pagination conventions (see forensics.correlate.pagination) -----------------------------


def _zero_based_pages(p: pl.DataFrame) -> pl.DataFrame:
    """Page numbers are 1-based unless a page 0 was asked for: then shift the offsets by a page."""
    if "api.page" not in p.columns:
        return p
    if (p.get_column("api.page") == 0).any():
        return p.with_columns(
            pl.when(pl.col("api.page").is_not_null())
            .then(pl.col("api.offset") + pl.col("api.limit"))
            .otherwise(pl.col("api.offset"))
            .alias("api.offset")
        )
    return p


def _counted_pages(p: pl.DataFrame, pages: pl.DataFrame) -> Component:
    """Every page's item count was stated by the application: the records are counted, not estimated.

    Positions are united (a page asked twice counts once); a page holds the items it said.
    """
    seen: set[int] = set()
    for off, n in pages.select("api.offset", "_items").iter_rows():
        seen.update(range(int(off), int(off) + max(0, int(n))))
    total = len(seen)
    return Component(
        method="api_pagination",
        basis="observed",
        estimate=total,
        low=total,
        high=total,
        requests=p.height,
        bytes=int(p.get_column("http.response.bytes").sum() or 0),
        description=msg("exfil.pages.counted", pages=p.height, records=total),
        rows=sorted(set(p.get_column("_row").to_list())),
    )


def _cursor_pages(g: pl.DataFrame) -> Component | None:
    """List pages reached by cursor (``after=``, ``cursor=``, ``page_token=``...): their offsets are unknown.

    Distinct pages are the distinct cursors of each listing (its path), plus its first page
    (no cursor).  With a page size, every page but the last holds that many (a page is short
    only at the end): the last holds 1 to size, estimated from its bytes at the bytes per
    record of the full pages; without one, 150 to 2,000 bytes per record bound the count.
    Item counts stated by the application replace the estimate.
    """
    if "api.cursor" not in g.columns:
        return None
    lists = g.filter((pl.col("activity") == "api_list") & (pl.col("http.response.status_code") < 400))
    with_cursor = lists.filter(pl.col("api.cursor").is_not_null())
    if with_cursor.height == 0:
        return None
    paths = with_cursor.get_column("url.path").unique() if "url.path" in g.columns else None
    p = lists.filter(pl.col("api.offset").is_null())
    if paths is not None:
        p = p.filter(pl.col("url.path").is_in(paths.implode()))
    items = "api.items" in p.columns
    pages = (
        p.with_columns(pl.col("api.cursor").fill_null("").alias("_cur"))
        .group_by(["url.path", "_cur"] if paths is not None else ["_cur"])
        .agg(
            pl.col("http.response.bytes").max().alias("_bytes"),
            pl.col("api.limit").max().alias("_limit"),
            (pl.col("api.items").max() if items else pl.lit(None, dtype=pl.Int64)).alias("_items"),
            pl.col("@timestamp").min().alias("_first"),
        )
        .sort("_first")
    )
    n = pages.height
    total_bytes = int(pages.get_column("_bytes").sum() or 0)
    if pages.get_column("_items").null_count() == 0:
        est = low = high = int(pages.get_column("_items").sum())
        basis, how = "observed", msg("exfil.cursor.counted")
    else:
        size = pages.get_column("_limit").drop_nulls()
        if size.len():
            limit = int(size.mode().sort()[-1])
            full = pages.head(n - 1) if n > 1 else pages
            per_page = float(full.get_column("_bytes").median() or 0.0)
            last_bytes = int(pages.get_column("_bytes")[-1] or 0)
            last_items = pages.get_column("_items")[-1]
            if last_items is not None:
                est_last = max(1, min(limit, int(last_items)))
            elif per_page > 0 and n > 1:
                est_last = max(1, min(limit, round(last_bytes / (per_page / limit))))
            else:
                est_last = limit
            low, high = (n - 1) * limit + 1, n * limit
            est = (n - 1) * limit + est_last
            basis, how = "derived", msg("exfil.cursor.sized", limit=limit, last_records=est_last)
        else:
            lo_b, hi_b = DEFAULT_ROW_BYTES
            low, high = max(n, int(total_bytes // hi_b)), max(n, int(-(-total_bytes // lo_b)))
            est = max(low, min(high, round(total_bytes / ((lo_b * hi_b) ** 0.5))))
            basis, how = "derived", msg("exfil.cursor.bytes", low=lo_b, high=hi_b)
    return Component(
        method="api_cursor_pages",
        basis=basis,
        estimate=int(est),
        low=int(low),
        high=int(high),
        requests=p.height,
        bytes=int(p.get_column("http.response.bytes").sum() or 0),
        description=msg("exfil.cursor", pages=n, requests=p.height, how=how, records=est, low=low, high=high),
        rows=sorted(set(p.get_column("_row").to_list())),
    )


def with_page_facts(ctx: Context, web: pl.DataFrame) -> pl.DataFrame:
    """Add ``api.items`` (records a page returned) and fill a list page's missing offset and limit.

    The item count is the one the application's audit row matched to the request states
    (``object.count``), else the rows returned by the database reads tied to it.  A page
    reached by cursor or page number without a size gets the offset and limit of the SQL
    page tied to it (``LIMIT n OFFSET m``).
    """
    from forensics.correlate.pagination import sql_page

    app = ctx.app
    stated = pl.DataFrame(schema={"_row": pl.Int64, "_stated": pl.Int64})
    if app.height and "object.count" in app.columns and "web.row" in app.columns:
        stated = (
            app.filter(pl.col("object.count").is_not_null() & pl.col("web.row").is_not_null())
            .group_by(pl.col("web.row").alias("_row"))
            .agg(pl.col("object.count").max().alias("_stated"))
        )
    tied = pl.DataFrame(schema={"_row": pl.Int64, "_db_rows": pl.Int64, "_sql_off": pl.Int64, "_sql_lim": pl.Int64})
    links = ctx.db_links
    if links.height and ctx.db.height and "db.query.text" in ctx.db.columns:
        off, lim = sql_page(pl.col("db.query.text"))
        sql = ctx.db.select(pl.col("_row").alias("db_row"), off.alias("_o"), lim.alias("_l")).filter(
            pl.col("_l").is_not_null()
        )
        tied = (
            links.select("web_row", "db_row", "rows_returned")
            .join(sql, on="db_row", how="left")
            .group_by(pl.col("web_row").alias("_row"))
            .agg(
                pl.col("rows_returned").max().alias("_db_rows"),
                pl.col("_o").drop_nulls().first().alias("_sql_off"),
                pl.col("_l").drop_nulls().first().alias("_sql_lim"),
            )
        )
    out = web.join(stated, on="_row", how="left").join(tied, on="_row", how="left")
    is_list = pl.col("activity") == "api_list"
    missing = is_list & pl.col("api.offset").is_null() & pl.col("_sql_lim").is_not_null()
    return out.with_columns(
        pl.when(is_list).then(pl.coalesce(pl.col("_stated"), pl.col("_db_rows"))).alias("api.items"),
        pl.when(missing).then(pl.col("_sql_off")).otherwise(pl.col("api.offset")).alias("api.offset"),
        pl.when(missing).then(pl.col("_sql_lim")).otherwise(pl.col("api.limit")).alias("api.limit"),
    ).drop("_stated", "_db_rows", "_sql_off", "_sql_lim")


def same_record(key: str) -> str:
    """One spelling of a record named by two sources: ``customers:17`` (API path) and ``customer:17``
    (audit trail) are the same record; so are ``CPatient:5`` and ``cpatient:5``."""
    kind, sep, ident = key.partition(":")
    if not sep:
        return key
    return f"{kind.lower().removesuffix('s')}:{ident}"


def united(sets: Iterable[set[str]]) -> set[str]:
    """Records named by several methods, each once: same spelling (``same_record``), and an id
    of unknown kind (``*:17``, from a query's id list) is the record of that id another
    method named, if any."""
    known: set[str] = set()
    anykind: set[str] = set()
    for objs in sets:
        for o in objs:
            key = same_record(o)
            (anykind if key.startswith(ANY_KIND + ":") else known).add(key)
    ids = {k.partition(":")[2] for k in known}
    return known | {k for k in anykind if k.partition(":")[2] not in ids}


def _distinct(g: pl.DataFrame, activity: str, method: str, words: str) -> Component | None:
    d = g.filter(
        (pl.col("activity") == activity)
        & (pl.col("http.response.status_code") < 400)
        & pl.col("activity.object").is_not_null()
    )
    if d.height == 0:
        return None
    ids = set(d.get_column("activity.object").to_list())
    return Component(
        method=method,
        basis="observed",
        estimate=len(ids),
        low=len(ids),
        high=len(ids),
        requests=d.height,
        bytes=int(d.get_column("http.response.bytes").sum() or 0),
        description=msg(f"exfil.{words}", requests=d.height, records=len(ids)),
        rows=sorted(d.get_column("_row").to_list()),
        objects=ids,
    )


def _export_ids(ctx: Context, ex: pl.DataFrame) -> dict[int, set[str]]:
    """The records each export sent, when its tied database reads name them.

    An export's last query (``SELECT * ... WHERE id IN (...)``) names the records it sent
    (``db.record_ids``, only when the list was logged whole).  A list whose length differs
    from the rows the query returned names records that may not exist: it is not used.
    """
    links = ctx.db_links
    if links.height == 0 or ex.height == 0 or "db.record_ids" not in ctx.db.columns:
        return {}
    named = ctx.db.filter(pl.col("db.record_ids").is_not_null()).select(
        pl.col("_row").alias("db_row"), "db.record_ids", "db.rows_returned"
    )
    if named.height == 0:
        return {}
    tied = (
        links.filter(pl.col("web_row").is_in(ex.get_column("_row").implode()))
        .select("web_row", "db_row")
        .join(named, on="db_row")
    )
    out: dict[int, set[str]] = {}
    for web_row, ids, returned in tied.select("web_row", "db.record_ids", "db.rows_returned").iter_rows():
        distinct = {str(i) for i in ids if i}
        if not distinct or (returned is not None and int(returned) != len(distinct)):
            continue
        out.setdefault(int(web_row), set()).update(distinct)
    return out


def _exports(ctx: Context, g: pl.DataFrame) -> list[Component]:
    """Records sent by CSV exports: named by their database reads where those were logged whole,
    else counted (rows returned, or bytes at a measured or assumed size per row).

    A record in two exports (two date ranges) is one record: named exports are united
    exactly; counted ones may overlap each other, so only the largest of them is certain
    (the low bound) and their sum is the most they can hold (the high bound).
    """
    ex = g.filter((pl.col("activity") == "export") & (pl.col("http.response.status_code") < 400))
    if ex.height == 0:
        return []
    links = ctx.db_links
    tied = pl.DataFrame(schema={"web_row": pl.Int64, "_rows": pl.Int64, "_db_row": pl.Int64})
    if links.height:
        tied = (
            links.filter(pl.col("rows_returned").is_not_null())
            .group_by("web_row")
            .agg(pl.col("rows_returned").max().alias("_rows"), pl.col("db_row").first().alias("_db_row"))
        )
    ex = ex.join(tied, left_on="_row", right_on="web_row", how="left")
    named_ids = _export_ids(ctx, ex)
    out: list[Component] = []
    if named_ids:
        nx = ex.filter(pl.col("_row").is_in(list(named_ids)))
        # the query names ids, not the kind the application gives its records: any kind
        ids = {f"{ANY_KIND}:{i}" for rows in named_ids.values() for i in rows}
        sent = sum(len(v) for v in named_ids.values())
        db_rows = nx.get_column("_db_row").drop_nulls().to_list()
        out.append(
            Component(
                method="csv_export_records",
                basis="observed",
                estimate=sent,
                low=sent,
                high=sent,
                requests=nx.height,
                bytes=int(nx.get_column("http.response.bytes").sum() or 0),
                description=msg("exfil.exports.named", exports=nx.height, rows=sent, records=len(ids)),
                rows=sorted(nx.get_column("_row").to_list() + [int(x) for x in db_rows]),
                objects=ids,
            )
        )
        ex = ex.filter(~pl.col("_row").is_in(list(named_ids)))
        if ex.height == 0:
            return out
    known = ex.filter(pl.col("_rows").is_not_null() & (pl.col("_rows") > 0))
    ratios = (
        known.get_column("http.response.bytes").cast(pl.Float64) / known.get_column("_rows").cast(pl.Float64)
    ).drop_nulls()
    if ratios.len():
        lo_b, mid_b, hi_b = float(ratios.min()), float(ratios.median()), float(ratios.max())
        how = msg("exfil.exports.measured", n=known.height, low=lo_b, high=hi_b)
    else:
        lo_b, hi_b = DEFAULT_ROW_BYTES
        mid_b = (lo_b * hi_b) ** 0.5
        how = msg("exfil.exports.assumed", low=lo_b, high=hi_b)
    est = high = 0
    biggest_low = 0
    for b, rws in ex.select("http.response.bytes", "_rows").iter_rows():
        b = int(b or 0)
        if rws:
            e = lo = hi = int(rws)
        else:
            e, lo, hi = round(b / mid_b), int(b // hi_b), int(-(-b // lo_b))
        est += e
        high += hi
        biggest_low = max(biggest_low, lo)
    # one export's rows are distinct records; two exports may hold the same ones
    low = biggest_low if ex.height > 1 else min(biggest_low, high)
    db_rows = ex.get_column("_db_row").drop_nulls().to_list()
    out.append(
        Component(
            method="csv_export",
            basis="derived" if known.height < ex.height else "observed",
            estimate=max(low, min(high, est)),
            low=low,
            high=high,
            requests=ex.height,
            bytes=int(ex.get_column("http.response.bytes").sum() or 0),
            description=msg(
                "exfil.exports",
                exports=ex.height,
                tied=known.height,
                untied=ex.height - known.height,
                how=how,
                rows=est,
                low=low,
                high=high,
            ),
            rows=sorted(ex.get_column("_row").to_list() + [int(x) for x in db_rows]),
            objects=set(),
        )
    )
    return out


def _record_reads(
    ctx: Context,
    account: str,
    first: datetime | None,
    last: datetime | None,
    clients: list[str] | None = None,
    sessions: list[str] | None = None,
) -> Component | None:
    """Distinct records of the account's record-access trail, in scope.

    ``clients``: the attacker's addresses.  Rows the application stored with one of them
    are the attacker's reads; rows it stored with another address are the owner's and are
    left out; rows stored with no address (a trail that keeps none) may be either's: they
    count in the high bound only, since the owner may have been working at the same hours.
    ``sessions``: only the rows of these application sessions (the sessions that carry a
    suspicious account's signals).
    """
    r = ctx.app.filter(
        (pl.col("event.action") == "record_read") & (pl.col("account") == account) & pl.col("object.id").is_not_null()
    )
    if clients is not None:
        r = r.filter(pl.col("client.ip").is_null() | pl.col("client.ip").is_in(clients))
    if sessions:
        r = r.filter(pl.col("session.app").is_in(sessions))
    if first is not None and last is not None:
        # rounded times: widen by the rounding (one hour) so reads inside the window are kept
        r = r.filter((pl.col("@timestamp") >= first - pl.duration(hours=1)) & (pl.col("@timestamp") <= last))
    if r.height == 0:
        return None
    key = pl.concat_str([pl.col("object.type").fill_null("?"), pl.lit(":"), pl.col("object.id")])
    placed = r if clients is None else r.filter(pl.col("client.ip").is_not_null())
    ids = set(placed.select(key).to_series().to_list())
    unplaced = (
        set() if clients is None else set(r.filter(pl.col("client.ip").is_null()).select(key).to_series().to_list())
    )
    unplaced -= ids
    description = (
        msg("exfil.audit", records=len(ids), account=account)
        if not unplaced
        else msg("exfil.audit.unplaced", records=len(ids), account=account, unplaced=len(unplaced))
    )
    return Component(
        method="audit_trail_reads",
        basis="observed",
        estimate=len(ids),
        low=len(ids),
        high=len(ids) + len(unplaced),
        requests=r.height,
        bytes=0,
        description=description,
        rows=sorted(r.get_column("_row").to_list()),
        objects=ids,
        possible=unplaced,
    )


def combine(
    ctx: Context, account: str | None, ip: str | None, g: pl.DataFrame, extra: list[Component]
) -> dict[str, Any] | None:
    """One exfiltration row from the data requests in scope (and account-level components)."""
    comps = [
        c
        for c in (
            _api_list(g),
            _cursor_pages(g),
            _distinct(g, "api_detail", "api_records", "fetched"),
            _distinct(g, "patient_view", "record_views", "displayed"),
        )
        if c is not None
    ]
    comps += _exports(ctx, g) + extra
    if not comps:
        return None
    # methods that name their records (API ids, record views, audit reads) are united exactly;
    # the others (list pages, CSV rows) are counts whose overlap is unknown
    named = [c for c in comps if c.objects or c.possible]
    counted = [c for c in comps if not (c.objects or c.possible)]
    objects = united(c.objects for c in named)
    exact = len(objects)
    # records that may be someone else's reads raise the high bound only
    maybe = len(united([*(c.objects for c in named), *(c.possible for c in named)])) - exact
    low = max([exact] + [c.low for c in counted])
    high = exact + maybe + sum(c.high for c in counted)
    listing = [c for c in counted if c.reached_end]
    if listing:
        lst = max(listing, key=lambda c: c.high)
        high = min(high, max(lst.high, exact))
        # other counts (CSV rows repeat a patient once per date range) cannot push the number of
        # distinct records past the size of the table the listing enumerated
        low = min(max(exact, lst.low), high)
        estimate = lst.estimate
    else:
        estimate = exact + sum(c.estimate for c in counted)
    estimate = max(low, min(high, estimate))
    first = g.get_column("@timestamp").min() if g.height else None
    last = g.get_column("@timestamp").max() if g.height else None
    method_msg = msg(
        "exfil.method",
        components=[
            msg("exfil.component", method=word("exfil.name", c.method), description=c.message or c.description)
            for c in comps
        ],
        whole=msg("exfil.whole_table") if listing else "",
    )
    return {
        "account": account,
        "ip": ip,
        "records": {"estimate": int(estimate), "low": int(low), "high": int(high)},
        "distinct_objects": len(objects),
        "bytes": int(g.get_column("http.response.bytes").sum() or 0) if g.height else 0,
        "first_seen": first,
        "last_seen": last,
        "method": render(method_msg),
        "method_message": method_msg.to_json(),
        # the audit trail records the same views again: not a second transfer
        "rows_transferred": {
            "estimate": sum(c.estimate for c in comps if c.method != "audit_trail_reads"),
            "low": sum(c.low for c in comps if c.method != "audit_trail_reads"),
            "high": sum(c.high for c in comps if c.method != "audit_trail_reads"),
        },
        "requests": int(g.height),
        "_components": comps,
    }


def estimate(ctx: Context, decision: Any) -> list[dict[str, Any]]:
    """Exfiltration rows: per account in scope (``ip`` null), then per (account, address)."""
    cols = [
        "_row",
        "@timestamp",
        "account",
        "source.ip",
        "activity",
        "activity.object",
        "api.offset",
        "api.limit",
        "http.response.status_code",
        "http.response.bytes",
    ]
    cols += [
        c for c in ("url.path", "api.page", "api.cursor", "session.web", "account.session") if c in ctx.web.columns
    ]
    web = ctx.web.select(cols).filter(pl.col("activity").is_in(["export", "api_list", "api_detail", "patient_view"]))
    # only the accounts and addresses in scope are looked at: cut the frame to them first
    scope = [a for a, s in decision.accounts.items() if s.verdict != "normal" or a in ctx.accounts_requested]
    web = web.filter(pl.col("account").is_in(scope) | pl.col("source.ip").is_in(list(decision.attacker_ips)))
    web = with_page_facts(ctx, web)
    attacker = list(decision.attacker_ips)
    web = _claim_unattributed(web, decision, set(attacker))
    out: list[dict[str, Any]] = []
    for acc, s in sorted(decision.accounts.items(), key=lambda kv: (-kv[1].score, kv[0])):
        if s.verdict == "normal" and acc not in ctx.accounts_requested:
            continue
        g = web.filter(pl.col("account") == acc)
        clients: list[str] | None = None
        app_sessions: list[str] | None = None
        if s.verdict == "compromised":
            g = g.filter(pl.col("source.ip").is_in(attacker))
            clients = attacker
        elif s.verdict == "suspicious" and s.scope_app_sessions and "account.session" in g.columns:
            # the application sessions that carry the behaviour, not the owner's other work
            g = g.filter(pl.col("account.session").is_in(s.scope_app_sessions))
            app_sessions = list(s.scope_app_sessions)
        elif s.verdict == "suspicious" and s.scope_sessions and "session.web" in g.columns:
            # the sessions that carry the behaviour, not the owner's other work at the same hours
            g = g.filter(pl.col("session.web").is_in(s.scope_sessions))
            if "account.session" in g.columns:
                app_sessions = g.get_column("account.session").drop_nulls().unique().to_list()
        elif s.first_malicious is not None and s.last_malicious is not None:
            g = g.filter((pl.col("@timestamp") >= s.first_malicious) & (pl.col("@timestamp") <= s.last_malicious))
        reads = _record_reads(ctx, acc, s.first_malicious, s.last_malicious, clients, app_sessions)
        row = combine(ctx, acc, None, g, [reads] if reads else [])
        if row is None:
            continue
        out.append(row)
        for ip in sort_ips(g.get_column("source.ip").drop_nulls().unique().to_list()):
            sub = combine(ctx, acc, ip, g.filter(pl.col("source.ip") == ip), [])
            if sub is not None:
                out.append(sub)
    # attacker addresses with requests no account explains
    if attacker:
        free = web.filter(pl.col("source.ip").is_in(attacker) & pl.col("account").is_null())
        for ip in sort_ips(free.get_column("source.ip").unique().to_list()):
            sub = combine(ctx, None, ip, free.filter(pl.col("source.ip") == ip), [])
            if sub is not None:
                out.append(sub)
    return out


def _claim_unattributed(web: pl.DataFrame, decision: Any, attacker: set[str]) -> pl.DataFrame:
    """Requests with no account from an address the attacker used for one compromised account,
    within that account's malicious period, are that account's.

    A proxy that stamps a request when it ends can log the last export of a session after the
    session's last application event, so the request keeps no account while its copy from the
    application server was dropped as a duplicate: left alone it would be counted a second
    time, on a row of its own, under no account.
    """
    owners: dict[str, list[tuple[str, Any, Any]]] = {}
    for acc, s in decision.accounts.items():
        if s.verdict != "compromised" or s.first_malicious is None or s.last_malicious is None:
            continue
        for ip in set(s.source_ips) & attacker:
            owners.setdefault(ip, []).append((acc, s.first_malicious, s.last_malicious))
    claim = pl.lit(None, dtype=pl.String)
    for ip, accs in sorted(owners.items()):
        if len(accs) != 1:
            continue  # an address two accounts share: no guess
        acc, first, last = accs[0]
        cond = (pl.col("source.ip") == ip) & pl.col("@timestamp").is_between(first, last)
        claim = pl.when(cond).then(pl.lit(acc)).otherwise(claim)
    return web.with_columns(pl.coalesce(pl.col("account"), claim).alias("account"))
