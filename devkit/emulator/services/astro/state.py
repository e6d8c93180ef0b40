"""Astro Zero state for one tenant: registered OAuth clients, issued tokens, and calls to custom APIs.

Tokens are opaque random strings with an expiry on the backend's clock, so a test can expire them early
(:meth:`AstroBackend.expire_tokens`) and watch a client refresh. Every call to a custom API path is kept in
:attr:`AstroBackend.calls` (method, path, JSON body, the answer's status) for tests to read; the token
itself is never recorded.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "AstroBackend", "CustomApiCall"]

DEMO_CLIENT_ID = "opsfn-demo-client"
DEMO_CLIENT_SECRET = "OpsfnDemoAstroClientSecret000000"  # noqa: S105 - the emulator's documented demo value
DEFAULT_TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class CustomApiCall:
    """One request to a custom API: what arrived and how it was answered (401 for a bad token)."""

    method: str
    path: str
    body: Any
    status: int
    tenant_id: str = ""


@dataclass
class AstroBackend:
    key: str
    clock: Callable[[], float] = time.time
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    clients: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (client id, expires at)
    token_requests: int = 0
    calls: list[CustomApiCall] = field(default_factory=list)

    def register_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def client_matches(self, client_id: str, client_secret: str) -> bool:
        known = self.clients.get(client_id)
        return known is not None and hmac.compare_digest(known.encode(), client_secret.encode())

    def issue_token(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (client_id, self.clock() + self.token_lifetime)
        return token

    def token_valid(self, token: str) -> bool:
        entry = self.tokens.get(token)
        return entry is not None and self.clock() < entry[1]

    def expire_tokens(self) -> None:
        """Make every issued token expired now (the server's view; clients still hold them)."""
        now = self.clock()
        self.tokens = {t: (client, now) for t, (client, _) in self.tokens.items()}

    def record(self, call: CustomApiCall) -> None:
        self.calls.append(call)

    def calls_to(self, path: str) -> list[CustomApiCall]:
        return [c for c in self.calls if c.path == path]
