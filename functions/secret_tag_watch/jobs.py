"""Where rotation jobs go: returned in the answer (always), and sent to Kafka when configured.

In the cloud, key_rotation consumes jobs from a Kafka topic; inside a workflow (``opsfn serve``, a
FunctionGraph flow, a Tencent ASW state machine) the next step fans out over the answer's ``jobs`` list and
nothing else is needed. The runtime bundles no Kafka client (functions import only httpx, pydantic and
structlog), so the built-in producer speaks the Kafka REST proxy protocol (v2, JSON embedded format:
``POST {url}`` with ``{"records": [{"key", "value"}]}``), which DMS for Kafka and Confluent's REST proxy
serve. ``OPSFN_ROTATION_JOBS_URL`` is the topic's URL (``https://host:port/topics/rotation-jobs``). A
deployment with its own Kafka client registers a producer with :func:`register_producer` instead.

Sending a job twice is harmless: every job carries a ``rotation_id`` and key_rotation is idempotent on it,
so the REST call may be retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from shared.config import InvalidSettingError

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = ["AnswerOnly", "JobProducer", "KafkaRestProducer", "job_producer", "register_producer"]

KAFKA_REST_CONTENT_TYPE = "application/vnd.kafka.json.v2+json"
_BATCH = 500


class JobProducer(Protocol):
    name: str

    async def send(self, jobs: Sequence[dict[str, Any]]) -> None:
        """Deliver every job or raise (the invocation then fails and the trigger's retry applies)."""


class AnswerOnly:
    """No queue: the jobs travel in the answer only (workflows, local runs)."""

    name = "answer"

    async def send(self, jobs: Sequence[dict[str, Any]]) -> None:
        return None


class KafkaRestProducer:
    """Jobs as JSON records on a Kafka topic through a REST proxy, keyed by secret name (one partition per
    secret keeps its jobs in order)."""

    name = "kafka-rest"

    def __init__(self, topic_url: str, *, timeout: float = 15.0) -> None:
        if not topic_url.startswith(("https://", "http://")) or "/topics/" not in topic_url:
            raise InvalidSettingError(
                "OPSFN_ROTATION_JOBS_URL", "a Kafka REST topic URL (https://.../topics/NAME)"
            )
        self.topic_url = topic_url
        self.timeout = timeout

    async def send(self, jobs: Sequence[dict[str, Any]]) -> None:
        from shared.clients.base import build_path
        from shared.http import make_client, request_json

        base, _, topic = self.topic_url.partition("/topics/")
        path = build_path("/topics/{topic}", {"topic": topic})
        headers = {"Content-Type": KAFKA_REST_CONTENT_TYPE}
        async with make_client(base, None, service="kafka", timeout=self.timeout) as http:
            for start in range(0, len(jobs), _BATCH):
                chunk = jobs[start : start + _BATCH]
                body = {"records": [{"key": job["secret_name"], "value": job} for job in chunk]}
                await request_json(http, "POST", path, json=body, headers=headers, retry_safe=True)


_custom: Callable[[Settings], JobProducer] | None = None


def register_producer(factory: Callable[[Settings], JobProducer] | None) -> None:
    """Use ``factory(settings)`` instead of the built-in choice (``None`` restores it)."""
    global _custom
    _custom = factory


def job_producer(settings: Settings) -> JobProducer:
    """The registered producer, else Kafka REST when ``OPSFN_ROTATION_JOBS_URL`` is set, else none."""
    if _custom is not None:
        return _custom(settings)
    if settings.rotation_jobs_url:
        return KafkaRestProducer(settings.rotation_jobs_url, timeout=settings.http_timeout)
    return AnswerOnly()
