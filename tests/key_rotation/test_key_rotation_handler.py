"""The entry points in their platform envelopes: a Kafka batch of jobs and the timer."""

from __future__ import annotations

import json

import pytest
from rotation_world import World, call_ok, enrol, setup_tencent

from functions.key_rotation.handler import app
from shared.idempotency import reset_store_cache


@pytest.fixture(autouse=True)
def memory_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    reset_store_cache()


def _kafka(*jobs: dict[str, str]) -> dict[str, object]:
    return {
        "event_version": "v1.0",
        "event_time": 1795075260,
        "trigger_type": "KAFKA",
        "region": "cn-north-4",
        "instance_id": "5b1e9d3a-7c2f-4a6e-9b1d-3f5a7c9e1b2d",
        "records": [{"messages": [json.dumps(j) for j in jobs], "topic_id": "key-rotation-jobs"}],
    }


async def test_kafka_jobs_rotate_and_a_failed_job_is_redelivered(world: World) -> None:
    old = await setup_tencent(world)
    await enrol(world, "broken", {"kind": "tencent-api-key"})  # lacks every field the kind needs
    out = await app.ainvoke(
        _kafka(
            {"secret_name": "tc-secret", "rotation_id": "k1", "extra": "ignored"}, {"secret_name": "broken"}
        )
    )
    assert out.redeliver, "the failed job is redelivered"
    current = world.stage_value("tc-secret", "SYSCURRENT")
    assert current and current["rotation_id"] == "k1" and await call_ok(current) and await call_ok(old)
    again = await app.ainvoke(_kafka({"secret_name": "tc-secret", "rotation_id": "k1"}))
    assert not again.redeliver and world.stage_value("tc-secret", "SYSCURRENT") == current


async def test_timer_plans_the_named_secrets(world: World) -> None:
    await setup_tencent(world)
    event = {
        "version": "v1.0",
        "time": "2026-11-23T03:00:00+00:00",
        "trigger_type": "TIMER",
        "trigger_name": "weekly",
        "user_event": json.dumps({"secrets": ["tc-secret"], "mode": "plan"}),
    }
    out = await app.ainvoke(event)
    answers = out.response["result"]["answers"]
    assert [a["status"] for a in answers] == ["planned"]


async def test_a_job_for_a_deleted_secret_is_skipped_not_retried(world: World) -> None:
    out = await app.ainvoke(_kafka({"secret_name": "gone", "rotation_id": "g1"}))
    assert not out.redeliver
    assert out.response["results"][0]["result"]["status"] == "skipped"
