"""Malformed envelopes (hypothesis): parsers raise only :class:`EventParseError`, and a full invocation
answers with a 400-class result or reported failed records - never an exception, never a 500."""

from __future__ import annotations

import copy
import json
from typing import Any

from _platform_samples import SAMPLE_NAMES, load_sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from shared.runtime import FunctionApp, Invocation, RecordOutcome
from shared.triggers import EventParseError, TriggerEvent, parse_event

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, (*prefix, index)))
    return out


@st.composite
def mutated_samples(draw: st.DrawFn) -> dict[str, Any]:
    """A documented sample with one field replaced by arbitrary JSON, or deleted."""
    event = copy.deepcopy(load_sample(draw(st.sampled_from(SAMPLE_NAMES))))
    path = draw(st.sampled_from(_paths(event)))
    parent: Any = event
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return event


class Anything(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = "x"


def _app() -> FunctionApp:
    app = FunctionApp("fuzz", store="memory://")

    @app.http(model=Anything)
    def on_http(item: Anything, inv: Invocation) -> dict[str, str]:
        return {"name": item.name}

    @app.batch(model=Anything)
    def on_batch(items: list[Anything], inv: Invocation) -> list[RecordOutcome]:
        return [RecordOutcome.success() for _ in items]

    @app.timer(model=Anything)
    def on_timer(item: Anything, inv: Invocation) -> None:
        return None

    @app.event(model=Anything)
    def on_event(item: Anything, inv: Invocation) -> None:
        return None

    return app


APP = _app()


def _parse(event: Any) -> TriggerEvent | None:
    try:
        return parse_event(event)
    except EventParseError:
        return None


def _check_response(event: Any) -> None:
    response = APP.invoke_local(event)
    json.dumps(response)  # always JSON-serialisable: the platforms require it
    if "statusCode" in response:
        assert response["statusCode"] < 500, response
        return
    if "results" in response:
        assert response["records_ok"] + response["records_failed"] == len(response["results"])
        return
    assert response.get("ok") is True or 400 <= response["status"] < 500, response


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_parses_or_fails_cleanly(value):
    _parse(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_mutated_samples_parse_or_fail_cleanly(event):
    _parse(event)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_mutated_samples_never_break_an_invocation(event):
    _check_response(event)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_breaks_an_invocation(value):
    _check_response(value)


def test_every_sample_invokes_cleanly():
    for name in SAMPLE_NAMES:
        _check_response(load_sample(name))
