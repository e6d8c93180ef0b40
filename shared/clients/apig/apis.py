"""API definitions, publishing, versions, debug and OpenAPI import/export."""

from __future__ import annotations

import json as jsonlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from shared.clients.apig._core import MAX_PAGE, ApigCore, drop_none
from shared.clients.apig.models import (
    RELEASE_ENV_ID,
    Api,
    ApiVersion,
    BatchPublishResult,
    DebugResult,
    ImportResult,
    Page,
    PublishRecord,
)

_API_FILTERS = (
    "id",
    "name",
    "group_id",
    "req_protocol",
    "req_method",
    "req_uri",
    "auth_type",
    "env_id",
    "type",
)


class ApiOperations(ApigCore):
    # ---- definitions (3.5.1-3.5.6)
    async def create_api(self, definition: Mapping[str, Any]) -> Api:
        return Api.from_wire(await self._call("POST", "/apis", json=dict(definition)))

    async def update_api(self, api_id: str, definition: Mapping[str, Any]) -> Api:
        """3.5.2 takes the complete definition; send ``api.definition`` with your changes applied."""
        return Api.from_wire(
            await self._call("PUT", "/apis/{api_id}", {"api_id": api_id}, json=dict(definition))
        )

    async def get_api(self, api_id: str) -> Api:
        return Api.from_wire(await self._call("GET", "/apis/{api_id}", {"api_id": api_id}))

    async def delete_api(self, api_id: str) -> None:
        await self._call("DELETE", "/apis/{api_id}", {"api_id": api_id})

    async def list_apis(
        self, *, offset: int = 0, limit: int = 100, precise: Sequence[str] = (), **filters: str | int | None
    ) -> Page[Api]:
        """One page; ``filters`` are the 3.5.6 query parameters, ``precise`` names exact-match fields."""
        unknown = set(filters) - set(_API_FILTERS)
        if unknown:
            raise TypeError(f"unknown API list filter(s): {sorted(unknown)}")
        params: dict[str, Any] = drop_none(**filters)
        if precise:
            params["precise_search"] = ",".join(precise)
        return await self._page("/apis", "apis", Api.from_wire, params, offset, limit)

    def iter_apis(
        self, *, page_size: int = MAX_PAGE, precise: Sequence[str] = (), **filters: str | int | None
    ) -> AsyncIterator[Api]:
        """Every API matching ``filters``, walking all pages."""
        return self._walk(
            lambda o, n: self.list_apis(offset=o, limit=n, precise=precise, **filters), page_size
        )

    async def find_api(self, group_id: str, name: str) -> Api | None:
        page = await self.list_apis(group_id=group_id, name=name, precise=("name",), limit=MAX_PAGE)
        return next((a for a in page.items if a.name == name), None)

    # ---- publishing (3.5.4, 3.5.8)
    async def publish_api(
        self, api_id: str, env_id: str = RELEASE_ENV_ID, *, remark: str | None = None
    ) -> PublishRecord:
        body = drop_none(action="online", api_id=api_id, env_id=env_id, remark=remark)
        return PublishRecord.model_validate(await self._call("POST", "/apis/action", json=body))

    async def offline_api(self, api_id: str, env_id: str = RELEASE_ENV_ID) -> PublishRecord:
        body = {"action": "offline", "api_id": api_id, "env_id": env_id}
        return PublishRecord.model_validate(await self._call("POST", "/apis/action", json=body))

    async def batch_publish(
        self, api_ids: Sequence[str], env_id: str = RELEASE_ENV_ID, *, remark: str | None = None
    ) -> BatchPublishResult:
        """Publish up to 1000 APIs; a 200 can hold failures - check ``result.failure``."""
        return await self._batch("online", api_ids, env_id, remark)

    async def batch_offline(self, api_ids: Sequence[str], env_id: str = RELEASE_ENV_ID) -> BatchPublishResult:
        return await self._batch("offline", api_ids, env_id, None)

    async def _batch(
        self, action: str, api_ids: Sequence[str], env_id: str, remark: str | None
    ) -> BatchPublishResult:
        if len(api_ids) > 1000:
            raise ValueError("at most 1000 APIs per batch publish/offline call")
        body = drop_none(apis=list(api_ids), env_id=env_id, remark=remark)
        data = await self._call("POST", "/apis/publish", params={"action": action}, json=body)
        return BatchPublishResult.model_validate(data)

    # ---- versions (3.5.9-3.5.13)
    async def list_versions(
        self, api_id: str, *, env_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> Page[ApiVersion]:
        params = drop_none(env_id=env_id)
        parse = ApiVersion.model_validate
        path_params = {"api_id": api_id}
        return await self._page(
            "/apis/publish/{api_id}", "api_versions", parse, params, offset, limit, path_params
        )

    async def switch_version(self, api_id: str, version_id: str) -> PublishRecord:
        data = await self._call(
            "PUT", "/apis/publish/{api_id}", {"api_id": api_id}, json={"version_id": version_id}
        )
        return PublishRecord.model_validate(data)

    async def get_version(self, version_id: str) -> Api:
        return Api.from_wire(
            await self._call("GET", "/apis/versions/{version_id}", {"version_id": version_id})
        )

    async def offline_version(self, version_id: str) -> None:
        await self._call("DELETE", "/apis/versions/{version_id}", {"version_id": version_id})

    async def get_runtime_definition(self, api_id: str, env_id: str | None = None) -> Api:
        data = await self._call(
            "GET", "/apis/runtime/{api_id}", {"api_id": api_id}, params=drop_none(env_id=env_id)
        )
        return Api.from_wire(data)

    # ---- debug (3.5.7)
    async def debug_api(
        self,
        api_id: str,
        method: str,
        path: str,
        *,
        mode: str = "CONSUMER",
        stage: str = "RELEASE",
        scheme: str = "HTTPS",
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> DebugResult:
        """Call the API through the gateway's debug entry; ``result.status_code`` is the backend's answer."""
        request = drop_none(
            mode=mode,
            method=method,
            path=path,
            scheme=scheme,
            stage=stage if mode == "CONSUMER" else None,
            query={k: [v] for k, v in query.items()} if query else None,
            header={k: [v] for k, v in headers.items()} if headers else None,
            body=body,
        )
        return DebugResult.model_validate(
            await self._call("POST", "/apis/debug/{api_id}", {"api_id": api_id}, json=request)
        )

    # ---- OpenAPI (3.17)
    async def export_openapi(
        self,
        group_id: str,
        *,
        env_id: str | None = RELEASE_ENV_ID,
        define: str = "proxy",
        api_ids: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The group's Swagger 2.0 document (JSON); ``define="dev"`` includes unpublished APIs."""
        body = drop_none(
            group_id=group_id,
            env_id=None if define == "dev" else env_id,
            define=define,
            type="json",
            apis=list(api_ids) if api_ids else None,
        )
        data = await self._call("POST", "/openapi/export", json=body)
        document: dict[str, Any] = jsonlib.loads(data) if isinstance(data, str) else data
        return document

    async def import_openapi(
        self,
        document: Mapping[str, Any] | str | bytes,
        *,
        group_id: str | None = None,
        api_mode: str = "merge",
        extend_mode: str = "merge",
        mock_mode: bool = False,
        file_name: str = "openapi.json",
    ) -> ImportResult:
        """Import Swagger 2.0 into ``group_id`` (or a new group named by ``info.title`` when None).

        The call is multipart/form-data (3.17.2); ``api_mode="override"`` rewrites APIs that clash on
        method + path + match mode, ``merge`` reports them in ``failure``.
        """
        if isinstance(document, Mapping):
            content = jsonlib.dumps(document, ensure_ascii=False).encode()
        else:
            content = document.encode() if isinstance(document, str) else document
        fields = {
            "is_create_group": "false" if group_id else "true",
            "group_id": group_id,
            "api_mode": api_mode,
            "extend_mode": extend_mode,
            "mock_mode": "true" if mock_mode else "false",
        }
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
            if value is not None
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_name"; filename="{file_name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        payload = b"".join(parts) + f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        data = await self._call(
            "POST", "/openapi/import", content=payload, headers={"Content-Type": content_type}
        )
        return ImportResult.model_validate(data)
