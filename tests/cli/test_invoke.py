"""``opsfn invoke``: every sample in ``events/<function>/`` runs against a fresh embedded emulator.

Expected results, by sample kind: webhook samples are signed at invocation and must answer 2xx (a fresh
emulator has what they need); timer samples answer ``ok``; queue samples may contain deliberately
malformed records, which must be reported as non-retryable *validation* failures (never a crash, never a
redelivery) while every well-formed record succeeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _cli_helpers import REPO, Project
from click.testing import CliRunner

from devkit.cli import main
from devkit.emulator.core import Emulator
from devkit.invoke import DEV_WEBHOOK_SECRET, sign_event, to_platform, uses_real_endpoints
from devkit.template import load_template
from shared.verify import WebhookVerificationError, verify_standard_webhook

TEMPLATE = load_template(REPO / "template.yaml")
SAMPLES = sorted(
    (name, path) for name in TEMPLATE.functions for path in (REPO / "events" / name).glob("*.json")
)


def invoke(runner: CliRunner, *args: str, template: Path = REPO / "template.yaml") -> tuple[int, Any, str]:
    result = runner.invoke(main, ["invoke", *args, "--template", str(template)])
    try:
        body = json.loads(result.stdout)
    except ValueError:
        body = None
    return result.exit_code, body, result.stderr


def test_every_function_has_samples() -> None:
    assert {name for name, _ in SAMPLES} == set(TEMPLATE.functions)


@pytest.mark.parametrize(("name", "path"), SAMPLES, ids=[f"{n}/{p.name}" for n, p in SAMPLES])
def test_sample_event(runner: CliRunner, name: str, path: Path) -> None:
    code, response, err = invoke(runner, name, "--event", str(path))
    assert code == 0, err
    assert response is not None, "stdout must be exactly the response JSON (logs go to stderr)"
    assert "target: embedded emulator" in err
    if "statusCode" in response:
        assert 200 <= response["statusCode"] < 300, response
        json.loads(response["body"])
    elif "results" in response:
        assert response["redeliver"] is False
        assert response["records_ok"] >= 1
        failed = [r for r in response["results"] if r["status"] != "ok"]
        assert len(failed) == response["records_failed"]
        assert all(r["error"] == "validation" and r["retryable"] is False for r in failed), failed
    else:
        assert response["ok"] is True, response


def test_unsigned_webhook_is_refused(runner: CliRunner) -> None:
    """--no-sign proves that verification really runs: the same sample without a signature is a 401."""
    sample = REPO / "events" / "license_release" / "webhook.json"
    code, response, _ = invoke(runner, "license_release", "--event", str(sample), "--no-sign")
    assert code == 0
    assert response["statusCode"] == 401


@pytest.mark.parametrize(("platform", "source"), [("functiongraph", "apig"), ("scf", "scf_apigw")])
def test_local_webhook_rewrapped_for_a_platform(
    runner: CliRunner, project: Project, platform: str, source: str
) -> None:
    sample = project.root / "events" / "demo" / "webhook.json"
    code, response, err = invoke(
        runner, "demo", "--event", str(sample), "--platform", platform, template=project.template
    )
    assert code == 0, err
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"hello": "ada", "items": [{"name": "ADA"}, {"name": "ada"}]}
    assert f"demo [{source}] -> 200" in err


def test_signature_covers_the_exact_body_and_is_fresh() -> None:
    event = json.loads((REPO / "events" / "license_purchase" / "webhook.json").read_text(encoding="utf-8"))
    signed = sign_event(event, DEV_WEBHOOK_SECRET)
    again = sign_event(signed, DEV_WEBHOOK_SECRET)
    assert signed["headers"]["webhook-id"] != again["headers"]["webhook-id"]
    body = event["body"].encode()
    verify_standard_webhook(body, signed["headers"], [DEV_WEBHOOK_SECRET])
    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(body + b" ", signed["headers"], [DEV_WEBHOOK_SECRET])
    apig = to_platform(signed, "functiongraph")
    assert apig["headers"]["webhook-signature"] == signed["headers"]["webhook-signature"]


def test_context_json_and_errors(runner: CliRunner, project: Project, tmp_path: Path) -> None:
    sample = project.root / "events" / "demo" / "webhook.json"
    code, response, _ = invoke(
        runner,
        "demo",
        "--event",
        str(sample),
        "--context-json",
        '{"request_id": "req-42"}',
        template=project.template,
    )
    assert code == 0 and response["headers"]["X-Request-Id"] == "req-42"
    code, _, err = invoke(runner, "nope", "--event", str(sample), template=project.template)
    assert code == 1 and "unknown function 'nope'" in err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    code, _, err = invoke(runner, "demo", "--event", str(bad), template=project.template)
    assert code == 1 and "must be a JSON object" in err
    code, _, err = invoke(
        runner, "demo", "--event", str(sample), "--context-json", "[]", template=project.template
    )
    assert code == 1 and "--context-json must be a JSON object" in err


def test_real_endpoint_detection(demo_cloud_env: dict[str, str]) -> None:
    assert not uses_real_endpoints(demo_cloud_env)
    assert uses_real_endpoints({**demo_cloud_env, "OPSFN_ENDPOINT_IDE": "http://127.0.0.1:8600"})
    assert uses_real_endpoints({**demo_cloud_env, "HUAWEICLOUD_SDK_AK": "REALKEY"})
    assert not uses_real_endpoints({})


def test_endpoint_override_targets_that_endpoint(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, emulator_server: str
) -> None:
    """With OPSFN_ENDPOINT_* set, invoke calls those endpoints (here a loopback emulator), not its own."""
    monkeypatch.setenv("OPSFN_ENDPOINT_IDE", emulator_server)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0" * 32)
    sample = REPO / "events" / "license_release" / "webhook.json"
    code, response, err = invoke(runner, "license_release", "--event", str(sample))
    assert code == 0, err
    assert "target: real cloud endpoints" in err
    assert response["statusCode"] == 200
    assert "0" * 32 in emulator.service("ide").backends()  # the loopback emulator saw the calls
