"""Instances, API groups, environments and environment variables."""

from __future__ import annotations

from collections.abc import AsyncIterator

from shared.clients.apig._core import MAX_PAGE, ApigCore, drop_none, name_filter
from shared.clients.apig.models import ApiGroup, Environment, EnvVariable, Gateway, Page


class GroupOperations(ApigCore):
    # ---- instances (3.24)
    async def list_instances(self) -> list[Gateway]:
        return [Gateway.model_validate(i) for i in await self._instance_records()]

    async def get_instance(self) -> Gateway:
        return Gateway.model_validate(await self._call("GET", ""))

    # ---- API groups (3.1)
    async def create_group(self, name: str, *, remark: str | None = None) -> ApiGroup:
        data = await self._call("POST", "/api-groups", json=drop_none(name=name, remark=remark))
        return ApiGroup.model_validate(data)

    async def update_group(self, group_id: str, name: str, *, remark: str | None = None) -> ApiGroup:
        data = await self._call(
            "PUT", "/api-groups/{group_id}", {"group_id": group_id}, json=drop_none(name=name, remark=remark)
        )
        return ApiGroup.model_validate(data)

    async def get_group(self, group_id: str) -> ApiGroup:
        return ApiGroup.model_validate(
            await self._call("GET", "/api-groups/{group_id}", {"group_id": group_id})
        )

    async def delete_group(self, group_id: str) -> None:
        await self._call("DELETE", "/api-groups/{group_id}", {"group_id": group_id})

    async def list_groups(
        self, *, name: str | None = None, precise: bool = False, offset: int = 0, limit: int = 100
    ) -> Page[ApiGroup]:
        params = name_filter(name, precise)
        return await self._page("/api-groups", "groups", ApiGroup.model_validate, params, offset, limit)

    def iter_groups(self, *, name: str | None = None, page_size: int = MAX_PAGE) -> AsyncIterator[ApiGroup]:
        return self._walk(lambda o, n: self.list_groups(name=name, offset=o, limit=n), page_size)

    async def find_group(self, name: str) -> ApiGroup | None:
        """The group with exactly this name (names are unique per instance), or None."""
        page = await self.list_groups(name=name, precise=True, limit=MAX_PAGE)
        return next((g for g in page.items if g.name == name), None)

    # ---- environments (3.2)
    async def create_env(self, name: str, *, remark: str | None = None) -> Environment:
        data = await self._call("POST", "/envs", json=drop_none(name=name, remark=remark))
        return Environment.model_validate(data)

    async def update_env(self, env_id: str, name: str, *, remark: str | None = None) -> Environment:
        data = await self._call(
            "PUT", "/envs/{env_id}", {"env_id": env_id}, json=drop_none(name=name, remark=remark)
        )
        return Environment.model_validate(data)

    async def delete_env(self, env_id: str) -> None:
        await self._call("DELETE", "/envs/{env_id}", {"env_id": env_id})

    async def list_envs(
        self, *, name: str | None = None, offset: int = 0, limit: int = 100
    ) -> Page[Environment]:
        return await self._page(
            "/envs", "envs", Environment.model_validate, drop_none(name=name), offset, limit
        )

    async def find_env(self, name: str) -> Environment | None:
        """The environment called ``name`` (``RELEASE`` always exists), or None."""
        page = await self.list_envs(name=name, limit=MAX_PAGE)
        return next((e for e in page.items if e.name == name), None)

    # ---- environment variables (3.3)
    async def create_variable(self, group_id: str, env_id: str, name: str, value: str) -> EnvVariable:
        body = {"group_id": group_id, "env_id": env_id, "variable_name": name, "variable_value": value}
        return EnvVariable.model_validate(await self._call("POST", "/env-variables", json=body))

    async def update_variable(self, variable_id: str, value: str) -> EnvVariable:
        data = await self._call(
            "PUT",
            "/env-variables/{variable_id}",
            {"variable_id": variable_id},
            json={"variable_value": value},
        )
        return EnvVariable.model_validate(data)

    async def delete_variable(self, variable_id: str) -> None:
        await self._call("DELETE", "/env-variables/{variable_id}", {"variable_id": variable_id})

    async def list_variables(
        self, group_id: str, *, env_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> Page[EnvVariable]:
        params = drop_none(group_id=group_id, env_id=env_id)
        return await self._page(
            "/env-variables", "variables", EnvVariable.model_validate, params, offset, limit
        )
