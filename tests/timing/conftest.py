"""Register the test parsers of the time tests for the duration of each test only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parsers.base import REGISTRY, load_all
from tests.timing.fixture_parsers import TEST_PARSERS


@pytest.fixture(autouse=True)
def timing_parsers() -> Iterator[None]:
    load_all()
    for cls in TEST_PARSERS:
        REGISTRY[cls.name] = cls
    try:
        yield
    finally:
        for cls in TEST_PARSERS:
            REGISTRY.pop(cls.name, None)


@pytest.fixture(autouse=True, params=["in_memory", "spilled"])
def store_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every time test twice: events held in memory, and every chunk spilled to disk.

    The second time pass reads and rewrites the held chunks (year inference, DST
    decisions, skew); both ways of holding them must give the same answers.
    """
    if request.param == "spilled":
        import forensics.intake.store

        monkeypatch.setattr(forensics.intake.store, "MEMORY_BUDGET", 0)
    return request.param
