"""The worked example of docs/architecture.md: SMN ``DeleteTopic`` was added by editing only the SMN package.

The test follows the example: the route row in ``services/smn/routes.py`` points at a handler in
``services/smn/handlers.py`` that uses ``services/smn/state.py``; the official ``huaweicloudsdksmn`` then
drives the new operation over a real socket, which proves the path, status code and answer shape.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdksmn.v2 import (
    CreateTopicRequest,
    CreateTopicRequestBody,
    DeleteTopicRequest,
    ListTopicsRequest,
    SmnClient,
)

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from devkit.emulator.services import smn

PROJECT = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
PACKAGE = Path(smn.__file__).parent


def _sdk(base_url: str) -> Any:
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    credentials = BasicCredentials(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, PROJECT)
    return (
        SmnClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoint(base_url)
        .build()
    )


def test_the_operation_lives_in_one_service_package() -> None:
    """Route row, handler and state method of ``DeleteTopic`` are all inside services/smn/."""
    row = next(r for r in smn.ROUTES if r.operation == "DeleteTopic")
    assert (row.method, row.template) == ("DELETE", "/v2/{project_id}/notifications/topics/{topic_urn}")
    for piece in (row.handler, smn.SmnBackend.delete_topic):
        assert Path(inspect.getfile(piece)).parent == PACKAGE


@pytest.mark.sdk
def test_the_official_sdk_deletes_a_topic(emulator: Emulator, emulator_server: str) -> None:
    sdk = _sdk(emulator_server)
    urn = sdk.create_topic(CreateTopicRequest(body=CreateTopicRequestBody(name="doomed"))).topic_urn
    keep = sdk.create_topic(CreateTopicRequest(body=CreateTopicRequestBody(name="kept"))).topic_urn

    answer = sdk.delete_topic(DeleteTopicRequest(topic_urn=urn))

    assert answer.request_id
    assert [t.topic_urn for t in sdk.list_topics(ListTopicsRequest()).topics] == [keep]
    with pytest.raises(ClientRequestException) as missing:
        sdk.delete_topic(DeleteTopicRequest(topic_urn=urn))
    assert (missing.value.status_code, missing.value.error_code) == (404, "SMN.0006")
    assert emulator.service("smn").backend(PROJECT).topic_by_urn(urn) is None
