"""IAM's state: the emulator's credential store, read and written through one directory object.

IAM keeps nothing per project. Users, projects, tokens and keys live in ``emulator.credentials`` because
request verification must accept what IAM issues; the directory resolves names against that store.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

import httpx

from devkit.emulator.credentials import EmulatorCredentials, IamToken, IamUser, hex_id
from devkit.emulator.verification import credentials_of, verify_huawei

if TYPE_CHECKING:
    from devkit.emulator.core import Emulator, Service

__all__ = ["IamDirectory"]


class IamDirectory:
    """Who may log in, which tokens are live, which principal an agency or a signed request stands for."""

    def __init__(self, emulator: Emulator, service: Service[Any]) -> None:
        self.emulator = emulator
        self.service = service

    @property
    def creds(self) -> EmulatorCredentials:
        return credentials_of(self.emulator)

    def service_names(self) -> list[str]:
        """Every emulated service, for the token's catalog."""
        return [svc.name for svc in self.emulator.services]

    def verify(self, request: httpx.Request) -> None:
        """Check the caller's AK/SK signature or token, as the operations other than login require."""
        verify_huawei(self.emulator, self.service, request)

    def login(self, domain: str, name: str, password: str, *, by_id: bool) -> IamUser | None:
        """The user whose password matches; ``None`` for an unknown user and a wrong password alike."""
        found = self.creds.user(domain, name, by_id=by_id)
        if found is None or not hmac.compare_digest(found.password.encode(), password.encode()):
            return None
        return found

    def live_token(self, value: str) -> IamToken | None:
        """The token issued under ``value`` while it has not expired."""
        token = self.creds.token(value) if value else None
        if token is None or self.creds.expired(token.expires_at):
            return None
        return token

    def agency_principal(
        self, agency: str, caller: IamUser, *, domain_id: str | None, domain_name: str | None
    ) -> IamUser | None:
        """The principal an agency stands for: ``domain/agency`` in the agency's (known) domain."""
        users = self.creds.users()
        if domain_id:
            match = [u for u in users if u.domain_id == domain_id]
        else:
            match = [u for u in users if u.domain_name == domain_name]
        if not match:
            return None
        domain_name, domain_id = match[0].domain_name, match[0].domain_id
        return IamUser(
            domain_name=domain_name,
            domain_id=domain_id,
            name=f"{domain_name}/{agency}",
            id=hex_id("agency", domain_id, agency, caller.id),
            password="",
        )

    def caller(self, request: httpx.Request) -> IamUser | None:
        """The already-verified caller: the token's user, or the owner of the AK."""
        value = request.headers.get("x-auth-token", "")
        if value:
            token = self.creds.token(value)
            if token is not None:
                return token.user
        from shared.auth import parse_huawei_authorization

        access = parse_huawei_authorization(request.headers.get("authorization", "")).access
        key = self.creds.huawei_key(access)
        return key.user if key is not None else None
