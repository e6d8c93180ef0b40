"""Client plumbing: instance selection, error classes by APIG code, and models fed the document's examples."""

from __future__ import annotations

import pytest

from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, ApigBackend
from shared.clients.apig import (
    INSTANCE_ID_VARIABLE,
    ApigClient,
    AppAuthResult,
    BatchPublishResult,
    DebugResult,
    SignBinding,
)
from shared.config import MissingSettingError, Settings
from shared.errors import AuthError, BadRequestError, CloudError, ConflictError, QuotaExceededError


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "APIG.3102", QuotaExceededError),
        (403, "APIG.3125", QuotaExceededError),
        (400, "APIG.3201", ConflictError),
        (400, "APIG.3301", ConflictError),
        (403, "APIG.3416", ConflictError),
        (403, "APIG.1005", AuthError),
        (400, "APIG.2011", BadRequestError),
    ],
)
def test_error_class_by_code(status: int, code: str, expected: type[CloudError]) -> None:
    from shared.errors import error_from_response

    error = error_from_response(status, {"error_code": code, "error_msg": "x"}, service="apig")
    assert type(error) is expected


async def test_from_settings_reads_the_instance_variable(
    settings: Settings, emulator_transport: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    assert isinstance(emulator_transport, httpx.MockTransport)
    monkeypatch.setenv(INSTANCE_ID_VARIABLE, " configured0000000000000000000000 ")
    configured = Settings.from_env()
    assert configured.apig_instance_id == "configured0000000000000000000000"
    async with ApigClient.from_settings(configured, transport=emulator_transport) as client:
        assert client.instance_id == "configured0000000000000000000000"
    monkeypatch.delenv(INSTANCE_ID_VARIABLE)
    async with ApigClient.from_settings(Settings.from_env(), transport=emulator_transport) as client:
        assert client.instance_id == ""
    async with ApigClient.from_settings(settings, transport=emulator_transport) as client:
        assert await client.resolve_instance_id() == DEFAULT_INSTANCE_ID


INSTANCE_PLACEMENT = {
    "spec_id": "BASIC",
    "vpc_id": "3805a0ae-0a31-4ef1-8bd7-cfcd00d2bb26",
    "subnet_id": "a938121c-10fc-4d80-a3e6-a5b1b0a58c40",
    "security_group_id": "36bd2f68-a5ad-4c2a-8c66-3b3e7c0e0b7a",
    "available_zone_ids": ["cn-north-4a"],
}
"""The network placement 3.24.1 requires of a new instance."""


async def test_several_instances_need_a_configured_id(apig: ApigClient, backend: ApigBackend) -> None:
    created = await apig._request(
        "POST",
        "/v2/{project_id}/apigw/instances",
        json={"instance_name": "second_gateway", **INSTANCE_PLACEMENT},
    )
    assert created["instance_id"] in backend.instances
    assert len(await apig.list_instances()) == 2
    apig.instance_id = ""
    with pytest.raises(MissingSettingError, match=INSTANCE_ID_VARIABLE):
        await apig.resolve_instance_id()
    apig.instance_id = created["instance_id"]
    assert (await apig.list_groups()).total == 0, "each instance has its own groups"
    with pytest.raises(BadRequestError) as dup:
        await apig._request(
            "POST",
            "/v2/{project_id}/apigw/instances",
            json={"instance_name": "second_gateway", **INSTANCE_PLACEMENT},
        )
    assert dup.value.error_code == "APIC.7500"


def test_models_accept_the_documents_examples() -> None:
    """Examples parse as printed, typos included: a five-digit year in 3.10.1, no ``publish_id`` in 3.7.1.

    The schema tables win over the examples: 3.7.1's table lists ``publish_id`` (the SDK's SignApiBindingInfo
    has it too), so the emulator sends it and the model merely tolerates its absence.
    """
    auth = AppAuthResult.model_validate(
        {
            "api_id": "5f918d104dc84480a75166ba99efff21",
            "auth_result": {"status": "SUCCESS"},
            "auth_time": "22020-08-04T04:02:22.482227344Z",
            "id": "dd29b33ae4394e3b924b582c6b40880b",
            "app_id": "356de8eb7a8742168586e5daf5339965",
            "auth_role": "PROVIDER",
            "auth_tunnel": "NORMAL",
        }
    )
    assert auth.ok
    binding = SignBinding.model_validate(
        {
            "api_id": "5f918d104dc84480a75166ba99efff21",
            "sign_secret": "dc02fc5f30714d6bb21888389419e2b3",
            "sign_id": "0b0e8f456b8742218af75f945307173c",
            "sign_key": "a071a20d460a4f639a636c3d7e3d8163",
            "env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID",
            "id": "25082bd52f74442bb1d273993d567938",
        }
    )
    assert binding.publish_id == "" and "dc02fc5f" not in repr(binding)
    batch = BatchPublishResult.model_validate(
        {
            "success": [
                {
                    "publish_id": "9f27d1dc4f4242a9abf88e563dbfc33d",
                    "api_id": "3a955b791bd24b1c9cd94c745f8d1aad",
                    "env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID",
                    "publish_time": "2020-08-03T03:01:31.26522821Z",
                }
            ],
            "failure": [{"api_id": "abd9c4b2ff974888b0ba79be7e6b2762", "error_code": "APIG.3002"}],
        }
    )
    assert not batch.ok and batch.failure[0].error_code == "APIG.3002"
    debug = DebugResult.model_validate(
        {
            "request": "GET /test/mock HTTP/1.1\r\n\r\n",
            "response": "HTTP/1.1 200 OK\r\nServer: api-gateway\r\n\r\nmock success",
            "latency": 5,
        }
    )
    assert (debug.status_code, debug.body) == (200, "mock success")
