"""With 30 % injected 5xx/429 every client's retries still complete each idempotent call, and the
non-retried POSTs fail with a typed error, not a hang.

``test_faults.py`` proves it for the SMN client alone. Here IAM, CodeArts IDE, CSMS and SMN clients run
side by side against one seeded emulator with 15 % 503 + 15 % 429 (``Retry-After: 2``) on every
operation: every read (and every POST the clients mark retry-safe, such as ListResourceInstances)
returns the right data; each 429 that was retried waited exactly the server's two seconds (recorded, not
slept); and the POSTs that must not be repeated (buy licences, new secret version, publish) are sent once
and fail with ``ServerError``/``ThrottledError`` well inside a time bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.registry import build_emulator
from shared.clients.csms import CsmsClient
from shared.clients.iam import IamClient
from shared.clients.ide import IdeClient
from shared.clients.smn import SmnClient
from shared.config import Settings
from shared.errors import CloudError, ServerError, ThrottledError
from shared.http import RetryPolicy, make_client

SERVICES = ("iam", "ide", "csms", "smn")


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _clients(emulator: Emulator, policy: RetryPolicy) -> tuple[IamClient, IdeClient, CsmsClient, SmnClient]:
    assert emulator.credentials is not None
    settings = Settings.from_env().replace(project_id=emulator.credentials.projects()[0].id)
    transport = emulator.transport()

    def http(service: str) -> Any:
        auth = settings.huawei_auth()
        return make_client(
            settings.endpoint(service), auth, service=service, retry=policy, transport=transport
        )

    project = settings.project_id
    return (
        IamClient(http("iam"), project_id=project),
        IdeClient(http("ide"), project_id=project),
        CsmsClient(http("csms"), project_id=project),
        SmnClient(http("smn"), project_id=project),
    )


async def test_every_clients_idempotent_calls_complete_under_30_percent_faults() -> None:
    emulator = build_emulator(seed=2026)
    assert emulator.faults is not None
    recorder = Recorder()
    iam, ide, csms, smn = _clients(emulator, RetryPolicy(max_attempts=12, sleep=recorder))
    async with iam, ide, csms, smn:
        bought = await ide.buy_licenses(3, auto_pay=True)
        secret = await csms.create_secret("faulty-db", secret_string="v1")
        await csms.create_secret_tag(secret.id, "env", "prod")
        urn = await smn.create_topic("faulty")
        for service in SERVICES:
            emulator.faults.add(service, kind="error", rate=0.15)
            emulator.faults.add(service, kind="throttle", rate=0.15, retry_after=2)
        for _ in range(12):
            assert [p.id for p in await iam.list_projects()]
            page = await ide.list_licenses(limit=2)
            assert page.total == 3 and len(page.items) == 2
            walked = [lic.id async for lic in ide.iter_licenses(page_size=1)]
            assert sorted(walked) == sorted(bought.license_ids)
            assert (await csms.show_secret("faulty-db")).id == secret.id
            version = await csms.show_secret_version("faulty-db")
            assert version.secret_string is not None and version.secret_string.get_secret_value() == "v1"
            found = await csms.list_resource_instances(tags={"env": ["prod"]})
            assert [r.resource_name for r in found.resources] == ["faulty-db"]
            topics = await smn.list_topics()
            assert [t.topic_urn for t in topics.topics] == [urn]
    for service in SERVICES:
        injected = {k: n for (svc, _, k), n in emulator.faults.counts.items() if svc == service}
        assert injected.get("error", 0) > 0 and injected.get("throttle", 0) > 0, service
    throttles = emulator.faults.total("throttle")
    assert recorder.sleeps.count(2.0) == throttles  # every 429 was retried after exactly its Retry-After
    assert len(recorder.sleeps) == emulator.faults.total()  # and nothing else was retried


@pytest.mark.parametrize("kind", ["error", "throttle"])
async def test_unsafe_posts_are_sent_once_and_fail_typed(kind: str) -> None:
    emulator = build_emulator(seed=7)
    assert emulator.faults is not None
    recorder = Recorder()
    _, ide, csms, smn = _clients(emulator, RetryPolicy(max_attempts=12, sleep=recorder))
    async with ide, csms, smn:
        await csms.create_secret("once-db", secret_string="v1")
        urn = await smn.create_topic("once")
        for service, operation in (
            ("ide", "CreateLicenses"),
            ("csms", "CreateSecretVersion"),
            ("smn", "PublishMessage"),
        ):
            emulator.faults.add(service, operation, kind=kind, rate=1.0, retry_after=30)
        expected: type[CloudError] = ServerError if kind == "error" else ThrottledError
        calls = (
            ide.buy_licenses(1, auto_pay=True),
            csms.create_secret_version("once-db", secret_string="v2"),
            smn.publish(urn, "hello"),
        )
        for call in calls:
            with pytest.raises(expected) as failed:
                await asyncio.wait_for(call, timeout=5)
            assert failed.value.status == (503 if kind == "error" else 429)
    assert recorder.sleeps == []
    assert sorted(emulator.faults.counts.values()) == [1, 1, 1]
    ops = {op for (_, op, _) in emulator.faults.counts}
    assert ops == {"CreateLicenses", "CreateSecretVersion", "PublishMessage"}
