"""Every sample event in ``events/license_*/`` runs through its platform entry point with the expected result.

Webhook samples are stored unsigned (``opsfn invoke`` signs them at invocation time, with a fresh
timestamp); here they are signed the same way, so verification runs for real. Files whose name contains
``scf`` go to ``main_handler``, the others to the FunctionGraph ``handler``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.functions.conftest import Wired, http_body, sign

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("license_purchase", "license_release", "license_reconcile")

# file -> ("http", status, body status) | ("batch", records ok, records failed) | ("timer", ok)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "license_purchase/webhook.json": ("http", 200, "purchased"),
    "license_purchase/webhook_apig.json": ("http", 200, "purchased"),
    # 6 messages: 3 requests, an exact duplicate, the same request re-serialised, one bad machine code.
    "license_purchase/kafka_batch.json": ("batch", 5, 1),
    # the second record names an unknown spec.
    "license_purchase/scf_ckafka.json": ("batch", 1, 1),
    "license_release/webhook.json": ("http", 200, "nothing_bound"),
    "license_release/webhook_scf_apigw.json": ("http", 200, "nothing_bound"),
    # 5 messages: 3 requests, a duplicate, one naming neither user nor machine.
    "license_release/kafka_batch.json": ("batch", 4, 1),
    "license_reconcile/timer.json": ("timer", True),
    "license_reconcile/timer_apply.json": ("timer", False),
    "license_reconcile/scf_timer.json": ("timer", True),
}


def samples() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT / "events")) for f in FUNCTIONS for p in (ROOT / "events" / f).glob("*.json")
    )


def test_every_sample_has_an_expectation() -> None:
    assert samples() == sorted(EXPECTED)


def test_every_declared_trigger_has_a_sample() -> None:
    template = yaml.safe_load((ROOT / "template.yaml").read_text())
    for name in FUNCTIONS:
        kinds = {spec["Type"] for spec in template["Functions"][name]["Events"].values()}
        files = [json.loads(p.read_text()) for p in (ROOT / "events" / name).glob("*.json")]
        shapes = {_shape(event) for event in files}
        assert kinds <= shapes, f"{name}: triggers {kinds}, samples {shapes}"


def _shape(event: dict[str, Any]) -> str:
    if event.get("opsfn") == "webhook" or "httpMethod" in event:
        return "Webhook"
    if "records" in event or "Records" in event:
        return "Kafka"
    return "Timer" if event.get("trigger_type") == "TIMER" or event.get("Type") == "Timer" else "?"


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_event_runs(wired: Wired, sample: str) -> None:
    name, file = sample.split("/")
    module = importlib.import_module(f"functions.{name}.handler")
    event = json.loads((ROOT / "events" / sample).read_text())
    if file.startswith("webhook"):
        event = sign(event)
    entry = module.main_handler if "scf" in file else module.handler
    out = entry(event, None)
    kind, *expected = EXPECTED[sample]
    if kind == "http":
        assert (out["statusCode"], http_body(out)["status"]) == tuple(expected)
    elif kind == "batch":
        assert (out["records_ok"], out["records_failed"], out["redeliver"]) == (*expected, False)
        [failure] = [r for r in out["results"] if r["status"] == "failed"]
        assert failure["retryable"] is False and failure["fields"]
    else:
        assert out["ok"] is True and out["result"]["dry_run"] is expected[0]


def test_unsigned_webhook_samples_are_refused(wired: Wired) -> None:
    for sample in (s for s in EXPECTED if s.split("/")[1].startswith("webhook")):
        name, file = sample.split("/")
        module = importlib.import_module(f"functions.{name}.handler")
        event = json.loads((ROOT / "events" / sample).read_text())
        entry = module.main_handler if "scf" in file else module.handler
        assert entry(event, None)["statusCode"] == 401, sample
