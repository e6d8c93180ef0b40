"""Platform event envelopes → :class:`TriggerEvent`; typed results → platform responses.

:func:`parse_event` detects which documented envelope an event is (FunctionGraph, SCF or a local one from
``opsfn serve``) and parses it. Detection is structural because neither platform labels every event: the
tests below run most specific first, so e.g. an SCF API gateway event (``requestContext.serviceId``) is not
mistaken for a FunctionGraph APIG event. Passing ``platform`` restricts detection to that family (the
runtime does, since it knows which entry point was called).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.triggers import functiongraph as fg
from shared.triggers import local, scf
from shared.triggers.models import (
    CloudEvent,
    CtsTrace,
    EventParseError,
    Platform,
    Record,
    TriggerEvent,
    TriggerKind,
)

__all__ = [
    "CloudEvent",
    "CtsTrace",
    "EventParseError",
    "Platform",
    "Record",
    "TriggerEvent",
    "TriggerKind",
    "parse_event",
]

_Detector = tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], TriggerEvent]]

_LOCAL: list[_Detector] = [(local.is_local, local.parse_local)]
_SCF: list[_Detector] = [
    (scf.is_apigw, scf.parse_apigw),
    (scf.is_timer, scf.parse_timer),
    (scf.is_ckafka_or_cmq, scf.parse_records),
]
_FUNCTIONGRAPH: list[_Detector] = [
    (fg.is_cts, fg.parse_cts),
    (fg.is_cloudevents, fg.parse_cloudevents),
    (fg.is_smn, fg.parse_smn),
    (fg.is_timer, fg.parse_timer),
    (fg.is_kafka, fg.parse_kafka),
    (fg.is_apig, fg.parse_apig),
]
_ORDER: dict[str | None, list[_Detector]] = {
    None: _LOCAL + _SCF + _FUNCTIONGRAPH,
    "local": _LOCAL + _FUNCTIONGRAPH + _SCF,
    "scf": _LOCAL + _SCF,
    "functiongraph": _LOCAL + _FUNCTIONGRAPH,
}


def parse_event(event: Any, platform: str | None = None) -> TriggerEvent:
    """Detect and parse ``event``; :class:`EventParseError` for anything unrecognised or malformed.

    ``platform`` (``functiongraph``, ``scf``, ``local`` or ``None`` for any) limits the envelopes tried.
    Local envelopes are accepted on every platform so ``opsfn invoke --platform scf`` can replay a
    webhook sample. Any unexpected failure inside a parser is also reported as :class:`EventParseError`,
    because an event is input, and input must never produce a traceback.
    """
    if platform not in _ORDER:
        raise ValueError(f"unknown platform {platform!r}")
    if isinstance(event, (bytes, bytearray, str)):
        import json

        try:
            event = json.loads(event)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser's stack
            raise EventParseError("event is not valid JSON") from None
    if not isinstance(event, dict):
        raise EventParseError("event must be a JSON object")
    for detect, parse in _ORDER[platform]:
        if detect(event):
            try:
                return parse(event)
            except EventParseError:
                raise
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
                raise EventParseError(f"malformed event ({type(exc).__name__})") from None
    raise EventParseError(f"unrecognised event shape for platform {platform or 'any'}")
