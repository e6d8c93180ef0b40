"""Huawei APIG (dedicated instance, V2) as a publish target: one API group, one or more environments.

Writes use the register/modify/delete operations (3.5.1-3.5.3) and the batch publish (3.5.8, checking its
``failure`` list); rollback switches each changed API back to the version recorded before the run (3.5.10)
or takes it offline (3.5.4). APIG keeps at most 10 versions per API and environment
(``API_VERSION_NUM_LIMIT``): a recorded version that has since been dropped is reported as not rolled back,
never replaced by a guess. An API the run deleted is re-created from its recorded definition and
re-published (its old versions went with it; the answer says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from functions.api_publish.plan import Deployed, Plan
from functions.api_publish.smoke import SmokeCheck, call_gateway, judge, request_line
from functions.api_publish.spec import ApiSpec, Param
from functions.api_publish.state import Checkpoint, RestoreReport, SavedApi, Snapshot
from shared.clients.apig import Api, ApigClient
from shared.errors import CloudError, NotFoundError
from shared.http import bounded_gather, make_client

__all__ = ["HuaweiTarget", "from_huawei", "to_huawei"]

_KEPT = ("type", "req_protocol", "cors", "auth_opt", "version", "result_normal_sample", "authorizer_id")
"""Fields the document does not state that an update carries over from the deployed definition."""


def from_huawei(definition: dict[str, Any]) -> ApiSpec:
    """The canonical spec of a deployed API (server-filled fields and ids dropped)."""
    web = definition.get("backend_api") or {}
    kind = str(definition.get("backend_type") or "MOCK")
    http = kind == "HTTP"
    return ApiSpec(
        name=definition["name"],
        method=definition["req_method"],
        path=definition["req_uri"],
        match_mode=definition.get("match_mode") or "NORMAL",
        auth=definition.get("auth_type") or "NONE",
        backend=kind,
        backend_url=f"{str(web.get('req_protocol', '')).lower()}://{web.get('url_domain', '')}"
        if http
        else "",
        backend_path=str(web.get("req_uri", "")) if http else "",
        backend_method=str(web.get("req_method", "")) if http else "",
        timeout_ms=int(web.get("timeout", 5000)) if http else 5000,
        mock_body=str((definition.get("mock_info") or {}).get("result_content", "")) if not http else "",
        description=definition.get("remark") or "",
        params=tuple(
            sorted(
                (
                    Param(
                        name=p["name"],
                        location=p["location"],
                        type=p["type"],
                        required=p.get("required") == 1,
                    )
                    for p in definition.get("req_params") or []
                ),
                key=lambda p: (p.location, p.name),
            )
        ),
    )


def to_huawei(
    spec: ApiSpec, group_id: str, *, tag: str = "", base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A register/modify body for ``spec``; ``base`` (the deployed definition) supplies undeclared fields."""
    body: dict[str, Any] = {k: base[k] for k in _KEPT if base and base.get(k) is not None}
    tags = list((base or {}).get("tags") or [])
    if tag and tag not in tags:
        tags.append(tag)
    body.update(
        group_id=group_id,
        name=spec.name,
        type=body.get("type", 1),
        req_protocol=body.get("req_protocol", "HTTPS"),
        req_method=spec.method,
        req_uri=spec.path,
        match_mode=spec.match_mode,
        auth_type=spec.auth,
        remark=spec.description,
        tags=tags,
        backend_type=spec.backend,
        req_params=[
            {"name": p.name, "location": p.location, "type": p.type, "required": 1 if p.required else 2}
            for p in spec.params
        ],
    )
    if spec.backend == "HTTP":
        scheme, _, domain = spec.backend_url.partition("://")
        body["backend_api"] = {
            "req_protocol": scheme.upper(),
            "url_domain": domain,
            "req_method": spec.backend_method,
            "req_uri": spec.backend_path,
            "timeout": spec.timeout_ms,
        }
    else:
        body["mock_info"] = {"result_content": spec.mock_body}
    return body


class HuaweiTarget:
    """One API group of one instance, the environments published to, and the ownership scope."""

    kind = "huawei"

    def __init__(
        self,
        client: ApigClient,
        group_id: str,
        environments: Sequence[str],
        *,
        prefix: str = "",
        tag: str = "",
        concurrency: int = 8,
        gateway_url: str = "",
        iam_auth: httpx.Auth | None = None,
        group_name: str = "",
        app: tuple[str, ...] = (),
    ) -> None:
        self.group_name = group_name
        self.app = app
        self.client = client
        self.iam_auth = iam_auth
        self.group_id = group_id
        self.env_names = list(environments)
        self.prefix = prefix
        self.tag = tag
        self.concurrency = concurrency
        self.gateway_url = gateway_url
        self.env_ids: dict[str, str] = {}
        self._defs: dict[str, dict[str, Any]] = {}

    @property
    def label(self) -> str:
        """The target as requested (the group's name when given): stable while the first apply creates the
        group, so a redelivery after a crash finds the journal the crashed run wrote under this label."""
        return f"huawei:{self.client.instance_id or '-'}:{self.group_name or self.group_id}"

    async def prepare(self) -> None:
        """Resolve environment names to ids (an unknown environment is the caller's error)."""
        for name in self.env_names:
            env = await self.client.find_env(name)
            if env is None:
                raise LookupError(f"environment {name!r} does not exist on the instance")
            self.env_ids[name] = env.id
        if not self.group_id:
            found = await self.client.find_group(self.group_name)
            if found is None:
                return  # planned as all-new; the first apply creates the group
            self.group_id = found.id
        if not self.gateway_url:
            group = await self.client.get_group(self.group_id)
            self.gateway_url = f"https://{group.sl_domain}"

    def canonical(self, spec: ApiSpec) -> ApiSpec:
        """APIG holds every field of a spec as given."""
        return spec

    def owns(self, api: Api) -> bool:
        return api.name.startswith(self.prefix) and (not self.tag or self.tag in api.tags)

    async def deployed(self) -> list[Deployed]:
        if not self.group_id:
            return []
        apis = [a async for a in self.client.iter_apis(group_id=self.group_id)]
        mocks = [a for a in apis if self.owns(a) and a.backend_type != "HTTP"]
        details = await bounded_gather((self.client.get_api(a.id) for a in mocks), self.concurrency)
        full = {a.id: a for a in details}
        self._defs = {a.name: full.get(a.id, a).definition for a in apis}
        return [Deployed(id=a.id, spec=from_huawei(self._defs[a.name]), in_scope=self.owns(a)) for a in apis]

    async def _in_effect(self, api_id: str, env_id: str) -> str | None:
        page = await self.client.list_versions(api_id, env_id=env_id, limit=100)
        return next((v.version_id for v in page.items if v.status == 1), None)

    async def _saved(self, d: Deployed, touched: bool) -> SavedApi:
        versions: dict[str, str | None] = {}
        if touched:
            for env_id in self.env_ids.values():
                versions[env_id] = await self._in_effect(d.id, env_id)
        return SavedApi(
            name=d.spec.name,
            id=d.id,
            definition=self._defs[d.spec.name] if touched else {},
            versions=versions,
        )

    async def snapshot(self, plan: Plan, deployed: list[Deployed]) -> Snapshot:
        """Every in-scope API by name; definitions and versions in effect of those the plan changes."""
        touched = {s.name for s in plan.of("update", "delete")}
        owned = [d for d in deployed if d.in_scope]
        saved = await bounded_gather(
            (self._saved(d, d.spec.name in touched) for d in owned), self.concurrency
        )
        return Snapshot(apis=saved)

    async def apply(self, plan: Plan, checkpoint: Checkpoint) -> None:
        """Deletes (freeing routes), then updates, then creates; a checkpoint after each phase."""
        if not self.group_id:
            group = await self.client.create_group(self.group_name, remark="api_publish")
            self.group_id = group.id
            self.gateway_url = self.gateway_url or f"https://{group.sl_domain}"
        await bounded_gather((self._remove(s.api_id) for s in plan.of("delete")), self.concurrency)
        await checkpoint("deleted")
        await bounded_gather((self._update(s.api_id, s.desired) for s in plan.of("update")), self.concurrency)
        await checkpoint("updated")
        created = await bounded_gather(
            (
                self.client.create_api(to_huawei(s.desired, self.group_id, tag=self.tag))
                for s in plan.of("create")
                if s.desired
            ),
            self.concurrency,
        )
        for api in created:
            self._defs[api.name] = api.definition
        await checkpoint("created")

    async def _update(self, api_id: str, spec: ApiSpec | None) -> None:
        assert spec is not None
        body = to_huawei(spec, self.group_id, tag=self.tag, base=self._defs.get(spec.name))
        self._defs[spec.name] = (await self.client.update_api(api_id, body)).definition

    async def _remove(self, api_id: str) -> None:
        """Take the API offline everywhere it is published, then delete it (APIG refuses published ones)."""
        api = await self.client.get_api(api_id)
        for env_id in api.published_env_ids():
            await self.client.offline_api(api_id, env_id)
        await self.client.delete_api(api_id)

    async def publish(self, plan: Plan, checkpoint: Checkpoint) -> int:
        """Publish every created or updated API to each environment; the number of publish records."""
        names = {s.name for s in plan.of("create", "update")}
        ids = [d["id"] for n, d in self._defs.items() if n in names]
        count = 0
        for env_name, env_id in self.env_ids.items():
            for start in range(0, len(ids), 1000):
                result = await self.client.batch_publish(
                    ids[start : start + 1000], env_id, remark="api_publish"
                )
                if result.failure:
                    first = result.failure[0]
                    raise PublishFailed(
                        f"{len(result.failure)} API(s) not published to {env_name}: "
                        f"{first.api_name or first.api_id} {first.error_code}"
                    )
                count += len(result.success)
            await checkpoint(f"published:{env_name}")
        return count

    async def smoke(self, checks: Sequence[SmokeCheck], specs: dict[str, ApiSpec]) -> list[str]:
        """Run every check in every environment; the failures (empty when all pass)."""
        failures: list[str] = []
        app_auth = await self._authorize_app(checks, specs) if self.app else None
        async with make_client(self.gateway_url, None, service="apig-gateway") as http:
            for env_name in self.env_ids:
                for check in checks:
                    spec = specs[check.api]
                    auth = {"IAM": self.iam_auth, "APP": app_auth}.get(spec.auth)
                    if spec.auth == "APP" and app_auth is None:
                        status, text = await self._debug(check, spec, env_name)
                    else:
                        status, text = await call_gateway(http, check, spec, {"X-Stage": env_name}, auth)
                    verdict = judge(check, env_name, status, text)
                    if verdict:
                        failures.append(verdict)
        return failures

    async def _authorize_app(self, checks: Sequence[SmokeCheck], specs: dict[str, ApiSpec]) -> httpx.Auth:
        """Grant the configured APP the checked APP-auth APIs in each environment (3.10.1); its signer.

        A grant that already exists is reported SKIPPED and counts as done; a pair that fails makes the
        signed call fail with the gateway's own answer, which the check reports.
        """
        from shared.auth import HuaweiAKSKAuth

        app_key, app_secret = self.app
        apps = (await self.client.list_apps(app_key=app_key, precise=True)).items
        api_ids = sorted({self._defs[c.api]["id"] for c in checks if specs[c.api].auth == "APP"})
        if apps and api_ids:
            for env_id in self.env_ids.values():
                await self.client.authorize_apps(api_ids, [apps[0].id], env_id)
        return HuaweiAKSKAuth(app_key, app_secret)

    async def _debug(self, check: SmokeCheck, spec: ApiSpec, env_name: str) -> tuple[int, str]:
        """Without a configured APP, APP-auth APIs go through the debug API (3.5.7), which needs no secret."""
        method, path = request_line(check, spec)
        result = await self.client.debug_api(
            self._defs[spec.name]["id"],
            method,
            path,
            stage=env_name,
            query=check.query,
            headers=check.headers,
            body=check.body,
        )
        return result.status_code, result.body

    async def restore(self, snapshot: Snapshot) -> RestoreReport:
        """Bring every API the run touched back to the snapshot; what cannot be restored is reported."""
        report = RestoreReport()
        current = {d.spec.name: d for d in await self.deployed() if d.in_scope}
        saved = snapshot.by_name()
        touched = [s for s in snapshot.apis if s.definition]
        # Reverse order of apply: new APIs go first (freeing routes), re-created deleted ones last.
        await self._gather(report, [self._undo_create(d) for n, d in current.items() if n not in saved])
        await self._gather(
            report, [self._undo_change(s, current[s.name]) for s in touched if s.name in current]
        )
        await self._gather(report, [self._recreate(s) for s in touched if s.name not in current])
        return report

    async def _gather(self, report: RestoreReport, jobs: list[Any]) -> None:
        for outcome in await bounded_gather(jobs, self.concurrency, return_exceptions=True):
            if isinstance(outcome, CloudError):
                report.not_rolled_back.append(f"{outcome.error_code or type(outcome).__name__}: {outcome}")
                report.retryable = True
            elif isinstance(outcome, Exception):
                raise outcome
            elif outcome:
                done, problem = outcome
                report.rolled_back += done
                report.not_rolled_back += problem

    async def _undo_create(self, d: Deployed) -> tuple[list[str], list[str]]:
        await self._remove(d.id)
        return [f"{d.spec.name}: new API taken offline and removed"], []

    async def _recreate(self, saved: SavedApi) -> tuple[list[str], list[str]]:
        old = from_huawei(saved.definition)
        api = await self.client.create_api(to_huawei(old, self.group_id, base=saved.definition))
        for env_id, version in saved.versions.items():
            if version is not None:
                await self.client.publish_api(api.id, env_id, remark="api_publish rollback")
        done = (
            f"{saved.name}: deleted API re-created as {api.id} from its recorded definition and re-published"
        )
        return [done + " (its old versions were deleted with it)"], []

    async def _serves(self, api_id: str, env_id: str, spec: ApiSpec) -> bool:
        """Whether the definition in effect in the environment is ``spec``."""
        try:
            runtime = await self.client.get_runtime_definition(api_id, env_id)
        except NotFoundError:
            return False
        return from_huawei(runtime.definition) == spec

    async def _undo_change(self, saved: SavedApi, current: Deployed) -> tuple[list[str], list[str]]:
        old = from_huawei(saved.definition)
        if current.spec != old:
            await self.client.update_api(current.id, to_huawei(old, self.group_id, base=saved.definition))
        done, problems = [], []
        for env_id, version in saved.versions.items():
            effect = await self._in_effect(current.id, env_id)
            if version is None and effect is not None:
                await self.client.offline_api(current.id, env_id)
                done.append(f"{saved.name}: taken offline in {env_id} (it was not published there)")
            elif version is not None and effect != version:
                try:
                    await self.client.switch_version(current.id, version)
                except NotFoundError:
                    if current.id != saved.id:
                        # Re-created by an earlier rollback from the recorded definition (its draft was just
                        # checked equal to it): publishing that draft restores exactly the recorded state.
                        if not await self._serves(current.id, env_id, old):
                            await self.client.publish_api(current.id, env_id, remark="api_publish rollback")
                        continue
                    problems.append(
                        f"{saved.name}: version {version} no longer exists in {env_id} "
                        "(APIG keeps at most 10 versions per API and environment)"
                    )
                    continue
                done.append(f"{saved.name}: version {version} back in effect in {env_id}")
        return done, problems


class PublishFailed(RuntimeError):
    """A batch publish answered 200 with failures."""
