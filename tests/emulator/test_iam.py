"""IAM client ↔ emulator: every operation, its success shape and its errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_IAM_DOMAIN, DEMO_IAM_PASSWORD, DEMO_IAM_USER, DEMO_REGION
from shared.auth import HuaweiAKSKAuth
from shared.clients.iam import IamClient
from shared.clients.smn import SmnClient
from shared.config import Settings
from shared.errors import AuthError, BadRequestError, NotFoundError
from tests.emulator.conftest import FrozenClock


async def _password_token(iam: IamClient, **scope: str) -> str:
    token = await iam.create_token_by_password(DEMO_IAM_DOMAIN, DEMO_IAM_USER, DEMO_IAM_PASSWORD, **scope)
    return token.value.get_secret_value()


async def test_password_token_project_scoped(iam: IamClient, project_id: str, emulator: Emulator) -> None:
    token = await iam.create_token_by_password(
        DEMO_IAM_DOMAIN, DEMO_IAM_USER, DEMO_IAM_PASSWORD, project_name=DEMO_REGION
    )
    assert token.methods == ["password"]
    assert token.project is not None and token.project.id == project_id
    assert token.user.name == DEMO_IAM_USER and token.user.domain.name == DEMO_IAM_DOMAIN
    assert token.issued_at is not None and token.expires_at - token.issued_at == timedelta(hours=24)
    assert token.value.get_secret_value() not in repr(token)
    assert emulator.credentials is not None
    assert emulator.credentials.token(token.value.get_secret_value()) is not None


async def test_password_token_domain_scoped_by_default(iam: IamClient) -> None:
    token = await iam.create_token_by_password(DEMO_IAM_DOMAIN, DEMO_IAM_USER, DEMO_IAM_PASSWORD)
    assert token.project is None and token.domain is not None and token.domain.name == DEMO_IAM_DOMAIN


def test_token_response_shape_with_catalog(emulator: Emulator) -> None:
    """201, token in X-Subject-Token, body token{...}; the catalog lists the emulator's services."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": DEMO_IAM_USER,
                        "password": DEMO_IAM_PASSWORD,
                        "domain": {"name": DEMO_IAM_DOMAIN},
                    }
                },
            },
            "scope": {"project": {"name": DEMO_REGION}},
        }
    }
    with httpx.Client(transport=emulator.transport()) as client:
        response = client.post("http://127.0.0.1:8600/v3/auth/tokens", json=body)
    assert response.status_code == 201
    assert response.headers["X-Subject-Token"].startswith("MII")
    token = response.json()["token"]
    assert {"methods", "issued_at", "expires_at", "user", "project", "roles", "catalog"} <= set(token)
    assert token["expires_at"].endswith("Z")
    smn = next(entry for entry in token["catalog"] if entry["type"] == "smn")
    assert smn["endpoints"][0]["url"] == "http://127.0.0.1:8600"


@pytest.mark.parametrize(
    ("domain", "user", "password"),
    [
        (DEMO_IAM_DOMAIN, DEMO_IAM_USER, "Xq7-not-it"),
        (DEMO_IAM_DOMAIN, "nobody", DEMO_IAM_PASSWORD),
        ("x", DEMO_IAM_USER, DEMO_IAM_PASSWORD),
    ],
)
async def test_wrong_password_is_401_in_iam_shape(
    iam: IamClient, domain: str, user: str, password: str
) -> None:
    with pytest.raises(AuthError) as info:
        await iam.create_token_by_password(domain, user, password)
    assert info.value.status == 401
    assert info.value.error_code == "401"  # Keystone shape: {"error": {"code": 401, "message", "title"}}
    assert info.value.error_msg == "The username or password is wrong."
    assert password not in str(info.value)


async def test_unknown_project_name_is_404(iam: IamClient) -> None:
    with pytest.raises(NotFoundError):
        await iam.create_token_by_password(
            DEMO_IAM_DOMAIN, DEMO_IAM_USER, DEMO_IAM_PASSWORD, project_name="xx-nowhere-1"
        )


def test_malformed_token_request_is_400(emulator: Emulator) -> None:
    bodies: list[dict[str, Any]] = [
        {},
        {"auth": {"identity": {"methods": []}}},
        {"auth": {"identity": {"methods": ["totp"]}}},
    ]
    with httpx.Client(transport=emulator.transport()) as client:
        for body in bodies:
            response = client.post("https://iam.example.com/v3/auth/tokens", json=body)
            assert response.status_code == 400
            assert response.json()["error"]["title"] == "Bad Request"


async def test_agency_token(iam: IamClient, project_id: str) -> None:
    base = await _password_token(iam)
    token = await iam.create_token_by_agency(base, DEMO_IAM_DOMAIN, "fg_agency", project_id=project_id)
    assert token.methods == ["assume_role"]
    assert token.user.name == f"{DEMO_IAM_DOMAIN}/fg_agency"
    assert token.project is not None and token.project.id == project_id
    with pytest.raises(AuthError):
        await iam.create_token_by_agency("MIIbogus", DEMO_IAM_DOMAIN, "fg_agency")
    with pytest.raises(NotFoundError):
        await iam.create_token_by_agency(base, "unknown-domain", "fg_agency")


async def test_list_projects_with_name_filter(iam: IamClient, project_id: str) -> None:
    projects = await iam.list_projects()
    assert [p.id for p in projects] == [project_id]
    assert await iam.list_projects(name="xx-nowhere-1") == []
    assert await iam.project_id_for(DEMO_REGION) == project_id
    with pytest.raises(LookupError):
        await iam.project_id_for("xx-nowhere-1")


async def test_list_projects_with_token_instead_of_aksk(
    iam: IamClient, emulator_transport: httpx.MockTransport, settings: Settings
) -> None:
    token = await _password_token(iam)
    async with IamClient.from_settings(
        settings.replace(huawei_ak=""), transport=emulator_transport
    ) as anonymous:
        assert len(await anonymous.list_projects(auth_token=token)) == 1
        with pytest.raises(AuthError) as info:
            await anonymous.list_projects()
    assert info.value.error_code == "APIGW.0301"


async def test_temporary_key_by_token_works_for_signing(
    iam: IamClient, settings: Settings, emulator_transport: httpx.MockTransport
) -> None:
    token = await _password_token(iam, project_name=DEMO_REGION)
    credential = await iam.create_temporary_access_key_by_token(token, duration_seconds=3600)
    assert credential.secret.get_secret_value() not in repr(credential)
    temporary = settings.with_credentials(
        huawei_ak=credential.access,
        huawei_sk=credential.secret.get_secret_value(),
        huawei_security_token=credential.securitytoken.get_secret_value(),
    )
    async with SmnClient.from_settings(temporary, transport=emulator_transport) as smn:
        assert (await smn.list_topics()).topic_count == 0
    without_token = settings.with_credentials(
        huawei_ak=credential.access, huawei_sk=credential.secret.get_secret_value()
    )
    async with SmnClient.from_settings(without_token, transport=emulator_transport) as smn:
        with pytest.raises(AuthError):
            await smn.list_topics()


async def test_temporary_key_expires(
    iam: IamClient, settings: Settings, emulator_transport: httpx.MockTransport, clock: FrozenClock
) -> None:
    token = await _password_token(iam)
    credential = await iam.create_temporary_access_key_by_token(token)
    assert credential.expires_at - clock.now == timedelta(seconds=900)
    clock.now += timedelta(seconds=901)
    auth = HuaweiAKSKAuth(
        credential.access,
        credential.secret.get_secret_value(),
        security_token=credential.securitytoken.get_secret_value(),
        clock=clock,
    )
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        response = await client.get(f"https://smn.example.com/v2/{settings.project_id}/notifications/topics")
    assert response.status_code == 401


async def test_temporary_key_by_agency(iam: IamClient) -> None:
    credential = await iam.create_temporary_access_key_by_agency(
        DEMO_IAM_DOMAIN, "fg_agency", session_user="bot"
    )
    assert credential.access.startswith("OPSFNTMP")


@pytest.mark.parametrize("duration", [899, 86401])
async def test_duration_bounds_are_checked_by_client_and_server(
    iam: IamClient, emulator: Emulator, duration: int
) -> None:
    token = await _password_token(iam)
    with pytest.raises(ValueError, match="900-86400"):
        await iam.create_temporary_access_key_by_token(token, duration_seconds=duration)
    body = {
        "auth": {"identity": {"methods": ["token"], "token": {"id": token, "duration_seconds": duration}}}
    }
    with httpx.Client(transport=emulator.transport()) as client:
        response = client.post(
            "https://iam.example.com/v3.0/OS-CREDENTIAL/securitytokens",
            json=body,
            headers={"X-Auth-Token": token},
        )
    assert response.status_code == 400
    assert "duration_seconds" in response.json()["error"]["message"]


async def test_security_token_needs_a_caller_and_a_valid_token(iam: IamClient, emulator: Emulator) -> None:
    with pytest.raises(AuthError):
        await iam.create_temporary_access_key_by_token("MIIbogus")
    body = {"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds": 900}}}}
    with httpx.Client(transport=emulator.transport()) as client:
        response = client.post("https://iam.example.com/v3.0/OS-CREDENTIAL/securitytokens", json=body)
    assert (response.status_code, response.json()["error_code"]) == (401, "APIGW.0301")


async def test_bad_request_error_class_for_unsupported_method(emulator: Emulator, iam: IamClient) -> None:
    token = await _password_token(iam)
    body = {"auth": {"identity": {"methods": ["password"]}}}
    with httpx.Client(transport=emulator.transport()) as client:
        response = client.post(
            "https://iam.example.com/v3.0/OS-CREDENTIAL/securitytokens",
            json=body,
            headers={"X-Auth-Token": token},
        )
    assert response.status_code == 400
    from shared.errors import error_from_response

    assert isinstance(error_from_response(response.status_code, response.content), BadRequestError)


async def test_list_users_of_the_callers_domain_with_filters(iam: IamClient, emulator: Emulator) -> None:
    """GET /v3/users lists only the caller's domain; ``enabled`` and ``name`` filter; other domains stay
    invisible."""
    creds = emulator.credentials
    assert creds is not None
    gone = creds.add_user(DEMO_IAM_DOMAIN, "leaver", "pw-leaver-1", enabled=False)
    creds.add_user("other-domain", "stranger", "pw-stranger-1")
    users = await iam.list_users()
    names = {u.name for u in users}
    assert {DEMO_IAM_USER, "leaver"} <= names and "stranger" not in names
    assert [u.id for u in await iam.list_users(enabled=False)] == [gone.id]
    assert [u.name for u in await iam.list_users(name=DEMO_IAM_USER)] == [DEMO_IAM_USER]
    assert "pw-leaver-1" not in repr(users)


def test_list_users_rejects_a_bad_enabled_filter(emulator: Emulator) -> None:
    with httpx.Client(transport=emulator.transport(), base_url="https://iam.example.com") as client:
        settings = Settings.from_env()
        response = client.get(
            "/v3/users",
            params={"enabled": "maybe"},
            auth=HuaweiAKSKAuth(settings.huawei_ak, settings.huawei_sk),
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400
