"""Official SDK conformance: ``huaweicloudsdkcsms`` 3.1.219 drives the emulator over a real socket.

The SDK signs with AK/SK, builds the documented paths and deserialises every answer into its own model
classes, so these tests prove the emulator's paths, status codes and field names - not just our own
client's view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcsms.v1 import (
    BatchCreateOrDeleteTagsRequest,
    BatchCreateOrDeleteTagsRequestBody,
    CreateSecretEventRequest,
    CreateSecretEventRequestBody,
    CreateSecretRequest,
    CreateSecretRequestBody,
    CreateSecretTagRequest,
    CreateSecretTagRequestBody,
    CreateSecretVersionRequest,
    CreateSecretVersionRequestBody,
    CsmsClient,
    DeleteSecretEventRequest,
    DeleteSecretForScheduleRequest,
    DeleteSecretForScheduleRequestBody,
    DeleteSecretRequest,
    DeleteSecretStageRequest,
    DeleteSecretTagRequest,
    ListNotificationRecordsRequest,
    ListProjectSecretsTagsRequest,
    ListResourceInstancesRequest,
    ListResourceInstancesRequestBody,
    ListSecretEventsRequest,
    ListSecretsRequest,
    ListSecretTagsRequest,
    ListSecretVersionsRequest,
    Notification,
    RestoreSecretRequest,
    RotateSecretRequest,
    ShowSecretEventRequest,
    ShowSecretRequest,
    ShowSecretStageRequest,
    ShowSecretVersionRequest,
    Tag,
    TagItem,
    TagMatches,
    UpdateSecretEventRequest,
    UpdateSecretEventRequestBody,
    UpdateSecretRequest,
    UpdateSecretRequestBody,
    UpdateSecretStageRequest,
    UpdateSecretStageRequestBody,
    UpdateVersionRequest,
    UpdateVersionRequestBody,
)

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK

pytestmark = pytest.mark.sdk

PROJECT = "7e0d9c8b7a6f4e5d8c9b0a1f2e3d4c5b"


def _client(base_url: str, sk: str = DEMO_HUAWEI_SK) -> Any:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    return (
        CsmsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(DEMO_HUAWEI_AK, sk, PROJECT))
        .with_endpoint(base_url)
        .build()
    )


@pytest.fixture
def sdk(emulator_server: str) -> Iterator[Any]:
    yield _client(emulator_server)


def _create(sdk: Any, name: str, value: str = "initial") -> Any:
    body = CreateSecretRequestBody(name=name, secret_string=value, description="sdk test")
    return sdk.create_secret(CreateSecretRequest(body=body)).secret


def test_secret_lifecycle(sdk: Any) -> None:
    created = _create(sdk, "sdk-secret")
    assert created.name == "sdk-secret" and created.state == "ENABLED" and created.secret_type == "COMMON"
    shown = sdk.show_secret(ShowSecretRequest(secret_name="sdk-secret")).secret
    assert shown.id == created.id and shown.description == "sdk test" and shown.scheduled_delete_time is None
    update = UpdateSecretRequestBody(description="changed", auto_rotation=True, rotation_period="30d")
    updated = sdk.update_secret(UpdateSecretRequest(secret_name="sdk-secret", body=update)).secret
    assert updated.description == "changed" and updated.auto_rotation is True and updated.next_rotation_time
    for i in range(3):
        _create(sdk, f"sdk-page-{i}")
    page = sdk.list_secrets(ListSecretsRequest(limit="2"))
    assert [s.name for s in page.secrets] == ["sdk-page-0", "sdk-page-1"]
    assert page.page_info.current_count == 2 and page.page_info.next_marker == "sdk-page-1"
    rest = sdk.list_secrets(ListSecretsRequest(limit="2", marker=page.page_info.next_marker))
    assert [s.name for s in rest.secrets] == ["sdk-page-2", "sdk-secret"]
    window = DeleteSecretForScheduleRequestBody(recovery_window_in_days=7)
    pending = sdk.delete_secret_for_schedule(
        DeleteSecretForScheduleRequest(secret_name="sdk-secret", body=window)
    )
    assert pending.secret.state == "PENDING_DELETE" and pending.secret.scheduled_delete_time
    with pytest.raises(ClientRequestException) as blocked:
        sdk.show_secret_version(ShowSecretVersionRequest(secret_name="sdk-secret", version_id="latest"))
    assert (blocked.value.status_code, blocked.value.error_code) == (400, "CSMS.0103")
    restored = sdk.restore_secret(RestoreSecretRequest(secret_name="sdk-secret")).secret
    assert restored.state == "ENABLED" and restored.scheduled_delete_time is None
    sdk.delete_secret(DeleteSecretRequest(secret_name="sdk-secret"))
    with pytest.raises(ClientRequestException) as gone:
        sdk.show_secret(ShowSecretRequest(secret_name="sdk-secret"))
    assert gone.value.error_code == "CSMS.0106" and gone.value.error_msg


def test_versions_and_stages(sdk: Any) -> None:
    _create(sdk, "sdk-ver", "one")
    body = CreateSecretVersionRequestBody(
        secret_string="two", version_stages=["SYSPENDING"], expire_time=2_000_000_000
    )
    created = sdk.create_secret_version(CreateSecretVersionRequest(secret_name="sdk-ver", body=body))
    meta = created.version_metadata
    assert (meta.id, meta.version_stages, meta.expire_time, meta.secret_name) == (
        "v2", ["SYSPENDING"], 2_000_000_000, "sdk-ver"
    )  # fmt: skip
    current = sdk.show_secret_version(ShowSecretVersionRequest(secret_name="sdk-ver", version_id="latest"))
    assert current.version.version_metadata.id == "v1" and current.version.secret_string == "one"
    move = UpdateSecretStageRequestBody(version_id="v2")
    stage = sdk.update_secret_stage(
        UpdateSecretStageRequest(secret_name="sdk-ver", stage_name="SYSCURRENT", body=move)
    )
    assert (stage.stage.name, stage.stage.version_id, stage.stage.secret_name) == (
        "SYSCURRENT",
        "v2",
        "sdk-ver",
    )
    previous = sdk.show_secret_stage(ShowSecretStageRequest(secret_name="sdk-ver", stage_name="SYSPREVIOUS"))
    assert previous.stage.version_id == "v1" and previous.stage.update_time
    sdk.delete_secret_stage(DeleteSecretStageRequest(secret_name="sdk-ver", stage_name="SYSPENDING"))
    listed = sdk.list_secret_versions(ListSecretVersionsRequest(secret_name="sdk-ver", limit=1))
    assert [v.id for v in listed.version_metadatas] == ["v1"] and listed.page_info.next_marker == "v1"
    rest = sdk.list_secret_versions(ListSecretVersionsRequest(secret_name="sdk-ver", marker="v1"))
    assert [(v.id, v.version_stages) for v in rest.version_metadatas] == [("v2", ["SYSCURRENT"])]
    expiry = UpdateVersionRequestBody(expire_time=2_100_000_000)
    updated = sdk.update_version(UpdateVersionRequest(secret_name="sdk-ver", version_id="v1", body=expiry))
    assert updated.version_metadata.expire_time == 2_100_000_000
    with pytest.raises(ClientRequestException) as builtin:
        sdk.delete_secret_stage(DeleteSecretStageRequest(secret_name="sdk-ver", stage_name="SYSCURRENT"))
    assert builtin.value.error_code == "CSMS.0105"
    rotated = sdk.rotate_secret(RotateSecretRequest(secret_name="sdk-ver"))
    assert rotated.secret_name == "sdk-ver" and rotated.version_id == "v3" and rotated.rotation_task_id


def test_tags_and_resource_instances(sdk: Any) -> None:
    ids = {name: _create(sdk, name).id for name in ("app-db", "app-cache", "ops-token")}
    tag = CreateSecretTagRequestBody(tag=TagItem(key="env", value="prod"))
    sdk.create_secret_tag(CreateSecretTagRequest(secret_id=ids["app-db"], body=tag))
    batch = BatchCreateOrDeleteTagsRequestBody(
        action="create", tags=[TagItem(key="env", value="dev"), TagItem(key="team", value="web")]
    )
    sdk.batch_create_or_delete_tags(BatchCreateOrDeleteTagsRequest(secret_id=ids["app-cache"], body=batch))
    sdk.create_secret_tag(
        CreateSecretTagRequest(
            secret_id=ids["ops-token"], body=CreateSecretTagRequestBody(tag=TagItem(key="tmp"))
        )
    )
    sdk.delete_secret_tag(DeleteSecretTagRequest(secret_id=ids["ops-token"], key="tmp"))
    listed = sdk.list_secret_tags(ListSecretTagsRequest(secret_id=ids["app-cache"]))
    assert [(t.key, t.value) for t in listed.tags] == [
        ("env", "dev"),
        ("team", "web"),
    ] and listed.sys_tags == []
    project = sdk.list_project_secrets_tags(ListProjectSecretsTagsRequest())
    assert [(t.key, t.values) for t in project.tags] == [("env", ["dev", "prod"]), ("team", ["web"])]

    query = ListResourceInstancesRequestBody(
        action="filter", limit="1", offset="0", tags=[Tag(key="env", values=["prod", "dev"])]
    )
    first = sdk.list_resource_instances(
        ListResourceInstancesRequest(resource_instances="resource_instances", body=query)
    )
    assert first.total_count == 2 and len(first.resources) == 1
    resource = first.resources[0]
    assert (resource.resource_name, resource.resource_id) == ("app-cache", ids["app-cache"])
    assert resource.resource_detail.name == "app-cache" and resource.resource_detail.state == "ENABLED"
    assert [(t.key, t.value) for t in resource.tags] == [("env", "dev"), ("team", "web")]
    assert resource.sys_tags == []
    matches = ListResourceInstancesRequestBody(
        action="filter", matches=[TagMatches(key="resource_name", value="app")]
    )
    found = sdk.list_resource_instances(
        ListResourceInstancesRequest(resource_instances="resource_instances", body=matches)
    )
    assert [r.resource_name for r in found.resources] == ["app-cache", "app-db"]
    count = ListResourceInstancesRequestBody(action="count", tags=[Tag(key="team", values=[])])
    counted = sdk.list_resource_instances(
        ListResourceInstancesRequest(resource_instances="resource_instances", body=count)
    )
    assert counted.total_count == 1 and counted.resources is None
    bad = ListResourceInstancesRequestBody(action="filter", limit="1001")
    with pytest.raises(ClientRequestException) as err:
        sdk.list_resource_instances(
            ListResourceInstancesRequest(resource_instances="resource_instances", body=bad)
        )
    assert (err.value.status_code, err.value.error_code) == (400, "CSMS.0002")


def test_a_wrong_secret_key_is_refused_with_401(sdk: Any, emulator_server: str) -> None:
    """A request signed with the wrong SK is refused before it touches state; the key is never echoed."""
    wrong = _client(emulator_server, sk="not-the-demo-secret-key-0000000000000000")
    intruder = CreateSecretRequest(body=CreateSecretRequestBody(name="intruder", secret_string="x"))
    for operation, request in (("list_secrets", ListSecretsRequest()), ("create_secret", intruder)):
        with pytest.raises(ClientRequestException) as err:
            getattr(wrong, operation)(request)
        assert err.value.status_code == 401
        assert "not-the-demo-secret-key" not in str(err.value)
    assert sdk.list_secrets(ListSecretsRequest()).secrets == []


def test_events_and_notification_records(sdk: Any, emulator: Emulator) -> None:
    topic, _ = emulator.service("smn").backend(PROJECT).create_topic("sdk-events")
    target = Notification(target_type="SMN", target_id=topic.topic_urn, target_name="sdk-events")
    body = CreateSecretEventRequestBody(
        name="sdk-watch", event_types=["SECRET_VERSION_CREATED"], state="ENABLED", notification=target
    )
    event = sdk.create_secret_event(CreateSecretEventRequest(body=body)).event
    assert event.name == "sdk-watch" and event.notification.target_id == topic.topic_urn and event.event_id
    shown = sdk.show_secret_event(ShowSecretEventRequest(event_name="sdk-watch")).event
    assert shown.event_types == ["SECRET_VERSION_CREATED"] and shown.state == "ENABLED"
    change = UpdateSecretEventRequestBody(event_types=["SECRET_VERSION_CREATED", "SECRET_ROTATED"])
    sdk.update_secret_event(UpdateSecretEventRequest(event_name="sdk-watch", body=change))
    listed = sdk.list_secret_events(ListSecretEventsRequest(limit="10"))
    assert [(e.name, e.event_types) for e in listed.events] == [
        ("sdk-watch", ["SECRET_VERSION_CREATED", "SECRET_ROTATED"])
    ]
    secret = CreateSecretRequestBody(name="watched", secret_string="v", event_subscriptions=["sdk-watch"])
    sdk.create_secret(CreateSecretRequest(body=secret))
    version = CreateSecretVersionRequestBody(secret_string="w")
    sdk.create_secret_version(CreateSecretVersionRequest(secret_name="watched", body=version))
    records = sdk.list_notification_records(ListNotificationRecordsRequest()).records
    assert [(r.event_name, r.trigger_event_type, r.secret_name, r.notification_status) for r in records] == [
        ("sdk-watch", "SECRET_VERSION_CREATED", "watched", "SUCCESS")
    ]
    assert sdk.list_secrets(ListSecretsRequest(event_name="sdk-watch")).secrets[0].name == "watched"
    sdk.delete_secret_event(DeleteSecretEventRequest(event_name="sdk-watch"))
    with pytest.raises(ClientRequestException) as err:
        sdk.show_secret_event(ShowSecretEventRequest(event_name="sdk-watch"))
    assert err.value.error_code == "CSMS.0005"
