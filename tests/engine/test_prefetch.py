"""The read-ahead thread keeps order, hands errors over and stops when the consumer stops."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forensics.intake.prefetch import prefetch


def test_order_and_every_item_are_kept() -> None:
    assert list(prefetch(iter(range(1000)), depth=3)) == list(range(1000))


def test_an_error_in_the_producer_is_raised_where_it_happened() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("read error at byte 42")

    got = []
    with pytest.raises(OSError, match="byte 42"):
        for x in prefetch(items()):
            got.append(x)
    assert got == [1, 2]


def test_stopping_early_closes_the_producer() -> None:
    closed = []

    def items() -> Iterator[int]:
        try:
            yield from range(10_000)
        finally:
            closed.append(True)

    for x in prefetch(items()):
        if x == 3:
            break
    assert closed == [True]
