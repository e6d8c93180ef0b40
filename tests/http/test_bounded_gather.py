"""``bounded_gather``: the concurrency bound holds, order is kept, failures behave as documented."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from shared.http import bounded_gather


class Gauge:
    """Tracks how many jobs run at the same time."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.started: list[int] = []
        self.finished: list[int] = []

    async def job(self, n: int, *, delay: float = 0.0, fail: bool = False) -> int:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.started.append(n)
        try:
            # Later items finish first, so order-keeping is really tested.
            await asyncio.sleep(delay or (0.001 * (n % 5)))
            if fail:
                raise ValueError(f"job {n} failed")
            return n * 10
        finally:
            self.running -= 1
            self.finished.append(n)


@pytest.mark.parametrize(("count", "limit"), [(50, 1), (50, 4), (50, 7), (3, 10)])
async def test_never_exceeds_limit_and_keeps_order(count: int, limit: int) -> None:
    gauge = Gauge()
    results = await bounded_gather([gauge.job(n) for n in range(count)], limit)
    assert results == [n * 10 for n in range(count)]
    assert gauge.peak == min(limit, count)
    assert gauge.running == 0


async def test_empty_input() -> None:
    assert await bounded_gather([], 3) == []


async def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        await bounded_gather([], 0)


async def test_return_exceptions_keeps_failures_in_their_slots() -> None:
    gauge = Gauge()
    jobs = [gauge.job(n, fail=n % 3 == 0) for n in range(9)]
    results = await bounded_gather(jobs, 2, return_exceptions=True)
    for n, result in enumerate(results):
        if n % 3 == 0:
            assert isinstance(result, ValueError)
            assert str(result) == f"job {n} failed"
        else:
            assert result == n * 10
    assert gauge.peak <= 2


async def test_first_failure_is_raised_and_nothing_keeps_running() -> None:
    gauge = Gauge()
    jobs = [gauge.job(0, delay=0.001, fail=True)] + [gauge.job(n, delay=0.05) for n in range(1, 20)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would fail the test
        with pytest.raises(ValueError, match="job 0 failed"):
            await bounded_gather(jobs, 3)
        gc.collect()
    assert gauge.running == 0
    # Only the jobs that had started ran; the rest were never started.
    assert len(gauge.started) == 3


async def test_cancellation_of_the_caller_cancels_the_workers() -> None:
    gauge = Gauge()
    task = asyncio.ensure_future(bounded_gather([gauge.job(n, delay=1.0) for n in range(6)], 2))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gauge.running == 0
    assert gauge.peak == 2
