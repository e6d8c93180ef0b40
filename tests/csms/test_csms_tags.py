"""Secret tags: single tag calls by secret id, batch create/delete, project tag list, seed 001 tag rules."""

from __future__ import annotations

import httpx
import pytest

from devkit.emulator.services.csms import CsmsBackend
from shared.clients.csms import CsmsClient, ProjectTag, Tag
from shared.errors import BadRequestError


async def test_single_tag_calls_address_the_secret_by_id(csms: CsmsClient) -> None:
    secret = await csms.create_secret("db", secret_string="v")
    await csms.create_secret_tag(secret.id, "env", "prod")
    await csms.create_secret_tag(secret.id, "team", "")
    listed = await csms.list_secret_tags(secret.id)
    assert listed.tags == [Tag(key="env", value="prod"), Tag(key="team", value="")] and listed.sys_tags == []
    await csms.create_secret_tag(secret.id, "env", "staging")  # one value per key: overwrite
    assert (await csms.list_secret_tags(secret.id)).tags[0] == Tag(key="env", value="staging")
    await csms.delete_secret_tag(secret.id, "env")
    assert [t.key for t in (await csms.list_secret_tags(secret.id)).tags] == ["team"]
    with pytest.raises(BadRequestError) as by_name:
        await csms.list_secret_tags("db")
    assert by_name.value.error_code == "CSMS.0005"
    with pytest.raises(BadRequestError) as gone:
        await csms.delete_secret_tag(secret.id, "env")
    assert gone.value.error_code == "CSMS.0005"


async def test_tag_keys_with_spaces_and_unicode_survive_the_path(csms: CsmsClient) -> None:
    """Keys are percent-escaped as one path segment, "/" included: the emulator routes on the raw path, so a
    key holding "/" is deleted singly like any other."""
    secret = await csms.create_secret("u", secret_string="v")
    await csms.batch_create_or_delete_tags(secret.id, "create", {"a/b": "1"})
    await csms.batch_create_or_delete_tags(secret.id, "delete", {"a/b": "1"})
    for key in ("cost center", "负责人", "x?y#z%", "team/ops"):
        await csms.create_secret_tag(secret.id, key, "1")
        await csms.delete_secret_tag(secret.id, key)
    assert (await csms.list_secret_tags(secret.id)).tags == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("", "v"),
        ("k" * 37, "v"),
        ("k", "v" * 44),
        ("a*b", "v"),
        ("a<b", "v"),
        ("a>b", "v"),
        ("a\\b", "v"),
        ("a=b", "v"),
        ("a\tb", "v"),
        ("k", "v\x1f"),
        ("k", "v=1"),
    ],
)
async def test_seed_001_tag_rules(csms: CsmsClient, key: str, value: str) -> None:
    """Seed 001: key 1-36 and value 0-43 unicode characters, none of ASCII 0-31, ``* < > \\ =``. (The SDK's
    TagItem docstring says 128/255 characters; the seed wins over the SDK text.)"""
    secret = await csms.create_secret("rules", secret_string="v")
    with pytest.raises(BadRequestError) as err:
        await csms.create_secret_tag(secret.id, key, value)
    assert err.value.error_code == "CSMS.0002"
    with pytest.raises(BadRequestError):
        await csms.batch_create_or_delete_tags(secret.id, "create", [(key, value)])
    assert (await csms.list_secret_tags(secret.id)).tags == []


async def test_longest_allowed_key_and_value_in_any_script(csms: CsmsClient) -> None:
    secret = await csms.create_secret("long", secret_string="v")
    await csms.create_secret_tag(secret.id, "键" * 36, "值" * 43)
    assert (await csms.list_secret_tags(secret.id)).tags == [Tag(key="键" * 36, value="值" * 43)]


async def test_at_most_20_tags_per_secret(csms: CsmsClient) -> None:
    """20 tags per secret (seed 001, SDK TagItem). The error table has no tag-quota row: CSMS.0002 is used,
    not confirmed."""
    secret = await csms.create_secret("t20", secret_string="v")
    await csms.batch_create_or_delete_tags(secret.id, "create", {f"k{i}": "v" for i in range(20)})
    await csms.create_secret_tag(secret.id, "k0", "overwrite is fine")
    with pytest.raises(BadRequestError) as single:
        await csms.create_secret_tag(secret.id, "k20", "v")
    assert single.value.error_code == "CSMS.0002"
    with pytest.raises(BadRequestError) as batch:
        await csms.batch_create_or_delete_tags(secret.id, "create", {"k1": "x", "k21": "v"})
    assert batch.value.error_code == "CSMS.0002"
    tags = {t.key: t.value for t in (await csms.list_secret_tags(secret.id)).tags}
    assert len(tags) == 20 and tags["k1"] == "v"  # the refused batch changed nothing


async def test_batch_create_and_delete(csms: CsmsClient) -> None:
    secret = await csms.create_secret("b", secret_string="v")
    await csms.batch_create_or_delete_tags(
        secret.id, "create", [Tag(key="a", value="1"), ("b", "2"), ("c", "3")], sequence="9" * 36
    )
    await csms.batch_create_or_delete_tags(secret.id, "create", {"a": "1"})  # repeating is harmless
    await csms.batch_create_or_delete_tags(
        secret.id, "delete", [("a", "1"), ("b", ""), ("c", "other"), ("z", "")]
    )
    tags = (await csms.list_secret_tags(secret.id)).tags
    assert tags == [Tag(key="c", value="3")]  # a value that does not match leaves the tag alone


@pytest.mark.parametrize(
    "body",
    [
        {"action": "update", "tags": [{"key": "a", "value": "1"}]},
        {"action": "create", "tags": []},
        {"action": "create"},
        {"action": "create", "tags": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]},
        {"action": "create", "tags": [{"key": "a", "value": "1"}], "sequence": "short"},
    ],
)
async def test_batch_validation(csms: CsmsClient, raw: httpx.AsyncClient, body: dict[str, object]) -> None:
    secret = await csms.create_secret("bv", secret_string="v")
    response = await raw.post(f"/v1/{csms.project_id}/csms/{secret.id}/tags/action", json=body)
    assert (response.status_code, response.json()["error"]["error_code"]) == (400, "CSMS.0002")
    assert (await csms.list_secret_tags(secret.id)).tags == []


async def test_project_tags_aggregate_values(csms: CsmsClient, backend: CsmsBackend) -> None:
    assert await csms.list_project_secrets_tags() == []
    a = await csms.create_secret("a", secret_string="v")
    b = await csms.create_secret("b", secret_string="v")
    await csms.batch_create_or_delete_tags(a.id, "create", {"env": "prod", "team": "ops"})
    await csms.batch_create_or_delete_tags(b.id, "create", {"env": "dev"})
    assert await csms.list_project_secrets_tags() == [
        ProjectTag(key="env", values=["dev", "prod"]),
        ProjectTag(key="team", values=["ops"]),
    ]
    await csms.delete_secret("a")
    assert await csms.list_project_secrets_tags() == [ProjectTag(key="env", values=["dev"])]
    assert backend.tag_index == {"env": {"dev": {"b"}}}
