"""Offset/limit pagination: every edge where a naive loop duplicates, drops, or never stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.http import PaginationError, paginate_offset, paginate_tencent

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


both = pytest.mark.parametrize("paginator", [paginate_offset, paginate_tencent])


@both
async def test_empty_listing(paginator: Paginator) -> None:
    server = Server(0)
    assert await collect(paginator, server.fetch, limit=10) == []
    assert server.calls == [(0, 10)]


@both
async def test_exactly_one_full_page_stops_on_total(paginator: Paginator) -> None:
    server = Server(10)
    assert await collect(paginator, server.fetch, limit=10) == list(range(10))
    assert server.calls == [(0, 10)]


@both
async def test_exactly_one_full_page_without_total_needs_one_empty_page(paginator: Paginator) -> None:
    server = Server(10, reported_total=None)
    assert await collect(paginator, server.fetch, limit=10) == list(range(10))
    assert server.calls == [(0, 10), (10, 10)]


@both
async def test_last_partial_page(paginator: Paginator) -> None:
    server = Server(25)
    assert await collect(paginator, server.fetch, limit=10) == list(range(25))
    assert server.calls == [(0, 10), (10, 10), (20, 10)]


@both
async def test_start_beyond_the_end(paginator: Paginator) -> None:
    server = Server(5)
    assert await collect(paginator, server.fetch, limit=10, start=100) == []
    assert server.calls == [(100, 10)]


@both
async def test_total_too_high_still_ends_on_short_page(paginator: Paginator) -> None:
    server = Server(12, reported_total=1000)
    assert await collect(paginator, server.fetch, limit=5) == list(range(12))
    assert len(server.calls) == 3


@both
async def test_total_too_high_with_full_last_page_ends_on_empty_page(paginator: Paginator) -> None:
    server = Server(10, reported_total=1000)
    assert await collect(paginator, server.fetch, limit=5) == list(range(10))
    assert server.calls == [(0, 5), (5, 5), (10, 5)]


@both
async def test_total_too_low_is_trusted_without_losing_the_page_in_hand(paginator: Paginator) -> None:
    server = Server(30, reported_total=7)
    assert await collect(paginator, server.fetch, limit=5) == list(range(10))
    assert server.calls == [(0, 5), (5, 5)]


@both
async def test_server_returning_more_than_limit_advances_by_what_it_sent(paginator: Paginator) -> None:
    server = Server(23, cap=8, reported_total=None)
    assert await collect(paginator, server.fetch, limit=5) == list(range(23))
    # 7 items on the third page is not "short" against limit 5, so one empty page confirms the end.
    assert [offset for offset, _ in server.calls] == [0, 8, 16, 23]


@both
async def test_server_that_never_ends_hits_the_page_cap(paginator: Paginator) -> None:
    calls = 0

    async def forever(offset: int, limit: int) -> tuple[Sequence[int], int | None]:
        nonlocal calls
        calls += 1
        return [0] * limit, None

    with pytest.raises(PaginationError):
        await collect(paginator, forever, limit=3, max_pages=50)
    assert calls == 50


@both
async def test_limit_must_be_positive(paginator: Paginator) -> None:
    with pytest.raises(ValueError):
        await collect(paginator, Server(1).fetch, limit=0)


async def test_stopping_early_fetches_no_further_pages() -> None:
    server = Server(100)
    seen = []
    async for item in paginate_offset(server.fetch, limit=10):
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
    items = await collect(paginate_offset, server.fetch, limit=limit)
    assert len(items) == len(set(items))
    assert items == list(range(len(items)))
    claimed = lie if isinstance(lie, int) else size
    # Everything is returned unless the server under-reported its total; then at least the claim.
    assert len(items) == size or len(items) >= min(claimed, size)
    assert len(server.calls) <= size // limit + 2
