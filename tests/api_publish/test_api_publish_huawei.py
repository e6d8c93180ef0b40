"""api_publish against the emulated Huawei APIG: plan, apply, publish, prune, smoke failure and rollback."""

from __future__ import annotations

import json
from typing import Any

from functions.api_publish.handler import app
from tests.api_publish.conftest import Env, api_doc, github_event


def invoke(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app.invoke_local(github_event(body))
    return int(response["statusCode"]), json.loads(response["body"])


def versions(env: Env, name: str) -> list[dict[str, Any]]:
    api = env.instance.apis.find(name=name)
    assert api is not None
    return [v for v in env.instance.versions.values() if v["api_id"] == api["id"]]


def test_twenty_apis_into_an_empty_group_then_zero_changes(env: Env) -> None:
    status, answer = invoke(env.request(api_doc(20), "c1"))
    assert status == 200, answer
    assert answer["status"] == "applied" and answer["summary"]["create"] == 20
    assert len(env.online()) == 20
    status, again = invoke(env.request(api_doc(20), "c1-plan", mode="plan"))
    assert status == 200 and again["status"] == "planned"
    assert again["summary"] == {"create": 0, "update": 0, "delete": 0, "unchanged": 20, "retained": 0}
    assert "no changes" in again["markdown"]


def test_three_changed_apis_are_updated_and_republished_the_rest_untouched(env: Env) -> None:
    invoke(env.request(api_doc(20), "c1"))
    before = {name: d["update_time"] for name, d in env.online().items()}
    doc = api_doc(20)
    for i in (3, 7, 11):
        doc["paths"][f"/items{i}"]["get"]["description"] = "changed"
    status, answer = invoke(env.request(doc, "c2"))
    assert status == 200, answer
    assert answer["summary"]["update"] == 3 and answer["summary"]["unchanged"] == 17
    assert answer["published"] == 3
    changed = {n for n, d in env.online().items() if d["update_time"] != before[n]}
    assert changed == {"shop_item3", "shop_item7", "shop_item11"}
    assert all(len(versions(env, f"shop_item{i}")) == (2 if i in (3, 7, 11) else 1) for i in range(20))


def test_prune_false_never_deletes_and_prune_true_only_in_scope(env: Env) -> None:
    invoke(env.request(api_doc(5), "c1"))
    invoke(env.request(api_doc(2, prefix="other_", start=100), "c-other", scope={"name_prefix": "other_"}))
    status, answer = invoke(env.request(api_doc(3), "c2", scope={"name_prefix": "shop_"}))
    assert status == 200 and answer["summary"]["retained"] == 2 and answer["summary"]["delete"] == 0
    assert len(env.instance.apis) == 7
    status, answer = invoke(env.request(api_doc(3), "c3", scope={"name_prefix": "shop_"}, prune=True))
    assert status == 200 and answer["summary"]["delete"] == 2, answer
    names = {a["name"] for a in env.instance.apis}
    assert names == {"shop_item0", "shop_item1", "shop_item2", "other_item100", "other_item101"}


def test_a_freed_path_is_deleted_before_it_is_created_again(env: Env) -> None:
    invoke(env.request(api_doc(2), "c1"))
    doc = api_doc(1)
    doc["paths"]["/items1"] = {
        "get": {"operationId": "shop_renamed", "x-apigateway-backend": {"type": "MOCK"}}
    }
    status, answer = invoke(env.request(doc, "c2", prune=True))
    assert status == 200, answer
    assert [s["action"] for s in answer["plan"]][:2] == ["delete", "create"]
    assert set(env.online()) == {"shop_item0", "shop_renamed"}


def test_smoke_failure_rolls_every_api_back(env: Env) -> None:
    invoke(env.request(api_doc(4, version="v1"), "c1"))
    previous = {n: d["mock_info"]["result_content"] for n, d in env.online().items()}
    doc = api_doc(5, version="v2")
    checks = [{"api": f"shop_item{i}", "json": {"version": "v2"}} for i in range(5)]
    checks[2]["json"] = {"version": "v3"}  # this one cannot pass
    status, answer = invoke(env.request(doc, "c2", smoke=checks))
    assert status == 422 and answer["status"] == "rolled_back", answer
    assert any("shop_item2" in f for f in answer["failures"])
    assert {n: d["mock_info"]["result_content"] for n, d in env.online().items()} == previous
    assert "shop_item4" not in {a["name"] for a in env.instance.apis}
    assert sum("version" in line and "back in effect" in line for line in answer["rolled_back"]) == 4
    assert any("shop_item4: new API taken offline" in line for line in answer["rolled_back"])


def test_smoke_through_the_gateway_passes(env: Env) -> None:
    checks = [{"api": "shop_item0", "json": {"version": "v1", "item": 0}}]
    status, answer = invoke(env.request(api_doc(2), "c1", smoke=checks))
    assert status == 200 and answer["status"] == "applied", answer


def test_redelivery_of_a_finished_commit_same_answer_zero_writes(env: Env) -> None:
    status, first = invoke(env.request(api_doc(3), "c1"))
    writes = env.writes()
    assert writes > 0
    status2, second = invoke(env.request(api_doc(3), "c1"))
    assert (status2, second) == (status, first)
    assert env.writes() == writes


def test_push_payload_uses_configured_request(env: Env, monkeypatch: Any) -> None:
    config = env.request(api_doc(2), "unused")
    del config["commit"]
    monkeypatch.setenv("OPSFN_PUBLISH_CONFIG", json.dumps(config))
    push = {"ref": "refs/heads/main", "after": "a" * 40, "repository": {"full_name": "acme/apis"}}
    status, answer = invoke(push)
    assert status == 200 and answer["commit"] == "a" * 40 and answer["status"] == "applied", answer
    gitlab = {"object_kind": "push", "checkout_sha": "b" * 40, "after": "b" * 40, "project": {"id": 1}}
    status, answer = invoke(gitlab)
    assert status == 200 and answer["status"] == "unchanged", answer


def test_bad_signature_and_bad_document_are_refused(env: Env) -> None:
    response = app.invoke_local(github_event(env.request(api_doc(1), "c1"), secret="wrong"))
    assert response["statusCode"] == 401
    status, answer = invoke(env.request({"swagger": "1.0", "paths": {}}, "c2"))
    assert status == 422 and "swagger" in answer["message"]
    assert env.writes() == 0
