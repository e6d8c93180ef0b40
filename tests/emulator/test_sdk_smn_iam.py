"""The official ``huaweicloudsdksmn`` and ``huaweicloudsdkiam`` clients against the emulator over a socket.

Clients are built the usual way - credentials without a project id (SMN) or domain id (IAM) and a region -
so the SDK core makes its own lookups first: ``KeystoneListProjects?name=<region>`` to find the project of
``BasicCredentials`` and ``KeystoneListAuthDomains`` (``GET /v3/auth/domains``) to find the domain of
``GlobalCredentials``. Then the calls an automation makes: SMN topics and publishing; IAM projects, users,
tokens and temporary keys. Fields and error codes are those of the SMN API v2 and IAM v3 references.
"""

from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region as CoreRegion
from huaweicloudsdkiam.v3 import (
    AuthScope,
    AuthScopeProject,
    CreateTemporaryAccessKeyByTokenRequest,
    CreateTemporaryAccessKeyByTokenRequestBody,
    IamClient,
    IdentityToken,
    KeystoneCreateUserTokenByPasswordRequest,
    KeystoneCreateUserTokenByPasswordRequestBody,
    KeystoneListAuthProjectsRequest,
    KeystoneListProjectsRequest,
    KeystoneListUsersRequest,
    PwdAuth,
    PwdIdentity,
    PwdPassword,
    PwdPasswordUser,
    PwdPasswordUserDomain,
    TokenAuth,
    TokenAuthIdentity,
)
from huaweicloudsdksmn.v2 import (
    CreateTopicRequest,
    CreateTopicRequestBody,
    DeleteTopicRequest,
    ListTopicsRequest,
    PublishMessageRequest,
    PublishMessageRequestBody,
    SmnClient,
)

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_IAM_DOMAIN,
    DEMO_IAM_PASSWORD,
    DEMO_IAM_USER,
    DEMO_REGION,
)
from devkit.emulator.services.smn import SmnService

pytestmark = pytest.mark.sdk


def _config() -> Any:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    return config


def smn_client(url: str, sk: str = DEMO_HUAWEI_SK, ak: str = DEMO_HUAWEI_AK) -> Any:
    """No project id: the core looks it up by region in IAM (the emulator is the IAM endpoint too)."""
    credentials = BasicCredentials(ak, sk).with_iam_endpoint(url)
    builder = SmnClient.new_builder().with_http_config(_config()).with_credentials(credentials)
    return builder.with_region(CoreRegion(DEMO_REGION, url)).build(), credentials


def iam_client(url: str, sk: str = DEMO_HUAWEI_SK) -> Any:
    """No domain id: the core looks it up with KeystoneListAuthDomains."""
    credentials = GlobalCredentials(DEMO_HUAWEI_AK, sk).with_iam_endpoint(url)
    builder = IamClient.new_builder().with_http_config(_config()).with_credentials(credentials)
    return builder.with_region(CoreRegion(DEMO_REGION, url)).build(), credentials


def test_smn_client_finds_its_project_by_region_and_publishes(
    emulator: Emulator, emulator_server: str
) -> None:
    smn, credentials = smn_client(emulator_server)
    project = emulator.credentials.project(name=DEMO_REGION)
    assert project is not None and credentials.project_id == project.id
    created = smn.create_topic(
        CreateTopicRequest(body=CreateTopicRequestBody(name="ops-alerts", display_name="Ops"))
    )
    assert created.topic_urn == f"urn:smn:{DEMO_REGION}:{project.id}:ops-alerts" and created.request_id
    again = smn.create_topic(CreateTopicRequest(body=CreateTopicRequestBody(name="ops-alerts")))
    assert again.topic_urn == created.topic_urn  # idempotent by name (200 with the existing URN)
    listed = smn.list_topics(ListTopicsRequest(limit=10))
    assert listed.topic_count == 1
    (topic,) = listed.topics
    assert (topic.name, topic.display_name, topic.topic_urn) == ("ops-alerts", "Ops", created.topic_urn)
    assert topic.topic_id and topic.push_policy == 0
    body = PublishMessageRequestBody(subject="rotation failed", message="key k-1 could not be rotated")
    sent = smn.publish_message(PublishMessageRequest(topic_urn=created.topic_urn, body=body))
    assert sent.message_id and sent.request_id
    service = emulator.service("smn")
    assert isinstance(service, SmnService)
    (message,) = service.messages(created.topic_urn)
    assert (message.subject, message.message) == ("rotation failed", "key k-1 could not be rotated")
    smn.delete_topic(DeleteTopicRequest(topic_urn=created.topic_urn))
    assert smn.list_topics(ListTopicsRequest()).topic_count == 0


def test_smn_refusals_carry_smn_codes(emulator_server: str) -> None:
    smn, credentials = smn_client(emulator_server)
    with pytest.raises(ClientRequestException) as bad_name:
        smn.create_topic(CreateTopicRequest(body=CreateTopicRequestBody(name="no spaces allowed")))
    assert (bad_name.value.status_code, bad_name.value.error_code) == (400, "SMN.0002")
    missing = f"urn:smn:{DEMO_REGION}:{credentials.project_id}:never-created"
    with pytest.raises(ClientRequestException) as not_found:
        smn.publish_message(
            PublishMessageRequest(topic_urn=missing, body=PublishMessageRequestBody(message="x"))
        )
    assert not_found.value.status_code == 404 and not_found.value.error_code.startswith("SMN.")


def test_an_unknown_key_fails_the_project_lookup(emulator_server: str) -> None:
    """(The core caches a looked-up project id per AK and region, so an unknown AK forces the lookup.)"""
    with pytest.raises(SdkException) as refused:
        smn_client(emulator_server, ak="UNKNOWNAK0000000000X", sk="WrongSecretKey000000000000000000000000000")
    assert "status_code:401" in str(refused.value), str(refused.value)


def test_iam_client_finds_its_domain_and_lists_projects_and_users(
    emulator: Emulator, emulator_server: str
) -> None:
    iam, credentials = iam_client(emulator_server)
    user = emulator.credentials.default_user
    assert credentials.domain_id == user.domain_id
    projects = iam.keystone_list_projects(KeystoneListProjectsRequest(name=DEMO_REGION)).projects
    assert [(p.name, p.domain_id, p.enabled) for p in projects] == [(DEMO_REGION, user.domain_id, True)]
    mine = iam.keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).projects
    assert projects[0].id in {p.id for p in mine}
    users = iam.keystone_list_users(KeystoneListUsersRequest(enabled=True)).users
    assert DEMO_IAM_USER in {u.name for u in users} and all(u.domain_id == user.domain_id for u in users)


def test_iam_password_token_then_temporary_keys(emulator_server: str) -> None:
    iam, _ = iam_client(emulator_server)
    identity = PwdIdentity(
        methods=["password"],
        password=PwdPassword(
            user=PwdPasswordUser(
                domain=PwdPasswordUserDomain(name=DEMO_IAM_DOMAIN),
                name=DEMO_IAM_USER,
                password=DEMO_IAM_PASSWORD,
            )
        ),
    )
    scope = AuthScope(project=AuthScopeProject(name=DEMO_REGION))
    request = KeystoneCreateUserTokenByPasswordRequest(
        nocatalog="true",
        body=KeystoneCreateUserTokenByPasswordRequestBody(auth=PwdAuth(identity=identity, scope=scope)),
    )
    answer = iam.keystone_create_user_token_by_password(request)
    assert answer.x_subject_token and answer.token.user.name == DEMO_IAM_USER
    assert answer.token.project.name == DEMO_REGION and not answer.token.catalog
    token = TokenAuthIdentity(
        methods=["token"], token=IdentityToken(id=answer.x_subject_token, duration_seconds=900)
    )
    keys = iam.create_temporary_access_key_by_token(
        CreateTemporaryAccessKeyByTokenRequest(
            body=CreateTemporaryAccessKeyByTokenRequestBody(auth=TokenAuth(identity=token))
        )
    ).credential
    assert keys.access and keys.secret and keys.securitytoken and keys.expires_at.endswith("Z")
    wrong = PwdPasswordUser(
        domain=PwdPasswordUserDomain(name=DEMO_IAM_DOMAIN), name=DEMO_IAM_USER, password="nope-Wrong1"
    )
    bad = KeystoneCreateUserTokenByPasswordRequest(
        body=KeystoneCreateUserTokenByPasswordRequestBody(
            auth=PwdAuth(
                identity=PwdIdentity(methods=["password"], password=PwdPassword(user=wrong)), scope=scope
            )
        )
    )
    with pytest.raises(ClientRequestException) as refused:
        iam.keystone_create_user_token_by_password(bad)
    assert refused.value.status_code == 401
