"""Document URLs: only allow-listed HTTPS hosts, no redirects elsewhere, size and time limits; and drift."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from functions.api_publish.handler import app
from shared.http import use_transport
from tests.api_publish.conftest import Env, api_doc, github_event

DOC_HOST = "docs.example.com"


class Hosts:
    """Routes document hosts to fake servers, the rest to the emulator; records every document host hit."""

    def __init__(self, env: Env, routes: dict[str, Any]) -> None:
        self.emulator = env.emulator.transport()
        self.routes = routes
        self.hits: list[str] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.routes:
            self.hits.append(host)
            return await self.routes[host](request)  # type: ignore[no-any-return]
        return self.emulator.handler(request)  # type: ignore[return-value]


def invoke(env: Env, hosts: Hosts, url: str) -> tuple[int, dict[str, Any]]:
    body = {
        "commit": "u1",
        "document": {"url": url},
        "target": {"cloud": "huawei", "group_id": env.group_id, "environments": ["RELEASE"]},
    }
    with use_transport(httpx.MockTransport(hosts.handle)):
        response = app.invoke_local(github_event(body))
    return int(response["statusCode"]), json.loads(response["body"])


@pytest.fixture
def allow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSFN_PUBLISH_ALLOWED_HOSTS", DOC_HOST)


async def _doc(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=api_doc(2))


async def _to_evil(request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"Location": "https://evil.example.net/doc.json"})


async def _huge(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b" " * (3 * 1024 * 1024))


async def _slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(30)
    return httpx.Response(200, json=api_doc(1))


def test_allowed_https_document_is_fetched_and_applied(env: Env, allow: None) -> None:
    hosts = Hosts(env, {DOC_HOST: _doc})
    status, answer = invoke(env, hosts, f"https://{DOC_HOST}/apis.json")
    assert status == 200 and answer["summary"]["create"] == 2, answer


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("https://internal.example.org/doc.json", 400, "not on the allow-list"),
        (f"http://{DOC_HOST}/doc.json", 400, "only https"),
        ("https://169.254.169.254/latest", 400, "not on the allow-list"),
    ],
)
def test_urls_outside_the_rules_are_refused_without_a_request(
    env: Env, allow: None, url: str, status: int, words: str
) -> None:
    hosts = Hosts(env, {DOC_HOST: _doc, "internal.example.org": _doc, "169.254.169.254": _doc})
    got, answer = invoke(env, hosts, url)
    assert got == status and words in answer["message"], answer
    assert hosts.hits == [] and env.writes() == 0


def test_redirect_to_another_host_is_refused_and_never_followed(env: Env, allow: None) -> None:
    hosts = Hosts(env, {DOC_HOST: _to_evil, "evil.example.net": _doc})
    status, answer = invoke(env, hosts, f"https://{DOC_HOST}/doc.json")
    assert status == 400 and "redirect to another host" in answer["message"]
    assert hosts.hits == [DOC_HOST] and env.writes() == 0


def test_oversized_and_slow_documents_are_refused(
    env: Env, allow: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, answer = invoke(env, Hosts(env, {DOC_HOST: _huge}), f"https://{DOC_HOST}/doc.json")
    assert status == 413 and "larger than" in answer["message"]
    monkeypatch.setattr("functions.api_publish.source.FETCH_SECONDS", 0.05)
    status, answer = invoke(env, Hosts(env, {DOC_HOST: _slow}), f"https://{DOC_HOST}/doc.json")
    assert status == 408 and "not fetched within" in answer["message"]
    assert env.writes() == 0


def test_drift_timer_reports_a_console_edit_and_changes_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devkit.emulator.services.smn import SmnService

    smn = env.emulator.service("smn")
    assert isinstance(smn, SmnService)
    topic, _ = smn.backend("5d8e2b1c9a7f4e3d8c6b5a4f3e2d1c0b").create_topic("api-drift")
    monkeypatch.setenv("OPSFN_SMN_TOPIC_URN", topic.topic_urn)
    body = {
        "commit": "d1",
        "document": {"inline": api_doc(3)},
        "target": {"cloud": "huawei", "group_id": env.group_id, "environments": ["RELEASE"]},
    }
    assert app.invoke_local(github_event(body))["statusCode"] == 200
    timer = {
        "version": "v1.0",
        "time": "2026-11-23T02:30:00+00:00",
        "trigger_type": "TIMER",
        "trigger_name": "drift",
        "user_event": json.dumps({"target": body["target"]}),
    }
    assert app.invoke_local(timer)["result"]["drifted"] == 0
    api = env.instance.apis.find(name="shop_item1")
    assert api is not None
    api["remark"] = "edited on the console"
    writes = env.writes()
    report = app.invoke_local(timer)["result"]
    assert report["drifted"] == 1 and report["plan"][0]["name"] == "shop_item1", report
    assert env.writes() == writes and api["remark"] == "edited on the console"
    messages = smn.messages(topic.topic_urn)
    assert len(messages) == 1 and "shop_item1" in messages[0].message
