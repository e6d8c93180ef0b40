"""license_reconcile handles thousands of seats without loading more than a page at a time.

``test_license_reconcile_acceptance.py`` checks the counts over 5,000 seats; these check the *way* it
walks them: every list request asks for one page of at most 100, pages follow each other without gaps or
overlap, and the walk's peak memory does not grow with the number of seats.
"""

from __future__ import annotations

import asyncio
import tracemalloc

import httpx

from functions.license_reconcile.handler import handler
from shared.clients.ide import License, LicenseStatus
from shared.http import use_transport
from tests.functions import conftest as functions_conftest
from tests.functions.conftest import Wired, machine, timer, user

wired = functions_conftest.wired  # the fixture (not the name) is what pytest registers in this module


class RecordsPages(httpx.AsyncBaseTransport):
    """Records ``(offset, limit)`` of every seat listing, and how many run at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.pages: list[tuple[int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        listing = request.method == "GET" and request.url.path == "/v2/licenses"
        if listing:
            params = request.url.params
            self.pages.append((int(params.get("offset", "0")), int(params["limit"])))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            return await self.inner.handle_async_request(request)
        finally:
            if listing:
                self.in_flight -= 1


def _seed(w: Wired, n: int) -> None:
    w.ide.seed(n, user_id=[user(i) for i in range(n)], machine_code=map(machine, range(n)))


def test_every_listing_is_one_page_of_at_most_100_in_sequence(wired: Wired) -> None:
    _seed(wired, 2_050)
    pages = RecordsPages(wired.emulator.transport())
    with use_transport(pages):
        report = handler(timer({"dry_run": True}), None)["result"]
    assert report["total"] == 2_050
    assert all(limit <= 100 for _, limit in pages.pages), pages.pages[:5]
    assert [offset for offset, _ in pages.pages] == [100 * i for i in range(len(pages.pages))]
    assert 21 <= len(pages.pages) <= 22  # 21 pages (the last one short), perhaps one empty probe
    assert pages.max_in_flight == 1


def _peak_kib(w: Wired, n: int) -> float:
    _seed(w, n)
    tracemalloc.start()
    try:
        handler(timer({"dry_run": True}), None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    w.ide.licenses.clear()
    return peak / 1024


def _cost_of_holding_kib(n: int) -> float:
    """What keeping ``n`` parsed seats would cost: the failure this test must be able to see."""
    tracemalloc.start()
    try:
        seats = [
            License(id=f"{i:036d}", user_id=user(i), machine_code=machine(i), status=LicenseStatus.NORMAL)
            for i in range(n)
        ]
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(seats) == n
    return size / 1024


def test_peak_memory_does_not_grow_with_the_number_of_seats(wired: Wired) -> None:
    """No roster and nothing to report, so only counters need to survive a page. The walk over 5,000
    seats may peak above the walk over 500 by at most a third of what holding the extra 4,500 seats
    would take (allocator and log noise), which a walk that keeps every seat cannot meet."""
    _peak_kib(wired, 200)  # warm-up: imports, clients and caches are not the walk's
    small = min(_peak_kib(wired, 500) for _ in range(2))
    large = min(_peak_kib(wired, 5_000) for _ in range(2))
    holding = _cost_of_holding_kib(4_500)
    assert holding > 1_000  # the measurement can see a walk that keeps its seats
    assert large < small + holding / 3, (small, large, holding)
