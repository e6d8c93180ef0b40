"""license_reconcile entry point: the daily timer.

The timer's ``user_event`` is JSON such as ``{"dry_run": false, "roster": "file:///data/staff.csv"}``
(:class:`~functions.license_reconcile.logic.ReconcileInput`; empty means a dry run). Where the roster comes
from, first match wins:

1. ``roster`` in the timer input - a file path, ``file://``, ``http(s)://`` URL, or ``iam``;
2. ``OPSFN_ROSTER_URL`` (:attr:`shared.config.Settings.roster_url`) - the same forms;
3. nothing: seats are counted and unpaid/frozen ones listed, but nobody counts as departed.

``iam`` means the account's IAM user list (disabled users count as departed). A roster that cannot be
read or is empty fails the run with 422 before anything is unbound: comparing against a broken roster
would free everyone's seat.
"""

from __future__ import annotations

from typing import Any

from functions.license_reconcile.logic import ReconcileInput, reconcile
from functions.license_reconcile.roster import Roster, RosterError, load_iam_roster, load_roster
from shared.config import Settings
from shared.runtime import FunctionApp, HttpError, Invocation

__all__ = ["IAM_ROSTER", "app", "handler", "main_handler"]

IAM_ROSTER = "iam"

app = FunctionApp("license_reconcile")


@app.timer(model=ReconcileInput)
async def on_timer(params: ReconcileInput, inv: Invocation) -> dict[str, Any]:
    """Walk every seat, report, unbind leavers' seats unless ``dry_run``, post the summary."""
    from shared.clients.ide import IdeClient
    from shared.clients.smn import SmnClient

    settings = inv.settings
    topic = settings.smn_topic_urn or None
    roster = await _roster(params.roster or settings.roster_url or None, settings)
    async with IdeClient.from_settings(settings) as ide:
        if topic is None:
            report = await _run(ide, None, None, roster, params, settings)
        else:
            async with SmnClient.for_topic(settings, topic) as smn:
                report = await _run(ide, smn, topic, roster, params, settings)
    inv.log.info("license_reconcile.report", unbound=report.unbound, failed=report.failed)
    return {**report.model_dump(mode="json"), "unbound": report.unbound, "failed": report.failed}


async def _run(
    ide: Any, smn: Any, topic: str | None, roster: Roster | None, params: ReconcileInput, settings: Settings
) -> Any:
    return await reconcile(
        ide,
        smn,
        topic,
        roster,
        dry_run=params.dry_run,
        max_unbind_fraction=params.max_unbind_fraction,
        concurrency=settings.max_concurrency,
    )


async def _roster(location: str | None, settings: Settings) -> Roster | None:
    if location is None:
        return None
    try:
        if location.lower() == IAM_ROSTER:
            from shared.clients.iam import IamClient

            async with IamClient.from_settings(settings) as iam:
                return await load_iam_roster(iam)
        return await load_roster(location)
    except RosterError as exc:
        raise HttpError(422, str(exc), code="roster") from None


handler = app.functiongraph_handler
main_handler = app.scf_handler
