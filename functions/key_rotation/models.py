"""What key_rotation reads and answers: the job, the answer, the secret's tags and its value format.

The job and the answer are the wave's shared contract (``secret_tag_watch`` sends jobs, the ``rotation_sweep``
workflow collects answers). The secret *value* is this function's own format: a JSON object in each CSMS
version holding what the target needs (ids, the credential, how to test it) plus ``rotation_id``, the
idempotency key of the rotation that wrote the version. Values are :class:`pydantic.SecretStr` inside
:class:`SecretValue` so a stray ``repr`` or validation error never prints a credential.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

__all__ = [
    "KINDS",
    "PENDING_STAGE",
    "RotationAnswer",
    "RotationJob",
    "RotationSettings",
    "SecretValue",
    "TimerInput",
    "parse_duration",
]

KINDS = ("apig-signature-key", "apig-app", "tencent-api-key")
Kind = Literal["apig-signature-key", "apig-app", "tencent-api-key"]
Status = Literal["rotated", "planned", "in_progress", "skipped", "undone", "failed"]
PENDING_STAGE = "OPSFN_PENDING"
"""The custom CSMS stage on the version being rotated in (one per secret, so 12-stage quota never binds)."""

_ROTATION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``30m``/``2h``/``1d``/``45s``; ``ValueError`` for anything else."""
    found = _DURATION.match(text.strip())
    if found is None:
        raise ValueError(f"duration must look like 30m, 2h or 1d, not {text[:20]!r}")
    return float(int(found.group(1)) * _UNITS[found.group(2)])


class RotationJob(BaseModel):
    """One rotation request (Kafka message, webhook body, workflow item); unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    secret_name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    rotation_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    mode: Literal["apply", "plan"] = "apply"
    reason: Literal["schedule", "tag-change", "event", "manual"] = "manual"

    @field_validator("rotation_id")
    @classmethod
    def _rotation_id(cls, value: str) -> str:
        if not _ROTATION_ID.match(value):
            raise ValueError("rotation_id must be 1-64 characters of letters, digits and _.:-")
        return value


class TimerInput(BaseModel):
    """The timer's ``user_event``: the secrets to rotate on this schedule (one answer each)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: list[str] = Field(min_length=1, max_length=100)
    mode: Literal["apply", "plan"] = "apply"

    def jobs(self, event_id: str) -> list[RotationJob]:
        """A job per secret; the rotation id derives from the timer event so a redelivery resumes it."""
        stem = hashlib.sha256(event_id.encode()).hexdigest()[:24]
        return [
            RotationJob(secret_name=name, rotation_id=f"t-{stem}-{i}", mode=self.mode, reason="schedule")
            for i, name in enumerate(self.secrets)
        ]


class Versions(BaseModel):
    new: str | None = None
    previous: str | None = None


class RotationAnswer(BaseModel):
    """The contract's answer: versions by id and a human message, never a value."""

    secret_name: str
    rotation_id: str
    kind: str = ""
    strategy: str = ""
    status: Status
    versions: Versions = Field(default_factory=Versions)
    message: str = ""


class RotationSettings(BaseModel):
    """How to rotate one secret, from its tags (``rotation-*``) and its value (``kind``/``strategy``)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    kind: Kind
    strategy: Literal["alternating", "single", "overlap", "window"]
    window: float
    """Grace/overlap seconds: how long a credential stays accepted after it stopped being current."""


class SecretValue(BaseModel):
    """One version's JSON: the target's fields (free-form) with the credential parts kept secret.

    ``fields`` holds ids and test settings; ``secrets`` the credential strings (key secrets, APP secrets).
    """

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    rotation_id: str = ""
    fields: dict[str, Any]
    secrets: dict[str, SecretStr]

    SECRET_KEYS: ClassVar[tuple[str, ...]] = ("sign_secret", "app_secret", "access_key_secret")

    @classmethod
    def parse(cls, text: str) -> SecretValue:
        """The value of a version; ``ValueError`` (naming no content) when it is not our JSON object."""
        try:
            data = json.loads(text)
        except (ValueError, TypeError):
            raise ValueError("the secret value is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the secret value is not a JSON object")
        secret_parts = {k: SecretStr(str(data.pop(k))) for k in list(data) if k in cls.SECRET_KEYS}
        rotation_id = str(data.pop("rotation_id", ""))
        return cls(rotation_id=rotation_id, fields=data, secrets=secret_parts)

    def dump(self) -> str:
        """The JSON text stored in CSMS (the only place the credential is written out)."""
        plain = {k: v.get_secret_value() for k, v in self.secrets.items()}
        return json.dumps({**self.fields, **plain, "rotation_id": self.rotation_id}, sort_keys=True)

    def secret(self, name: str) -> str:
        return self.secrets[name].get_secret_value() if name in self.secrets else ""

    def text(self, name: str) -> str:
        value = self.fields.get(name)
        return value if isinstance(value, str) else ""

    def derive(self, rotation_id: str, fields: dict[str, Any], secrets: dict[str, str]) -> SecretValue:
        """A new version's value: this one's fields with ``fields``/``secrets`` replaced."""
        return SecretValue(
            rotation_id=rotation_id,
            fields={**self.fields, **fields},
            secrets={**self.secrets, **{k: SecretStr(v) for k, v in secrets.items()}},
        )

    def same_credential(self, other: SecretValue) -> bool:
        return self.credential() == other.credential()

    def credential(self) -> tuple[str, ...]:
        """What identifies the credential: the key ids and the secrets, for comparisons only."""
        ids = tuple(self.text(k) for k in ("sign_key", "app_id", "app_key", "access_key_id"))
        return ids + tuple(self.secret(k) for k in self.SECRET_KEYS)
