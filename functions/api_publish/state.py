"""What one run records before changing anything, what rollback reports, and the crash checkpoints.

:class:`Snapshot` is written to the journal before the first write, so whichever step a crash interrupts,
the next delivery knows exactly what "previous" was: every in-scope API's complete wire definition and, per
environment, the version in effect (Huawei) or the service's released version (Tencent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Checkpoint", "RestoreReport", "SavedApi", "Snapshot", "no_checkpoint"]

Checkpoint = Callable[[str], Awaitable[None]]
"""Called between steps with the step's name; tests make one raise to simulate a crash there."""


async def no_checkpoint(step: str) -> None:
    """The production checkpoint: nothing to do between steps."""


class SavedApi(BaseModel):
    """One in-scope API before the run."""

    name: str
    id: str
    definition: dict[str, Any]
    versions: dict[str, str | None] = Field(default_factory=dict)
    """Environment id -> version in effect (Huawei); ``None``: not published there."""


class Snapshot(BaseModel):
    apis: list[SavedApi] = Field(default_factory=list)
    releases: dict[str, str | None] = Field(default_factory=dict)
    """Tencent: environment -> released version name before the run (``None``: never released)."""

    def by_name(self) -> dict[str, SavedApi]:
        return {a.name: a for a in self.apis}


class RestoreReport(BaseModel):
    """What a rollback did, API by API, and what it could not do (with the reason)."""

    rolled_back: list[str] = Field(default_factory=list)
    not_rolled_back: list[str] = Field(default_factory=list)
    retryable: bool = False
    """A failure a later delivery can fix (a transient cloud error), as opposed to a vanished version."""

    @property
    def complete(self) -> bool:
        return not self.not_rolled_back
