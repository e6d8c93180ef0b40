"""The one router shared by the emulator's services and ``opsfn serve``."""

from __future__ import annotations

import pytest

from devkit.routing import Router, compile_template, register_convertor


def _router() -> Router[str]:
    router: Router[str] = Router()
    router.add("GET", "/v1/{project_id}/secrets/{secret_name}", "show")
    router.add("DELETE", "/v1/{project_id}/secrets/{secret_name}", "delete")
    router.add("*", "/gw/{group}{rest:path}", "gateway")
    return router


def test_placeholders_match_one_segment_and_are_unquoted_after_matching() -> None:
    found = _router().match("GET", "/v1/p1/secrets/a%2Fb%3Fc")
    assert found is not None and found.endpoint == "show"
    assert found.params == {"project_id": "p1", "secret_name": "a/b?c"}
    assert _router().match("GET", "/v1/p1/secrets/a/b") is None


def test_a_trailing_slash_is_tolerated() -> None:
    found = _router().match("DELETE", "/v1/p/secrets/s/")
    assert found is not None and found.endpoint == "delete"


def test_a_known_path_under_another_method_reports_the_allowed_ones() -> None:
    found = _router().match("PUT", "/v1/p/secrets/s")
    assert found is not None and found.endpoint is None
    assert found.allowed == ("GET", "DELETE")


def test_path_convertor_takes_the_rest_and_any_method() -> None:
    router = _router()
    deep = router.match("PATCH", "/gw/g1/a/b/c")
    assert (
        deep is not None and deep.endpoint == "gateway" and deep.params == {"group": "g1", "rest": "/a/b/c"}
    )
    bare = router.match("GET", "/gw/g1")
    assert bare is not None and bare.params == {"group": "g1", "rest": ""}


def test_registered_convertors_constrain_a_segment() -> None:
    register_convertor("test_env", "test|release")
    router: Router[str] = Router()
    router.add("GET", "/{environment:test_env}{api_path:path}", "api")
    hit = router.match("GET", "/release/pets")
    assert hit is not None and hit.params == {"environment": "release", "api_path": "/pets"}
    assert router.match("GET", "/v2/pets") is None


def test_conflicting_or_unknown_convertors_are_refused() -> None:
    register_convertor("test_env", "test|release")  # the same pattern again is fine
    with pytest.raises(ValueError, match="already registered"):
        register_convertor("test_env", "other")
    with pytest.raises(ValueError, match="unknown placeholder convertor"):
        compile_template("/{x:nope}")


def test_routes_are_listed_in_order() -> None:
    assert [(m, e) for m, _, e in _router()] == [("GET", "show"), ("DELETE", "delete"), ("*", "gateway")]
    assert len(_router()) == 3
