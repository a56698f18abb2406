"""The report's size follows sources, bins and findings, never the number of events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from forensics.report import Report, build_report
from forensics.report.frames import MAX_BINS, MAX_LANES, MAX_MARKS
from tests.report import synth
from tests.report.htmlscan import parse


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = synth.write(tmp_path_factory.mktemp("scale") / "out", 300_000)
    return build_report(out, generated_at="2024-11-01T00:00:00Z")


def _figure(report: Report, fid: str) -> dict:
    block = re.search(rf'data-figure="{fid}">(.*?)</script>', report.html)
    assert block is not None
    return json.loads(block.group(1))


def test_marks_are_grouped_and_bounded(large: Report) -> None:
    figure = _figure(large, "fig-timeline")
    scatter = [t for t in figure["data"] if t["type"] == "scatter"]
    points = sum(len(t["x"]) for t in scatter)
    assert 0 < points <= MAX_MARKS
    heat = next(t for t in figure["data"] if t["type"] == "heatmap")
    assert len(heat["x"]) <= MAX_BINS + 1
    lanes = figure["layout"]["yaxis"]["categoryarray"]
    assert len(lanes) <= MAX_LANES + 1 + 8  # sources, "other sources", phase rows
    assert any(lane.startswith("other sources (6)") for lane in lanes)
    text = " ".join(parse(large.html).text)
    assert "attack events are grouped per" in text


def test_coverage_finds_the_silent_hour(large: Report) -> None:
    text = re.sub(r"\s+", " ", " ".join(parse(large.html).text))
    # the silence runs from the source's last event before the missing hour to its first after
    assert re.search(
        r"host0/var/log/app\.log 2024-10-10 13:[0-5]\d:\d\d \+02:00 2024-10-10 11:[0-5]\d:\d\d UTC", text
    ), text[-3000:]
    cov = _figure(large, "fig-coverage")
    heat = next(t for t in cov["data"] if t["type"] == "heatmap")
    assert len(heat["y"]) == synth.SOURCES and len(heat["x"]) <= 24 * synth.DAYS + 1


def test_size_is_bounded(large: Report) -> None:
    assert len(large.html.encode("utf-8")) < 10 * 1024 * 1024


def test_size_does_not_grow_with_events(tmp_path: Path, large: Report) -> None:
    small = build_report(synth.write(tmp_path / "out", 60_000), generated_at="2024-11-01T00:00:00Z")
    grow = len(large.html) - len(small.html)
    assert grow < 400_000, grow  # 5x the events, a few hundred kB more at most
