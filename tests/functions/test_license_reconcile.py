"""license_reconcile logic and roster sources, against the in-process emulator with 5,000 seats."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from devkit.emulator.core import Call, Emulator
from devkit.emulator.services.ide import IdeBackend
from devkit.emulator.services.smn import SmnService
from functions.license_reconcile.logic import ReconcileInput, reconcile
from functions.license_reconcile.roster import Roster, RosterError, load_roster, parse_roster
from shared.clients.ide import IdeClient
from shared.clients.smn import SmnClient
from shared.config import Settings
from tests.functions.conftest import machine

PROJECT = "7a6b5c4d3e2f10293847566574839201"


def user(n: int) -> str:
    return f"u{n:04d}"


class Fleet:
    """5,000 seats: 4,000 bound (400 users x 10), 500 free, 200 unpaid, 200 frozen, 100 deleted.

    Users u0360-u0399 have left (u0360-u0369 are still listed but disabled, the rest are missing). Their
    400 NORMAL seats and 100 frozen seats (u0390-u0399) must be unbound; 100 DELETED seats bound to u0399
    must be left alone.
    """

    def __init__(self, backend: IdeBackend) -> None:
        users = [user(n // 10) for n in range(4000)]
        self.bound = backend.seed(4000, user_id=users, machine_code=[machine(n) for n in range(4000)])
        self.free = backend.seed(500)
        self.unpaid = backend.seed(200, status="UNPAID")
        self.frozen_bound = backend.seed(
            100,
            status="FREEZE",
            user_id=[user(390 + n // 10) for n in range(100)],
            machine_code=machine(9999),
        )
        self.frozen_free = backend.seed(100, status="FREEZE")
        self.deleted = backend.seed(100, status="DELETED", user_id=user(399), machine_code=machine(8888))
        self.departed = set(self.bound[3600:]) | set(self.frozen_bound)
        self.roster = Roster.from_users(
            [user(n) for n in range(360)] + [{"id": user(n), "enabled": False} for n in range(360, 370)],
            source="test roster",
        )


def state(backend: IdeBackend) -> dict[str, tuple[str, str, int]]:
    return {lid: (r.user_id, r.machine_code, r.status) for lid, r in backend.licenses.items()}


async def test_reconcile_5000_seats_unbinds_exactly_the_departed(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    fleet = Fleet(backend)
    before = state(backend)
    pages: list[str] = []

    def spy(call: Call) -> None:
        if call.operation == "ListLicenses":
            pages.append(call.query.get("limit", ""))

    emulator.before_dispatch.append(spy)
    report = await reconcile(ide, smn, topic, fleet.roster, dry_run=False)

    assert report.total == 5000 and pages == ["100"] * 50  # one page of 100 at a time
    assert report.by_status == {"UNPAID": 200, "NORMAL": 4500, "FREEZE": 200, "DELETED": 100}
    assert report.bound == 4100 and report.free == 500
    assert report.unpaid == fleet.unpaid
    assert report.frozen == fleet.frozen_bound + fleet.frozen_free
    assert {s.license_id for s in report.departed} == fleet.departed
    assert report.unbound == 500 and report.failed == 0 and report.guard is None

    after = state(backend)
    changed = {lid for lid in before if before[lid] != after[lid]}
    assert changed == fleet.departed
    assert all(after[lid][:2] == ("", "") for lid in fleet.departed)
    assert all(after[lid][2] == before[lid][2] for lid in fleet.departed)  # statuses untouched

    smn_service = emulator.service("smn")
    assert isinstance(smn_service, SmnService)
    [message] = smn_service.messages(topic)
    assert "5000 total, 4100 bound, 500 free" in message.message
    assert "500 seat(s) held by departed users, unbound 500" in message.message
    assert "(applied)" in (message.subject or "")


async def test_dry_run_changes_nothing(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    fleet = Fleet(backend)
    before = state(backend)
    report = await reconcile(ide, smn, topic, fleet.roster, dry_run=True)
    assert state(backend) == before
    assert {s.license_id for s in report.departed} == fleet.departed
    assert report.unbound == 0 and "would unbind 500" in report.summary()


async def test_second_run_finds_nothing_left(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    backend.seed(3, user_id=["stay", "gone", "gone"], machine_code=[machine(1), machine(2), machine(3)])
    roster = Roster(["stay", "other"], source="inline")
    first = await reconcile(ide, smn, topic, roster, dry_run=False, max_unbind_fraction=1.0)
    assert first.unbound == 2
    second = await reconcile(ide, smn, topic, roster, dry_run=False, max_unbind_fraction=1.0)
    assert second.departed == [] and second.bound == 1 and second.free == 2


async def test_suspicious_roster_unbinds_nothing(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    fleet = Fleet(backend)
    before = state(backend)
    report = await reconcile(ide, smn, topic, Roster([user(1)], source="truncated"), dry_run=False)
    assert report.guard is not None and "check the roster" in report.guard
    assert len(report.departed) == 4090 and report.unbound == 0
    assert state(backend) == before
    assert fleet.bound[10] not in {s.license_id for s in report.departed}  # u0001 stays


async def test_without_a_roster_only_counts(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    backend.seed(2, user_id="someone", machine_code=machine(5))
    report = await reconcile(ide, smn, topic, None, dry_run=False)
    assert report.departed == [] and report.bound == 2 and report.roster_source is None


async def test_unbind_failures_are_recorded_per_seat(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    backend.seed(4, user_id=["stay", "stay", "stay", "gone"], machine_code=machine(1))
    assert emulator.faults is not None
    emulator.faults.add("ide", "UnbindLicenseUser", kind="error", status=500, rate=1.0)
    report = await reconcile(ide, smn, topic, Roster(["stay"], source="inline"), dry_run=False)
    [seat] = report.departed
    assert not seat.unbound and seat.error is not None and "APIGW.0500" in seat.error
    assert report.failed == 1 and "1 failed" in report.summary()


async def test_empty_topic_still_returns_the_report(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, _ = clients
    backend.seed(1)
    assert (await reconcile(ide, None, None, None)).total == 1
    missing = f"urn:smn:cn-north-4:{PROJECT}:missing"
    assert (await reconcile(ide, smn, missing, None)).total == 1


def test_input_defaults_to_dry_run() -> None:
    assert ReconcileInput.model_validate({}).dry_run is True
    assert ReconcileInput.model_validate({"dry_run": False, "max_unbind_fraction": 0.1}).dry_run is False
    with pytest.raises(ValueError):
        ReconcileInput.model_validate({"max_unbind_fraction": 2})


# -- roster sources ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('["a1", "b2"]', {"a1", "b2"}),
        (
            '{"users": [{"id": "a1", "name": "Alice", "enabled": true}, {"id": "b2", "enabled": false}]}',
            {"a1"},
        ),
        ('[{"user_id": "a1", "active": "yes"}, {"user_id": "b2", "active": "no"}]', {"a1"}),
        ("\ufeffuser_id,name\na1,Alice\nb2,Bob\n", {"a1", "b2"}),
        ("ID,Name,Enabled\na1,Alice,true\nb2,Bob,false\n", {"a1"}),
    ],
)
def test_roster_formats(text: str, expected: set[str]) -> None:
    assert parse_roster(text, source="t").user_ids == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "lists no active users"),
        ('[{"id": "a1", "enabled": false}]', "lists no active users"),
        ("[1, 2]", "ids or objects"),
        ('{"people": []}', "expected a list"),
        ('["a1",', "not valid JSON"),
        ("name\nAlice\n", "'user_id' or 'id' column"),
    ],
)
def test_bad_rosters_are_refused(text: str, message: str) -> None:
    with pytest.raises(RosterError, match=message):
        parse_roster(text, source="t")


async def test_roster_from_files(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text(json.dumps({"users": [{"id": "a1"}]}))
    (tmp_path / "users.csv").write_text("id\nb2\n")
    assert (await load_roster(str(tmp_path / "users.json"))).user_ids == {"a1"}
    assert (await load_roster(f"file://{tmp_path / 'users.csv'}")).user_ids == {"b2"}
    with pytest.raises(RosterError, match="cannot read roster file"):
        await load_roster(str(tmp_path / "missing.json"))


async def test_roster_from_a_url_never_echoes_its_query() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/roster.csv":
            return httpx.Response(200, text="user_id\na1\n", headers={"Content-Type": "text/csv"})
        return httpx.Response(404)

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as http:
        roster = await load_roster("https://hr.example.com/roster.csv?token=s3cr3t", http=http)
        assert roster.user_ids == {"a1"} and "s3cr3t" not in roster.source
        with pytest.raises(RosterError) as caught:
            await load_roster("https://hr.example.com/gone.json?token=s3cr3t", http=http)
    assert "HTTP 404" in str(caught.value) and "s3cr3t" not in str(caught.value)


async def test_roster_from_the_iam_user_list_drops_disabled_users(emulator: Emulator) -> None:
    """The live IAM roster: enabled users of the account count as present, disabled ones as departed."""
    from devkit.emulator.credentials import DEMO_IAM_DOMAIN
    from functions.license_reconcile.roster import load_iam_roster
    from shared.clients.iam import IamClient

    creds = emulator.credentials
    assert creds is not None
    stay = creds.add_user(DEMO_IAM_DOMAIN, "stayer", "pw-1")
    gone = creds.add_user(DEMO_IAM_DOMAIN, "leaver", "pw-2", enabled=False)
    async with IamClient.from_settings(Settings.from_env(), transport=emulator.transport()) as iam:
        roster = await load_iam_roster(iam)
    assert stay.id in roster and gone.id not in roster
    assert roster.source == "IAM user list"
