"""What a registered handler is: its function, model and options, one record per trigger kind.

Why a module of its own: :class:`~shared.runtime.app.FunctionApp` keeps these at registration (import
time), while the pipelines that run them (:mod:`~shared.runtime.http`, :mod:`~shared.runtime.batch`,
:mod:`~shared.runtime.timer`) are imported only when an event of their kind arrives - a webhook's cold start
never loads the batch pipeline. Named tuples, because they are built once and never changed, and cost a
fraction of a dataclass to define.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BatchSpec", "EventSpec", "HttpSpec", "TimerSpec", "Verification"]

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""FunctionGraph's dedicated APIG trigger accepts at most a 4 MB body (usermanual functiongraph_01_0204)."""

Verification = Literal["standard_webhooks", "github", "ci_push"]
"""``ci_push``: GitHub signature, GitLab or CodeArts Repo token, by the header present (shared.verify)."""


class HttpSpec(NamedTuple):
    handler: Callable[..., Any]
    model: type[BaseModel]
    verify: Verification | None = None
    idempotency_key: Callable[[Any], Any] | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


class BatchSpec(NamedTuple):
    handler: Callable[..., Any]
    model: type[BaseModel]
    idempotency_key: Callable[[Any], Any] | None = None


class EventSpec(NamedTuple):
    handler: Callable[..., Any]
    model: type[BaseModel]
    sources: tuple[str, ...] = ("cts", "eventgrid")
    idempotency_key: Callable[[Any], Any] | None = None


class TimerSpec(NamedTuple):
    handler: Callable[..., Any]
    model: type[BaseModel]
    idempotency_key: Callable[[Any], Any] | None = None
