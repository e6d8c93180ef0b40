"""No secret value in any log line, exception or answer: rotations of every kind, an undo, a repair and a
crash, with stdout/stderr and the log records captured and searched for every value CSMS ever held."""

from __future__ import annotations

import io
import json
import logging
import random

import pytest
from rotation_world import ChaosTransport, Crash, World, setup_app, setup_signature_key, setup_tencent

from devkit.emulator.core import json_response
from shared.http import use_transport
from shared.log import configure_logging


def _all_values(world: World) -> set[str]:
    found = set()
    for name in world.secrets:
        for version in world.csms_state(name).versions:
            data = json.loads(version.secret_string)
            found |= {data[k] for k in ("sign_secret", "app_secret", "access_key_secret") if k in data}
    return found


async def test_no_secret_value_reaches_logs_exceptions_or_answers(
    world: World, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    buffer = io.StringIO()
    configure_logging("DEBUG", buffer)  # every structlog line, whatever stream an earlier test configured
    await setup_signature_key(world)
    await setup_app(world)
    await setup_tencent(world)
    answers = [await world.rotate(n, "first") for n in list(world.secrets)]
    world.emulator.service("apig").backend(world.settings.project_id).http_backend = lambda r: json_response(
        401, {}
    )
    world.clock.now += 7200
    answers.append(await world.rotate("sig-secret", "refused"))  # test fails: undone
    assert answers[-1].status == "undone", answers[-1].message
    chaos = ChaosTransport(world.emulator.transport(), random.Random(5), 0.3)
    errors = []
    for i in range(12):
        world.clock.now += 7200
        chaos.calls, chaos.crash_at = 0, random.Random(i).randint(1, 30)
        with use_transport(chaos):
            try:
                answers.append(await world.rotate(["app-secret", "tc-secret"][i % 2], f"c{i}"))
            except Crash as crash:
                errors.append(repr(crash))
    world.clock.now += 7200
    answers += [await world.rotate(n, "after") for n in ("app-secret", "tc-secret")]
    values = _all_values(world)
    assert len(values) >= 6
    configure_logging("INFO")
    out, err = capfd.readouterr()
    text = (
        buffer.getvalue()
        + out
        + err
        + caplog.text
        + "".join(errors)
        + "".join(a.model_dump_json() for a in answers)
    )
    assert "key_rotation.step" in text, "the logs were captured"
    leaked = [v for v in values if v in text]
    assert not leaked, f"{len(leaked)} secret value(s) appear in captured output"
