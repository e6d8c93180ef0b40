"""rotation_report: one summary of the rotation answers to SMN and (when configured) Astro Zero."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.emulator.services.astro import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, AstroBackend
from functions.rotation_report.handler import handler
from tests.functions.conftest import Wired, kafka


def answer(name: str, status: str, message: str = "") -> dict[str, Any]:
    return {
        "secret_name": name,
        "rotation_id": f"rot-{name}",
        "kind": "apig-app",
        "strategy": "alternating",
        "status": status,
        "versions": {"new": "v2" if status == "rotated" else None, "previous": "v1"},
        "message": message,
    }


ANSWERS = [
    answer("a", "rotated"),
    answer("b", "rotated"),
    answer("c", "failed", "gateway refused the new secret; undone"),
    answer("d", "skipped"),
    answer("e", "undone", "test step timed out"),
]


def test_one_summary_of_a_list_of_answers_reaches_smn(wired: Wired) -> None:
    out = handler(kafka([ANSWERS], topic="rotation-answers"), None)
    [result] = out["results"]
    summary = result["result"]
    assert summary["by_status"] == {
        "rotated": 2,
        "planned": 0,
        "in_progress": 0,
        "skipped": 1,
        "undone": 1,
        "failed": 1,
    }
    assert [a["secret_name"] for a in summary["attention"]] == ["c", "e"]
    assert summary["notifications"] == {"smn": "sent", "astro": "not configured"}
    [note] = wired.notifications()
    assert note.subject == "opsfn rotation sweep: 2 rotated, 1 skipped, 1 undone, 1 failed"
    assert "- c [failed] apig-app: gateway refused the new secret; undone" in note.message


def test_an_empty_sweep_and_a_workflow_error_are_summarised_too(wired: Wired) -> None:
    [empty] = handler(kafka([[]], topic="rotation-answers"), None)["results"]
    assert (
        empty["result"]["total"] == 0
        and empty["result"]["subject"] == "opsfn rotation sweep: nothing to rotate"
    )
    error = {"error": "key_rotation failed 3 times", "step": "rotate", "input": {"jobs": []}}
    [failed] = handler(kafka([error], topic="rotation-answers"), None)["results"]
    assert failed["result"]["subject"].endswith("(workflow error)")
    assert "The workflow failed at step rotate: key_rotation failed 3 times" in failed["result"]["text"]


def test_the_summary_also_goes_to_astro_zero_when_configured(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSFN_ENDPOINT_ASTRO", "https://astro.opsfn.test")
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    monkeypatch.setenv("OPSFN_ASTRO_REPORT_PATH", "/service/opsfn__ops/1.0.0/rotation-reports")
    [result] = handler(kafka([ANSWERS], topic="rotation-answers"), None)["results"]
    assert result["result"]["notifications"] == {"smn": "sent", "astro": "sent"}
    astro: AstroBackend = wired.emulator.service("astro").backend("default")
    [call] = astro.calls_to("/service/opsfn__ops/1.0.0/rotation-reports")
    assert call.status == 200 and call.body["kind"] == "rotation_summary"
    assert call.body["report"]["by_status"]["rotated"] == 2
    assert len(wired.notifications()) == 1


def test_a_wrong_astro_secret_is_named_in_the_answer_and_smn_still_gets_the_summary(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from shared.log import configure_logging

    lines = io.StringIO()
    configure_logging("DEBUG", lines)
    wrong = "NotTheAstroSecret-0000111122223333"
    monkeypatch.setenv("OPSFN_ENDPOINT_ASTRO", "https://astro.opsfn.test")
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_SECRET", wrong)
    monkeypatch.setenv("OPSFN_ASTRO_REPORT_PATH", "/service/opsfn__ops/1.0.0/rotation-reports")
    try:
        out = handler(kafka([ANSWERS], topic="rotation-answers"), None)
    finally:
        configure_logging("INFO")
    [result] = out["results"]
    assert result["result"]["notifications"]["astro"].startswith(
        "failed: Astro Zero refused the client credentials (invalid_client): check OPSFN_ASTRO_CLIENT_ID"
    )
    assert len(wired.notifications()) == 1
    assert "report not delivered" in lines.getvalue() and "AstroConfigurationError" in lines.getvalue()
    assert wrong not in lines.getvalue() + json.dumps(out)


@pytest.mark.parametrize(
    "message",
    [
        [{"secret_name": "", "status": "rotated"}],
        [{"secret_name": "x"}],
        {"answers": "nope"},
        "not json",
    ],
)
def test_malformed_answers_fail_alone_without_a_traceback(wired: Wired, message: Any) -> None:
    out = handler(kafka([message], topic="rotation-answers"), None)
    [result] = out["results"]
    assert result["status"] == "failed" and result["retryable"] is False
    assert "Traceback" not in json.dumps(out) and wired.notifications() == []
