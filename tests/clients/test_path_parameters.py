"""Every client builds its paths through one builder: a hostile id never reaches another path.

Each case calls a client operation with an id as an event could carry it (``abc?x=1``, ``a/b``, ``..``,
``x#y``, empty) and proves, with a recording transport, that nothing was sent and a typed
:class:`~shared.errors.InvalidRequestParameter` names the parameter. Legitimate values that need quoting
(an SMN topic URN, CSMS tag keys) still reach the emulator as one segment.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from devkit.emulator import build_emulator
from shared.clients.apig import ApigClient
from shared.clients.base import ServiceClient, build_path, path_segment
from shared.clients.csms import CsmsClient
from shared.clients.iam import IamClient
from shared.clients.ide import IdeClient
from shared.clients.smn import SmnClient
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings
from shared.errors import InvalidRequestParameter
from shared.http import make_client

PROJECT = "0123456789abcdef0123456789abcdef"
HOSTILE = ["abc?x=1", "a/b", "..", ".", "x#y", "", "../../v3/users"]
MACHINE = "A" * 64


class Recorder:
    """A transport handler that records every request and answers an empty Tencent-style success."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"Response": {"RequestId": "r-1"}})


def _client(cls: type[Any], recorder: Recorder, **kwargs: Any) -> Any:
    http = make_client("https://cloud.example.com", None, service=cls.service, transport=_mock(recorder))
    return cls(http, **kwargs)


def _mock(recorder: Recorder) -> httpx.MockTransport:
    return httpx.MockTransport(recorder)


Call = Callable[[Any, str], Awaitable[Any]]

IDE_CALLS: dict[str, Call] = {
    "bind_license": lambda c, bad: c.bind_license(bad, MACHINE),
    "unbind_license": lambda c, bad: c.unbind_license(bad),
}
CSMS_CALLS: dict[str, Call] = {
    "show_secret": lambda c, bad: c.show_secret(bad),
    "update_secret": lambda c, bad: c.update_secret(bad, description="d"),
    "delete_secret": lambda c, bad: c.delete_secret(bad),
    "schedule_secret_deletion": lambda c, bad: c.schedule_secret_deletion(bad),
    "restore_secret": lambda c, bad: c.restore_secret(bad),
    "rotate_secret": lambda c, bad: c.rotate_secret(bad),
    "create_secret_version": lambda c, bad: c.create_secret_version(bad, secret_string="v"),
    "show_secret_version(name)": lambda c, bad: c.show_secret_version(bad),
    "show_secret_version(version)": lambda c, bad: c.show_secret_version("db", bad),
    "list_secret_versions": lambda c, bad: c.list_secret_versions(bad),
    "update_version": lambda c, bad: c.update_version("db", bad, expire_time=1),
    "show_secret_stage": lambda c, bad: c.show_secret_stage("db", bad),
    "update_secret_stage": lambda c, bad: c.update_secret_stage(bad, "SYSCURRENT", "v1"),
    "delete_secret_stage": lambda c, bad: c.delete_secret_stage("db", bad),
    "create_secret_tag": lambda c, bad: c.create_secret_tag(bad, "k", "v"),
    "delete_secret_tag": lambda c, bad: c.delete_secret_tag(bad, "k"),
    "list_secret_tags": lambda c, bad: c.list_secret_tags(bad),
    "batch_create_or_delete_tags": lambda c, bad: c.batch_create_or_delete_tags(bad, "create", {"k": "v"}),
    "show_secret_event": lambda c, bad: c.show_secret_event(bad),
    "update_secret_event": lambda c, bad: c.update_secret_event(bad, state="DISABLED"),
    "delete_secret_event": lambda c, bad: c.delete_secret_event(bad),
}
SMN_CALLS: dict[str, Call] = {"publish": lambda c, bad: c.publish(bad, "hello")}
APIG_CALLS: dict[str, Call] = {
    "get_api": lambda c, bad: c.get_api(bad),
    "update_api": lambda c, bad: c.update_api(bad, {}),
    "delete_api": lambda c, bad: c.delete_api(bad),
    "list_versions": lambda c, bad: c.list_versions(bad),
    "switch_version": lambda c, bad: c.switch_version(bad, "v1"),
    "get_version": lambda c, bad: c.get_version(bad),
    "offline_version": lambda c, bad: c.offline_version(bad),
    "get_runtime_definition": lambda c, bad: c.get_runtime_definition(bad),
    "debug_api": lambda c, bad: c.debug_api(bad, "GET", "/"),
    "update_group": lambda c, bad: c.update_group(bad, "g"),
    "get_group": lambda c, bad: c.get_group(bad),
    "delete_group": lambda c, bad: c.delete_group(bad),
    "update_env": lambda c, bad: c.update_env(bad, "e"),
    "delete_env": lambda c, bad: c.delete_env(bad),
    "update_variable": lambda c, bad: c.update_variable(bad, "v"),
    "delete_variable": lambda c, bad: c.delete_variable(bad),
    "update_signature_key": lambda c, bad: c.update_signature_key(bad, "k"),
    "delete_signature_key": lambda c, bad: c.delete_signature_key(bad),
    "unbind_signature_key": lambda c, bad: c.unbind_signature_key(bad),
    "update_throttle": lambda c, bad: c.update_throttle(
        bad, "t", api_call_limits=1, time_interval=1, time_unit="SECOND"
    ),
    "get_throttle": lambda c, bad: c.get_throttle(bad),
    "delete_throttle": lambda c, bad: c.delete_throttle(bad),
    "unbind_throttle": lambda c, bad: c.unbind_throttle(bad),
    "delete_acl": lambda c, bad: c.delete_acl(bad),
    "unbind_acl": lambda c, bad: c.unbind_acl(bad),
    "update_app": lambda c, bad: c.update_app(bad, "a"),
    "get_app": lambda c, bad: c.get_app(bad),
    "verify_app": lambda c, bad: c.verify_app(bad),
    "delete_app": lambda c, bad: c.delete_app(bad),
    "reset_app_secret": lambda c, bad: c.reset_app_secret(bad),
    "create_app_code(generated)": lambda c, bad: c.create_app_code(bad),
    "create_app_code(given)": lambda c, bad: c.create_app_code(bad, "c" * 64),
    "delete_app_code(app)": lambda c, bad: c.delete_app_code(bad, "code-1"),
    "delete_app_code(code)": lambda c, bad: c.delete_app_code("app-1", bad),
    "list_app_codes": lambda c, bad: c.list_app_codes(bad),
    "revoke_authorization": lambda c, bad: c.revoke_authorization(bad),
}


def _cases(calls: dict[str, Call]) -> list[Any]:
    return [pytest.param(call, id=name) for name, call in calls.items()]


async def _refused(client: Any, call: Call, bad: str, recorder: Recorder) -> InvalidRequestParameter:
    async with client:
        with pytest.raises(InvalidRequestParameter) as caught:
            await call(client, bad)
    assert recorder.requests == []  # the request never left
    if bad not in ("", ".", ".."):  # the message names the parameter and the rule, never the value
        assert bad not in str(caught.value)
    return caught.value


async def _refuses_every_hostile_value(cls: type[Any], call: Call, **kwargs: Any) -> set[str]:
    """Run ``call`` with each hostile value on a fresh client; the names of the refused parameters."""
    names = set()
    for bad in HOSTILE:
        recorder = Recorder()
        names.add((await _refused(_client(cls, recorder, **kwargs), call, bad, recorder)).parameter)
    return names


@pytest.mark.parametrize("call", _cases(IDE_CALLS))
async def test_ide_refuses_hostile_ids(call: Call) -> None:
    assert await _refuses_every_hostile_value(IdeClient, call, project_id=PROJECT) == {"license_id"}


@pytest.mark.parametrize("call", _cases(CSMS_CALLS))
async def test_csms_refuses_hostile_names_and_ids(call: Call) -> None:
    await _refuses_every_hostile_value(CsmsClient, call, project_id=PROJECT)


@pytest.mark.parametrize("bad", ["", ".", ".."])
async def test_csms_tag_keys_are_free_text_but_never_empty_or_a_dot_segment(bad: str) -> None:
    recorder = Recorder()
    client = _client(CsmsClient, recorder, project_id=PROJECT)
    error = await _refused(client, lambda c, key: c.delete_secret_tag("secret-1", key), bad, recorder)
    assert error.parameter == "tag_key"


async def test_csms_tag_key_with_separators_is_one_quoted_segment() -> None:
    recorder = Recorder()
    async with _client(CsmsClient, recorder, project_id=PROJECT) as csms:
        await csms.delete_secret_tag("secret-1", "team/ops?x#y")
    (request,) = recorder.requests
    assert request.url.raw_path == f"/v1/{PROJECT}/csms/secret-1/tags/team%2Fops%3Fx%23y".encode()


@pytest.mark.parametrize("call", _cases(SMN_CALLS))
async def test_smn_refuses_hostile_topic_urns(call: Call) -> None:
    assert await _refuses_every_hostile_value(SmnClient, call, project_id=PROJECT) == {"topic_urn"}


async def test_smn_topic_urn_reaches_the_emulator_as_one_segment() -> None:
    emulator = build_emulator()
    settings = Settings.from_env().replace(project_id=PROJECT)
    async with SmnClient.from_settings(settings, transport=emulator.transport()) as smn:
        urn = await smn.create_topic("alerts")
        assert urn.startswith("urn:smn:")
        result = await smn.publish(urn, "hello")
    assert result.message_id


@pytest.mark.parametrize("call", _cases(APIG_CALLS))
async def test_apig_refuses_hostile_ids(call: Call) -> None:
    await _refuses_every_hostile_value(ApigClient, call, project_id=PROJECT, instance_id="instance-1")


@pytest.mark.parametrize("bad", [bad for bad in HOSTILE if bad])  # an empty one is discovered instead
async def test_apig_refuses_a_hostile_instance_id(bad: str) -> None:
    recorder = Recorder()
    client = _client(ApigClient, recorder, project_id=PROJECT, instance_id=bad)
    error = await _refused(client, lambda c, _: c.get_api("api-1"), bad, recorder)
    assert error.parameter == "instance_id"


@pytest.mark.parametrize("bad", HOSTILE)
async def test_iam_sends_hostile_names_only_as_query_values(bad: str) -> None:
    recorder = Recorder()
    async with _client(IamClient, recorder) as iam:
        await iam.list_projects(name=bad)
        await iam.list_users(name=bad)
    assert [r.url.path for r in recorder.requests] == ["/v3/projects", "/v3/users"]
    expected = [bad or None] * 2  # an empty name is no filter at all
    assert [r.url.params.get("name") for r in recorder.requests] == expected


@pytest.mark.parametrize("bad", HOSTILE)
async def test_tencent_sends_hostile_ids_only_in_the_json_body(bad: str) -> None:
    recorder = Recorder()
    http = make_client("https://apigw.example.com", None, service="tencent_apigw", transport=_mock(recorder))
    async with TencentApigwClient(http, region="ap-guangzhou") as client:
        await client.call("DescribeApi", {"ServiceId": bad, "ApiId": bad})
    (request,) = recorder.requests
    assert request.url.raw_path == b"/"
    assert json.loads(request.content) == {"ServiceId": bad, "ApiId": bad}


# ------------------------------------------------------------------------------------------ the builder


def test_build_path_quotes_each_value_as_one_segment() -> None:
    path = build_path(
        "/v2/{project_id}/topics/{topic_urn}", {"project_id": "p", "topic_urn": "urn:smn:x:p:t"}
    )
    assert path == "/v2/p/topics/urn%3Asmn%3Ax%3Ap%3At"
    assert build_path("/t/{key:text}", {"key": "負責 a/b"}) == "/t/%E8%B2%A0%E8%B2%AC%20a%2Fb"


@pytest.mark.parametrize("bad", HOSTILE)
def test_path_segment_refuses_what_would_leave_the_segment(bad: str) -> None:
    with pytest.raises(InvalidRequestParameter, match="'secret_name'"):
        path_segment("secret_name", bad)


def test_path_segment_refuses_non_strings() -> None:
    with pytest.raises(InvalidRequestParameter, match="must be a string"):
        path_segment("api_id", 42)  # type: ignore[arg-type]


def test_template_mistakes_are_programming_errors() -> None:
    with pytest.raises(KeyError, match="no value for"):
        build_path("/a/{x}/{y}", {"x": "1"})
    with pytest.raises(KeyError, match="no placeholder for"):
        build_path("/a/{x}", {"x": "1", "z": "2"})
    with pytest.raises(ValueError, match="unknown convertor"):
        build_path("/a/{x:path}", {"x": "1"})


def test_invalid_request_parameter_is_a_value_error() -> None:
    assert issubclass(InvalidRequestParameter, ValueError)


async def test_service_client_request_builds_the_path_once() -> None:
    """A value holding a placeholder's spelling is quoted, never filled in a second time."""
    recorder = Recorder()

    class Plain(ServiceClient):
        service = "ide"

    async with _client(Plain, recorder, project_id=PROJECT) as client:
        await client._request("GET", "/v1/{project_id}/things/{name}", {"name": "{project_id}"})
    assert recorder.requests[0].url.raw_path == f"/v1/{PROJECT}/things/%7Bproject_id%7D".encode()
