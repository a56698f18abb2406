"""Large cases are prepared a slice of rows at a time; the slices must not change any result."""

from __future__ import annotations

import polars as pl
import pytest

from forensics import apps
from forensics.apps import discover, profile_for
from forensics.correlate import correlate
from tests.correlate import scenarios
from tests.correlate.builder import config


@pytest.fixture(scope="module")
def frame():
    return scenarios.attack_case().frame()


@pytest.fixture(scope="module")
def attack(frame, tmp_path_factory):
    return correlate(frame, config(tmp_path_factory.mktemp("cfg")))


@pytest.mark.parametrize("name", sorted(discover()))
def test_every_profile_labels_a_request_from_its_label_inputs_alone(attack, frame, name, monkeypatch):
    """Labels are computed once per distinct combination of ``label_inputs``: each profile's
    labels of a request must depend on those columns of that request only (the same labels for
    every request, labelled whole, in slices or once per distinct combination)."""
    web = attack.context.web.select(
        "_row", "@timestamp", "source.ip", "http.request.method", "url.path", "http.response.status_code"
    )
    # the query strings the context dropped after labelling, back from the scenario
    frame = frame.sort("@timestamp", "log.file.path", "log.file.line", nulls_last=True)
    queries = frame.with_row_index("_row").select(pl.col("_row").cast(pl.Int64), "url.query")
    web = web.join(queries, on="_row", how="left", maintain_order="left")
    # the same requests again, another time and client, and requests with missing inputs
    blank = web.head(3).with_columns(
        pl.lit(None, dtype=pl.String).alias("url.query"), pl.lit(None, dtype=pl.String).alias("url.path")
    )
    web = pl.concat([web, web.with_columns(pl.lit("192.0.2.99").alias("source.ip")), blank])
    profile = profile_for(name)
    whole = profile.label_activity(web)
    assert whole.height == web.height and whole.get_column("activity").null_count() < web.height
    assert apps.label_requests(profile, web).equals(whole)
    for size in (7, 333):
        parts = [profile.label_activity(web.slice(i, size)) for i in range(0, web.height, size)]
        assert pl.concat(parts).equals(whole)
    # when most requests are distinct, every row is labelled, a slice at a time: the same again
    monkeypatch.setattr(apps, "DISTINCT_SHARE", 0.0)
    monkeypatch.setattr(apps, "LABEL_SLICE", 333)
    assert apps.label_requests(profile, web).equals(whole)
    monkeypatch.setattr(apps, "DISTINCT_SHARE", 0.5)
    monkeypatch.setattr(apps, "LABEL_SLICE", 7)
    assert apps.label_requests(profile, web).equals(whole)


def test_a_case_correlated_in_small_slices_concludes_the_same(attack, frame, tmp_path, monkeypatch):
    from forensics.correlate import links

    monkeypatch.setattr(apps, "DISTINCT_SHARE", 0.0)  # every request labelled on its own
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
