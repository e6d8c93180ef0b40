"""SMN client ↔ emulator: topics, every publish form, errors, and the in-process publish used by CSMS."""

from __future__ import annotations

import json

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.smn import SmnService, TopicNotFound
from shared.clients.smn import SmnClient
from shared.errors import BadRequestError, NotFoundError


def _smn(emulator: Emulator) -> SmnService:
    service = emulator.service("smn")
    assert isinstance(service, SmnService)
    return service


async def test_create_topic_is_idempotent(smn: SmnClient, project_id: str, signed: httpx.Client) -> None:
    urn = await smn.create_topic("alerts", display_name="Alerts")
    assert urn == f"urn:smn:cn-north-4:{project_id}:alerts"
    assert await smn.create_topic("alerts") == urn
    # The documented status codes: 201 when created, 200 when the name already existed.
    assert signed.post(f"/v2/{project_id}/notifications/topics", json={"name": "other"}).status_code == 201
    assert signed.post(f"/v2/{project_id}/notifications/topics", json={"name": "other"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "-bad"}, "SMN.0002"),
        ({}, "SMN.0002"),
        ({"name": "ok", "display_name": "x" * 192}, "SMN.0003"),
    ],
)
def test_create_topic_validation(
    signed: httpx.Client, project_id: str, body: dict[str, str], code: str
) -> None:
    response = signed.post(f"/v2/{project_id}/notifications/topics", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"request_id", "code", "message"}  # SMN's own error shape
    assert response.json()["code"] == code


async def test_list_topics_filters_and_pages(smn: SmnClient) -> None:
    for i in range(5):
        await smn.create_topic(f"team-{i}")
    await smn.create_topic("other")
    page = await smn.list_topics(limit=2, fuzzy_name="team")
    assert page.topic_count == 5 and len(page.topics) == 2
    assert [t.name for t in (await smn.list_topics(name="other")).topics] == ["other"]
    assert sorted([t.name async for t in smn.iter_topics()]) == ["other", *[f"team-{i}" for i in range(5)]]


def test_list_topics_rejects_bad_paging(signed: httpx.Client, project_id: str) -> None:
    for query in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        response = signed.get(f"/v2/{project_id}/notifications/topics?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "SMN.0015")


async def test_publish_text_message(smn: SmnClient, emulator: Emulator) -> None:
    urn = await smn.create_topic("alerts")
    result = await smn.publish(urn, "key rotated", subject="opsfn")
    assert len(result.message_id) == 32 and result.request_id
    [sent] = _smn(emulator).messages(urn)
    assert (sent.message_id, sent.message, sent.subject) == (result.message_id, "key rotated", "opsfn")


async def test_publish_message_structure_and_template(
    smn: SmnClient, emulator: Emulator, project_id: str
) -> None:
    urn = await smn.create_topic("alerts")
    await smn.publish(urn, message_structure={"default": "d", "email": "e"})
    _smn(emulator).backend(project_id).templates["rotation"] = "secret {name} rotated"
    await smn.publish(urn, template_name="rotation", tags={"name": "db"})
    structured, templated = _smn(emulator).messages(urn)
    assert structured.message == "d" and structured.message_structure == {"default": "d", "email": "e"}
    assert templated.message == "secret db rotated" and templated.template_name == "rotation"


def test_publish_priority_structure_over_template_over_message(
    signed: httpx.Client, emulator: Emulator, project_id: str
) -> None:
    """The API reference: message_structure > message_template_name > message when several are sent."""
    urn = signed.post(f"/v2/{project_id}/notifications/topics", json={"name": "t"}).json()["topic_urn"]
    body = {"message": "plain", "message_structure": json.dumps({"default": "structured"})}
    assert signed.post(f"/v2/{project_id}/notifications/topics/{urn}/publish", json=body).status_code == 200
    assert _smn(emulator).messages(urn)[0].message == "structured"


async def test_publish_to_unknown_topic_is_404_smn_0006(smn: SmnClient, project_id: str) -> None:
    with pytest.raises(NotFoundError) as info:
        await smn.publish(f"urn:smn:cn-north-4:{project_id}:missing", "x")
    assert info.value.status == 404


def test_publish_errors_use_smn_codes(signed: httpx.Client, project_id: str) -> None:
    base = f"/v2/{project_id}/notifications/topics"
    urn = signed.post(base, json={"name": "t"}).json()["topic_urn"]
    cases = [
        (f"{base}/urn:smn:cn-north-4:{project_id}:missing/publish", {"message": "x"}, 404, "SMN.0006"),
        (f"{base}/not-a-urn/publish", {"message": "x"}, 400, "SMN.0005"),
        (f"{base}/{urn}/publish", {}, 400, "SMN.0021"),
        (f"{base}/{urn}/publish", {"message_structure": "not json"}, 400, "SMN.0021"),
        (
            f"{base}/{urn}/publish",
            {"message_structure": json.dumps({"email": "no default"})},
            400,
            "SMN.0021",
        ),
        (f"{base}/{urn}/publish", {"message": "x" * (256 * 1024 + 1)}, 400, "SMN.0021"),
        (f"{base}/{urn}/publish", {"message_template_name": "nope"}, 404, "SMN.0027"),
    ]
    for path, body, status, code in cases:
        response = signed.post(path, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), path


async def test_client_rejects_ambiguous_publish(smn: SmnClient) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await smn.publish("urn:smn:r:p:t", "a", template_name="b")
    with pytest.raises(ValueError, match="default"):
        await smn.publish("urn:smn:r:p:t", message_structure={"email": "e"})
    with pytest.raises(BadRequestError):
        await smn.publish("bad-urn", "x")


async def test_in_process_publish_for_other_services(smn: SmnClient, emulator: Emulator) -> None:
    urn = await smn.create_topic("csms-events")
    message_id = _smn(emulator).publish(urn, '{"event": "SECRET_ROTATED"}', subject="CSMS")
    assert [m.message_id for m in _smn(emulator).messages(urn)] == [message_id]
    with pytest.raises(TopicNotFound):
        _smn(emulator).publish(urn.replace("csms-events", "missing"), "x")
    with pytest.raises(TopicNotFound):
        _smn(emulator).publish("not-a-urn", "x")


async def test_for_topic_takes_the_project_from_the_urn(emulator: Emulator) -> None:
    """Configured with only a topic URN (no project id), a function publishes into the topic's project."""
    from shared.config import Settings

    service = emulator.service("smn")
    assert isinstance(service, SmnService)
    backend = service.backend("proj-from-urn")
    backend.create_topic("alerts")
    urn = backend.urn("alerts")
    assert urn.split(":")[3] == "proj-from-urn"
    settings = Settings.from_env().replace(project_id="")
    async with SmnClient.for_topic(settings, urn, transport=emulator.transport()) as smn:
        assert smn.project_id == "proj-from-urn"
        await smn.publish(urn, message="hello")
    assert [m.message for m in service.messages(urn)] == ["hello"]
    configured = Settings.from_env().replace(project_id="configured")
    async with SmnClient.for_topic(configured, urn, transport=emulator.transport()) as other:
        assert other.project_id == "configured"  # an explicit project id wins
