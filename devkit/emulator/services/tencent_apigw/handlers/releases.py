"""Release actions: ReleaseService freezes the service into a version, UpdateService switches (rolls back) an
environment to a recorded version, UnReleaseService takes an environment offline; version and history lists.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    find_service,
    page,
)
from devkit.emulator.services.tencent_apigw.state import (
    ReleaseRecord,
    Version,
)

_RELEASE_TIME = "%Y-%m-%d %H:%M:%S"


def release_service(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    desc = p.text("ReleaseDesc")
    name = backend.next_version_name(ctx.now)
    service.versions[name] = Version(
        name=name, desc=desc, released_at=ctx.now, apis=copy.deepcopy(service.apis)
    )
    env = service.environments[environment]
    env.version_name, env.released = name, True
    env.history.append(ReleaseRecord(version_name=name, desc=desc, at=ctx.now))
    return {"Result": {"ReleaseDesc": desc, "ReleaseVersion": name}}


def unrelease_service(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    env = service.environments[environment]
    if not env.released:
        raise tencent_error(
            "InvalidParameterValue.InvalidEnvStatus",
            f"The service is not released to {environment}, so it cannot be taken offline.",
        )
    env.released, env.version_name = False, ""
    return {"Result": True}


def update_service(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    version_name = p.text("VersionName")
    desc = p.opt_text("UpdateDesc") or ""
    version = service.versions.get(version_name)
    if version is None:
        raise tencent_error("ResourceNotFound", f"The service has no released version `{version_name}`.")
    env = service.environments[environment]
    if not env.released:
        raise tencent_error(
            "InvalidParameterValue.InvalidEnvStatus",
            f"The service is not released to {environment}; release it before switching versions.",
        )
    env.version_name = version.name
    env.history.append(ReleaseRecord(version_name=version.name, desc=desc, at=ctx.now))
    return {"Result": True}


def _version_entry(name: str, desc: str, at: datetime) -> dict[str, Any]:
    # ReleaseTime is a plain String in ServiceReleaseHistoryInfo, not Datetime_iso.
    return {"VersionName": name, "VersionDesc": desc, "ReleaseTime": at.strftime(_RELEASE_TIME)}


def describe_service_release_version(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    offset, limit = p.paging()
    newest_first = reversed(service.versions.values())
    items, total = page(newest_first, len(service.versions), offset, limit)
    versions = [_version_entry(v.name, v.desc, v.released_at) for v in items]
    return {"Result": {"TotalCount": total, "VersionList": versions}}


def describe_service_environment_release_history(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    offset, limit = p.paging()
    history = service.environments[environment].history
    items, total = page(reversed(history), len(history), offset, limit)
    versions = [_version_entry(r.version_name, r.desc, r.at) for r in items]
    return {"Result": {"TotalCount": total, "VersionList": versions}}


def describe_service_environment_list(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    offset, limit = p.paging()
    rows = [
        {
            "EnvironmentName": name,
            "Url": f"http://{service.outer_domain}/{name}",
            "Status": 1 if env.released else 0,
            "VersionName": env.version_name,
        }
        for name, env in service.environments.items()
    ]
    items, total = page(rows, len(rows), offset, limit)
    return {"Result": {"TotalCount": total, "EnvironmentList": items}}
