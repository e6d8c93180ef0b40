"""Where the desired-state document comes from: inline, a file in the function package, or a URL.

The function runs inside a VPC, where an arbitrary URL would reach internal services, so a URL is fetched
only when it is ``https``, its host is on the configured allow-list, every redirect stays on the same host,
and the document fits the size and time limits. Anything else is refused with a 4xx :class:`SourceError`
before (or instead of) a request to the other host.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["MAX_DOCUMENT_BYTES", "SourceError", "fetch_url", "load_document"]

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
FETCH_SECONDS = 10.0
_MAX_REDIRECTS = 3


class SourceError(ValueError):
    """The document cannot be taken from where the request says; ``status`` is the 4xx to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _parse(data: bytes, where: str) -> dict[str, Any]:
    """JSON only: the runtime may import no YAML parser, and a home-made one would misread real documents.

    Anything that is not JSON (YAML included) is 415 Unsupported Media Type, saying how to fix it.
    """
    try:
        document = json.loads(data)
    except ValueError:
        raise SourceError(
            415, f"{where}: not a JSON document (YAML is not accepted): convert to JSON, e.g. yq -o=json"
        ) from None
    if not isinstance(document, dict):
        raise SourceError(422, f"{where}: the document must be an object")
    return document


def load_path(path: str, root: Path) -> dict[str, Any]:
    """A document inside the function package; ``..`` and absolute paths outside it are refused."""
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise SourceError(400, "document.path: must stay inside the function package")
    try:
        data = target.read_bytes()
    except OSError:
        raise SourceError(422, f"document.path: {path} cannot be read") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SourceError(413, f"document.path: larger than {MAX_DOCUMENT_BYTES} bytes")
    return _parse(data, "document.path")


def check_url(url: str, allowed: frozenset[str]) -> str:
    """The URL's host when it may be fetched, else a 400 saying why."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        raise SourceError(400, "document.url: only https URLs are fetched")
    if not host or host not in allowed:
        raise SourceError(400, f"document.url: host {host or '(none)'} is not on the allow-list")
    if parts.username or parts.password:
        raise SourceError(400, "document.url: credentials in the URL are not accepted")
    return host


async def fetch_url(
    url: str, allowed: frozenset[str], *, max_bytes: int = MAX_DOCUMENT_BYTES, seconds: float | None = None
) -> dict[str, Any]:
    """Fetch and parse the document; redirects are followed only on the same allowed host."""
    host = check_url(url, allowed)
    seconds = FETCH_SECONDS if seconds is None else seconds
    try:
        data = await asyncio.wait_for(_download(url, host, allowed, max_bytes), timeout=seconds)
    except TimeoutError:
        raise SourceError(408, f"document.url: not fetched within {seconds:g} s") from None
    return _parse(data, "document.url")


async def _download(url: str, host: str, allowed: frozenset[str], max_bytes: int) -> bytes:
    import httpx

    from shared.http import make_client

    async with make_client("https://" + host, None, service="document") as http:
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                async with http.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        if (urlsplit(url).hostname or "").lower() != host:
                            raise SourceError(400, "document.url: redirect to another host refused")
                        check_url(url, allowed)
                        continue
                    if response.status_code != 200:
                        raise SourceError(422, f"document.url: the host answered {response.status_code}")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise SourceError(413, f"document.url: larger than {max_bytes} bytes")
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise SourceError(413, f"document.url: larger than {max_bytes} bytes")
                        chunks.append(chunk)
                    return b"".join(chunks)
            except httpx.HTTPError as exc:
                raise SourceError(422, f"document.url: fetch failed ({type(exc).__name__})") from None
    raise SourceError(400, "document.url: too many redirects")


async def load_document(source: Any, root: Path, allowed: frozenset[str]) -> dict[str, Any]:
    """The document named by a validated ``DocumentSource``."""
    if source.inline is not None:
        return dict(source.inline)
    if source.path is not None:
        return load_path(source.path, root)
    return await fetch_url(str(source.url), allowed)
