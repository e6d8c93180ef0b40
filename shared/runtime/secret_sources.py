"""Where a deployed function's settings come from: the environment, FunctionGraph user data, a CSMS secret.

Why more than ``os.environ``: secrets must not sit as plain environment variables in a deployment file.
FunctionGraph keeps *encrypted* environment variables and hands every user variable, encrypted ones
included, through the handler context's ``getUserData(key)`` (reference/platform.md, context methods);
nothing documents that encrypted ones are also exported to the process environment. So on FunctionGraph a
variable is read from the context first and from the environment as the fallback - the same precedence as
the platform credentials (:meth:`shared.config.Settings.for_invocation`).

The other documented way is a CSMS secret read at cold start: ``OPSFN_SECRETS_CSMS=<secret name>`` names a
secret whose current value (stage ``SYSCURRENT``) is a JSON object of variable names to string values, e.g.
``{"OPSFN_WEBHOOK_SECRET": "whsec_...", "OPSFN_IDEMPOTENCY_STORE": "redis://:pw@10.0.0.5:6379/0"}``. It is
read once per function instance with the function's own (agency) credentials, every value is registered
for log redaction, and its variables win over the environment's (naming the secret is the explicit choice
of where those values live). A read that fails is a configuration error naming the secret, never a value;
it is retried at the next invocation, so a fixed secret or grant recovers without a redeploy.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from shared.config import SettingError, Settings

__all__ = ["CSMS_VARIABLE", "ContextEnvironment", "CsmsSecretError", "forget_loaded", "load_settings"]

CSMS_VARIABLE = "OPSFN_SECRETS_CSMS"
_CURRENT_STAGE = "SYSCURRENT"
# FunctionGraph's rule for user variable names (reference/platform.md, preset environment variables).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

_loaded: dict[str, dict[str, str]] = {}
"""Secret name -> the variables read from it, for the lifetime of this function instance."""


class CsmsSecretError(SettingError):
    """The CSMS secret named by ``OPSFN_SECRETS_CSMS`` cannot be read or is not a JSON object of strings."""

    def __init__(self, secret: str, reason: str) -> None:
        self.secret = secret
        super().__init__(f"CSMS secret {secret!r} named by {CSMS_VARIABLE} is unusable: {reason}")


class ContextEnvironment(Mapping[str, str]):
    """The environment as a function sees it: the context's ``getUserData(key)`` first (FunctionGraph,
    encrypted variables included), then ``base`` (``os.environ``). A context without ``getUserData``
    (SCF's dict, local runs) leaves the environment as it is. ``overrides`` (the variables of a CSMS
    secret) win over both."""

    def __init__(
        self, context: Any, base: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None
    ) -> None:
        self._getter = getattr(context, "getUserData", None)
        self._base = os.environ if base is None else base
        self._overrides = dict(overrides or {})

    def _user_data(self, key: str) -> str:
        if not callable(self._getter):
            return ""
        try:
            value = self._getter(key)
        except Exception:  # a broken context must not fail the invocation; the environment still counts
            return ""
        return value if isinstance(value, str) else ""

    def __getitem__(self, key: str) -> str:
        if key in self._overrides:
            return self._overrides[key]
        return self._user_data(key) or self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


async def load_settings(context: Any, platform: str | None) -> Settings:
    """This invocation's settings from the context's user data, the environment and, when
    ``OPSFN_SECRETS_CSMS`` is set, the variables of that CSMS secret (read at the first invocation)."""
    from shared.log import register_secret

    env = ContextEnvironment(context)
    settings = Settings.from_env(env)
    name = env.get(CSMS_VARIABLE, "").strip()
    if not name:
        return settings
    values = _loaded.get(name)
    if values is None:
        values = await _read_csms(name, settings.for_invocation(platform or "", context))
        _loaded[name] = values
    for value in values.values():
        register_secret(value)
    return Settings.from_env(ContextEnvironment(context, overrides=values))


def forget_loaded() -> None:
    """Drop the variables read from CSMS (tests; an instance keeps them for its lifetime)."""
    _loaded.clear()


async def _read_csms(name: str, settings: Settings) -> dict[str, str]:
    """The secret's current value as variables; every failure as :class:`CsmsSecretError`."""
    from shared.clients.csms import CsmsClient
    from shared.errors import OpsfnError

    try:
        async with CsmsClient.from_settings(settings) as csms:
            stage = await csms.show_secret_stage(name, _CURRENT_STAGE)
            version = await csms.show_secret_version(name, stage.version_id)
    except OpsfnError as exc:  # cloud errors and missing settings name codes and variables, never values
        raise CsmsSecretError(name, f"cannot read it ({exc})") from None
    text = version.secret_string.get_secret_value() if version.secret_string is not None else ""
    return _variables(name, text)


def _variables(name: str, text: str) -> dict[str, str]:
    """Parse the secret's text; the reasons given name keys at most, never values."""
    try:
        data = json.loads(text)
    except ValueError:
        raise CsmsSecretError(name, "its value is not JSON (expected an object of variable names)") from None
    if not isinstance(data, dict):
        raise CsmsSecretError(name, "its value is not a JSON object of variable names to strings")
    bad = sorted(
        k for k, v in data.items() if not _NAME.match(k) or not isinstance(v, str) or k == CSMS_VARIABLE
    )
    if bad:
        shown = ", ".join(repr(k[:64]) for k in bad[:5])
        raise CsmsSecretError(name, f"entries that are not variable-name-to-string pairs: {shown}")
    return {key: value.strip() for key, value in data.items()}
