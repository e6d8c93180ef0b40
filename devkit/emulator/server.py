"""Serve the emulator over a real socket, for tools that cannot take an in-process transport.

The official SDKs, ``curl`` and a function running in another process need a URL. The ASGI adapter turns
each request into an ``httpx.Request`` - keeping the original ``Host`` header, because signatures cover it -
and runs the same :meth:`Emulator.handle` the in-process transport uses in a worker thread (handlers are
synchronous and may sleep for injected latency), so both modes answer identically.

Injected transport faults become socket behaviour here: a dropped connection is closed with no response
at all, and a timeout holds the connection open (bounded) until the client gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import quote

import httpx

from devkit.emulator.core import Emulator, json_response
from devkit.emulator.faults import DroppedConnection, SimulatedTimeout

__all__ = ["MAX_BODY_BYTES", "asgi_app", "running_server", "serve"]

MAX_BODY_BYTES = 12 * 1024 * 1024  # Huawei's limit for AK/SK-signed bodies (APIG 1.4)
_CHUNK = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("opsfn.emulator")


class _BodyTooLarge(Exception):
    """The request body passed the size limit while it was being read."""


class _ClientGone(Exception):
    """The client disconnected before its request body was complete."""


def _too_large(limit: int) -> httpx.Response:
    return json_response(
        413,
        {
            "error_code": "APIGW.0201",
            "error_msg": f"Request entity too large: the body exceeds {limit} bytes.",
        },
    )


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        body += message.get("body", b"")
        if len(body) > limit:
            raise _BodyTooLarge
        if not message.get("more_body", False):
            return bytes(body)


def _to_request(scope: Scope, body: bytes) -> httpx.Request:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    host = next((v for k, v in headers if k.lower() == "host"), "")
    if not host:
        server_host, server_port = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server_host}:{server_port}"
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
    url = f"{scope.get('scheme', 'http')}://{host}{path}"
    if scope.get("query_string"):
        url += "?" + scope["query_string"].decode("latin-1")
    # Hand httpx the header bytes as received: a str value outside ASCII (a UTF-8 token, a latin-1 byte)
    # would make httpx raise UnicodeEncodeError here - a 500 - where the cloud answers 401 or 400.
    return httpx.Request(scope["method"], url, headers=list(scope["headers"]), content=body)


def _close_without_response(send: Send) -> bool:
    """Close the client's connection with no response; ``False`` if the server gives no handle on it.

    Uvicorn passes its per-request cycle's bound ``send``; the cycle owns the asyncio transport.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.close()
    return True


async def _drop(send: Send) -> None:
    if _close_without_response(send):
        # Let the event loop run connection_lost() so the server marks the cycle as disconnected and does not
        # try to write its own 500 answer.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    # Fallback for servers without a transport handle: start an answer and abort it mid-way.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
    raise ConnectionAbortedError("emulator dropped the connection (injected fault)")


async def _hold(receive: Receive, seconds: float) -> None:
    """Stall like a hung backend until the client disconnects or ``seconds`` pass."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_wait_disconnect(receive), timeout=seconds)


async def _wait_disconnect(receive: Receive) -> None:
    message = await receive()
    while message["type"] != "http.disconnect":
        message = await receive()


async def _send_response(send: Send, response: httpx.Response) -> None:
    headers = [(k.lower(), v) for k, v in response.headers.raw]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    content = response.content
    for start in range(0, max(len(content), 1), _CHUNK):
        chunk = content[start : start + _CHUNK]
        more = start + _CHUNK < len(content)
        await send({"type": "http.response.body", "body": chunk, "more_body": more})


def asgi_app(emulator: Emulator, *, max_body: int = MAX_BODY_BYTES) -> ASGIApp:
    """An ASGI application answering every request with ``emulator.handle``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            declared = int(dict(scope["headers"]).get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > max_body:
            await _send_response(send, _too_large(max_body))
            return
        try:
            body = await _read_body(receive, max_body)
        except _BodyTooLarge:
            await _send_response(send, _too_large(max_body))
            return
        except _ClientGone:
            return
        request = _to_request(scope, body)
        try:
            response = await asyncio.to_thread(emulator.handle, request)
        except DroppedConnection:
            await _drop(send)
            return
        except SimulatedTimeout as exc:
            await _hold(receive, exc.hold_seconds)
            await _drop(send)
            return
        except Exception:
            log.exception("emulator failed on %s %s", request.method, request.url.path)
            response = json_response(500, {"error_code": "APIG.9999", "error_msg": "System error"})
        await _send_response(send, response)

    return app


def _config(emulator: Emulator, host: str, port: int, *, log_level: str) -> Any:
    import uvicorn

    return uvicorn.Config(
        asgi_app(emulator),
        host=host,
        port=port,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=log_level in ("debug", "trace"),
        timeout_graceful_shutdown=2,
    )


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 8600, *, log_level: str = "info") -> None:
    """Serve until interrupted (``opsfn emulator``)."""
    import uvicorn

    sock = listening_socket(host, port)
    uvicorn.Server(_config(emulator, host, port, log_level=log_level)).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn, with ``TCP_NODELAY`` set.

    Why: uvicorn writes a response's headers and body separately; on a socket handed to it ready-made,
    Nagle's algorithm holds the body back until the client's delayed ACK (~40 ms), so every keep-alive
    request took 44 ms instead of under 1 ms. Accepted connections inherit the option on Linux.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def running_server(
    emulator: Emulator, host: str = "127.0.0.1", *, startup_timeout: float = 10.0
) -> Iterator[str]:
    """Run the emulator on a free loopback port in a background thread; yields ``http://127.0.0.1:PORT``.

    The socket is bound before the thread starts, so there is no race for the port, and the server is
    stopped and joined on exit even when the body of the ``with`` raises.
    """
    import uvicorn

    sock = listening_socket(host, 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(_config(emulator, host, port, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="opsfn-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("emulator server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
