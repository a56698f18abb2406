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
