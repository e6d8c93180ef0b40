"""The platform-neutral event every handler path works on.

Why one shape: the same function deploys to FunctionGraph and SCF and runs under ``opsfn serve``, so the
runtime (verification, validation, idempotency, batch bookkeeping) must never branch on envelope layouts.
Each platform module turns its envelopes into a :class:`TriggerEvent`; nothing downstream sees the raw
event except through :attr:`TriggerEvent.raw`, which exists for diagnostics only.

:class:`CtsTrace` and :class:`CloudEvent` are ``defer_build``: only audit-event functions validate them,
so the others do not pay for building their validators at cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import OpsfnError

__all__ = [
    "CloudEvent",
    "CtsTrace",
    "EventParseError",
    "Platform",
    "Record",
    "TriggerEvent",
    "TriggerKind",
]

TriggerKind = Literal["http", "timer", "queue", "notification", "audit", "cloudevent"]
Platform = Literal["functiongraph", "scf", "local"]


class EventParseError(OpsfnError):
    """The envelope is not one of the documented shapes, or a field has the wrong type.

    The message names the offending field and never echoes payload content (bodies may carry secrets).
    The runtime answers it with a 400-class result.
    """


class Record(BaseModel):
    """One message of a batch (Kafka/CKafka/CMQ/SMN) or one event of an EventGrid/CTS delivery.

    ``id`` is what a redelivery report names, so it must be stable when the platform delivers the same
    message again: platform message ids where they exist (SMN ``message_id``, CMQ ``msgId``, CloudEvents
    ``source``+``id``, CTS ``trace_id``), ``topic:partition:offset`` for CKafka, and a content hash for
    FunctionGraph Kafka, whose messages are bare strings with no key or offset.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    body: bytes = b""
    attributes: dict[str, Any] = Field(default_factory=dict)
    key: str = ""
    """Deduplication key when it differs from ``id`` (CloudEvents: ``source`` + ``id``)."""
    error: str | None = None
    """Set when this one record's envelope entry is malformed: it fails alone, the batch goes on."""

    @property
    def dedupe_key(self) -> str:
        """The default idempotency key of the record."""
        return self.key or self.id


class TriggerEvent(BaseModel):
    """What a handler invocation is about, independent of the platform that delivered it.

    ``kind`` decides which :class:`~shared.runtime.FunctionApp` handler runs; ``source`` names the
    concrete trigger (``apig``, ``timer``, ``smn``, ``kafka``, ``cts``, ``eventgrid``, ``scf_apigw``,
    ``scf_timer``, ``ckafka``, ``cmq``, ``webhook``, ``local_queue``). Header names are lower-cased so
    lookups are platform-independent (FunctionGraph already lower-cases; SCF sample headers are mixed-case).
    """

    model_config = ConfigDict(frozen=True)

    kind: TriggerKind
    platform: Platform
    source: str
    event_id: str = ""
    time: datetime | None = None
    method: str = ""
    path: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    path_params: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""
    records: list[Record] = Field(default_factory=list)
    trigger_name: str = ""
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    def header(self, name: str, default: str = "") -> str:
        """Case-insensitive header lookup."""
        return self.headers.get(name.lower(), default)


class CtsTrace(BaseModel):
    """A CTS audit trace (the object inside ``{"cts": {...}}``); unknown fields are kept.

    ``time``/``record_time`` are normalised to epoch **milliseconds**: the older OTC sample carries
    seconds (1529996047) while the live capture carries milliseconds (1765788999507); see
    :func:`shared.triggers.functiongraph.epoch_ms`.
    """

    model_config = ConfigDict(defer_build=True, extra="allow")

    trace_id: str = ""
    trace_name: str = ""
    trace_type: str = ""
    trace_status: str = ""
    trace_rating: str = ""
    service_type: str = ""
    resource_type: str = ""
    resource_name: str = ""
    resource_id: str = ""
    operation_id: str = ""
    project_id: str = ""
    domain_id: str = ""
    code: int | str | None = None
    message: str = ""
    time: int | None = None
    record_time: int | None = None
    user: dict[str, Any] = Field(default_factory=dict)
    request: Any = None
    response: Any = None


class CloudEvent(BaseModel):
    """CloudEvents 1.0 envelope (EventGrid pass-through). Subclass it as an ``@app.event`` model to get the
    whole envelope instead of just ``data``. Extension attributes are kept (``extra="allow"``)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    id: str
    source: str
    specversion: str
    type: str
    datacontenttype: str | None = None
    dataschema: str | None = None
    subject: str | None = None
    time: str | None = None
    data: Any = None
