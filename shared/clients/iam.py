"""Typed client for Huawei IAM (``huaweicloudsdkiam`` v3): tokens, projects and temporary AK/SK.

Functions need IAM for three things: a project id from a region name (``GET /v3/projects?name=``), a token
for services that only take ``X-Auth-Token``, and temporary AK/SK + security token - by token or by agency -
so a function can act with narrower, expiring rights (platform.md §7).

Token values, secret keys and security tokens come back as :class:`pydantic.SecretStr`, so they never show in
``repr``, logs or test output. Creating a token or a temporary key has no side effect beyond issuing a
credential, so those POSTs are marked retry-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from shared.auth import iam_agency_token_body, iam_domain_key, iam_password_token_body, iam_project_scope
from shared.clients.base import ServiceClient
from shared.errors import AuthError
from shared.http import request_response

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = [
    "MAX_DURATION_SECONDS",
    "MIN_DURATION_SECONDS",
    "IamClient",
    "Project",
    "TemporaryCredential",
    "Token",
    "TokenDomain",
    "TokenProject",
    "TokenUser",
]

MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 86400


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)


class TokenDomain(_Model):
    id: str
    name: str


class TokenProject(_Model):
    id: str
    name: str
    domain: TokenDomain | None = None


class TokenUser(_Model):
    id: str
    name: str
    domain: TokenDomain


class Token(_Model):
    """An IAM token: the ``X-Subject-Token`` value plus the body's ``token`` object."""

    value: SecretStr
    methods: list[str]
    expires_at: datetime
    issued_at: datetime | None = None
    user: TokenUser
    project: TokenProject | None = None
    domain: TokenDomain | None = None


class Project(_Model):
    id: str
    name: str
    domain_id: str
    enabled: bool = True
    description: str = ""
    parent_id: str | None = None


class User(_Model):
    """One entry of ``GET /v3/users``."""

    id: str
    name: str
    domain_id: str
    enabled: bool = True
    description: str | None = None


class TemporaryCredential(_Model):
    """Temporary AK/SK: sign with ``access``/``secret`` and send ``securitytoken`` as ``X-Security-Token``."""

    access: str
    secret: SecretStr
    securitytoken: SecretStr
    expires_at: datetime


def _check_duration(duration_seconds: int) -> None:
    if not MIN_DURATION_SECONDS <= duration_seconds <= MAX_DURATION_SECONDS:
        raise ValueError(f"duration_seconds must be {MIN_DURATION_SECONDS}-{MAX_DURATION_SECONDS}")


class IamClient(ServiceClient):
    """IAM v3 operations; ``async with IamClient.from_settings(settings) as iam: ...``."""

    service: ClassVar[str] = "iam"

    @classmethod
    def auth_for(cls, settings: Settings) -> httpx.Auth | None:
        """AK/SK when configured; password and token calls carry their credentials themselves."""
        return super().auth_for(settings) if settings.huawei_ak else None

    async def _token_call(self, body: dict[str, Any], headers: Mapping[str, str] | None) -> Token:
        """POST /v3/auth/tokens. The token itself is the ``X-Subject-Token`` response *header*."""
        response = await request_response(
            self.http,
            "POST",
            self._path("/v3/auth/tokens"),
            params={"nocatalog": "true"},
            json=body,
            headers=headers,
            retry_safe=True,
        )
        value = response.headers.get("X-Subject-Token")
        if not value:
            raise AuthError("IAM answered without an X-Subject-Token header", service=self.service)
        return Token.model_validate({**response.json()["token"], "value": value})

    async def create_token_by_password(
        self,
        domain_name: str,
        username: str,
        password: str,
        *,
        project_id: str | None = None,
        project_name: str | None = None,
    ) -> Token:
        """A user token, project-scoped when a project is given, else domain-scoped (valid 24 h)."""
        scope = iam_project_scope(project_id, project_name)
        return await self._token_call(iam_password_token_body(domain_name, username, password, scope), None)

    async def create_token_by_agency(
        self,
        base_token: str,
        domain: str,
        agency_name: str,
        *,
        project_id: str | None = None,
        project_name: str | None = None,
    ) -> Token:
        """An agency (``assume_role``) token, obtained with the caller's own token."""
        body = iam_agency_token_body(domain, agency_name, iam_project_scope(project_id, project_name))
        return await self._token_call(body, {"X-Auth-Token": base_token})

    async def list_projects(self, *, name: str | None = None, auth_token: str | None = None) -> list[Project]:
        """The caller's projects; ``name`` is a region such as ``cn-north-4``."""
        headers = {"X-Auth-Token": auth_token} if auth_token else None
        data = await self._request("GET", "/v3/projects", params={"name": name or None}, headers=headers)
        return [Project.model_validate(p) for p in data.get("projects", [])]

    async def list_users(self, *, enabled: bool | None = None, name: str | None = None) -> list[User]:
        """The users of the caller's account (IAM answers the whole list; it has no paging)."""
        flag = None if enabled is None else ("true" if enabled else "false")
        data = await self._request("GET", "/v3/users", params={"enabled": flag, "name": name or None})
        return [User.model_validate(u) for u in data.get("users", [])]

    async def project_id_for(self, region: str) -> str:
        """The id of the project named after ``region``; :class:`LookupError` when there is none."""
        projects = await self.list_projects(name=region)
        if not projects:
            raise LookupError(f"no IAM project named {region!r}")
        return projects[0].id

    async def create_temporary_access_key_by_token(
        self, token: str, *, duration_seconds: int = MIN_DURATION_SECONDS
    ) -> TemporaryCredential:
        """Temporary AK/SK with the rights of ``token``'s user."""
        _check_duration(duration_seconds)
        identity = {"methods": ["token"], "token": {"id": token, "duration_seconds": duration_seconds}}
        return await self._security_token({"auth": {"identity": identity}}, {"X-Auth-Token": token})

    async def create_temporary_access_key_by_agency(
        self,
        domain: str,
        agency_name: str,
        *,
        duration_seconds: int = MIN_DURATION_SECONDS,
        session_user: str | None = None,
        auth_token: str | None = None,
    ) -> TemporaryCredential:
        """Temporary AK/SK acting as an agency; the caller authenticates with AK/SK or ``auth_token``."""
        _check_duration(duration_seconds)
        assume: dict[str, Any] = {
            iam_domain_key(domain): domain,
            "agency_name": agency_name,
            "duration_seconds": duration_seconds,
        }
        if session_user:
            assume["session_user"] = {"name": session_user}
        identity = {"methods": ["assume_role"], "assume_role": assume}
        headers = {"X-Auth-Token": auth_token} if auth_token else None
        return await self._security_token({"auth": {"identity": identity}}, headers)

    async def _security_token(
        self, body: dict[str, Any], headers: Mapping[str, str] | None
    ) -> TemporaryCredential:
        data = await self._request(
            "POST", "/v3.0/OS-CREDENTIAL/securitytokens", json=body, headers=headers, retry_safe=True
        )
        return TemporaryCredential.model_validate(data["credential"])
