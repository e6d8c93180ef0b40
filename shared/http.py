"""One factory for every outbound HTTP client: pooling, timeouts, retries, error mapping, pagination.

Why a client subclass rather than a retrying transport: a retry must be *re-signed*. Huawei AK/SK and
Tencent TC3 signatures carry a timestamp, and auth flows run before the transport sees the request, so a
transport-level retry would replay a stale signature. :class:`OpsfnAsyncClient` retries around
``httpx.AsyncClient.send``; every attempt runs the auth flow again, which stamps a fresh date and signature.
Because the retry lives in ``send``, ``client.get(...)``, ``client.request(...)`` and :func:`request_json`
all get it.

Throttling does not always look like throttling: Huawei APIG answers ``APIG.9008`` with HTTP 500 and Tencent
answers ``RequestLimitExceeded*`` with HTTP 200, so the retry decision reads the error code in the body (only
for non-streamed responses, whose body httpx has read already).

Tests and ``opsfn invoke`` plug the emulator in with :func:`use_transport`, without touching call sites.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json as jsonlib
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

import httpx

from shared.errors import (
    CloudConnectionError,
    OpsfnError,
    error_from_response,
    parse_error_body,
    parse_retry_after,
)

if TYPE_CHECKING:
    from typing import TypedDict

    from typing_extensions import Unpack

    # Only for type checking (``**options: Unpack[RequestOptions]``): no class is built at import time.
    class RequestOptions(TypedDict, total=False):
        """What a call may add to method and URL; shared by every request helper and client method."""

        params: Mapping[str, Any] | None
        json: Any
        content: bytes | str | None
        headers: Mapping[str, str] | None
        retry_safe: bool | None
        """``True`` lets a POST be retried (its repetition cannot duplicate work); ``False`` never retries."""


__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "RETRY_SAFE_EXTENSION",
    "USER_AGENT",
    "VERSION",
    "OpsfnAsyncClient",
    "PaginationError",
    "RetryPolicy",
    "bounded_gather",
    "get_default_transport",
    "make_client",
    "paginate",
    "paginate_markers",
    "request_json",
    "request_response",
    "set_default_transport",
    "use_transport",
]

T = TypeVar("T")

RETRY_SAFE_EXTENSION = "opsfn_retry_safe"
"""Request extension that overrides the method-based retry decision (True: retry a POST; False: never)."""

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""Connect fast-fail (a dead endpoint should not eat the function's budget), generous read for slow APIs."""

DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0)
"""Enough parallelism for bounded bulk work in one function instance, without hammering an endpoint."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)
"""Transport failures worth another try; a bad URL scheme or a local protocol misuse will not heal."""
THROTTLE_CODES = frozenset({"APIG.9008", "APIGW.0308"})
TENCENT_THROTTLE_PREFIX = "RequestLimitExceeded"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts the first try. The n-th retry waits a uniformly random time in
    ``[0, min(max_delay, base_delay * 2**(n-1))]`` ("full jitter"), so a fleet of functions throttled at the
    same moment spreads out instead of retrying in lockstep. A ``Retry-After`` from the server replaces the
    jittered delay, capped at ``max_delay`` so one response cannot stall a function until its timeout.
    ``sleep`` and ``jitter`` are injectable so tests run instantly and deterministically.
    """

    max_attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 20.0
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Delay before retry number ``retry_number`` (1-based), without a server hint."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling * self.jitter()

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """The wait before a retry: the server's ``Retry-After`` (capped) wins over backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return self.backoff(retry_number)


# ----------------------------------------------------------------------------------------------------
# Process-wide transport override


_default_transport: httpx.AsyncBaseTransport | None = None


def set_default_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    """Route every client made later with ``transport=None`` through ``transport`` (None: the network)."""
    global _default_transport
    _default_transport = transport


def get_default_transport() -> httpx.AsyncBaseTransport | None:
    """The override installed by :func:`set_default_transport` / :func:`use_transport`, if any."""
    return _default_transport


@contextlib.contextmanager
def use_transport(transport: httpx.AsyncBaseTransport) -> Iterator[httpx.AsyncBaseTransport]:
    """Temporarily route new clients through ``transport`` (e.g. the emulator's ``httpx.MockTransport``).

    Process-wide on purpose (not a context variable): the local server runs handlers in other tasks and
    threads, which must all see the emulator. Nesting restores the previous override on exit.
    """
    previous = _default_transport
    set_default_transport(transport)
    try:
        yield transport
    finally:
        set_default_transport(previous)


# ----------------------------------------------------------------------------------------------------
# The client


VERSION = "0.1.0"
"""opsfn's version for the User-Agent; a test keeps it equal to pyproject.toml's.

A constant because looking it up in package metadata costs ~35 ms of cold start, and a function zip does
not carry the distribution metadata anyway.
"""

USER_AGENT = f"opsfn/{VERSION}"


class OpsfnAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose ``send`` retries per a :class:`RetryPolicy`, re-signing every attempt."""

    def __init__(self, *, service: str, retry: RetryPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.retry = retry

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        policy = self.retry
        may_retry = _may_retry(request) and _replayable(request)
        # Snapshot before the auth flow stamps date/signature headers, so each retry is signed afresh
        # whatever the auth class does with headers it finds already set.
        unsigned_headers = request.headers.copy()
        attempt = 1
        while True:
            if attempt > 1:
                request = httpx.Request(
                    request.method,
                    request.url,
                    headers=unsigned_headers,
                    content=request.content,
                    extensions=dict(request.extensions),
                )
            try:
                response = await super().send(
                    request, stream=stream, auth=auth, follow_redirects=follow_redirects
                )
            except TRANSIENT_ERRORS:
                if not may_retry or attempt >= policy.max_attempts:
                    raise
                await policy.sleep(policy.delay(attempt, None))
                attempt += 1
                continue
            if not may_retry or attempt >= policy.max_attempts or not _should_retry(response, stream):
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            await response.aclose()
            await policy.sleep(policy.delay(attempt, retry_after))
            attempt += 1


def _may_retry(request: httpx.Request) -> bool:
    marked = request.extensions.get(RETRY_SAFE_EXTENSION)
    if marked is not None:
        return bool(marked)
    return request.method.upper() in IDEMPOTENT_METHODS


def _replayable(request: httpx.Request) -> bool:
    """A streamed (generator) body cannot be sent twice; bytes and JSON bodies are buffered by httpx."""
    try:
        request.content  # noqa: B018 - raises when the body is an unread stream
    except httpx.RequestNotRead:
        return False
    return True


def _should_retry(response: httpx.Response, stream: bool) -> bool:
    status = response.status_code
    if status in RETRY_STATUSES:
        return True
    if stream or not (status == 200 or status >= 500):
        return False
    content = response.content
    if status == 200:
        # Cheap byte test first: a successful Tencent body is never parsed twice.
        if TENCENT_THROTTLE_PREFIX.encode() not in content:
            return False
        parsed = parse_error_body(content)
        return parsed is not None and parsed[0].startswith(TENCENT_THROTTLE_PREFIX)
    parsed = parse_error_body(content)
    return parsed is not None and parsed[0] in THROTTLE_CODES


def make_client(
    base_url: str,
    auth: httpx.Auth | None,
    *,
    service: str,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    retry: RetryPolicy = RetryPolicy(),
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> OpsfnAsyncClient:
    """Build the pooled, retrying async client for one service endpoint.

    ``transport=None`` uses the process-wide override (:func:`use_transport`) when one is installed, else the
    network. ``service`` names the cloud service in errors and logs.
    """
    merged = {"User-Agent": USER_AGENT}
    if headers:
        merged.update(headers)
    chosen = transport if transport is not None else _default_transport
    return OpsfnAsyncClient(
        service=service,
        retry=retry,
        base_url=base_url,
        auth=auth,
        timeout=timeout,
        limits=DEFAULT_LIMITS,
        headers=merged,
        transport=chosen,
        verify=_tls_for(base_url, chosen),
        follow_redirects=False,
    )


def _tls_for(base_url: str, transport: httpx.AsyncBaseTransport | None) -> ssl.SSLContext | bool:
    """The TLS context a client needs: the shared trust store only for an https endpoint on the network.

    A given transport (the emulator's) ignores the context. A plain-http endpoint (the emulator on a port)
    never does a TLS handshake - the client follows no redirects - so it gets a context that verifies but
    trusts nothing: loading the CA bundle is skipped and, should https ever be reached, it fails closed.
    """
    if transport is not None:
        return True
    if httpx.URL(base_url).scheme == "http":
        return _untrusting_context()
    return shared_ssl_context()


@functools.lru_cache(maxsize=1)
def _untrusting_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and hostname checks, no CA loaded
    return context


@functools.lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every client of the process.

    Building a context loads the whole CA bundle (tens of milliseconds); httpx would do it again for each
    client, and a function typically builds two or three clients on its first invocation (cold start).
    The context honours ``SSL_CERT_FILE``/``SSL_CERT_DIR`` like httpx's own default.
    """
    return httpx.create_ssl_context()


# ----------------------------------------------------------------------------------------------------
# Requests with typed errors


async def request_response(
    client: httpx.AsyncClient, method: str, url: str, **options: Unpack[RequestOptions]
) -> httpx.Response:
    """Like :func:`request_json` but return the successful ``httpx.Response`` itself.

    For the few APIs whose answer lives in response headers (IAM returns the token in ``X-Subject-Token``).
    """
    service = str(getattr(client, "service", ""))
    request = client.build_request(
        method,
        url,
        params=cast(Any, options.get("params")),
        json=options.get("json"),
        content=options.get("content"),
        headers=options.get("headers"),
    )
    retry_safe = options.get("retry_safe")
    if retry_safe is not None:
        request.extensions[RETRY_SAFE_EXTENSION] = retry_safe
    try:
        response = await client.send(request)
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        # The URL's query may carry a v1 signature, so only the path is named.
        raise CloudConnectionError(
            f"{request.method} {request.url.path}: {type(exc).__name__}", service=service
        ) from exc
    error = error_from_response(response.status_code, response.content, response.headers, service=service)
    if error is not None:
        raise error
    return response


async def request_json(
    client: httpx.AsyncClient, method: str, url: str, **options: Unpack[RequestOptions]
) -> Any:
    """Send one request and return its parsed JSON body (``None`` for an empty body).

    Raises the typed :class:`~shared.errors.CloudError` for error answers, including Tencent's HTTP 200 with
    ``Response.Error``, and :class:`~shared.errors.CloudConnectionError` when no answer arrived after the
    retries. A 2xx body that is not JSON comes back as text. ``retry_safe=True`` lets a POST be retried
    (only for calls whose repetition cannot duplicate work, e.g. carrying an idempotency token).
    """
    response = await request_response(client, method, url, **options)
    body = response.content
    if not body:
        return None
    try:
        return jsonlib.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested beyond what the parser can hold
        return response.text


# ----------------------------------------------------------------------------------------------------
# Pagination


class PaginationError(OpsfnError):
    """A paginated listing did not end within the page cap (a server that keeps returning full pages)."""


C = TypeVar("C")

OffsetPage = Callable[[int, int], Awaitable[tuple[Sequence[T], int | None]]]
"""``fetch_page(offset, limit) -> (items, total)``; ``total`` is ``None`` when the API does not count."""
MarkerPage = Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]]
"""``fetch_page(marker) -> (items, next_marker)``; the first call gets ``None``, an empty marker ends."""


async def _walk(
    fetch: Callable[[C], Awaitable[tuple[Sequence[T], C | None]]], cursor: C, limit: int, max_pages: int
) -> AsyncIterator[T]:
    """The one pagination loop: fetch at ``cursor``, yield, move to the cursor the page names.

    Ends on a short or empty page, on no next cursor, or on a cursor that does not move (a server repeating
    its last marker); a listing still going after ``max_pages`` raises :class:`PaginationError` rather
    than looping for ever.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    for _ in range(max_pages):
        items, following = await fetch(cursor)
        for item in items:
            yield item
        if len(items) < limit or following is None or following == cursor:
            return
        cursor = following
    raise PaginationError(f"listing did not end after {max_pages} pages of {limit}")


def paginate(
    fetch_page: OffsetPage[T], *, limit: int, start: int = 0, max_pages: int = 10_000
) -> AsyncIterator[T]:
    """Iterate an ``offset``/``limit`` listing (Huawei ``offset``/``limit``, Tencent ``Offset``/``Limit``).

    The offset advances by the items actually received. Stops on an empty page, a short page, or once
    ``total`` items have been seen. A server whose ``total`` is too high still ends on its short page; one
    whose pages never shrink ends at ``max_pages`` with :class:`PaginationError` instead of looping.
    """

    async def step(offset: int) -> tuple[Sequence[T], int | None]:
        items, total = await fetch_page(offset, limit)
        following = offset + len(items)
        return items, None if total is not None and following >= total else following

    return _walk(step, start, limit, max_pages)


def paginate_markers(fetch_page: MarkerPage[T], *, limit: int, max_pages: int = 10_000) -> AsyncIterator[T]:
    """Iterate a ``marker`` listing (CSMS ``page_info.next_marker``) with the same stopping rules."""

    async def step(marker: str | None) -> tuple[Sequence[T], str | None]:
        items, following = await fetch_page(marker)
        return items, following or None

    return _walk(step, None, limit, max_pages)


# ----------------------------------------------------------------------------------------------------
# Bounded concurrency


@overload
async def bounded_gather(
    aws: Iterable[Awaitable[T]], limit: int, *, return_exceptions: Literal[False] = False
) -> list[T]: ...


@overload
async def bounded_gather(
    aws: Iterable[Awaitable[T]], limit: int, *, return_exceptions: Literal[True]
) -> list[T | Exception]: ...


async def bounded_gather(
    aws: Iterable[Awaitable[T]], limit: int, *, return_exceptions: bool = False
) -> list[T] | list[T | Exception]:
    """Await ``aws`` with at most ``limit`` running at once; results come back in input order.

    Uses ``limit`` workers pulling from one queue rather than one task per item, so a 10 000-item bulk job
    does not create 10 000 tasks. Pass coroutines (not already-running tasks) for the bound to mean
    anything. Without ``return_exceptions`` the first failure cancels the rest and is raised; with it, each
    failed slot holds its exception.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pending = list(aws)
    results: list[Any] = [None] * len(pending)
    queue = iter(enumerate(pending))

    async def worker() -> None:
        for index, awaitable in queue:
            try:
                results[index] = await awaitable
            except Exception as exc:
                if not return_exceptions:
                    raise
                results[index] = exc

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(pending)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for _, awaitable in queue:
            close = getattr(awaitable, "close", None)
            if callable(close):
                close()  # never started: silence "coroutine was never awaited"
        raise
    return results
