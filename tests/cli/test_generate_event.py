"""``opsfn generate-event``: each envelope parses as the trigger it claims, the body where it belongs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from devkit.cli import main
from devkit.generate_event import EVENT_KINDS, GenerateError, generate_event
from devkit.invoke import DEV_WEBHOOK_SECRET
from shared.triggers import parse_event
from shared.verify import verify_standard_webhook

BODY = b'{"request_id": "r-1", "user_id": "alice"}'
KIND = {
    "apig": "http",
    "apigw": "http",
    "timer": "timer",
    "kafka": "queue",
    "ckafka": "queue",
    "cmq": "queue",
    "smn": "notification",
    "cts": "audit",
    "eventgrid": "cloudevent",
}
PAIRS = [(p, t) for p, kinds in EVENT_KINDS.items() for t in kinds]


@pytest.mark.parametrize(("platform", "trigger"), PAIRS, ids=[f"{p}-{t}" for p, t in PAIRS])
def test_envelope_parses_as_its_trigger_with_the_body(platform: str, trigger: str) -> None:
    event = generate_event(platform, trigger, BODY, path="/hooks/x", topic="t1")
    parsed = parse_event(event, platform)
    assert parsed.platform == platform and parsed.kind == KIND[trigger]
    if parsed.kind in ("http", "timer"):
        assert parsed.body == BODY
    elif parsed.kind in ("queue", "notification"):
        assert [r.body for r in parsed.records] == [BODY]
    elif parsed.kind == "audit":
        assert event["cts"]["user_id"] == "alice"  # the body's fields are the trace's
    else:
        assert event["data"] == json.loads(BODY)


@pytest.mark.parametrize("trigger", ["kafka", "ckafka", "cmq"])
def test_a_json_array_is_one_message_per_item(trigger: str) -> None:
    platform = "functiongraph" if trigger == "kafka" else "scf"
    event = generate_event(platform, trigger, b'[{"a": 1}, "plain", {"b": 2}]')
    bodies = [r.body for r in parse_event(event, platform).records]
    assert bodies == [b'{"a": 1}', b"plain", b'{"b": 2}']


@pytest.mark.parametrize(("platform", "trigger"), [("functiongraph", "apig"), ("scf", "apigw")])
def test_sign_makes_a_verifiable_webhook(platform: str, trigger: str) -> None:
    result = CliRunner().invoke(
        main, ["generate-event", platform, trigger, "--sign", "--body", "-"], input=BODY
    )
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)
    parsed = parse_event(event, platform)
    verify_standard_webhook(parsed.body, parsed.headers, DEV_WEBHOOK_SECRET)  # raises unless it verifies


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["functiongraph", "ckafka"], "functiongraph has no trigger 'ckafka'"),
        (["scf", "timer", "--sign"], "--sign applies to webhooks"),
        (["functiongraph", "eventgrid", "--body", "-"], "must be a JSON object"),
    ],
)
def test_errors_are_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["generate-event", *args], input=b"[1, 2]")
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_unknown_platform_in_the_module() -> None:
    with pytest.raises(GenerateError, match="unknown platform"):
        generate_event("aws", "sqs", b"{}")
