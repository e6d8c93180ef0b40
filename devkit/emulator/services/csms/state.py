"""CSMS state for one project: secrets, versions, stages, tags, events and notification records.

Why the indexes: every list answers in time proportional to the page, not to the project. Secret names are
kept in a sorted list (``bisect``) so marker paging is a binary search plus a slice; version ids are ``v1``,
``v2``, … so a version marker is an index; tags are indexed ``key -> value -> secret ids`` so tag filters
touch only the matching secrets. Time-driven behaviour (scheduled deletion, version expiry) is a heap of due
tasks drained by :meth:`CsmsBackend.tick` before each call, so nothing scans the project.
"""

from __future__ import annotations

import bisect
import heapq
import json
import secrets as _secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from devkit.emulator.services.csms import rules

Notifier = Callable[[str, str, str, str], str]
"""``(project_key, topic_urn, message, subject) -> notification_status`` (SUCCESS, FAIL or INVALID)."""

MAX_NOTIFICATION_RECORDS = 1000


@dataclass
class Version:
    id: str
    create_time: int
    secret_string: str | None
    secret_binary: str | None
    expire_time: int | None = None
    stages: list[str] = field(default_factory=list)


@dataclass
class Secret:
    id: str
    name: str
    kms_key_id: str
    description: str | None
    secret_type: str
    create_time: int
    update_time: int
    state: str = "ENABLED"
    auto_rotation: bool = False
    rotation_period: str | None = None
    rotation_config: str | None = None
    rotation_time: int | None = None
    next_rotation_time: int | None = None
    event_subscriptions: list[str] = field(default_factory=list)
    enterprise_project_id: str = "0"
    rotation_func_urn: str | None = None
    scheduled_delete_time: int | None = None
    versions: list[Version] = field(default_factory=list)
    stages: dict[str, tuple[str, int]] = field(default_factory=dict)  # stage -> (version id, update time)
    tags: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The ``Secret`` object of the SDK (``huaweicloudsdkcsms.v1.model.secret``).

        It begins with the same eight fields, in the same order, as the reduced :meth:`detail`.
        """
        return {
            **self.detail(),
            "secret_type": self.secret_type,
            "auto_rotation": self.auto_rotation,
            "rotation_period": self.rotation_period,
            "rotation_config": self.rotation_config,
            "rotation_time": self.rotation_time,
            "next_rotation_time": self.next_rotation_time,
            "event_subscriptions": list(self.event_subscriptions),
            "enterprise_project_id": self.enterprise_project_id,
            "rotation_func_urn": self.rotation_func_urn,
        }

    def detail(self) -> dict[str, Any]:
        """The reduced ``Secret`` of ListResourceInstances (seed 001, table 8)."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "kms_key_id": self.kms_key_id,
            "description": self.description,
            "create_time": self.create_time,
            "update_time": self.update_time,
            "scheduled_delete_time": self.scheduled_delete_time,
        }

    def version_view(self, version: Version) -> dict[str, Any]:
        return {
            "id": version.id,
            "create_time": version.create_time,
            "expire_time": version.expire_time,
            "kms_key_id": self.kms_key_id,
            "secret_name": self.name,
            "version_stages": list(version.stages),
        }

    def tag_list(self) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in self.tags.items()]

    def version(self, version_id: str) -> Version | None:
        """``v<n>`` is the n-th version, so lookup is an index, not a scan."""
        if version_id.startswith("v") and rules.is_number(version_id[1:]):
            index = int(version_id[1:]) - 1
            if 0 <= index < len(self.versions):
                return self.versions[index]
        return None


@dataclass
class Event:
    name: str
    event_id: str
    event_types: list[str]
    state: str
    notification: dict[str, str]
    create_time: int
    update_time: int

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event_id": self.event_id,
            "event_types": list(self.event_types),
            "state": self.state,
            "create_time": self.create_time,
            "update_time": self.update_time,
            "notification": dict(self.notification),
        }


class SortedNames:
    """Names in sorted order with O(log n) lookup of the position after a marker."""

    def __init__(self) -> None:
        self._names: list[str] = []

    def __len__(self) -> int:
        return len(self._names)

    def add(self, name: str) -> None:
        bisect.insort(self._names, name)

    def remove(self, name: str) -> None:
        i = bisect.bisect_left(self._names, name)
        if i < len(self._names) and self._names[i] == name:
            del self._names[i]

    def after(self, marker: str | None) -> int:
        return 0 if not marker else bisect.bisect_right(self._names, marker)

    def slice(self, start: int, stop: int) -> list[str]:
        return self._names[start:stop]

    def iter_from(self, start: int) -> Iterator[str]:
        for i in range(start, len(self._names)):
            yield self._names[i]


def page_info(items: list[str], marker: str | None, has_more: bool) -> dict[str, Any]:
    """``PageInfo``: ``next_marker`` is this page's last name (only when more remain), ``previous_marker``
    the marker this page started after."""
    return {
        "next_marker": items[-1] if has_more and items else None,
        "previous_marker": marker or None,
        "current_count": len(items),
    }


def update_fields(target: object, **changes: object) -> None:
    """Set each named attribute whose new value is not ``None``: an absent request field changes nothing."""
    for name, value in changes.items():
        if value is not None:
            setattr(target, name, value)


class CsmsBackend:
    """All CSMS state of one project; the service runs :meth:`tick` before every call."""

    def __init__(self, key: str, notifier: Notifier | None = None, clock: Callable[[], float] = time.time):
        self.key = key
        self.notifier = notifier
        self.clock = clock
        self.max_secrets: int | None = None
        self.secrets: dict[str, Secret] = {}
        self.names = SortedNames()
        self.ids: dict[str, str] = {}  # secret id -> name
        self.tag_index: dict[str, dict[str, set[str]]] = {}  # key -> value -> secret names
        self.events: dict[str, Event] = {}
        self.event_names = SortedNames()
        self.records: deque[dict[str, Any]] = deque(maxlen=MAX_NOTIFICATION_RECORDS)
        self._due: list[tuple[int, int, str, str, str]] = []  # (when, seq, kind, secret, version)
        self._seq = 0
        self.default_kms_key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"csms/default/{key}"))

    def now(self) -> int:
        return int(self.clock())

    # ----------------------------------------------------------------- timed work
    def _schedule(self, when: int, kind: str, secret: str, version: str = "") -> None:
        self._seq += 1
        heapq.heappush(self._due, (when, self._seq, kind, secret, version))

    def tick(self) -> None:
        """Run every due task: purge secrets whose recovery window ended, announce expired versions."""
        now = self.now()
        while self._due and self._due[0][0] <= now:
            when, _, kind, name, version_id = heapq.heappop(self._due)
            secret = self.secrets.get(name)
            if secret is None:
                continue
            if kind == "purge" and secret.state == "PENDING_DELETE" and secret.scheduled_delete_time == when:
                self.remove_secret(secret)
            elif kind == "expire":
                version = secret.version(version_id)
                if version is not None and version.expire_time == when:
                    self.notify(secret, "SECRET_VERSION_EXPIRED", version_id=version_id)

    # ----------------------------------------------------------------- secrets
    def get(self, name: str) -> Secret:
        secret = self.secrets.get(name)
        if secret is None:
            raise rules.csms_error("CSMS.0106", f"The secret name not found in the db: {name}")
        return secret

    def usable(self, name: str) -> Secret:
        """A secret whose value may be read or changed: not pending deletion."""
        secret = self.get(name)
        if secret.state == "PENDING_DELETE":
            raise rules.csms_error("CSMS.0103", "The secret is in the scheduled deletion state.")
        return secret

    def by_id(self, secret_id: str) -> Secret:
        name = self.ids.get(secret_id)
        if name is None:
            rules.missing(f"secret id {secret_id}")
        return self.secrets[name]

    def add_secret(self, secret: Secret) -> None:
        if secret.name in self.secrets:
            rules.invalid(f"The secret name already exists: {secret.name}")
        if self.max_secrets is not None and len(self.secrets) >= self.max_secrets:
            raise rules.csms_error("CSMS.0202", "The number of secret has reached the upper limit.")
        self.secrets[secret.name] = secret
        self.names.add(secret.name)
        self.ids[secret.id] = secret.name

    def remove_secret(self, secret: Secret) -> None:
        for key in list(secret.tags):
            self.untag(secret, key)
        del self.secrets[secret.name]
        self.names.remove(secret.name)
        del self.ids[secret.id]
        self.notify(secret, "SECRET_DELETED")

    def schedule_deletion(self, secret: Secret, days: int) -> None:
        if secret.state == "PENDING_DELETE":
            raise rules.csms_error("CSMS.0107", "The secret is in schedule delete state.")
        secret.state = "PENDING_DELETE"
        secret.scheduled_delete_time = self.now() + days * 86400
        secret.update_time = self.now()
        self._schedule(secret.scheduled_delete_time, "purge", secret.name)

    def cancel_deletion(self, secret: Secret) -> None:
        if secret.state != "PENDING_DELETE":
            raise rules.csms_error("CSMS.0108", "The secret is not in schedule delete state.")
        secret.state = "ENABLED"
        secret.scheduled_delete_time = None
        secret.update_time = self.now()

    def list_secrets(self, limit: int, marker: str | None, event_name: str | None) -> dict[str, Any]:
        start = self.names.after(marker)
        if event_name is None:
            names = self.names.slice(start, start + limit + 1)
        else:
            names = []
            for name in self.names.iter_from(start):
                if event_name in self.secrets[name].event_subscriptions:
                    names.append(name)
                    if len(names) > limit:
                        break
        page = names[:limit]
        return {
            "secrets": [self.secrets[n].view() for n in page],
            "page_info": page_info(page, marker, len(names) > limit),
        }

    # ----------------------------------------------------------------- versions and stages
    def add_version(
        self,
        secret: Secret,
        text: str | None,
        binary: str | None,
        stages: list[str],
        expire_time: int | None,
    ) -> Version:
        """Append a version and label it; SYSCURRENT moving pushes the old current to SYSPREVIOUS."""
        wanted = set(stages)
        if rules.SYSCURRENT in wanted and rules.SYSCURRENT in secret.stages:
            wanted.add(rules.SYSPREVIOUS)  # the old current version becomes SYSPREVIOUS
        new_stages = wanted - secret.stages.keys()
        if len(secret.stages) + len(new_stages) > rules.MAX_STAGES_PER_SECRET:
            raise rules.csms_error("CSMS.0203", "The number of stage has reached the upper limit.")
        version = Version(
            id=f"v{len(secret.versions) + 1}",
            create_time=self.now(),
            secret_string=text,
            secret_binary=binary,
            expire_time=expire_time,
        )
        secret.versions.append(version)
        for stage in stages:
            self.put_stage(secret, stage, version)
        if expire_time is not None:
            self._schedule(expire_time, "expire", secret.name, version.id)
        secret.update_time = self.now()
        return version

    def put_stage(self, secret: Secret, stage: str, version: Version) -> None:
        """Point ``stage`` at ``version``; a label lives on one version at a time."""
        if stage not in secret.stages and len(secret.stages) >= rules.MAX_STAGES_PER_SECRET:
            raise rules.csms_error("CSMS.0203", "The number of stage has reached the upper limit.")
        previous = secret.stages.get(stage)
        if previous is not None and previous[0] == version.id:
            return
        if stage == rules.SYSCURRENT and previous is not None:
            old = secret.version(previous[0])
            if old is not None:
                self.put_stage(secret, rules.SYSPREVIOUS, old)
        if previous is not None:
            old = secret.version(previous[0])
            if old is not None and stage in old.stages:
                old.stages.remove(stage)
        version.stages.append(stage)
        secret.stages[stage] = (version.id, self.now())

    def delete_stage(self, secret: Secret, stage: str) -> None:
        if stage in rules.BUILTIN_STAGES:
            raise rules.csms_error("CSMS.0105", "Can not delete the system internal stage.")
        entry = secret.stages.pop(stage, None)
        if entry is None:
            rules.missing(f"stage {stage}")
        version = secret.version(entry[0])
        if version is not None and stage in version.stages:
            version.stages.remove(stage)

    def stage_view(self, secret: Secret, stage: str) -> dict[str, Any]:
        entry = secret.stages.get(stage)
        if entry is None:
            rules.missing(f"stage {stage}")
        return {"name": stage, "update_time": entry[1], "secret_name": secret.name, "version_id": entry[0]}

    def find_version(self, secret: Secret, version_id: str) -> Version:
        """``latest`` names the SYSCURRENT version."""
        if version_id == "latest":
            entry = secret.stages.get(rules.SYSCURRENT)
            version = secret.version(entry[0]) if entry else None
        else:
            version = secret.version(version_id)
        if version is None:
            rules.missing(f"version {version_id}")
        return version

    def set_expiry(self, secret: Secret, version: Version, expire_time: int) -> None:
        version.expire_time = expire_time
        self._schedule(expire_time, "expire", secret.name, version.id)

    def list_versions(self, secret: Secret, limit: int, marker: str | None) -> dict[str, Any]:
        start = 0
        if marker:
            if not (marker.startswith("v") and rules.is_number(marker[1:])):
                rules.invalid("marker must be a version id")
            start = min(int(marker[1:]), len(secret.versions))
        page = secret.versions[start : start + limit]
        ids = [v.id for v in page]
        return {
            "version_metadatas": [secret.version_view(v) for v in page],
            "page_info": page_info(ids, marker, start + limit < len(secret.versions)),
        }

    def rotate(self, secret: Secret) -> Version:
        """Rotate a COMMON secret now: a generated value becomes SYSCURRENT, the old one SYSPREVIOUS."""
        if secret.secret_type != rules.COMMON:
            rules.invalid("only COMMON secrets can be rotated without a database rotation function")
        version = self.add_version(secret, _secrets.token_urlsafe(24), None, [rules.SYSCURRENT], None)
        secret.rotation_time = self.now()
        if secret.auto_rotation and secret.rotation_period:
            secret.next_rotation_time = self.now() + rules.rotation_period_seconds(secret.rotation_period)
        self.notify(secret, "SECRET_ROTATED", version_id=version.id)
        return version

    # ----------------------------------------------------------------- tags
    def tag(self, secret: Secret, key: str, value: str) -> None:
        """Add or overwrite (in place, keeping the tag's position) one tag, keeping the index in step."""
        old = secret.tags.get(key)
        if old is None and len(secret.tags) >= rules.MAX_TAGS_PER_SECRET:
            rules.invalid(f"a secret can have at most {rules.MAX_TAGS_PER_SECRET} tags")
        if old is not None:
            self._unindex(secret.name, key, old)
        secret.tags[key] = value
        self.tag_index.setdefault(key, {}).setdefault(value, set()).add(secret.name)

    def untag(self, secret: Secret, key: str) -> None:
        self._unindex(secret.name, key, secret.tags.pop(key))

    def _unindex(self, name: str, key: str, value: str) -> None:
        by_value = self.tag_index[key]
        holders = by_value[value]
        holders.discard(name)
        if not holders:
            del by_value[value]
        if not by_value:
            del self.tag_index[key]

    def project_tags(self) -> list[dict[str, Any]]:
        return [{"key": k, "values": sorted(v)} for k, v in sorted(self.tag_index.items())]

    def tagged(self, key: str, values: Iterable[str]) -> set[str]:
        """Names of secrets carrying ``key`` with one of ``values`` (any value when ``values`` is empty)."""
        by_value = self.tag_index.get(key, {})
        wanted = list(values) or list(by_value)
        out: set[str] = set()
        for value in wanted:
            out |= by_value.get(value, set())
        return out

    # ----------------------------------------------------------------- events and notifications
    def get_event(self, name: str) -> Event:
        event = self.events.get(name)
        if event is None:
            rules.missing(f"event {name}")
        return event

    def add_event(self, event: Event) -> None:
        if event.name in self.events:
            rules.invalid(f"The event name already exists: {event.name}")
        self.events[event.name] = event
        self.event_names.add(event.name)

    def remove_event(self, name: str) -> None:
        """Secrets still subscribed keep the name; they simply stop notifying (see :meth:`notify`)."""
        self.get_event(name)
        del self.events[name]
        self.event_names.remove(name)

    def list_events(self, limit: int, marker: str | None) -> dict[str, Any]:
        start = self.event_names.after(marker)
        names = self.event_names.slice(start, start + limit + 1)
        page = names[:limit]
        return {
            "events": [self.events[n].view() for n in page],
            "page_info": page_info(page, marker, len(names) > limit),
        }

    def notify(self, secret: Secret, event_type: str, *, version_id: str | None = None) -> None:
        """Send ``event_type`` to the SMN topic of each enabled event the secret subscribes to; record it.

        The real message body is not documented; this one is a JSON object naming the event, the trigger, the
        secret and (when there is one) the version - never the secret value.
        """
        for event_name in secret.event_subscriptions:
            event = self.events.get(event_name)
            if event is None or event.state != "ENABLED" or event_type not in event.event_types:
                continue
            now = self.now()
            message = json.dumps(
                {
                    "event_name": event.name,
                    "trigger_event_type": event_type,
                    "secret_name": secret.name,
                    "secret_type": secret.secret_type,
                    "version_id": version_id,
                    "trigger_time": now,
                },
                sort_keys=True,
            )
            subject = f"CSMS {event_type} {secret.name}"
            topic = event.notification.get("target_id", "")
            status = self.notifier(self.key, topic, message, subject) if self.notifier else "INVALID"
            self.records.appendleft(
                {
                    "event_name": event.name,
                    "trigger_event_type": event_type,
                    "create_time": now,
                    "secret_name": secret.name,
                    "secret_type": secret.secret_type,
                    "notification_target_name": event.notification.get("target_name"),
                    "notification_target_id": topic,
                    "notification_content": message,
                    "notification_status": status,
                }
            )
