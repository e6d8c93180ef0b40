"""Retries honour ``Retry-After``, never replay a plain POST, never hang.

``test_retry.py`` covers the policy with scripted transports. This file adds what those cannot show: a
real socket that accepts and then never answers (the call must end, typed, within its timeout and the
retry budget), and server-controlled ``Retry-After`` values that a naive parser crashes on (``"²"`` passes
``str.isdigit`` and then fails ``float``; a zone-less HTTP date raises ``TypeError`` while mapping a 429
to :class:`ThrottledError`).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from shared.errors import CloudConnectionError, ThrottledError, error_from_response, parse_retry_after
from shared.http import RetryPolicy, make_client, request_json


class Silent:
    """A loopback TCP server that accepts connections, reads, and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.read(65536)
            await asyncio.sleep(30)
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


async def _no_sleep(_: float) -> None:
    """Back-off is covered elsewhere; here only the read timeouts take time."""


@pytest.mark.parametrize(("method", "attempts"), [("GET", 3), ("POST", 1)])
async def test_a_server_that_never_answers_ends_in_a_typed_error(method: str, attempts: int) -> None:
    """GET: every attempt times out, then :class:`CloudConnectionError`; POST: exactly one attempt (a POST
    that may have reached the server is never replayed). Both finish within attempts × timeout + slack."""
    silent = Silent()
    async with silent as base_url:
        client = make_client(
            base_url, None, service="probe", timeout=0.3, retry=RetryPolicy(max_attempts=3, sleep=_no_sleep)
        )
        async with client:
            started = time.monotonic()
            with pytest.raises(CloudConnectionError) as err:
                await request_json(client, method, "/v1/anything", json={"a": 1})
            elapsed = time.monotonic() - started
    assert silent.connections == attempts
    assert elapsed < attempts * 0.3 + 2.0
    assert "ReadTimeout" in str(err.value)


@pytest.mark.parametrize("value", ["²", "٣x", "Mon, 01 Jan 2024 00:00:00 -0000", "1e999", "nan", "soon"])
async def test_unusable_retry_after_falls_back_to_backoff(value: str) -> None:
    """A nonsensical header must neither crash the retry loop nor stall it: the jittered back-off applies."""
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    answers = iter(
        [httpx.Response(429, headers=[(b"Retry-After", value.encode())]), httpx.Response(200, json={"ok": 1})]
    )
    transport = httpx.MockTransport(lambda _: next(answers))
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, sleep=record, jitter=lambda: 1.0)
    async with make_client("https://x", None, service="probe", retry=policy, transport=transport) as client:
        assert await request_json(client, "GET", "/x") == {"ok": 1}
    assert sleeps == [0.5]


async def test_retry_after_is_honoured_and_capped_then_throttled_error() -> None:
    """``Retry-After: 3`` replaces back-off exactly; ``Retry-After: 3600`` is capped at ``max_delay``; when
    attempts run out the caller gets :class:`ThrottledError` carrying the server's hint."""
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    hints = iter(["3", "3600", "7"])
    transport = httpx.MockTransport(lambda _: httpx.Response(429, headers={"Retry-After": next(hints)}))
    policy = RetryPolicy(max_attempts=3, max_delay=10.0, sleep=record)
    async with make_client("https://x", None, service="probe", retry=policy, transport=transport) as client:
        with pytest.raises(ThrottledError) as err:
            await request_json(client, "GET", "/x")
    assert sleeps == [3.0, 10.0]
    assert err.value.retry_after == 7.0


def test_error_mapping_survives_hostile_headers_and_bodies() -> None:
    naive_date = error_from_response(429, b"{}", {"retry-after": "Mon, 01 Jan 2024 00:00:00 -0000"})
    assert isinstance(naive_date, ThrottledError) and naive_date.retry_after is None
    nested = error_from_response(503, b"[" * 100_000, {})
    assert nested is not None and nested.status == 503
    assert parse_retry_after("²") is None


async def test_absurdly_nested_success_body_comes_back_as_text() -> None:
    body = "[" * 100_000
    transport = httpx.MockTransport(lambda _: httpx.Response(200, text=body))
    async with make_client("https://x", None, service="probe", transport=transport) as client:
        assert await request_json(client, "GET", "/x") == body
