"""The replay's staged threads shut down cleanly when a later stage fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest

from edge.replay.driver import _prefetch


def test_consumer_failure_closes_every_upstream_stage() -> None:
    closed: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield from range(10_000)
        finally:
            closed.append("source")

    def double(items: Iterator[int]) -> Iterator[int]:
        for i in items:
            yield 2 * i

    with pytest.raises(RuntimeError, match="sink failed"), closing(
        _prefetch(double(_prefetch(source(), depth=2)), depth=2)
    ) as stages:
        for n, _ in enumerate(stages):
            if n == 3:
                raise RuntimeError("sink failed")
    # the source's finally ran: its file would be closed, its thread ended
    assert closed == ["source"]


def test_producer_error_reaches_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("corrupt container")

    got: list[int] = []
    with pytest.raises(ValueError, match="corrupt container"):
        for x in _prefetch(broken()):
            got.append(x)
    assert got == [1]
