"""Reading publish traces, and hostile or malformed events at publish_guardrail's entry point.

Hostile events must get a clear answer (a 400 result, or a failed record that is never redelivered) naming
the field at fault, and never a traceback; traces that are not APIG publishing are answered ``ignored``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.publish_guardrail.handler import app
from functions.publish_guardrail.trace import (
    MAX_TARGETS,
    Ignored,
    PublishEvent,
    PublishTrace,
    Target,
    TraceError,
    classify,
)
from shared.idempotency import reset_store_cache

API = "5f918d104dc84480a75166ba99efff21"
API2 = "3a955b791bd24b1c9cd94c745f8d1aad"
ENV = "DEFAULT_ENVIRONMENT_RELEASE_ID"
ROOT = Path(__file__).resolve().parents[2]


def trace(**fields: Any) -> PublishTrace:
    base: dict[str, Any] = {"trace_id": "t-1", "trace_name": "publishApi", "service_type": "APIG"}
    return PublishTrace.model_validate({**base, **fields})


# -- classify ------------------------------------------------------------------------------------------------


def test_single_publish_targets_from_request_response_or_resource_id() -> None:
    by_request = classify(trace(request={"action": "online", "api_id": API, "env_id": ENV}))
    assert by_request == PublishEvent("publish", (Target(API, ENV),))
    by_response = classify(trace(response=json.dumps({"api_id": API, "env_id": ENV, "publish_id": "p"})))
    assert isinstance(by_response, PublishEvent) and by_response.targets == (Target(API, ENV),)
    by_resource = classify(trace(resource_id=API))
    assert isinstance(by_resource, PublishEvent) and by_resource.targets == (Target(API, ""),)


def test_batch_targets_prefer_the_publish_records_and_drop_repeats() -> None:
    records = [
        {"api_id": API, "env_id": ENV},
        {"api_id": API2, "env_id": ENV},
        {"api_id": API, "env_id": ENV},
    ]
    event = classify(
        trace(trace_name="BatchPublishOrOfflineApi", response={"success": records, "failure": []})
    )
    assert isinstance(event, PublishEvent) and event.operation == "batch_publish"
    assert event.targets == (Target(API, ENV), Target(API2, ENV))
    from_request = classify(
        trace(trace_name="batchPublishOrOfflineApi", request={"apis": [API2], "env_id": ENV})
    )
    assert isinstance(from_request, PublishEvent) and from_request.targets == (Target(API2, ENV),)


def test_instance_from_the_recorded_url_and_other_instances_ignored() -> None:
    url = "/v2/p/apigw/instances/inst-1/apis/action?x=1"
    event = classify(trace(resource_id=API, resource_url=url))
    assert isinstance(event, PublishEvent) and event.instance_id == "inst-1"
    assert isinstance(classify(trace(resource_id=API, resource_url=url), "inst-2"), Ignored)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"service_type": "FunctionGraph", "trace_name": "createFunction"}, "not an APIG trace"),
        ({"trace_name": "offlineApi", "resource_id": API}, "not a publish operation"),
        ({"trace_name": "createApi", "resource_id": API}, "not a publish operation"),
        ({"resource_id": API, "code": 404}, "the recorded call failed"),
        ({"resource_id": API, "code": "500"}, "the recorded call failed"),
        ({"resource_id": API, "request": {"action": "OFFLINE"}}, "an offline action"),
        (
            {
                "trace_name": "batchPublishOrOfflineApi",
                "resource_id": API,
                "message": "POST /x?action=offline",
            },
            "an offline",
        ),
    ],
)
def test_ignored_traces(fields: dict[str, Any], reason: str) -> None:
    result = classify(trace(**fields))
    assert isinstance(result, Ignored) and result.reason.startswith(reason)


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"request": {"api_id": "../../apis"}}, "api_id"),
        ({"resource_id": "a/b"}, "api_id"),
        ({"resource_id": API, "request": {"env_id": "env?x=1"}}, "env_id"),
        ({"request": {"action": "delete", "api_id": API}}, "request.action"),
        ({"request": {"action": ["online"], "api_id": API}}, "request.action"),
        ({"trace_name": "BatchPublishOrOfflineApi", "request": {"apis": "all"}}, "request.apis"),
        ({"trace_name": "BatchPublishOrOfflineApi", "request": {"apis": [API, 7]}}, "request.apis[1]"),
        (
            {"trace_name": "BatchPublishOrOfflineApi", "response": {"success": {"api_id": API}}},
            "response.success",
        ),
        (
            {"trace_name": "BatchPublishOrOfflineApi", "response": {"success": [{"api_id": None}]}},
            "success[0].api_id",
        ),
        ({"trace_name": "BatchPublishOrOfflineApi", "response": {"success": ["x"]}}, "success[0]"),
        ({}, "the trace names no API"),
    ],
)
def test_malformed_publish_traces_name_the_field(fields: dict[str, Any], where: str) -> None:
    with pytest.raises(TraceError, match=re.escape(where)):
        classify(trace(**fields))


def test_more_apis_than_the_batch_limit_are_refused() -> None:
    apis = [f"{n:032x}" for n in range(MAX_TARGETS + 1)]
    with pytest.raises(TraceError, match="more than 1000"):
        classify(trace(trace_name="BatchPublishOrOfflineApi", request={"apis": apis, "env_id": ENV}))
    at_limit = classify(
        trace(trace_name="BatchPublishOrOfflineApi", request={"apis": apis[:-1], "env_id": ENV})
    )
    assert isinstance(at_limit, PublishEvent) and len(at_limit.targets) == MAX_TARGETS


def test_unparseable_request_text_falls_back_to_the_resource_id() -> None:
    event = classify(trace(resource_id=API, request="{" * 100_000, response="not json"))
    assert isinstance(event, PublishEvent) and event.targets == (Target(API, ""),)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_KEYS = st.sampled_from(["api_id", "env_id", "apis", "action", "success", "failure", "version_id"])


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(["publishApi", "BatchPublishOrOfflineApi", "ChangeApiVersion", "x"]),
    request=st.dictionaries(_KEYS, _JSON, max_size=4) | _JSON,
    response=st.dictionaries(_KEYS, _JSON, max_size=4) | _JSON,
    resource_id=st.text(max_size=70),
    code=st.none() | st.integers() | st.text(max_size=5),
)
def test_any_trace_content_is_classified_or_refused_cleanly(
    name: str, request: Any, response: Any, resource_id: str, code: Any
) -> None:
    """Whatever ``request``/``response`` hold, the answer is an event, an Ignored or a TraceError."""
    item = trace(trace_name=name, request=request, response=response, resource_id=resource_id, code=code)
    try:
        result = classify(item)
    except TraceError:
        return
    assert isinstance(result, (PublishEvent, Ignored))
    if isinstance(result, PublishEvent):
        assert 1 <= len(result.targets) <= MAX_TARGETS
        assert all(t.api_id and "/" not in t.api_id and "/" not in t.env_id for t in result.targets)


# -- the entry point ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def memory_store(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("RUNTIME_FUNC_NAME", "RUNTIME_PROJECT_ID", "RUNTIME_CODE_ROOT", "OPSFN_SMN_TOPIC_URN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    reset_store_cache()
    yield
    reset_store_cache()


def run(event: Any) -> dict[str, Any]:
    response = app.invoke_local(event, None, "functiongraph")
    assert "Traceback" not in json.dumps(response)
    return response


@pytest.mark.parametrize(
    "event",
    ["not json", "[1, 2]", {"cts": "publishApi"}, {"cts": [1]}, {"events": "x"}, {"something": "else"}],
)
def test_unrecognised_envelopes_answer_400(event: Any) -> None:
    response = run(event)
    assert (response["ok"], response["status"], response["error"]) == (False, 400, "bad_event")


def test_wrong_field_types_fail_the_record_with_field_messages() -> None:
    response = run({"cts": {"trace_id": "t-types", "trace_name": 5, "user": "u"}})
    [entry] = response["results"]
    assert (entry["status"], entry["error"], entry["retryable"]) == ("failed", "validation", False)
    assert entry["fields"][0]["loc"] == "trace_name" and response["redeliver"] is False


def test_oversized_trace_id_is_refused() -> None:
    [entry] = run({"cts": {"trace_id": "t" * 10_000, "trace_name": "publishApi"}})["results"]
    assert entry["error"] == "validation" and entry["fields"][0]["loc"] == "trace_id"


def test_hostile_api_id_is_a_bad_trace_and_never_redelivered() -> None:
    response = run({"cts": {"trace_id": "t-hostile", "trace_name": "publishApi", "resource_id": "../../x"}})
    [entry] = response["results"]
    assert entry["status"] == "failed" and entry["retryable"] is False
    assert entry["error"].startswith("bad_trace: api_id must be an APIG id")
    assert response["redeliver"] is False


def test_non_publish_traces_are_answered_ignored_without_any_call() -> None:
    sample = json.loads((ROOT / "events/_platform/fg_cts_create_function.json").read_text())
    [entry] = run(sample)["results"]
    assert entry["status"] == "ok" and entry["result"]["status"] == "ignored"


def test_cloudevent_without_trace_data_is_refused() -> None:
    event = {
        "id": "e-1",
        "source": "HC.APIG",
        "specversion": "1.0",
        "type": "APIG:CloudTrace:ApiCall",
        "data": "x",
    }
    [entry] = run(event)["results"]
    assert entry["error"] == "validation" and entry["retryable"] is False
    [missing] = run({"events": [{"id": "e-2", "specversion": "1.0"}]})["results"]
    assert missing["status"] == "failed" and "source" in missing["error"]


def test_guardrail_settings_are_read_and_checked_once_in_settings() -> None:
    from shared.config import InvalidSettingError, Settings

    read = Settings.from_env({"OPSFN_GUARDRAIL_MODE": "Enforce", "OPSFN_GUARDRAIL_SIGN_ID": " s-1 "})
    assert (read.guardrail_mode, read.guardrail_sign_type, read.guardrail_sign_id) == (
        "enforce",
        "hmac",
        "s-1",
    )
    assert Settings.from_env({}).guardrail_mode == "audit"
    for variable, value in (("OPSFN_GUARDRAIL_MODE", "fix"), ("OPSFN_GUARDRAIL_SIGN_TYPE", "rsa")):
        with pytest.raises(InvalidSettingError, match=variable) as err:
            Settings.from_env({variable: value})
        assert value not in str(err.value)
