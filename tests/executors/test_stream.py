"""The client path's backpressure without a cluster: batches, outlines and picks of a set's result."""

from __future__ import annotations

import hashlib
from itertools import pairwise
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.config import CaseConfig
from forensics.executors.stream import EVENTS, REJECTS, Backlog, Piece, batches, frames, outline
from forensics.executors.task import ParseOptions, parse_source
from forensics.intake.walk import EvidenceFile

LINE = '192.0.2.10 - alice [25/Oct/2024:10:00:00 +0200] "GET /index.php HTTP/1.1" 200 512 "-" "curl/8.0"\n'

sizes = st.lists(st.integers(min_value=0, max_value=1 << 30), max_size=60)
#: a loaded machine generates slowly; the properties are cheap to check
LOADED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LOADED
@given(sizes, st.integers(min_value=0, max_value=1 << 31))
def test_batches_keep_the_order_and_the_bound(values: list[int], limit: int) -> None:
    pieces = [Piece(i, EVENTS, i, size) for i, size in enumerate(values)]
    cut = batches(pieces, limit)
    assert [p for run in cut for p in run] == pieces  # nothing lost, nothing reordered
    for run in cut:
        assert run  # no empty batch
        # at most the limit, or one frame larger than the limit alone
        assert sum(p.size for p in run) <= limit or len(run) == 1
    for run, following in pairwise(cut):
        # a batch is cut only when the next frame would pass the limit
        assert sum(p.size for p in run) + following[0].size > limit


@LOADED
@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=30), st.integers(min_value=1, max_value=3000))
def test_the_backlog_never_holds_more_than_a_batch(values: list[int], limit: int) -> None:
    backlog = Backlog()
    pieces = [Piece(0, EVENTS, i, size) for i, size in enumerate(values)]
    for run in batches(pieces, limit):
        backlog.fetched(run)
        for p in run:
            backlog.consumed(p)
    assert backlog.bytes == 0
    assert backlog.peak_bytes <= max([limit, *values])


def test_an_outline_lists_every_frame_in_the_order_the_store_takes_them(tmp_path: Path) -> None:
    files = []
    for name, body in (("access.log.1", LINE * 3 + "not a request\n"), ("access.log", LINE * 2)):
        log = tmp_path / name
        log.write_text(body, encoding="utf-8")
        digest = hashlib.sha256(log.read_bytes()).hexdigest()
        files.append(EvidenceFile(path=log, relpath=name, size=log.stat().st_size, sha256_before=digest, source="a"))
    result = parse_source(files, ParseOptions(config=CaseConfig(), format="apache.access"))
    plan = outline(result)
    assert plan.reports == [f.report for f in result.files]
    assert plan.state is result.state
    # file after file, each file's events then its rejects: the local executor's order
    expected = []
    for parsed in result.files:
        expected += [(EVENTS, df, size) for df, size in zip(parsed.events, parsed.event_sizes)]
        expected += [(REJECTS, df, size) for df, size in zip(parsed.rejects, parsed.reject_sizes)]
    assert [(p.kind, p.size) for p in plan.pieces] == [(kind, size) for kind, _, size in expected]
    assert any(p.kind == REJECTS for p in plan.pieces)
    picked = [df for run in batches(plan.pieces, 1) for df in frames(result, run)]
    assert len(picked) == len(expected)
    for df, (_, original, _) in zip(picked, expected):
        assert df is original  # the worker hands out its own frame, no copy
    assert pl.concat([df for kind, df, _ in expected if kind == EVENTS]).height == 5
