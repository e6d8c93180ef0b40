"""Building the target a request names, with its client, from the invocation's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from functions.api_publish.engine import Target
from functions.api_publish.models import Scope, TargetSpec
from shared.config import Settings

__all__ = ["open_target"]


@asynccontextmanager
async def open_target(spec: TargetSpec, scope: Scope, settings: Settings) -> AsyncIterator[Target]:
    """The Huawei group or Tencent service as a :class:`~.engine.Target`; closes its client on exit."""
    if spec.cloud == "huawei":
        from functions.api_publish.huawei import HuaweiTarget
        from shared.clients.apig import ApigClient

        async with ApigClient.from_settings(settings, instance_id=spec.instance_id or None) as apig:
            yield HuaweiTarget(
                apig,
                spec.group_id,
                spec.environments,
                prefix=scope.name_prefix,
                tag=scope.tag,
                group_name=spec.group_name,
                concurrency=settings.max_concurrency,
                gateway_url=spec.gateway_url,
                iam_auth=settings.huawei_auth(),
                app=settings.publish_huawei_app,
            )
    else:
        from functions.api_publish.tencent import TencentTarget
        from shared.clients.tencent_apigw import TencentApigwClient

        async with TencentApigwClient.from_settings(settings) as tencent:
            yield TencentTarget(
                tencent,
                spec.service_id,
                spec.environments,
                prefix=scope.name_prefix,
                concurrency=settings.max_concurrency,
                gateway_url=spec.gateway_url,
                key_pair=settings.publish_tencent_key,
            )
