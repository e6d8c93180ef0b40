"""Failures of the runtime itself (not of one record): the store, the configuration, a missing module.

Why a type of its own: when the idempotency store cannot be opened or reached, the settings are invalid
or a module cannot be imported, *no* record of a batch can be processed - answering the batch would let
the platform treat every record as consumed and lose it. Such a failure must fail the invocation (the
platforms' only redelivery signal) and say in one log line exactly what is wrong.

Some of these a redelivery cannot fix (a missing ``redis`` package, an invalid variable): they are
``permanent``, and the runtime says so loudly on every attempt - an error line per invocation, and one SMN
message per cold start when a topic is configured - so an alarm catches the loop instead of the platform
retrying silently for days.

Causes never contain configuration values (a store URL may hold a password): they name the variable and
the rule.
"""

from __future__ import annotations

from typing import Any

from shared.errors import OpsfnError

__all__ = ["RuntimeUnavailable", "diagnose", "log_unavailable", "store_setup_failure"]

_STORE_URL_HELP = "use sqlite:///path, redis://host:port/db (rediss:// for TLS) or memory://"


class RuntimeUnavailable(OpsfnError):
    """Nothing can be processed now. ``cause`` is one safe sentence; ``permanent``: a retry cannot help
    until the configuration or the package changes."""

    def __init__(self, cause: str, *, permanent: bool) -> None:
        super().__init__(cause)
        self.cause = cause
        self.permanent = permanent


def store_setup_failure(exc: BaseException) -> RuntimeUnavailable:
    """Why the configured idempotency store could not be opened (``open_store`` raised ``exc``)."""
    if isinstance(exc, ImportError):
        module = exc.name or "a module"
        return RuntimeUnavailable(
            f"OPSFN_IDEMPOTENCY_STORE selects Redis, but the {module!r} package is not in this function's "
            "package: build it with `opsfn package --with redis` (or set the store in template.yaml)",
            permanent=True,
        )
    if isinstance(exc, ValueError):
        return RuntimeUnavailable(
            f"OPSFN_IDEMPOTENCY_STORE is not a usable store URL: {_STORE_URL_HELP}", permanent=True
        )
    return RuntimeUnavailable(
        f"the idempotency store cannot be opened ({type(exc).__name__}); check OPSFN_IDEMPOTENCY_STORE "
        "and that the store is reachable",
        permanent=False,
    )


def diagnose(exc: BaseException) -> RuntimeUnavailable | None:
    """``exc`` as a runtime failure, or ``None`` when it is the failure of one record's work."""
    from shared.config import SettingError
    from shared.idempotency import IdempotencyStoreError

    if isinstance(exc, RuntimeUnavailable):
        return exc
    if isinstance(exc, SettingError):
        return RuntimeUnavailable(f"configuration: {exc}", permanent=True)
    if isinstance(exc, IdempotencyStoreError):
        return RuntimeUnavailable(f"idempotency store unavailable: {exc}", permanent=False)
    if isinstance(exc, ImportError):
        return RuntimeUnavailable(
            f"cannot import {exc.name or 'a module'!r}: the function package is incomplete (rebuild it "
            "with `opsfn package`)",
            permanent=True,
        )
    return None


def log_unavailable(log: Any, problem: RuntimeUnavailable, records: int) -> None:
    """The one line that names the cause; an error for permanent problems, which no retry fixes."""
    if problem.permanent:
        log.error(
            "configuration error, no record processed; every redelivery fails the same way until it is fixed",
            cause=problem.cause,
            records=records,
            permanent=True,
        )
    else:
        log.warning(
            "no record processed; the platform will redeliver the batch",
            cause=problem.cause,
            records=records,
            permanent=False,
        )
