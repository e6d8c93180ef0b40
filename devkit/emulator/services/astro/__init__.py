"""Fake Huawei Cloud Astro Zero: OAuth 2.0 client-credentials tokens and custom APIs that record calls.

opsfn posts reports (rotation summaries and the like) to an Astro Zero custom API; this service lets tests
check that a report arrived with a valid token, that an expired token is refreshed once, and that a wrong
client secret is refused the way an OAuth server refuses it. Tokens are Astro Zero's own (not IAM's), so the
framework's request verification is off (``auth="none"``) and the handlers check ``access-token`` themselves.
State is per tenant (the optional ``tenant-id`` header, else ``default``). The demo client is
:data:`DEMO_CLIENT_ID` / :data:`DEMO_CLIENT_SECRET`; tests register others on the backend.
"""

from __future__ import annotations

import httpx

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.astro.routes import ROUTES, TOKEN_PATH
from devkit.emulator.services.astro.state import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    AstroBackend,
    CustomApiCall,
)

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "ROUTES",
    "TOKEN_PATH",
    "AstroBackend",
    "CustomApiCall",
    "make_service",
]


def _tenant(request: httpx.Request, _params: dict[str, str]) -> str:
    return request.headers.get("tenant-id") or "default"


def make_service(emulator: Emulator) -> Service[AstroBackend]:
    """Build the ``astro`` service."""
    return Service("astro", AstroBackend, routes=ROUTES, auth="none", key_fn=_tenant)
