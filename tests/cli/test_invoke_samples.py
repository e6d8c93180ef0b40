"""``opsfn invoke``: every sample in ``events/`` on every platform it applies to.

tests/cli/test_invoke.py runs each sample once on its detected platform and accepts "some 2xx" or "at
least one record ok". This file pins the *expected* outcome of each sample (status, exact ok/failed
record counts, dry-run flag) and runs it on each platform where it applies: a local webhook envelope is
re-wrapped as a FunctionGraph APIG event and as an SCF API gateway event; platform-shaped samples run on
their own platform. A sample handed to the other cloud's entry point must be a clean 400 ``bad_event``
answer (that runtime would not recognise the shape), never a crash. Every webhook sample is also run
unsigned on each platform to prove the signature added at invocation is what lets it through
(verification runs for real, it is not bypassed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from devkit.cli import main
from devkit.template import load_template

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"

# sample -> (platforms it applies to, expected outcome). Outcome: ("http", status) for an HTTP answer,
# ("batch", ok, failed) for a queue batch, ("timer", dry_run) for a timer run.
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {
    "license_purchase/webhook.json": (("local", "functiongraph", "scf"), ("http", 200)),
    "license_purchase/webhook_apig.json": (("functiongraph",), ("http", 200)),
    "license_purchase/kafka_batch.json": (("functiongraph",), ("batch", 5, 1)),
    "license_purchase/scf_ckafka.json": (("scf",), ("batch", 1, 1)),
    "license_release/webhook.json": (("local", "functiongraph", "scf"), ("http", 200)),
    "license_release/webhook_scf_apigw.json": (("scf",), ("http", 200)),
    "license_release/kafka_batch.json": (("functiongraph",), ("batch", 4, 1)),
    "license_reconcile/timer.json": (("functiongraph",), ("timer", True)),
    "license_reconcile/timer_apply.json": (("functiongraph",), ("timer", False)),
    "license_reconcile/scf_timer.json": (("scf",), ("timer", True)),
    "publish_guardrail/cts_publish.json": (("functiongraph",), ("batch", 1, 0)),
    "publish_guardrail/cts_batch_publish.json": (("functiongraph",), ("batch", 1, 0)),
    "publish_guardrail/eventgrid_publish.json": (("functiongraph",), ("batch", 1, 0)),
    "api_publish/plan.json": (("local", "functiongraph", "scf"), ("http", 200)),
    "api_publish/github_push.json": (("local", "functiongraph", "scf"), ("http", 200)),
    "api_publish/drift_timer.json": (("functiongraph",), ("timer", True)),
    "secret_tag_watch/timer_sweep.json": (("functiongraph",), ("timer", True)),
    "secret_tag_watch/cts_tag_change.json": (("functiongraph",), ("batch", 1, 0)),
    "secret_tag_watch/smn_version_expired.json": (("functiongraph",), ("batch", 1, 0)),
    "rotation_report/kafka_answers.json": (("functiongraph",), ("batch", 1, 0)),
    "key_rotation/webhook.json": (("local", "functiongraph", "scf"), ("http", 200)),
    "key_rotation/kafka_jobs.json": (("functiongraph",), ("batch", 2, 0)),
    "key_rotation/timer.json": (("functiongraph",), ("timer", True)),
}
ALL_PLATFORMS = ("functiongraph", "scf")
CASES = [(s, p) for s, (platforms, _) in EXPECTED.items() for p in platforms]
MISMATCHED = [
    (s, p)
    for s, (platforms, _) in EXPECTED.items()
    if "local" not in platforms
    for p in ALL_PLATFORMS
    if p not in platforms
]
WEBHOOKS = [(s, p) for s, (platforms, o) in EXPECTED.items() if o[0] == "http" for p in platforms]


@pytest.fixture(autouse=True)
def isolated(isolated_env: None) -> None:
    """No platform markers or endpoint overrides from the shell (``tests/conftest.py``)."""


def _invoke(sample: str, platform: str, *extra: str) -> tuple[int, Any, str]:
    name = sample.split("/")[0]
    args = ["invoke", name, "--event", str(EVENTS / sample), "--template", str(REPO / "template.yaml")]
    if platform != "local":
        args += ["--platform", platform]
    result = CliRunner().invoke(main, [*args, *extra])
    try:
        body = json.loads(result.stdout)
    except ValueError:
        body = None
    return result.exit_code, body, result.stderr


def test_the_table_covers_every_sample_file() -> None:
    """A new sample in events/ (outside _platform/) must get an expected outcome here."""
    on_disk = {
        str(p.relative_to(EVENTS))
        for p in EVENTS.rglob("*.json")
        if p.relative_to(EVENTS).parts[0] != "_platform" and p.parent.name != "bodies"  # bodies: not events
    }
    assert on_disk == set(EXPECTED)
    assert {s.split("/")[0] for s in on_disk} == set(load_template(REPO / "template.yaml").functions)


@pytest.mark.parametrize(("sample", "platform"), CASES, ids=[f"{s}@{p}" for s, p in CASES])
def test_sample_gives_its_expected_outcome(sample: str, platform: str) -> None:
    code, response, err = _invoke(sample, platform)
    assert code == 0, err
    assert response is not None, "stdout must be the platform response JSON only"
    outcome = EXPECTED[sample][1]
    if outcome[0] == "http":
        assert response["statusCode"] == outcome[1], response
        body = json.loads(response["body"])
        assert isinstance(body, dict) and "error" not in body, body
    elif outcome[0] == "batch":
        assert (response["records_ok"], response["records_failed"]) == outcome[1:], response
        assert response["redeliver"] is False
        failed = [r for r in response["results"] if r["status"] != "ok"]
        assert all(r["error"] == "validation" and r["retryable"] is False for r in failed), failed
        # The failed records are reported to the platform for what it does with them.
        assert len(response["batchItemFailures"]) == outcome[2]
    else:
        assert response["ok"] is True, response
        assert response["result"]["dry_run"] is outcome[1]


@pytest.mark.parametrize(("sample", "platform"), MISMATCHED, ids=[f"{s}@{p}" for s, p in MISMATCHED])
def test_sample_on_the_other_cloud_is_a_clean_bad_event(sample: str, platform: str) -> None:
    code, response, err = _invoke(sample, platform)
    assert code == 0, err
    assert "Traceback" not in err
    if "statusCode" in response:
        assert response["statusCode"] == 400
        assert json.loads(response["body"])["error"] == "bad_event"
    else:
        assert (response["status"], response["error"]) == (400, "bad_event"), response


@pytest.mark.parametrize(("sample", "platform"), WEBHOOKS, ids=[f"{s}@{p}" for s, p in WEBHOOKS])
def test_webhook_sample_unsigned_is_refused(sample: str, platform: str) -> None:
    """The same sample without the invocation-time signature is a 401: verification is real."""
    code, response, err = _invoke(sample, platform, "--no-sign")
    assert code == 0, err
    assert response["statusCode"] == 401, response


def test_hostile_event_file_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    """A file nested past the JSON parser's stack raised RecursionError (not a ValueError) -> traceback."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    args = ["invoke", "license_release", "--event", str(deep), "--template", str(REPO / "template.yaml")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "cannot read the event: JSON nested too deeply" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
