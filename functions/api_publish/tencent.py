"""Tencent APIGW (2018-08-08) as a publish target: one service, one or more environments.

Tencent releases a whole service at once (ReleaseService freezes every API into a version), so the version
recorded before the run is per environment, and rollback is UpdateService back to it - or UnReleaseService
when the environment had never been released. API drafts are restored too (ModifyApi back, DeleteApi for
new ones, CreateApi for deleted ones), so the next plan sees the previous state. Note: a release carries
every draft of the service, including APIs outside the scope; keep one pipeline per service.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from functions.api_publish.plan import Deployed, Plan
from functions.api_publish.smoke import SmokeCheck, call_gateway, judge
from functions.api_publish.spec import ApiSpec, Param
from functions.api_publish.state import Checkpoint, RestoreReport, SavedApi, Snapshot
from shared.clients.tencent_apigw import ApiSpec as TencentApi
from shared.clients.tencent_apigw import RequestConfig, ServiceConfig, TencentApigwClient
from shared.errors import CloudError
from shared.http import bounded_gather, make_client

__all__ = ["TencentTarget", "from_tencent", "to_tencent"]

_AUTH = {"NONE": "NONE", "SECRET": "SECRET", "APP": "APP"}


def from_tencent(info: dict[str, Any]) -> ApiSpec:
    """The canonical spec of a DescribeApi ``Result``."""
    config = info.get("ServiceConfig") or {}
    http = info.get("ServiceType") == "HTTP"
    url = str(config.get("Url") or "")
    return ApiSpec(
        name=info.get("ApiName") or "",
        method=(info.get("RequestConfig") or {}).get("Method", ""),
        path=(info.get("RequestConfig") or {}).get("Path", ""),
        auth=info.get("AuthType") or "NONE",
        backend="HTTP" if http else "MOCK",
        backend_url=url if http else "",
        backend_path=str(config.get("Path") or "") if http else "",
        backend_method=str(config.get("Method") or "") if http else "",
        timeout_ms=int(info.get("ServiceTimeout") or 5) * 1000 if http else 5000,
        mock_body="" if http else str(info.get("ServiceMockReturnMessage") or ""),
        description=info.get("ApiDesc") or "",
        params=tuple(
            sorted(
                (
                    Param(
                        name=p["Name"],
                        location=p["Position"],
                        type=p.get("Type", "STRING"),
                        required=bool(p.get("Required")),
                    )
                    for p in info.get("RequestParameters") or []
                ),
                key=lambda p: (p.location, p.name),
            )
        ),
    )


def to_tencent(spec: ApiSpec) -> TencentApi:
    http = spec.backend == "HTTP"
    return TencentApi(
        request_config=RequestConfig(path=spec.path, method=spec.method),
        service_type="HTTP" if http else "MOCK",
        service_timeout=spec.timeout_ms // 1000 if http else 5,
        api_name=spec.name,
        api_desc=spec.description,
        auth_type=_AUTH.get(spec.auth, "NONE"),
        service_config=ServiceConfig(url=spec.backend_url, path=spec.backend_path, method=spec.backend_method)
        if http
        else None,
        service_mock_return_message=None if http else spec.mock_body,
        request_parameters=[
            {"Name": p.name, "Position": p.location, "Type": p.type, "Required": p.required}
            for p in spec.params
        ],
    )


class TencentTarget:
    kind = "tencent"

    def __init__(
        self,
        client: TencentApigwClient,
        service_id: str,
        environments: Sequence[str],
        *,
        prefix: str = "",
        concurrency: int = 8,
        gateway_url: str = "",
        key_pair: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.key_pair = key_pair
        self.service_id = service_id
        self.env_names = list(environments)
        self.prefix = prefix
        self.concurrency = concurrency
        self.gateway_url = gateway_url
        self._ids: dict[str, str] = {}
        self._raw: dict[str, dict[str, Any]] = {}

    @property
    def label(self) -> str:
        return f"tencent:{self.service_id}"

    def canonical(self, spec: ApiSpec) -> ApiSpec:
        """What Tencent can hold of ``spec``: whole-second backend timeouts."""
        seconds = max(1, math.ceil(spec.timeout_ms / 1000))
        return spec.model_copy(update={"timeout_ms": seconds * 1000 if spec.backend == "HTTP" else 5000})

    async def prepare(self) -> None:
        if not self.gateway_url:
            detail = await self.client.describe_service(self.service_id)
            self.gateway_url = f"https://{detail.outer_sub_domain}"

    async def deployed(self) -> list[Deployed]:
        summaries = [a async for a in self.client.iter_apis(self.service_id)]
        raw = await bounded_gather(
            (
                self.client.call(
                    "DescribeApi", {"ServiceId": self.service_id, "ApiId": a.api_id}, retry_safe=True
                )
                for a in summaries
            ),
            self.concurrency,
        )
        self._raw = {r["Result"]["ApiName"]: r["Result"] for r in raw}
        self._ids = {n: r["ApiId"] for n, r in self._raw.items()}
        return [
            Deployed(id=r["ApiId"], spec=from_tencent(r), in_scope=n.startswith(self.prefix))
            for n, r in self._raw.items()
        ]

    async def _released(self) -> dict[str, str | None]:
        envs = {
            e.environment_name: e
            for e in await self.client.describe_service_environment_list(self.service_id)
        }
        return {
            n: (envs[n].version_name or None) if n in envs and envs[n].released else None
            for n in self.env_names
        }

    async def snapshot(self, plan: Plan, deployed: list[Deployed]) -> Snapshot:
        touched = {s.name for s in plan.of("update", "delete")}
        apis = [
            SavedApi(
                name=d.spec.name, id=d.id, definition=self._raw[d.spec.name] if d.spec.name in touched else {}
            )
            for d in deployed
            if d.in_scope
        ]
        return Snapshot(apis=apis, releases=await self._released())

    async def apply(self, plan: Plan, checkpoint: Checkpoint) -> None:
        sid = self.service_id
        await bounded_gather(
            (self.client.delete_api(sid, s.api_id) for s in plan.of("delete")), self.concurrency
        )
        await checkpoint("deleted")
        await bounded_gather(
            (
                self.client.modify_api(sid, s.api_id, to_tencent(s.desired))
                for s in plan.of("update")
                if s.desired
            ),
            self.concurrency,
        )
        await checkpoint("updated")
        created = await bounded_gather(
            (self.client.create_api(sid, to_tencent(s.desired)) for s in plan.of("create") if s.desired),
            self.concurrency,
        )
        for step, api in zip(plan.of("create"), created, strict=True):
            self._ids[step.name] = api.api_id
        await checkpoint("created")

    async def publish(self, plan: Plan, checkpoint: Checkpoint) -> int:
        for env in self.env_names:
            await self.client.release_service(self.service_id, env, "api_publish")
            await checkpoint(f"published:{env}")
        return len(self.env_names)

    async def smoke(self, checks: Sequence[SmokeCheck], specs: dict[str, ApiSpec]) -> list[str]:
        """Each check in each environment; ``SECRET`` APIs are signed with the configured key pair.

        The key pair must be bound to a usage plan bound to the service environment (or the API): the
        gateway refuses other keys with 401, which fails the check like any other wrong answer.
        """
        from shared.auth import TencentApigwKeyAuth

        failures: list[str] = []
        signer = None
        if self.key_pair:
            signer = TencentApigwKeyAuth(self.key_pair[0], self.key_pair[1], source="api_publish")
        async with make_client(self.gateway_url, None, service="tencent-gateway") as http:
            for env in self.env_names:
                for check in checks:
                    spec = specs[check.api]
                    moved = check.model_copy(update={"path": f"/{env}{check.path or spec.path}"})
                    auth = signer if spec.auth == "SECRET" else None
                    if spec.auth == "SECRET" and auth is None:
                        failures.append(f"{check.api} in {env}: SECRET API and no OPSFN_PUBLISH_TENCENT_KEY")
                        continue
                    status, text = await call_gateway(http, moved, spec, {}, auth)
                    verdict = judge(check, env, status, text)
                    if verdict:
                        failures.append(verdict)
        return failures

    async def restore(self, snapshot: Snapshot) -> RestoreReport:
        report = RestoreReport()
        try:
            current = {d.spec.name: d for d in await self.deployed() if d.in_scope}
            saved = snapshot.by_name()
            for name, d in current.items():
                if name not in saved:
                    await self.client.delete_api(self.service_id, d.id)
                    report.rolled_back.append(f"{name}: new API removed")
            for s in snapshot.apis:
                if s.definition:
                    report.rolled_back.append(await self._revert(s, current.get(s.name)))
            for env, version in snapshot.releases.items():
                report.rolled_back.append(await self._rerelease(env, version))
        except CloudError as exc:
            report.not_rolled_back.append(f"{exc.error_code or type(exc).__name__}: {exc}")
            report.retryable = True
        return report

    async def _revert(self, saved: SavedApi, current: Deployed | None) -> str:
        old = from_tencent(saved.definition)
        if current is None:
            await self.client.create_api(self.service_id, to_tencent(old))
            return f"{saved.name}: deleted API re-created from its recorded definition"
        if current.spec != old:
            await self.client.modify_api(self.service_id, current.id, to_tencent(old))
        return f"{saved.name}: definition restored"

    async def _rerelease(self, env: str, version: str | None) -> str:
        now = (await self._released()).get(env)
        if version is None:
            if now is not None:
                await self.client.unrelease_service(self.service_id, env)
            return f"{env}: taken offline (it had never been released)"
        if now != version:
            await self.client.update_service(self.service_id, env, version, "api_publish rollback")
        return f"{env}: version {version} back in effect"
