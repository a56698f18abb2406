"""Large cases are prepared a slice of rows at a time; the slices must not change any result."""

from __future__ import annotations

import polars as pl
import pytest

from forensics.apps import discover, profile_for
from forensics.config import CaseConfig
from forensics.correlate import correlate, pipeline
from tests.correlate import scenarios
from tests.correlate.builder import config


@pytest.fixture(scope="module")
def frame():
    return scenarios.attack_case().frame()


@pytest.fixture(scope="module")
def attack(frame, tmp_path_factory):
    return correlate(frame, config(tmp_path_factory.mktemp("cfg")))


@pytest.mark.parametrize("name", sorted(discover()))
def test_every_profile_labels_a_request_from_that_request_alone(attack, frame, name, monkeypatch):
    """Labels are computed a slice of requests at a time: each profile's labels of a request must
    not depend on the other requests (the same labels whatever the slices)."""
    web = attack.context.web.select(
        "_row", "@timestamp", "source.ip", "http.request.method", "url.path", "http.response.status_code"
    )
    # the query strings the context dropped after labelling, back from the scenario
    frame = frame.sort("@timestamp", "log.file.path", "log.file.line", nulls_last=True)
    queries = frame.with_row_index("_row").select(pl.col("_row").cast(pl.Int64), "url.query")
    web = web.join(queries, on="_row", how="left", maintain_order="left")
    profile, cfg = profile_for(name), CaseConfig()
    whole = pipeline._label_requests(web, profile, cfg)
    assert whole.height == web.height and whole.get_column("activity").null_count() < web.height
    for size in (1, 5, 333):
        monkeypatch.setattr(pipeline, "LABEL_SLICE", size)
        assert pipeline._label_requests(web, profile, cfg).equals(whole)


def test_a_case_correlated_in_small_slices_concludes_the_same(attack, frame, tmp_path, monkeypatch):
    from forensics.correlate import links

    monkeypatch.setattr(pipeline, "LABEL_SLICE", 97)
    monkeypatch.setattr(links, "MATCH_SLICE", 13)
    small = correlate(frame, config(tmp_path))
    assert small.context is not None and attack.context is not None
    assert small.context.web.equals(attack.context.web)
    assert small.context.app.equals(attack.context.app)
    assert small.links.equals(attack.links)
    assert small.sessions.equals(attack.sessions)
    one, two = small.findings, attack.findings
    one.pop("run_id", None), two.pop("run_id", None)
    assert one == two
