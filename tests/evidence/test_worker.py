"""The worker queue is bounded: a stalled disk drops jobs (counted) instead of blocking."""

from __future__ import annotations

import threading

from edge.evidence.worker import JobRunner


def test_full_queue_drops_new_jobs_and_counts_them() -> None:
    gate = threading.Event()
    started = threading.Event()
    done: list[int] = []

    def blocker() -> None:
        started.set()
        gate.wait(10)
        done.append(0)

    runner = JobRunner("t", threaded=True, maxsize=2)
    assert runner.submit(blocker)
    assert started.wait(10)
    accepted = [runner.submit(lambda i=i: done.append(i)) for i in (1, 2, 3, 4)]
    assert accepted == [True, True, False, False]
    assert runner.dropped == 2
    gate.set()
    assert runner.drain(10)
    runner.stop()
    assert done == [0, 1, 2]


def test_inline_mode_runs_at_once_and_survives_a_failing_job() -> None:
    runner = JobRunner("t", threaded=False, maxsize=1)
    out: list[str] = []

    def bad() -> None:
        raise RuntimeError("boom")

    runner.submit(bad)
    runner.submit(lambda: out.append("after"))
    assert out == ["after"] and runner.dropped == 0
