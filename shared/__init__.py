"""opsfn runtime package: bundled into every function zip.

Only httpx, pydantic, structlog and the standard library may be imported from here (redis only when a Redis
idempotency store is configured). Submodules are imported lazily by callers to keep cold starts short.
"""
