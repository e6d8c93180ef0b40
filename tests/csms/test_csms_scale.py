"""Listing cost follows the page, not the project: a counting view of the secret table proves no list call
walks every secret (deterministic, unlike a timing assertion)."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.emulator.services.csms import CsmsBackend, Secret
from devkit.emulator.services.csms import query as csms_query

SECRETS = 5000


class CountingDict(dict[str, Secret]):
    """Counts item lookups, the only way the listings reach a secret's record."""

    lookups = 0

    def __getitem__(self, key: str) -> Secret:
        self.lookups += 1
        return super().__getitem__(key)


@pytest.fixture
def big(backend: CsmsBackend) -> CsmsBackend:
    for i in range(SECRETS):
        secret = Secret(
            id=f"id-{i}", name=f"s{i:05d}", kms_key_id="k", description=None, secret_type="COMMON",
            create_time=0, update_time=0,
        )  # fmt: skip
        backend.add_secret(secret)
        backend.add_version(secret, "v", None, ["SYSCURRENT"], None)
        backend.tag(secret, "shard", str(i % 100))
        if i % 1000 == 0:
            backend.tag(secret, "rare", "yes")
    counting = CountingDict(backend.secrets)
    backend.secrets = counting
    return backend


def _lookups(backend: CsmsBackend) -> int:
    assert isinstance(backend.secrets, CountingDict)
    return backend.secrets.lookups


def test_marker_paging_touches_only_the_page(big: CsmsBackend) -> None:
    page = big.list_secrets(10, "s04980", None)
    assert [s["name"] for s in page["secrets"]] == [f"s{i:05d}" for i in range(4981, 4991)]
    assert _lookups(big) == 10


def test_unfiltered_resource_instances_touch_only_the_page(big: CsmsBackend) -> None:
    query = csms_query.parse({"limit": "10", "offset": "4995"})
    answer: dict[str, Any] = csms_query.run(big, query)
    assert answer["total_count"] == SECRETS and len(answer["resources"]) == 5
    assert _lookups(big) == 5
    assert csms_query.run(big, csms_query.parse({"action": "count"})) == {"total_count": SECRETS}
    assert _lookups(big) == 5


def test_tag_filters_touch_only_matching_secrets(big: CsmsBackend) -> None:
    query = csms_query.parse({"tags": [{"key": "shard", "values": ["7"]}, {"key": "rare", "values": []}]})
    assert csms_query.run(big, query)["total_count"] == 0
    rare = csms_query.run(big, csms_query.parse({"tags": [{"key": "rare", "values": ["yes"]}]}))
    assert [r["resource_name"] for r in rare["resources"]] == [f"s{i:05d}" for i in range(0, SECRETS, 1000)]
    assert _lookups(big) == SECRETS // 1000
