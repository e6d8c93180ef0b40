"""The three credentials a rotation can replace, behind one small interface the protocol drives.

Each target answers five questions about a credential held in a :class:`SecretValue`: what a fresh one
looks like (``new_value``, meeting the gateway's character rules), whether the gateway accepts it now
(``accepts``, read back from the management API), how to put it in force (``apply``), how to take a
rotation back (``restore``) and whether a real call with it succeeds (``probe``, through the gateway's data
plane). Every method is idempotent: a repeated ``apply`` of what is already in force changes nothing, so a
run that crashed anywhere can simply run again.
"""

from __future__ import annotations

import secrets as _random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from functions.key_rotation.models import SecretValue
from shared.errors import CloudError, NotFoundError

if TYPE_CHECKING:
    from shared.clients.apig import ApigClient
    from shared.clients.tencent_apigw import TencentApigwClient

__all__ = ["AppTarget", "RotationConflict", "SignatureKeyTarget", "Target", "TencentKeyTarget"]


class RotationConflict(Exception):
    """The gateway does not hold what a step just wrote (read-back mismatch); the step failed."""


@dataclass
class Probe:
    """How ``probe`` reaches the data plane: the test URL comes from the value's ``test_url`` field."""

    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 5.0

    async def call(self, value: SecretValue, auth: httpx.Auth | None) -> bool:
        url, method = value.text("test_url"), value.text("test_method") or "GET"
        if not url:
            raise ValueError("the secret value has no test_url to prove the credential with")
        from shared.http import get_default_transport

        transport = self.transport or get_default_transport()
        async with httpx.AsyncClient(transport=transport, timeout=self.timeout) as client:
            try:
                response = await client.request(method, url, auth=auth)
            except httpx.HTTPError:
                return False
        return response.status_code < 300


class Target(ABC):
    """One credential kind; ``current``/``previous`` are the CSMS SYSCURRENT/SYSPREVIOUS values."""

    overlap: bool = True
    """Whether the credential CSMS called current stays accepted for the grace window after a rotation."""
    refresh_seconds: float = 0.0
    """How long *set* waits after *create*, so readers of the pending value have picked it up."""

    def __init__(self, probe: Probe) -> None:
        self.probe_client = probe

    @abstractmethod
    async def new_value(self, current: SecretValue, rotation_id: str) -> SecretValue: ...

    @abstractmethod
    async def accepts(self, value: SecretValue) -> bool: ...

    @abstractmethod
    async def apply(self, value: SecretValue) -> None: ...

    @abstractmethod
    async def restore(self, new: SecretValue, current: SecretValue, previous: SecretValue | None) -> None: ...

    @abstractmethod
    async def probe(self, value: SecretValue) -> bool: ...

    async def retire(  # noqa: B027 - optional hook
        self, keep: list[SecretValue], previous: SecretValue | None, grace_over: bool
    ) -> None:
        """Clean up credentials no longer needed (only kinds that create one per rotation have any)."""

    def validate(self, current: SecretValue) -> None:  # noqa: B027 - optional hook
        """``ValueError`` when the current value lacks a field this kind needs."""


def _token(prefix: str, size: int) -> str:
    """``prefix`` + ``size`` random hex characters: letters and digits only, valid for every gateway."""
    return prefix + _random.token_hex(size)[:size]


def _need(value: SecretValue, *names: str) -> None:
    missing = [n for n in names if not value.text(n) and n not in value.secrets]
    if missing:
        raise ValueError(f"the secret value lacks {', '.join(missing)}")


class SignatureKeyTarget(Target):
    """An APIG signature key (3.6): the gateway signs backend calls with it; backends read CSMS.

    Backends accept the current *and* the pending value, so *set* waits ``refresh_seconds`` (the backends'
    CSMS refresh interval, a value field) after *create*. 3.6.2 regenerates key and secret when they are
    omitted, so both are always sent and read back.
    """

    overlap = False

    def __init__(self, probe: Probe, apig: ApigClient, current: SecretValue) -> None:
        super().__init__(probe)
        self.apig = apig
        self.refresh_seconds = float(current.fields.get("refresh_seconds") or 0)

    def validate(self, current: SecretValue) -> None:
        _need(current, "sign_id", "sign_name", "sign_key", "sign_secret", "test_url")

    async def new_value(self, current: SecretValue, rotation_id: str) -> SecretValue:
        return current.derive(rotation_id, {"sign_key": _token("k", 31)}, {"sign_secret": _token("s", 63)})

    async def _held(self, value: SecretValue) -> tuple[str, str] | None:
        found = await self.apig.find_signature_key(value.text("sign_name"))
        if found is None or found.id != value.text("sign_id"):
            return None
        return found.sign_key, found.sign_secret.get_secret_value()

    async def accepts(self, value: SecretValue) -> bool:
        return await self._held(value) == (value.text("sign_key"), value.secret("sign_secret"))

    async def apply(self, value: SecretValue) -> None:
        if not await self.accepts(value):
            await self.apig.update_signature_key(
                value.text("sign_id"),
                value.text("sign_name"),
                sign_type="hmac",
                sign_key=value.text("sign_key"),
                sign_secret=value.secret("sign_secret"),
            )
        if not await self.accepts(value):
            raise RotationConflict("the signature key read back differs from what was set")

    async def restore(self, new: SecretValue, current: SecretValue, previous: SecretValue | None) -> None:
        await self.apply(current)

    async def probe(self, value: SecretValue) -> bool:
        return await self.probe_client.call(value, None)


class AppTarget(Target):
    """An APIG APP's key and secret (3.12), used by callers.

    ``alternating``: ``app_ids`` names two APPs authorised for the same APIs; a rotation renews the idle one
    (the APP of SYSPREVIOUS) and makes it current, so callers on the other keep working until the next
    rotation. ``single``: the one APP's secret is reset in place - callers holding the old secret are refused
    until they read the new one (the documented window). Secrets are set explicitly (3.12.4 with
    ``app_secret``, which needs the instance's ``APP_KEY_SECRET_SWITCH``), so CSMS holds every value before
    the gateway does.
    """

    def __init__(self, probe: Probe, apig: ApigClient, alternating: bool) -> None:
        super().__init__(probe)
        self.apig = apig
        self.alternating = alternating
        self.overlap = alternating

    def validate(self, current: SecretValue) -> None:
        _need(current, "app_id", "app_key", "app_secret", "test_url")
        ids = current.fields.get("app_ids")
        if self.alternating and not (
            isinstance(ids, list) and len(ids) == 2 and current.text("app_id") in ids
        ):
            raise ValueError("alternating APP rotation needs app_ids: the two APPs, the current one included")

    async def new_value(self, current: SecretValue, rotation_id: str) -> SecretValue:
        app_id = current.text("app_id")
        if self.alternating:
            app_id = next(i for i in current.fields["app_ids"] if i != app_id)
        app = await self.apig.get_app(app_id)
        return current.derive(
            rotation_id, {"app_id": app_id, "app_key": app.app_key}, {"app_secret": _token("a", 40)}
        )

    async def accepts(self, value: SecretValue) -> bool:
        try:
            app = await self.apig.get_app(value.text("app_id"))
        except NotFoundError:
            return False
        same_key = app.app_key == value.text("app_key")
        return same_key and app.app_secret.get_secret_value() == value.secret("app_secret")

    async def apply(self, value: SecretValue) -> None:
        if not await self.accepts(value):
            await self.apig.reset_app_secret(value.text("app_id"), value.secret("app_secret"))
        if not await self.accepts(value):
            raise RotationConflict("the APP secret read back differs from what was set")

    async def restore(self, new: SecretValue, current: SecretValue, previous: SecretValue | None) -> None:
        if not self.alternating:
            await self.apply(current)
        elif previous is not None and previous.text("app_id") == new.text("app_id"):
            await self.apply(previous)
        # Without a previous value of the idle APP there is nothing to go back to: the renewed secret is
        # in no stage and no caller was ever given it.

    async def probe(self, value: SecretValue) -> bool:
        from shared.auth import HuaweiAKSKAuth

        return await self.probe_client.call(
            value, HuaweiAKSKAuth(value.text("app_key"), value.secret("app_secret"))
        )


class TencentKeyTarget(Target):
    """A Tencent APIGW key pair bound to usage plans (two-key overlap).

    Each rotation creates a new ``manual`` key (id and secret chosen here, so CSMS holds them first) named
    ``key_name``, binds it to every plan in ``usage_plan_ids``; the old key stays enabled. A later run
    disables the previous key once the grace window is over, and the run after that unbinds and deletes it.
    """

    def __init__(self, probe: Probe, tencent: TencentApigwClient) -> None:
        super().__init__(probe)
        self.tencent = tencent

    def validate(self, current: SecretValue) -> None:
        _need(current, "access_key_id", "access_key_secret", "key_name", "test_url")
        plans = current.fields.get("usage_plan_ids")
        if not (isinstance(plans, list) and plans and all(isinstance(p, str) for p in plans)):
            raise ValueError("the secret value lacks usage_plan_ids (a non-empty list)")

    async def new_value(self, current: SecretValue, rotation_id: str) -> SecretValue:
        return current.derive(
            rotation_id, {"access_key_id": _token("k", 24)}, {"access_key_secret": _token("s", 40)}
        )

    async def _key(self, key_id: str) -> Any:
        try:
            return await self.tencent.describe_api_key(key_id)
        except NotFoundError:
            return None

    async def _unbound_plans(self, value: SecretValue) -> list[str]:
        key_id, missing = value.text("access_key_id"), []
        for plan_id in value.fields["usage_plan_ids"]:
            plan = await self.tencent.describe_usage_plan(plan_id)
            if key_id not in plan.bind_secret_ids:
                missing.append(plan_id)
        return missing

    async def accepts(self, value: SecretValue) -> bool:
        key = await self._key(value.text("access_key_id"))
        secret = value.secret("access_key_secret")
        if key is None or not key.enabled or key.access_key_secret.get_secret_value() != secret:
            return False
        return not await self._unbound_plans(value)

    async def apply(self, value: SecretValue) -> None:
        key_id = value.text("access_key_id")
        key = await self._key(key_id)
        if key is None:
            await self._create(value)
            key = await self._key(key_id)
        if key is None or key.access_key_secret.get_secret_value() != value.secret("access_key_secret"):
            raise RotationConflict("the key pair read back differs from what was created")
        if not key.enabled:
            await self.tencent.enable_api_key(key_id)
        for plan_id in await self._unbound_plans(value):
            await self.tencent.bind_secret_ids(plan_id, [key_id])
        if not await self.accepts(value):
            raise RotationConflict("the key pair is not enabled and bound to every usage plan")

    async def _create(self, value: SecretValue) -> None:
        try:
            await self.tencent.create_api_key(
                value.text("key_name"),
                access_key_type="manual",
                access_key_id=value.text("access_key_id"),
                access_key_secret=value.secret("access_key_secret"),
            )
        except CloudError as exc:
            if exc.error_code != "FailedOperation.AccessKeyExist":  # a lost answer: it was created
                raise

    async def _remove(self, value: SecretValue, *, delete: bool) -> None:
        """Disable ``value``'s key; with ``delete`` also unbind it everywhere and delete it."""
        key_id = value.text("access_key_id")
        key = await self._key(key_id)
        if key is None:
            return
        if key.enabled:
            await self.tencent.disable_api_key(key_id)
        if not delete:
            return
        unbound = set(await self._unbound_plans(value))
        for plan_id in value.fields["usage_plan_ids"]:
            if plan_id not in unbound:
                await self.tencent.unbind_secret_ids(plan_id, [key_id])
        await self.tencent.delete_api_key(key_id)

    async def restore(self, new: SecretValue, current: SecretValue, previous: SecretValue | None) -> None:
        if new.text("access_key_id") != current.text("access_key_id"):
            await self._remove(new, delete=True)  # never current: no caller has it
        await self.apply(current)

    async def probe(self, value: SecretValue) -> bool:
        from shared.auth import TencentApigwKeyAuth

        auth = TencentApigwKeyAuth(value.text("access_key_id"), value.secret("access_key_secret"))
        return await self.probe_client.call(value, auth)

    async def retire(self, keep: list[SecretValue], previous: SecretValue | None, grace_over: bool) -> None:
        """Keys named ``key_name`` that CSMS no longer needs: disable first, unbind and delete a run later."""
        if not keep:
            return
        name, kept = keep[0].text("key_name"), {v.text("access_key_id") for v in keep}
        prev_id = previous.text("access_key_id") if previous is not None else ""
        async for key in self.tencent.iter_api_keys():
            if key.secret_name != name or key.access_key_id in kept:
                continue
            if key.access_key_id == prev_id and not grace_over:
                continue
            stale = keep[0].derive("", {"access_key_id": key.access_key_id}, {})
            await self._remove(stale, delete=not key.enabled)
