"""API app actions (``AuthType=APP`` credentials): create, rotate the secret, bind to APIs per environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    filtered_page,
    find_api,
    find_app,
    find_service,
    fuzzy_match,
    matches_all,
    page,
    rename,
)
from devkit.emulator.services.tencent_apigw.state import (
    ApiApp,
    AppBinding,
    TencentApigwBackend,
    iso,
    random_secret,
)

_SECRET_LENGTH = 40


def _app_info(app: ApiApp) -> dict[str, Any]:
    return {
        "ApiAppName": app.name,
        "ApiAppId": app.app_id,
        "ApiAppSecret": app.secret,
        "ApiAppDesc": app.desc,
        "CreatedTime": iso(app.created),
        "ModifiedTime": iso(app.modified),
        "ApiAppKey": app.app_key,
    }


def create_api_app(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    app = ApiApp(
        app_id=backend.new_app_id(),
        name=p.text("ApiAppName"),
        desc=p.opt_text("ApiAppDesc") or "",
        app_key="APID" + random_secret(28),
        secret=random_secret(_SECRET_LENGTH),
        created=ctx.now,
        modified=ctx.now,
    )
    backend.apps[app.app_id] = app
    return {"Result": _app_info(app)}


def update_api_app_key(ctx: ActionContext) -> dict[str, Any]:
    """Rotate an app's secret; ``ApiAppKey`` must name the app's current key, the secret is optional."""
    p = ctx.params
    app = find_app(ctx.backend, p.text("ApiAppId"))
    if p.text("ApiAppKey") != app.app_key:
        raise tencent_error("InvalidParameterValue", "ApiAppKey does not match the app's key.")
    app.secret = p.opt_text("ApiAppSecret") or random_secret(_SECRET_LENGTH)
    app.modified = ctx.now
    return {"Result": True}


def modify_api_app(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    app = find_app(ctx.backend, p.text("ApiAppId"))
    rename(p, app, "ApiApp")
    app.modified = ctx.now
    return {"Result": True}


def delete_api_app(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    app = find_app(backend, ctx.params.text("ApiAppId"))
    if app.bindings:
        raise tencent_error(
            "UnsupportedOperation.ResourceAssociated", "The app is bound to APIs; unbind them first."
        )
    del backend.apps[app.app_id]
    return {"Result": True}


def describe_api_app(ctx: ActionContext) -> dict[str, Any]:
    app = find_app(ctx.backend, ctx.params.text("ApiAppId"))
    return {"Result": {"TotalCount": 1, "ApiAppSet": [_app_info(app)]}}


_APP_CHECKS: dict[str, Callable[[ApiApp, list[str]], bool]] = {
    "ApiAppId": lambda app, v: app.app_id in v,
    "ApiAppName": lambda app, v: fuzzy_match(app.name, v),
    "KeyWord": lambda app, v: fuzzy_match(app.name, v) or fuzzy_match(app.app_id, v),
}


def describe_api_apps_status(ctx: ActionContext) -> dict[str, Any]:
    items, total = filtered_page(ctx.params, ctx.backend.apps, _APP_CHECKS, matches_all(_APP_CHECKS))
    return {"Result": {"TotalCount": total, "ApiAppSet": [_app_info(a) for a in items]}}


def _app_binding_target(ctx: ActionContext) -> tuple[ApiApp, AppBinding]:
    p, backend = ctx.params, ctx.backend
    app = find_app(backend, p.text("ApiAppId"))
    environment = p.environment("Environment")
    service = find_service(backend, p.text("ServiceId"))
    api = find_api(service, p.text("ApiId"))
    return app, AppBinding(service.service_id, api.api_id, environment, ctx.now)


def bind_api_app(ctx: ActionContext) -> dict[str, Any]:
    app, binding = _app_binding_target(ctx)
    if binding in app.bindings:
        raise tencent_error(
            "UnsupportedOperation.ResourceAssociated",
            "The app is already bound to this API in this environment.",
        )
    app.bindings.append(binding)
    return {"Result": True}


def unbind_api_app(ctx: ActionContext) -> dict[str, Any]:
    app, binding = _app_binding_target(ctx)
    if binding not in app.bindings:
        raise tencent_error(
            "ResourceNotFound.InvalidApiApp", "The app is not bound to this API in this environment."
        )
    app.bindings.remove(binding)
    return {"Result": True}


def _app_api_row(backend: TencentApigwBackend, app: ApiApp, b: AppBinding) -> dict[str, Any]:
    service = backend.services.get(b.service_id)
    api = service.apis.get(b.api_id) if service else None
    return {
        "ApiAppName": app.name,
        "ApiAppId": app.app_id,
        "ApiId": b.api_id,
        "ApiName": api.name if api else "",
        "ServiceId": b.service_id,
        "AuthorizedTime": iso(b.bound_at),
        "ApiRegion": backend.region,
        "EnvironmentName": b.environment,
    }


def _binding_rows(
    ctx: ActionContext, pairs: list[tuple[ApiApp, AppBinding]], supported: tuple[str, ...]
) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    offset, limit = p.paging()
    filters = p.filters(supported)
    rows = [_app_api_row(backend, app, b) for app, b in pairs]
    by_field = {
        "ApiId": "ApiId",
        "ServiceId": "ServiceId",
        "Environment": "EnvironmentName",
        "ApiAppId": "ApiAppId",
    }
    for name, values in filters.items():
        if name in by_field:
            rows = [r for r in rows if r[by_field[name]] in values]
        elif name == "ApiName":
            rows = [r for r in rows if fuzzy_match(r["ApiName"], values)]
        else:  # KeyWord
            rows = [r for r in rows if fuzzy_match(r["ApiName"], values) or fuzzy_match(r["ApiId"], values)]
    items, total = page(rows, len(rows), offset, limit)
    return {"Result": {"TotalCount": total, "ApiAppApiSet": items}}


def describe_api_app_bind_apis_status(ctx: ActionContext) -> dict[str, Any]:
    app = find_app(ctx.backend, ctx.params.text("ApiAppId"))
    pairs = [(app, b) for b in app.bindings]
    return _binding_rows(ctx, pairs, ("ApiId", "ApiName", "ServiceId", "Environment", "KeyWord"))


def describe_api_bind_api_apps_status(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    api_ids = set(p.str_list("ApiIds", required=True))
    pairs = [
        (app, b)
        for app in backend.apps.values()
        for b in app.bindings
        if b.service_id == service.service_id and b.api_id in api_ids
    ]
    return _binding_rows(ctx, pairs, ("ApiAppId", "Environment", "KeyWord"))
