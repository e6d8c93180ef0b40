"""Fake Huawei CSMS (Cloud Secret Management Service), API v1 as spoken by ``huaweicloudsdkcsms`` 3.1.219.

Routes and shapes follow the SDK's ``csms_client.py`` and model classes:

* secrets - ``/v1/{project_id}/secrets[/{secret_name}]``: create, list (marker paging, ``event_name``
  filter), show, update, delete, scheduled deletion (7-30 days) and its cancellation, rotation;
* versions and stages - ``.../{secret_name}/versions[/{version_id}]`` (``latest`` names SYSCURRENT) and
  ``.../{secret_name}/stages/{stage_name}``;
* events - ``/v1/{project_id}/csms/events[/{event_name}]`` and ``/csms/notification-records``;
* tags - ``/v1/{project_id}/csms/{secret_id}/tags[/{key}|/action]``, ``/csms/tags`` and
  ListResourceInstances (``POST /csms/resource_instances/action``, seed 001, :mod:`.query`).

Input rules and error codes live in :mod:`.rules`, the per-project state in :mod:`.state`. Scheduled
deletions and version expiries fall due on the backend's clock and run before the next call of the project.
Event notifications are published through the emulator's own SMN service (``SmnService.publish``), so a
test can subscribe to a topic and see CSMS announce new versions, rotations and deletions.

The package has the shape of every emulated service: ``routes`` (the table), ``handlers`` (one function per
operation, with :mod:`.events` and :mod:`.tags` beside it), ``state`` (the per-project backend).
"""

from __future__ import annotations

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Route, Service
from devkit.emulator.services.csms.routes import ROUTES
from devkit.emulator.services.csms.state import CsmsBackend, Event, Notifier, Secret, Version
from devkit.emulator.services.smn import SmnService

__all__ = ["CsmsBackend", "CsmsService", "Event", "Secret", "Version", "make_service"]


class CsmsService(Service[CsmsBackend]):
    """The CSMS service; each call first runs the project's due timed work (purges, expiry notices)."""

    def __init__(self, emulator: Emulator) -> None:
        notifier = _smn_publisher(emulator)
        super().__init__("csms", lambda key: CsmsBackend(key, notifier), routes=ROUTES)

    def dispatch(self, route: Route, call: Call) -> httpx.Response:
        with self.lock:
            self.backend(call.key).tick()
            return super().dispatch(route, call)


def _smn_publisher(emulator: Emulator) -> Notifier:
    """Publish through the emulator's SMN service; the outcome becomes the record's ``notification_status``.

    ``SmnService.publish`` finds the topic's project from its URN and raises a ``LookupError`` when the topic
    does not exist (INVALID: the event points at no topic, as when there is no SMN at all). Any other failure
    is FAIL, like an SMN outage.
    """

    def notify(key: str, topic_urn: str, message: str, subject: str) -> str:
        smn = next((svc for svc in emulator.services if isinstance(svc, SmnService)), None)
        if smn is None:
            return "INVALID"
        try:
            smn.publish(topic_urn, message, subject)
        except (ApiError, LookupError, ValueError):
            return "INVALID"
        except Exception:
            return "FAIL"
        return "SUCCESS"

    return notify


def make_service(emulator: Emulator) -> CsmsService:
    """Build the ``csms`` service (notifications go to the emulator's ``smn`` service)."""
    return CsmsService(emulator)
