"""Where a function's report goes: SMN (the default) and, when configured, an Astro Zero custom API.

A report is a subject, a human-readable text and the same facts as JSON. Every configured channel gets it;
one channel failing does not stop the others, and the outcome of each is returned so the caller can put it
in its answer. A channel that is not configured is skipped (SMN unset: the report is only logged).

Astro Zero credentials come from ``OPSFN_ASTRO_CLIENT_ID``/``OPSFN_ASTRO_CLIENT_SECRET``, or from the CSMS
secret named by ``OPSFN_ASTRO_CREDENTIALS_SECRET`` whose value is JSON ``{"client_id", "client_secret"}``
(the production choice: no secret in the function's environment). A refused client is reported as a
configuration error naming those variables; the secret is registered for masking before anything is logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.errors import OpsfnError

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = ["Report", "astro_credentials", "send_report"]

_SMN_SUBJECT_MAX = 512


@dataclass(frozen=True)
class Report:
    """What to tell people: ``subject`` and ``text`` for humans, ``data`` (JSON-safe) for machines."""

    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    kind: str = "report"


async def astro_credentials(settings: Settings) -> tuple[str, str]:
    """``(client_id, client_secret)`` from the environment, else from the configured CSMS secret."""
    from shared.clients.astro import AstroConfigurationError

    if settings.astro_client_id or settings.astro_client_secret or not settings.astro_credentials_secret:
        return settings.astro_client_id, settings.astro_client_secret
    from shared.clients.csms import CsmsClient
    from shared.log import register_secret

    name = settings.astro_credentials_secret
    async with CsmsClient.from_settings(settings) as csms:
        version = await csms.show_secret_version(name)
    raw = version.secret_string.get_secret_value() if version.secret_string is not None else ""
    register_secret(raw)
    try:
        value = json.loads(raw)
        client_id, client_secret = str(value["client_id"]), str(value["client_secret"])
    except (ValueError, KeyError, TypeError):
        raise AstroConfigurationError(
            f"CSMS secret {name!r} (OPSFN_ASTRO_CREDENTIALS_SECRET) must hold JSON "
            '{"client_id": ..., "client_secret": ...}'
        ) from None
    register_secret(client_secret)
    return client_id, client_secret


async def _to_smn(settings: Settings, report: Report) -> None:
    from shared.clients.smn import SmnClient

    topic = settings.smn_topic_urn
    async with SmnClient.for_topic(settings, topic) as smn:
        await smn.publish(topic, report.text, subject=report.subject[:_SMN_SUBJECT_MAX])


async def _to_astro(settings: Settings, report: Report) -> None:
    from shared.clients.astro import AstroClient

    client_id, client_secret = await astro_credentials(settings)
    body = {"kind": report.kind, "subject": report.subject, "text": report.text, "report": report.data}
    async with AstroClient.connect(settings, client_id, client_secret) as astro:
        await astro.call("POST", settings.astro_report_path, body)


async def send_report(settings: Settings, report: Report, log: Any) -> dict[str, str]:
    """Send ``report`` to every configured channel; ``{channel: "sent" | "not configured" | error text}``."""
    channels = {
        "smn": (_to_smn, bool(settings.smn_topic_urn)),
        "astro": (_to_astro, bool(settings.astro_report_path)),
    }
    outcome: dict[str, str] = {}
    for name, (send, configured) in channels.items():
        if not configured:
            outcome[name] = "not configured"
            continue
        try:
            await send(settings, report)
        except OpsfnError as exc:
            outcome[name] = f"failed: {exc}"
            log.error("report not delivered", channel=name, error=str(exc), error_type=type(exc).__name__)
        else:
            outcome[name] = "sent"
    if not settings.smn_topic_urn:
        log.info("report", subject=report.subject, text=report.text)
    return outcome
