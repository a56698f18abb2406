"""The cheaper paths a large case takes give the results of the plain expressions they replaced.

Each test compares a function with the expression it replaced (kept here as the reference) on
hostile inputs: nulls, ties, empty frames, text that a joined key would confuse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.correlate import frames, links, pipeline
from forensics.correlate.detectors._util import pair_code
from tests.correlate import scenarios
from tests.correlate.builder import config

T0 = datetime(2024, 10, 21, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
times = st.none() | st.integers(0, 4 * 3600).map(lambda s: T0 + timedelta(seconds=s))
texts = st.sampled_from([None, "", "A", "A|", "|A", "python-requests/2.32.3", "x\x00y", "é" * 40])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(texts, texts), max_size=40))
def test_pair_code_is_equal_exactly_when_the_pair_is(rows):
    df = pl.DataFrame(rows, schema={"net": pl.String, "ua": pl.String}, orient="row")
    codes = df.select(pair_code("net", "ua")).to_series().to_list()
    for i, (a, code_a) in enumerate(zip(rows, codes, strict=True)):
        assert (code_a is None) == (a[0] is None or a[1] is None)
        for b, code_b in zip(rows[i:], codes[i:], strict=True):
            if code_a is not None and code_b is not None:
                assert (code_a == code_b) == (a == b)


def test_pair_code_tells_apart_pairs_a_joined_string_confuses():
    df = pl.DataFrame({"net": ["a|b", "a"], "ua": ["c", "b|c"]})
    assert df.select(pair_code("net", "ua").n_unique()).item() == 2


def _old_pairs(free: pl.DataFrame, attributed: pl.DataFrame, gap: pl.Expr, tol_d: pl.Expr) -> pl.DataFrame:
    """The join ``_continuations`` made before: every free session against every attributed one
    with its user agent, then the time test."""
    open_ok = pl.col("_open") | (pl.col("_wf") <= pl.col("_al") + tol_d)
    return free.join(attributed, on="_wua", how="inner").filter(
        (pl.col("_wf") >= pl.col("_pl"))
        & (pl.col("_wf") <= pl.col("_pl") + gap)
        & open_ok
        & (pl.col("_wip") != pl.col("_pip"))
    )


uas = st.sampled_from(["A", "B", "python-requests/2.32.3"])
ips = st.sampled_from([None, "10.0.0.1", "10.0.0.2", "203.0.113.5"])
free_rows = st.lists(st.tuples(times, uas, ips), max_size=30)
attributed_rows = st.lists(st.tuples(times, uas, ips, times, st.booleans()), max_size=30)


@settings(max_examples=150, deadline=None)
@given(free_rows, attributed_rows, st.sampled_from([1, 2, 7, 2_000]), st.sampled_from([0, 60, 300, 3600]))
def test_continuation_pairs_in_slices_are_the_pairs_of_the_whole_join(free_in, attributed_in, size, gap_s):
    free = pl.DataFrame(
        [(f"W{i:06d}", wf, ua, ip) for i, (wf, ua, ip) in enumerate(free_in)],
        schema={"session.web": pl.String, "_wf": TS, "_wua": pl.String, "_wip": pl.String},
        orient="row",
    )
    attributed = pl.DataFrame(
        [(f"P{i:06d}", f"A{i % 3}", pl_, ua, ip, al, op) for i, (pl_, ua, ip, al, op) in enumerate(attributed_in)],
        schema={
            "_prev": pl.String,
            "session.app": pl.String,
            "_pl": TS,
            "_wua": pl.String,
            "_pip": pl.String,
            "_al": TS,
            "_open": pl.Boolean,
        },
        orient="row",
    )
    gap, tol_d = pl.duration(seconds=gap_s), pl.duration(seconds=10)
    order = ["session.web", "_prev"]
    want = _old_pairs(free, attributed, gap, tol_d).sort(order)
    saved = links.CONTINUATION_SLICE
    links.CONTINUATION_SLICE = size
    try:
        got = links._continuation_pairs(free, attributed, gap, tol_d)
    finally:
        links.CONTINUATION_SLICE = saved
    assert got.schema == want.schema
    assert got.sort(order).equals(want)


@pytest.fixture(scope="module")
def frame():
    return scenarios.attack_case().frame()


def test_coverage_is_counted_when_the_events_are_read(frame):
    inputs = frames.load_inputs(frame)
    assert inputs.coverage is not None and inputs.coverage.height
    assert inputs.coverage.equals(frames.coverage_table(inputs.scan))


def test_the_raw_application_and_database_frames_are_released_once_prepared(frame, tmp_path):
    ctx, inputs = pipeline.prepare(frame, config(tmp_path))
    assert ctx.app.height and ctx.db.height
    assert inputs.web.height == inputs.app.height == inputs.db.height == inputs.names.height == 0


def test_a_case_paired_one_session_at_a_time_concludes_the_same(frame, tmp_path, monkeypatch):
    whole = pipeline.correlate(frame, config(tmp_path / "a"))
    monkeypatch.setattr(links, "CONTINUATION_SLICE", 1)
    small = pipeline.correlate(frame, config(tmp_path / "b"))
    assert small.links.equals(whole.links) and small.sessions.equals(whole.sessions)
    assert small.context is not None and whole.context is not None
    assert small.context.web.equals(whole.context.web)
    one, two = small.findings, whole.findings
    one.pop("run_id", None), two.pop("run_id", None)
    assert one == two


def _old_sessionize_web(web: pl.DataFrame, gap_s: float) -> pl.DataFrame:
    """``sessionize_web`` as it was: the windows grouped on the key texts themselves."""
    if "session.id" in web.columns and web.get_column("session.id").null_count() < web.height:
        sid = pl.col("session.id")
        keys = [
            sid.alias("_k0"),
            pl.when(sid.is_null()).then(pl.col("source.ip")).alias("_k1"),
            pl.when(sid.is_null()).then(pl.col("user_agent.original")).alias("_k2"),
        ]
    else:
        keys = [pl.col("source.ip").alias("_k1"), pl.col("user_agent.original").alias("_k2")]
    names = [k.meta.output_name() for k in keys]
    narrow = web.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_i"), *keys, pl.col("@timestamp"))
    in_order = narrow.get_column("@timestamp").is_sorted()
    if not in_order:
        narrow = narrow.sort("@timestamp", "_i")
    gap = pl.col("@timestamp").diff().over(names).dt.total_microseconds() > int(gap_s * 1_000_000)
    narrow = narrow.with_columns(gap.fill_null(True).alias("_new"))
    narrow = narrow.with_columns(pl.when(pl.col("_new")).then(pl.col("_new").cum_sum()).alias("_n"))
    narrow = narrow.with_columns(pl.col("_n").forward_fill().over(names))
    numbers = narrow.get_column("_n")
    if not in_order:
        numbers = numbers.gather(narrow.get_column("_i").arg_sort())
    ids = pl.select(pl.format("W{}", pl.lit(numbers).cast(pl.String).str.zfill(6))).to_series()
    return web.with_columns(ids.alias("session.web"))


web_times = st.integers(0, 3 * 3600).map(lambda s: T0 + timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            web_times,
            st.sampled_from([None, "10.0.0.1", "10.0.0.2", "::1"]),
            texts,
            st.sampled_from([None, None, "s1", "s2", ""]),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_web_sessions_on_key_codes_are_the_sessions_on_key_texts(rows, with_sid):
    from forensics.correlate.sessions import sessionize_web
    from forensics.correlate.thresholds import DEFAULT

    df = pl.DataFrame(
        rows,
        schema={"@timestamp": TS, "source.ip": pl.String, "user_agent.original": pl.String, "session.id": pl.String},
        orient="row",
    )
    if not with_sid:
        df = df.drop("session.id")
    if df.height == 0:
        return
    assert sessionize_web(df).equals(_old_sessionize_web(df, DEFAULT.web_idle_gap))


attributed_frame = st.lists(
    st.tuples(st.integers(0, 12), st.sampled_from([None, "a", "b|c"]), st.sampled_from([None, "W1", "W2"])),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(
    web_rows=attributed_frame,
    app_rows=attributed_frame,
    db_rows=st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["D1", "D2", None])), max_size=15),
)
def test_attribution_rows_come_in_the_order_of_the_sort_it_replaced(web_rows, app_rows, db_rows, tmp_path_factory):
    from types import SimpleNamespace

    from forensics.app import ATTRIBUTION_SCHEMA, _write_attribution

    def frame(rows, source):
        return pl.DataFrame(
            rows, schema={"_row": pl.Int64, "account": pl.String, f"session.{source}": pl.String}, orient="row"
        )

    ctx = SimpleNamespace(
        web=frame(web_rows, "web"),
        app=frame(app_rows, "app"),
        db=pl.DataFrame(db_rows, schema={"_row": pl.Int64, "session.db": pl.String}, orient="row"),
        db_sessions=pl.DataFrame({"session": ["D1", "D2"], "account": ["a", None]}),
    )
    out = tmp_path_factory.mktemp("attribution")
    got = pl.read_parquet(_write_attribution(SimpleNamespace(context=ctx), out, None))
    parts = [
        ctx.web.filter(pl.col("account").is_not_null()).select(
            pl.col("_row").alias("row"),
            "account",
            pl.col("session.web").alias("session"),
            pl.lit("web").alias("source"),
        ),
        ctx.app.filter(pl.col("account").is_not_null()).select(
            pl.col("_row").alias("row"),
            "account",
            pl.col("session.app").alias("session"),
            pl.lit("app").alias("source"),
        ),
        ctx.db.select(pl.col("_row").alias("row"), pl.col("session.db").alias("session"))
        .join(ctx.db_sessions, on="session", how="inner")
        .filter(pl.col("account").is_not_null())
        .select("row", "account", "session", pl.lit("db").alias("source")),
    ]
    want = pl.concat([p.cast(ATTRIBUTION_SCHEMA) for p in parts]).sort("row", "source")
    assert got.select("row", "source").equals(want.select("row", "source"))
    # rows that tie on row and source may come in either order, as they did
    assert got.sort(got.columns, nulls_last=True).equals(want.sort(want.columns, nulls_last=True))


def test_attribution_lets_go_of_the_context_only_when_asked(tmp_path):
    from types import SimpleNamespace

    from forensics.app import _write_attribution

    web = pl.DataFrame({"_row": [2, 1], "account": ["a", "b"], "session.web": ["W1", "W2"]})
    app = pl.DataFrame({"_row": [0], "account": ["a"], "session.app": ["A1"]})
    db = pl.DataFrame({"_row": [3], "session.db": ["D1"]})
    ctx = SimpleNamespace(web=web, app=app, db=db, db_sessions=pl.DataFrame({"session": ["D1"], "account": ["a"]}))
    kept = SimpleNamespace(context=ctx)
    first = pl.read_parquet(_write_attribution(kept, tmp_path, None))
    assert kept.context is ctx
    released = SimpleNamespace(context=ctx)
    second = pl.read_parquet(_write_attribution(released, tmp_path, None, release=True))
    assert released.context is None
    assert first.equals(second)
    assert first.get_column("row").to_list() == [0, 1, 2, 3]


columns_of_requests = st.lists(
    st.tuples(st.integers(-3, 3) | st.none(), texts, st.booleans()),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(rows=columns_of_requests, chunks=st.integers(1, 4))
def test_rebuilt_column_by_column_equals_the_whole_frame_operation(rows, chunks):
    base = pl.DataFrame(rows, schema={"n": pl.Int64, "t": pl.String, "keep": pl.Boolean}, orient="row")
    # a column no row fills, held as one null repeated (as hold_empty_as_one_null leaves it)
    base = base.with_columns(pl.lit(None, dtype=pl.String).alias("empty"))
    step = max(1, -(-base.height // chunks))
    parts = [base.slice(i, step) for i in range(0, base.height, step)] or [base]
    frame = pl.concat(parts, rechunk=False)
    keep = frame.get_column("keep")
    filtered = frames.rebuilt(frame.clone(), lambda column: column.filter(keep))
    assert filtered.equals(base.filter(keep))
    assert filtered.columns == base.columns
    whole = frames.rebuilt(frame.clone(), lambda column: column.rechunk())
    assert whole.equals(base)
    assert all(whole.get_column(c).n_chunks() == 1 for c in ("n", "t", "keep"))


def test_rebuilt_empties_the_frame_it_is_given_and_keeps_a_frame_of_empty_columns():
    frame = pl.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]})
    out = frames.rebuilt(frame, lambda column: column.filter(pl.Series([True, False, True])))
    assert frame.width == 0
    assert out.to_dict(as_series=False) == {"a": [1, 3], "b": ["x", "z"]}
    nulls = pl.DataFrame({"a": [None, None]}, schema={"a": pl.String})
    assert frames.rebuilt(nulls, lambda column: column.head(1)).to_dict(as_series=False) == {"a": [None]}


@settings(max_examples=100, deadline=None)
@given(
    ips=st.lists(st.sampled_from([None, "192.0.2.1", "198.51.100.7", "203.0.113.9", "10.0.0.1"]), max_size=30),
    chunks=st.integers(1, 4),
)
def test_ip_labels_on_the_address_column_equal_the_whole_frame_join(ips, chunks):
    web = pl.DataFrame({"source.ip": ips, "n": list(range(len(ips)))}, schema={"source.ip": pl.String, "n": pl.Int64})
    step = max(1, -(-web.height // chunks))
    web = pl.concat([web.slice(i, step) for i in range(0, web.height, step)] or [web], rechunk=False)
    info = pl.DataFrame(
        {
            "ip": ["192.0.2.1", "203.0.113.9", "10.0.0.1"],
            "ip.label": ["tor", None, "internal"],
            "ip.note": ["exit node", None, None],
            "ip.network": ["192.0.2.0/24", "203.0.113.0/24", "10.0.0.0/8"],
        }
    )
    want = web.join(
        info.select(pl.col("ip").alias("source.ip"), "ip.label", "ip.note", "ip.network"),
        on="source.ip",
        how="left",
        maintain_order="left",
    )
    got = pipeline._with_ip_labels(web.clone(), info)
    assert got.equals(want)
    assert all(got.get_column(c).n_chunks() == 1 for c in got.columns)


def test_frames_prepared_on_the_workers_are_not_labelled_again_and_a_mismatch_is_refused(frame, tmp_path):
    """Web requests labelled, paginated and cleared of duplicates where they were read (a Dask
    worker) give the same context; labelled with another profile, without their query string
    left to label again, correlation refuses rather than mislabel."""
    from dataclasses import asdict

    from forensics.apps import profile_for
    from forensics.correlate.dedupe import kept_rows
    from forensics.correlate.pagination import with_pagination
    from forensics.correlate.partitions import ClusterInputs

    cfg = config(tmp_path)
    whole, _ = pipeline.prepare(frame, cfg)
    local = frames.load_inputs(frame)
    profile = profile_for("mediboard")
    keep = kept_rows(local.web, 10.0)
    web = local.web if keep is None else local.web.filter(keep)
    web = with_pagination(profile.label_activity(web), {}).drop("url.query")
    fields = {k: v for k, v in asdict(local).items() if k != "web"}
    ready = ClusterInputs(web=web, **fields, labelled_with=profile, paginated_with={}, deduplicated_with=10.0)
    ready.duplicates_dropped = 0 if keep is None else int(keep.len() - keep.sum())
    again, _ = pipeline.prepare(frame, cfg, inputs=ready)
    assert again.web.equals(whole.web)
    other = ClusterInputs(web=web, **fields, labelled_with=profile_for("generic"), paginated_with={})
    with pytest.raises(ValueError, match="labelled on the workers"):
        pipeline.prepare(frame, cfg, inputs=other)


def _reference_coverage(scan: pl.LazyFrame) -> pl.DataFrame:
    """``coverage_table`` as first written: the first and last rows found by a filter in each group."""
    return (
        scan.select(
            pl.coalesce(pl.col("log.source"), pl.col("log.file.path"), pl.col("event.dataset")).alias("source"),
            pl.col("@timestamp"),
            pl.col("_row").cast(pl.Int64),
        )
        .filter(pl.col("@timestamp").is_not_null())
        .with_columns(pl.col("@timestamp").dt.truncate("1h").alias("hour"))
        .group_by("source", "hour")
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            pl.col("@timestamp").min().alias("first"),
            pl.col("@timestamp").max().alias("last"),
            pl.col("_row").filter(pl.col("@timestamp") == pl.col("@timestamp").min()).min().alias("first_row"),
            pl.col("_row").filter(pl.col("@timestamp") == pl.col("@timestamp").max()).min().alias("last_row"),
        )
        .sort("source", "hour")
        .collect()
    )


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["web", "db", None]),
            st.sampled_from(["a.log", "b.log"]),
            # few distinct times: many ties at an hour's first and last time; before 1970 too
            st.none()
            | st.integers(-3, 40).map(lambda m: datetime(1969, 12, 31, 23, 30, tzinfo=UTC) + timedelta(minutes=m * 7)),
        ),
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_coverage_equals_the_filter_formulation(rows, rnd) -> None:
    """The first and last rows of each hour are those of the filter formulation, ties and row order whatever."""
    numbers = list(range(len(rows)))
    rnd.shuffle(numbers)  # rows need not follow time (a frame from a notebook)
    scan = pl.LazyFrame(
        {
            "log.source": [r[0] for r in rows],
            "log.file.path": [r[1] for r in rows],
            "event.dataset": ["x"] * len(rows),
            "@timestamp": [r[2] for r in rows],
            "_row": numbers,
        },
        schema={
            "log.source": pl.String,
            "log.file.path": pl.String,
            "event.dataset": pl.String,
            "@timestamp": pl.Datetime("us", "UTC"),
            "_row": pl.Int64,
        },
    )
    assert frames.coverage_table(scan).equals(_reference_coverage(scan))
