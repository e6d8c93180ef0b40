"""The rotation protocol: repair, create, set, test, finish - each step idempotent on the rotation id.

State lives where it must survive a crash: in CSMS. The version being rotated in carries the custom stage
:data:`PENDING_STAGE` and, inside its value, the ``rotation_id`` that created it, so every step can tell
"mine, resume it" from "an earlier run's, repair it". CSMS ``SYSCURRENT`` moves only in *finish*, in one
call; until then a failure restores the gateway's previous value and drops the pending stage (*undo*). A
failure *during* finish is never undone (CSMS may already call the new value current): the next run sees
the pending stage and finishes it. See README "Key rotation" for the guarantees per strategy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions.key_rotation.lock import SecretLock
from functions.key_rotation.models import (
    PENDING_STAGE,
    RotationAnswer,
    RotationJob,
    RotationSettings,
    SecretValue,
    Versions,
    parse_duration,
)
from functions.key_rotation.targets import Target
from shared.clients.csms import SYSCURRENT, SYSPREVIOUS
from shared.errors import CloudError, NotFoundError

if TYPE_CHECKING:
    from shared.clients.csms import CsmsClient
    from shared.idempotency import IdempotencyStore

__all__ = ["Options", "Rotation", "describe_error"]

Step = Callable[[str], Awaitable[None]]
TargetFactory = Callable[[RotationSettings, SecretValue], Target]


async def _no_step(_: str) -> None:
    """Default step hook: nothing to observe."""


@dataclass
class Options:
    """Tunables and seams: tests inject a fake ``clock``/``sleep`` and an ``on_step`` invariant checker."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    propagation_timeout: float = 30.0
    """How long *test* keeps retrying a refused probe (the gateway may take seconds to propagate)."""
    probe_interval: float = 2.0
    max_wait: float = 600.0
    """Longest *set* will wait in-run for backends to refresh; longer waits answer ``in_progress``."""
    lock_ttl: float = 900.0
    on_step: Step = _no_step
    notify: Callable[[str, str], Awaitable[Any]] | None = None


@dataclass
class Pending:
    version_id: str
    value: SecretValue
    created: float


@dataclass
class Loaded:
    """What CSMS says about the secret at the start of a run (values stay inside ``SecretValue``)."""

    settings: RotationSettings
    current_id: str
    current: SecretValue
    current_since: float
    previous: SecretValue | None = None
    pending: Pending | None = None
    notes: list[str] = field(default_factory=list)


def describe_error(exc: BaseException) -> str:
    """An error as an answer may show it: its type and cloud error code, never its text (which may echo
    request fields)."""
    code = getattr(exc, "error_code", None)
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


def _missing(exc: CloudError) -> bool:
    """CSMS answers a missing stage or version with ``CSMS.0005`` (HTTP 400 in the reference), not 404."""
    return isinstance(exc, NotFoundError) or exc.error_code == "CSMS.0005"


def _seconds(stamp: int | None) -> float:
    """CSMS times are epoch seconds in the reference, milliseconds in some regions: accept both."""
    if not stamp:
        return 0.0
    return stamp / 1000.0 if stamp > 10**11 else float(stamp)


def rotation_settings(tags: dict[str, str], value: SecretValue) -> RotationSettings:
    """The contract's tags win over the value's ``kind``/``strategy``; ``ValueError`` names a bad one."""
    kind = tags.get("rotation-kind") or value.text("kind")
    if kind not in ("apig-signature-key", "apig-app", "tencent-api-key"):
        raise ValueError("rotation-kind must be apig-signature-key, apig-app or tencent-api-key")
    strategy = {"apig-signature-key": "window", "tencent-api-key": "overlap"}.get(kind, "")
    if kind == "apig-app":
        strategy = tags.get("rotation-strategy") or value.text("strategy") or "alternating"
        if strategy not in ("alternating", "single"):
            raise ValueError("rotation-strategy must be alternating or single")
    window = parse_duration(tags.get("rotation-window") or "1h")
    return RotationSettings.model_validate(
        {"enabled": tags.get("rotation") == "enabled", "kind": kind, "strategy": strategy, "window": window}
    )


class Rotation:
    """One run for one job. ``run`` never raises for cloud or input failures: it answers them."""

    def __init__(
        self,
        csms: CsmsClient,
        factory: TargetFactory,
        job: RotationJob,
        options: Options,
        store: IdempotencyStore,
        log: Any,
    ) -> None:
        self.csms = csms
        self.factory = factory
        self.job = job
        self.opts = options
        self.store = store
        self.log = log
        self.name = job.secret_name
        self.settings: RotationSettings | None = None

    def answer(
        self, status: str, message: str, new: str | None = None, previous: str | None = None
    ) -> RotationAnswer:
        s = self.settings
        return RotationAnswer.model_validate(
            {
                "secret_name": self.name,
                "rotation_id": self.job.rotation_id,
                "kind": s.kind if s else "",
                "strategy": s.strategy if s else "",
                "status": status,
                "versions": Versions(new=new, previous=previous),
                "message": message,
            }
        )

    async def run(self) -> RotationAnswer:
        lock = SecretLock(self.store, self.name, ttl=self.opts.lock_ttl, clock=self.opts.clock)
        if self.job.mode == "apply" and not lock.acquire():
            return self.answer("in_progress", "another rotation of this secret is running; nothing changed")
        try:
            return await self._run()
        except (CloudError, ValueError, OSError) as exc:
            self.log.warning("key_rotation.failed", secret_name=self.name, error=describe_error(exc))
            return self.answer("failed", f"could not complete: {describe_error(exc)}")
        finally:
            if self.job.mode == "apply":
                lock.release()

    async def _run(self) -> RotationAnswer:
        try:
            st = await self.load()
        except CloudError as exc:
            if isinstance(exc, NotFoundError) or exc.error_code == "CSMS.0106":
                # A job can outlive its secret (deleted after the sweep listed it): nothing to rotate, and
                # redelivering the job could never succeed.
                return self.answer("skipped", "no such secret: nothing to rotate")
            raise
        if not st.settings.enabled:
            return self.answer("skipped", "rotation is not enabled on this secret (tag rotation=enabled)")
        target = self.factory(st.settings, st.current)
        target.validate(st.current)
        if self.job.mode == "plan":
            return await self.plan(st, target)
        grace_over = self.opts.clock() >= st.current_since + st.settings.window
        keep = [st.current] + ([st.pending.value] if st.pending else [])
        await target.retire(keep, st.previous, grace_over)
        await self.step("retire")
        if await self.repair(st, target):
            notes, st = st.notes, await self.load()
            st.notes.extend(notes)
            grace_over = self.opts.clock() >= st.current_since + st.settings.window
        pending = st.pending
        if pending is None and st.current.rotation_id == self.job.rotation_id:
            return self.answer("rotated", "this rotation had already finished", st.current_id)
        if pending is None:
            if target.overlap and not grace_over:
                until = int(st.current_since + st.settings.window)
                return self.answer(
                    "skipped",
                    "; ".join([f"the previous credential is in its grace window until {until}", *st.notes]),
                    previous=st.current_id,
                )
            pending = await self.create(st, target)
        return await self.complete(st, target, pending)

    async def step(self, name: str) -> None:
        self.log.info("key_rotation.step", secret_name=self.name, step=name, rotation_id=self.job.rotation_id)
        await self.opts.on_step(name)

    # ------------------------------------------------------------------------------------ reading CSMS

    async def _stage(self, stage: str) -> tuple[str, float] | None:
        try:
            found = await self.csms.show_secret_stage(self.name, stage)
        except CloudError as exc:
            if _missing(exc):
                return None
            raise
        return found.version_id, _seconds(found.update_time)

    async def _value(self, version_id: str) -> tuple[SecretValue, float]:
        version = await self.csms.show_secret_version(self.name, version_id)
        text = version.secret_string.get_secret_value() if version.secret_string else ""
        return SecretValue.parse(text), _seconds(version.version_metadata.create_time)

    async def read_pending(self) -> Pending | None:
        stage = await self._stage(PENDING_STAGE)
        if stage is None:
            return None
        value, created = await self._value(stage[0])
        return Pending(stage[0], value, created)

    async def load(self) -> Loaded:
        secret = await self.csms.show_secret(self.name)
        tags = {t.key: t.value for t in (await self.csms.list_secret_tags(secret.id)).tags}
        current_stage = await self._stage(SYSCURRENT)
        if current_stage is None:
            raise ValueError("the secret has no SYSCURRENT version to rotate")
        current, _ = await self._value(current_stage[0])
        self.settings = rotation_settings(tags, current)
        previous_stage = await self._stage(SYSPREVIOUS)
        previous = (await self._value(previous_stage[0]))[0] if previous_stage else None
        return Loaded(
            self.settings, current_stage[0], current, current_stage[1], previous, await self.read_pending()
        )

    # ------------------------------------------------------------------------------------ steps

    async def plan(self, st: Loaded, target: Target) -> RotationAnswer:
        """What an apply run would do now, from reads only."""
        todo = []
        if st.pending is not None and st.pending.value.rotation_id != self.job.rotation_id:
            todo.append(f"finish or undo the earlier rotation's pending version {st.pending.version_id}")
        elif st.pending is None and not await target.accepts(st.current):
            todo.append(f"restore the gateway to CSMS current version {st.current_id}")
        if target.overlap and self.opts.clock() < st.current_since + st.settings.window:
            todo.append("then skip: the previous credential is still in its grace window")
        else:
            todo.append(
                f"create a new {st.settings.kind} credential as a pending version, apply, test, finish"
            )
        return self.answer("planned", "would " + "; ".join(todo), previous=st.current_id)

    async def repair(self, st: Loaded, target: Target) -> bool:
        """Leave nothing half-way from an earlier run; True when CSMS stages changed."""
        pending = st.pending
        if pending is None:
            if not await target.accepts(st.current):
                await target.apply(st.current)
                st.notes.append(f"restored the gateway to current version {st.current_id}")
                await self.step("repair-restore")
            return False
        if pending.version_id == st.current_id:
            await self.drop_pending()
            st.notes.append("cleared a pending stage left on the current version")
            return True
        if pending.value.rotation_id == self.job.rotation_id:
            return False  # ours: resume
        if await target.accepts(pending.value) and await self.test(target, pending.value):
            await self.finish(st, pending)
            st.notes.append(f"finished the earlier rotation's version {pending.version_id}")
        else:
            await self.undo(st, target, pending.value)
            st.notes.append(f"undid the earlier rotation's version {pending.version_id}")
        return True

    async def create(self, st: Loaded, target: Target) -> Pending:
        value = await target.new_value(st.current, self.job.rotation_id)
        try:
            meta = await self.csms.create_secret_version(
                self.name, secret_string=value.dump(), version_stages=[PENDING_STAGE]
            )
        except (CloudError, OSError):
            found = await self.read_pending()  # the answer may be lost although the version exists
            if found is None or found.value.rotation_id != self.job.rotation_id:
                raise
            await self.step("create")
            return found
        await self.step("create")
        return Pending(meta.id, value, _seconds(meta.create_time))

    async def complete(self, st: Loaded, target: Target, pending: Pending) -> RotationAnswer:
        """wait → set → test → finish, undoing on a failure before finish."""
        ready = pending.created + target.refresh_seconds
        delay = ready - self.opts.clock()
        if delay > self.opts.max_wait:
            msg = f"waiting until {int(ready)} for readers to refresh before setting; the next run resumes"
            return self.answer("in_progress", msg, pending.version_id, st.current_id)
        if delay > 0:
            await self.opts.sleep(delay)
        try:
            await target.apply(pending.value)
            await self.step("set")
            if not await self.test(target, pending.value):
                raise ValueError("the gateway refused the new credential until the propagation timeout")
            await self.step("test")
        except (CloudError, ValueError, OSError) as exc:
            return await self.undo_answer(st, target, pending, exc)
        await self.finish(st, pending)
        message = "rotated" + ("; " + "; ".join(st.notes) if st.notes else "")
        return self.answer("rotated", message, pending.version_id, st.current_id)

    async def undo_answer(
        self, st: Loaded, target: Target, pending: Pending, exc: Exception
    ) -> RotationAnswer:
        reason = describe_error(exc)
        try:
            await self.undo(st, target, pending.value)
        except (CloudError, ValueError, OSError) as again:
            msg = f"failed ({reason}); undo failed too ({describe_error(again)}): the next run repairs it"
            return self.answer("failed", msg, pending.version_id, st.current_id)
        return self.answer(
            "undone", f"undone after {reason}; CSMS current unchanged", pending.version_id, st.current_id
        )

    async def test(self, target: Target, value: SecretValue) -> bool:
        """Probe until accepted or ``propagation_timeout`` (on the injectable clock) has passed."""
        started = self.opts.clock()
        while True:
            if await target.probe(value):
                return True
            if self.opts.clock() - started >= self.opts.propagation_timeout:
                return False
            await self.opts.sleep(self.opts.probe_interval)

    async def finish(self, st: Loaded, pending: Pending) -> None:
        await self.csms.update_secret_stage(self.name, SYSCURRENT, pending.version_id)
        await self.step("finish-current")
        await self.drop_pending()
        await self.step("finish")
        if self.opts.notify is not None:
            msg = f"secret {self.name}: version {pending.version_id} is current, {st.current_id} previous"
            try:
                await self.opts.notify("key rotation", msg)
            except (CloudError, OSError) as exc:
                self.log.warning(
                    "key_rotation.notify_failed", secret_name=self.name, error=describe_error(exc)
                )

    async def undo(self, st: Loaded, target: Target, new: SecretValue) -> None:
        await target.restore(new, st.current, st.previous)
        await self.step("undo-restore")
        await self.drop_pending()
        await self.step("undo")

    async def drop_pending(self) -> None:
        try:
            await self.csms.delete_secret_stage(self.name, PENDING_STAGE)
        except CloudError as exc:
            if not _missing(exc):
                raise
