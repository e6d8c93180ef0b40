"""Typed client for Huawei Cloud Astro Zero custom APIs, authenticated with OAuth 2.0 client credentials.

Seed 003 ("Making an API Request"): a third-party system gets an access token from
``POST /baas/auth/v1.0/oauth2/token`` (form-encoded ``grant_type=client_credentials``, ``client_id``,
``client_secret``) and sends it in the ``access-token`` header of every later call (``tenant-id`` optional).
:class:`shared.auth.OAuth2ClientCredentialsAuth` does the exchange, caches the token until shortly before it
expires and refreshes it once when a call answers 401.

The token is fetched explicitly before the first call so that a refused client (a wrong id or secret) is
reported as a configuration problem naming the variables to fix - not as a failed report - and the client
secret itself appears nowhere: not in errors, logs or ``repr`` (it is registered for log masking).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from shared.clients.base import ServiceClient, path_segment
from shared.config import SettingError
from shared.errors import CloudError

if TYPE_CHECKING:
    import httpx

    from shared.auth import OAuth2ClientCredentialsAuth
    from shared.config import Settings

__all__ = ["TOKEN_PATH", "AstroClient", "AstroConfigurationError", "custom_api_path"]

TOKEN_PATH = "/baas/auth/v1.0/oauth2/token"  # noqa: S105 - a path, not a password
_CREDENTIALS = "OPSFN_ASTRO_CLIENT_ID / OPSFN_ASTRO_CLIENT_SECRET (or OPSFN_ASTRO_CREDENTIALS_SECRET)"


class AstroConfigurationError(SettingError):
    """Astro Zero refused the configured client credentials, or they are missing or unusable."""


def custom_api_path(path: str) -> str:
    """A configured custom API path (``/service/ns__app/1.0.0/reports``), every segment checked and quoted.

    The path comes from configuration, so it gets the same treatment as ids in other clients: no query,
    fragment or dot segment can sneak in and address something else.
    """
    if not path.startswith("/") or path == "/":
        raise AstroConfigurationError("OPSFN_ASTRO_REPORT_PATH must be an absolute path such as /service/...")
    segments = path.strip("/").split("/")
    try:
        return "/" + "/".join(path_segment("OPSFN_ASTRO_REPORT_PATH", s) for s in segments)
    except ValueError as exc:
        raise AstroConfigurationError(str(exc)) from None


class AstroClient(ServiceClient):
    """Calls to Astro Zero custom APIs; ``async with AstroClient.connect(settings, id, secret) as astro``."""

    service: ClassVar[str] = "astro"

    def __init__(self, http: httpx.AsyncClient, auth: OAuth2ClientCredentialsAuth) -> None:
        super().__init__(http)
        self.auth = auth

    @classmethod
    def connect(
        cls,
        settings: Settings,
        client_id: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AstroClient:
        """A client for the Astro Zero endpoint (``OPSFN_ENDPOINT_ASTRO``) and these credentials."""
        from shared.auth import OAuth2ClientCredentialsAuth
        from shared.http import get_default_transport, make_client
        from shared.log import register_secret

        if not client_id or not client_secret:
            raise AstroConfigurationError(f"Astro Zero client credentials are incomplete: set {_CREDENTIALS}")
        register_secret(client_secret)
        base = settings.endpoint(cls.service)
        chosen = transport if transport is not None else get_default_transport()
        auth = OAuth2ClientCredentialsAuth(
            base + TOKEN_PATH,
            client_id,
            client_secret,
            tenant_id=settings.astro_tenant_id or None,
            transport=chosen,
        )
        http = make_client(base, auth, service=cls.service, transport=chosen)
        return cls(http, auth)

    async def ensure_token(self) -> None:
        """Fetch (or reuse) the access token; a refused client is :class:`AstroConfigurationError`."""
        try:
            await self.auth.async_token()
        except CloudError as exc:
            if exc.status in (400, 401, 403):
                raise AstroConfigurationError(
                    f"Astro Zero refused the client credentials ({exc.error_code or exc.status}): "
                    f"check {_CREDENTIALS}"
                ) from None
            raise

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """Call a custom API at ``path`` with a JSON body; answers Astro Zero's JSON (``resCode``...)."""
        from shared.http import request_json

        await self.ensure_token()
        url = custom_api_path(path)
        if body is None:
            return await request_json(self.http, method, url)
        return await request_json(self.http, method, url, json=body)
