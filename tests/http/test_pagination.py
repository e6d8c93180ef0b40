"""Offset/limit and marker pagination: every edge where a naive loop duplicates, drops, or never stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.http import PaginationError, paginate, paginate_markers

Fetch = Callable[[int, int], Awaitable[tuple[Sequence[int], int | None]]]
Paginator = Callable[..., AsyncIterator[int]]


class Server:
    """A listing of ``size`` items; ``reported_total`` lets it lie, ``cap`` lets it ignore ``limit``."""

    def __init__(
        self, size: int, *, reported_total: int | str | None = "true", cap: int | None = None
    ) -> None:
        self.items = list(range(size))
        self.reported_total = reported_total
        self.cap = cap
        self.calls: list[tuple[int, int]] = []

    async def fetch(self, offset: int, limit: int) -> tuple[Sequence[int], int | None]:
        self.calls.append((offset, limit))
        page = self.items[offset : offset + (self.cap if self.cap is not None else limit)]
        total = len(self.items) if self.reported_total == "true" else self.reported_total
        assert total is None or isinstance(total, int)
        return page, total


async def collect(paginator: Paginator, fetch: Fetch, **kwargs: int) -> list[int]:
    return [item async for item in paginator(fetch, **kwargs)]


async def test_empty_listing() -> None:
    server = Server(0)
    assert await collect(paginate, server.fetch, limit=10) == []
    assert server.calls == [(0, 10)]


async def test_exactly_one_full_page_stops_on_total() -> None:
    server = Server(10)
    assert await collect(paginate, server.fetch, limit=10) == list(range(10))
    assert server.calls == [(0, 10)]


async def test_exactly_one_full_page_without_total_needs_one_empty_page() -> None:
    server = Server(10, reported_total=None)
    assert await collect(paginate, server.fetch, limit=10) == list(range(10))
    assert server.calls == [(0, 10), (10, 10)]


async def test_last_partial_page() -> None:
    server = Server(25)
    assert await collect(paginate, server.fetch, limit=10) == list(range(25))
    assert server.calls == [(0, 10), (10, 10), (20, 10)]


async def test_start_beyond_the_end() -> None:
    server = Server(5)
    assert await collect(paginate, server.fetch, limit=10, start=100) == []
    assert server.calls == [(100, 10)]


async def test_total_too_high_still_ends_on_short_page() -> None:
    server = Server(12, reported_total=1000)
    assert await collect(paginate, server.fetch, limit=5) == list(range(12))
    assert len(server.calls) == 3


async def test_total_too_high_with_full_last_page_ends_on_empty_page() -> None:
    server = Server(10, reported_total=1000)
    assert await collect(paginate, server.fetch, limit=5) == list(range(10))
    assert server.calls == [(0, 5), (5, 5), (10, 5)]


async def test_total_too_low_is_trusted_without_losing_the_page_in_hand() -> None:
    server = Server(30, reported_total=7)
    assert await collect(paginate, server.fetch, limit=5) == list(range(10))
    assert server.calls == [(0, 5), (5, 5)]


async def test_server_returning_more_than_limit_advances_by_what_it_sent() -> None:
    server = Server(23, cap=8, reported_total=None)
    assert await collect(paginate, server.fetch, limit=5) == list(range(23))
    # 7 items on the third page is not "short" against limit 5, so one empty page confirms the end.
    assert [offset for offset, _ in server.calls] == [0, 8, 16, 23]


async def test_server_that_never_ends_hits_the_page_cap() -> None:
    calls = 0

    async def forever(offset: int, limit: int) -> tuple[Sequence[int], int | None]:
        nonlocal calls
        calls += 1
        return [0] * limit, None

    with pytest.raises(PaginationError):
        await collect(paginate, forever, limit=3, max_pages=50)
    assert calls == 50


async def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        await collect(paginate, Server(1).fetch, limit=0)


async def test_stopping_early_fetches_no_further_pages() -> None:
    server = Server(100)
    seen = []
    async for item in paginate(server.fetch, limit=10):
        seen.append(item)
        if item == 14:
            break
    assert seen == list(range(15))
    assert len(server.calls) == 2


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(0, 60),
    limit=st.integers(1, 15),
    lie=st.one_of(st.none(), st.integers(0, 100), st.just("true")),
)
async def test_property_no_duplicates_and_bounded_calls(size: int, limit: int, lie: int | str | None) -> None:
    server = Server(size, reported_total=lie)
    items = await collect(paginate, server.fetch, limit=limit)
    assert len(items) == len(set(items))
    assert items == list(range(len(items)))
    claimed = lie if isinstance(lie, int) else size
    # Everything is returned unless the server under-reported its total; then at least the claim.
    assert len(items) == size or len(items) >= min(claimed, size)
    assert len(server.calls) <= size // limit + 2


class MarkerServer:
    """A marker listing of ``size`` items; ``stuck_at`` makes it repeat one marker for ever."""

    def __init__(self, size: int, *, stuck_at: str | None = None) -> None:
        self.items = list(range(size))
        self.stuck_at = stuck_at
        self.calls: list[str | None] = []

    async def fetch(self, marker: str | None) -> tuple[Sequence[int], str | None]:
        self.calls.append(marker)
        if self.stuck_at is not None and marker is not None:
            return self.items[:3], self.stuck_at
        start = 0 if marker is None else int(marker)
        page = self.items[start : start + 3]
        following = start + len(page)
        return page, str(following) if following < len(self.items) else ""


async def test_markers_walk_until_the_marker_runs_out() -> None:
    server = MarkerServer(7)
    assert [item async for item in paginate_markers(server.fetch, limit=3)] == list(range(7))
    assert server.calls == [None, "3", "6"]


async def test_markers_full_last_page_ends_on_an_empty_marker() -> None:
    server = MarkerServer(6)
    assert [item async for item in paginate_markers(server.fetch, limit=3)] == list(range(6))
    assert server.calls == [None, "3"]


async def test_markers_that_do_not_move_end_the_walk() -> None:
    server = MarkerServer(9, stuck_at="3")
    assert [item async for item in paginate_markers(server.fetch, limit=3)] == [0, 1, 2, 0, 1, 2]
    assert server.calls == [None, "3"]


async def test_markers_that_never_end_hit_the_page_cap() -> None:
    count = 0

    async def forever(marker: str | None) -> tuple[Sequence[int], str | None]:
        nonlocal count
        count += 1
        return [0, 0], str(count)

    with pytest.raises(PaginationError):
        _ = [item async for item in paginate_markers(forever, limit=2, max_pages=20)]
    assert count == 20
