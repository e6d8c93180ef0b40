"""IAM's operations, one function each: read the Keystone-style request, answer as IAM documents.

Errors use IAM's own shape ``{"error": {"code": <status>, "message", "title"}}``, not the gateway's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, json_response
from devkit.emulator.credentials import IamToken, IamUser, Project, hex_id
from devkit.emulator.services.iam.state import IamDirectory

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "create_security_token",
    "create_token",
    "iam_error",
    "list_auth_domains",
    "list_auth_projects",
    "list_projects",
    "list_users",
]

MIN_DURATION = 900
MAX_DURATION = 86400

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_UNAUTHENTICATED = "The request you have made requires authentication."


def iam_error(status: int, message: str) -> ApiError:
    """IAM's Keystone-style error body."""
    body = {"error": {"code": status, "message": message, "title": _TITLES.get(status, "Error")}}
    return ApiError(json_response(status, body))


def create_token(call: Call, directory: IamDirectory) -> httpx.Response:
    """``POST /v3/auth/tokens``: a password or agency (``assume_role``) token, in ``X-Subject-Token``."""
    creds = directory.creds
    auth, methods = _identity(call)
    identity = auth["identity"]
    if methods == ["password"]:
        user = _password_user(directory, identity)
        token = creds.issue_token(user, ("password",), project=_scope(directory, auth))
    elif methods == ["assume_role"]:
        caller = directory.live_token(call.header("x-auth-token"))
        if caller is None:
            raise iam_error(401, _UNAUTHENTICATED)
        assume = _obj(identity.get("assume_role"), "auth.identity.assume_role")
        principal, agency = _agency_user(directory, assume, caller.user)
        project = _scope(directory, auth)
        token = creds.issue_token(principal, ("assume_role",), project=project, agency=agency)
    else:
        raise iam_error(400, f"Unsupported authentication methods: {', '.join(methods)}.")
    nocatalog = call.query.get("nocatalog", "")
    body = _token_body(token, call, directory, catalog=not nocatalog)
    return json_response(201, body, {"X-Subject-Token": token.value})


def list_projects(call: Call, directory: IamDirectory) -> httpx.Response:
    """``GET /v3/projects``: the caller's projects, ``name`` and ``domain_id`` filters."""
    caller_domain, query = _verified_domain(call, directory)
    rows = [
        _project_row(p)
        for p in directory.creds.projects(caller_domain)
        if ("name" not in query or p.name == query["name"])
        and ("domain_id" not in query or p.domain_id == query["domain_id"])
    ]
    return _keystone_list(call, "projects", rows)


def _project_row(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "parent_id": project.domain_id,
        "is_domain": False,
        "enabled": True,
        "description": "",
    }


def list_users(call: Call, directory: IamDirectory) -> httpx.Response:
    """``GET /v3/users``: the users of the caller's domain, ``name``/``enabled``/``domain_id`` filters."""
    caller_domain, query = _verified_domain(call, directory)
    enabled = query.get("enabled")
    if enabled is not None and enabled not in ("true", "false"):
        raise iam_error(400, "Invalid input for field 'enabled': expected true or false.")
    rows = [
        {
            "id": u.id,
            "name": u.name,
            "domain_id": u.domain_id,
            "enabled": u.enabled,
            "description": "",
            "password_expires_at": None,
            "pwd_status": True,
        }
        for u in directory.creds.users()
        if u.domain_id == caller_domain
        and ("name" not in query or u.name == query["name"])
        and ("domain_id" not in query or u.domain_id == query["domain_id"])
        and (enabled is None or u.enabled == (enabled == "true"))
    ]
    return _keystone_list(call, "users", rows)


def create_security_token(call: Call, directory: IamDirectory) -> httpx.Response:
    """``POST /v3.0/OS-CREDENTIAL/securitytokens``: temporary AK/SK + security token, by token or agency."""
    directory.verify(call.request)
    auth, methods = _identity(call)
    identity = auth["identity"]
    if methods == ["token"]:
        spec = _obj(identity.get("token", {}), "auth.identity.token")
        token = directory.live_token(str(spec.get("id") or call.header("x-auth-token")))
        if token is None:
            raise iam_error(401, _UNAUTHENTICATED)
        user = token.user
        duration = _duration(spec)
    elif methods == ["assume_role"]:
        assume = _obj(identity.get("assume_role"), "auth.identity.assume_role")
        user, _ = _agency_user(directory, assume, _caller(directory, call))
        duration = _duration(assume)
    else:
        raise iam_error(400, f"Unsupported authentication methods: {', '.join(methods)}.")
    key = directory.creds.issue_temporary_key(user, duration)
    assert key.expires_at is not None and key.token is not None
    credential = {
        "access": key.access,
        "secret": key.secret,
        "securitytoken": key.token,
        "expires_at": _iso(key.expires_at),
    }
    return json_response(201, {"credential": credential})


# -------------------------------------------------------------------------------- reading the request


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise iam_error(400, f"Invalid input for field '{where}': it must be an object.")
    return value


def _str(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise iam_error(400, f"Invalid input for field '{where}.{name}': a non-empty string is required.")
    return value


def _identity(call: Call) -> tuple[dict[str, Any], list[str]]:
    body = _obj(call.json(error=lambda msg: iam_error(400, msg)), "body")
    auth = _obj(body.get("auth"), "auth")
    identity = _obj(auth.get("identity"), "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(isinstance(m, str) for m in methods):
        raise iam_error(
            400, "Invalid input for field 'auth.identity.methods': a list of methods is required."
        )
    return auth, methods


def _password_user(directory: IamDirectory, identity: dict[str, Any]) -> IamUser:
    password = _obj(identity.get("password"), "auth.identity.password")
    user = _obj(password.get("user"), "auth.identity.password.user")
    name = _str(user, "name", "auth.identity.password.user")
    secret = _str(user, "password", "auth.identity.password.user")
    domain = _obj(user.get("domain"), "auth.identity.password.user.domain")
    if domain.get("id"):
        found = directory.login(str(domain["id"]), name, secret, by_id=True)
    else:
        domain_name = _str(domain, "name", "auth.identity.password.user.domain")
        found = directory.login(domain_name, name, secret, by_id=False)
    # One message for unknown user and wrong password, so the answer does not reveal which user names exist.
    if found is None:
        raise iam_error(401, "The username or password is wrong.")
    return found


def _agency_user(directory: IamDirectory, assume: dict[str, Any], caller: IamUser) -> tuple[IamUser, str]:
    agency = _str(assume, "agency_name", "assume_role")
    domain_id, domain_name = assume.get("domain_id"), assume.get("domain_name")
    if not domain_id and not domain_name:
        raise iam_error(400, "Invalid input for field 'assume_role': domain_id or domain_name is required.")
    principal = directory.agency_principal(
        agency,
        caller,
        domain_id=str(domain_id) if domain_id else None,
        domain_name=str(domain_name) if domain_name else None,
    )
    if principal is None:
        raise iam_error(404, "Could not find domain of the agency.")
    return principal, agency


def _scope(directory: IamDirectory, auth: dict[str, Any]) -> Project | None:
    scope = auth.get("scope")
    if scope is None:
        return None
    scope = _obj(scope, "auth.scope")
    if "project" in scope:
        project = _obj(scope["project"], "auth.scope.project")
        if project.get("id"):
            return directory.creds.project(project_id=str(project["id"]))
        name = _str(project, "name", "auth.scope.project")
        found = directory.creds.project(name=name)
        if found is None:
            raise iam_error(404, f"Could not find project: {name}.")
        return found
    if "domain" in scope:
        return None
    raise iam_error(400, "Invalid input for field 'auth.scope': project or domain is required.")


def _caller(directory: IamDirectory, call: Call) -> IamUser:
    user = directory.caller(call.request)
    if user is None:  # verification has accepted the caller already; this only guards against a race
        raise iam_error(401, _UNAUTHENTICATED)
    return user


def _verified_domain(call: Call, directory: IamDirectory) -> tuple[str, dict[str, str]]:
    """Verify the caller; return its domain id and the query, for the listing operations."""
    directory.verify(call.request)
    return _caller(directory, call).domain_id, call.query


def _duration(data: dict[str, Any]) -> int:
    value = data.get("duration_seconds", MIN_DURATION)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DURATION <= value <= MAX_DURATION:
        raise iam_error(
            400,
            "Invalid input for field 'duration_seconds': "
            f"it must be an integer between {MIN_DURATION} and {MAX_DURATION}.",
        )
    return value


# -------------------------------------------------------------------------------- writing the answer


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "000Z"


def _origin(call: Call) -> str:
    """``scheme://host:port`` the caller reached us at: catalog URLs and ``links`` must point back there."""
    return f"{call.request.url.scheme}://{call.request.url.netloc.decode()}"


def _token_body(token: IamToken, call: Call, directory: IamDirectory, *, catalog: bool) -> dict[str, Any]:
    domain = {"id": token.user.domain_id, "name": token.user.domain_name}
    body: dict[str, Any] = {
        "methods": list(token.methods),
        "issued_at": _iso(token.issued_at),
        "expires_at": _iso(token.expires_at),
        "user": {"domain": domain, "id": token.user.id, "name": token.user.name, "password_expires_at": ""},
        "roles": [{"id": hex_id("role", "te_admin"), "name": "te_admin"}],
    }
    if token.project is not None:
        body["project"] = {"domain": domain, "id": token.project.id, "name": token.project.name}
    else:
        body["domain"] = domain
    if token.agency is not None:
        body["assumed_by"] = {"user": {"domain": domain, "name": token.agency}}
    if catalog:
        region = token.project.name if token.project else directory.creds.region
        base = _origin(call)
        body["catalog"] = [_catalog_entry(name, base, region) for name in directory.service_names()]
    return {"token": body}


def _catalog_entry(name: str, url: str, region: str) -> dict[str, Any]:
    endpoint = {
        "id": hex_id("endpoint", name),
        "interface": "public",
        "region": region,
        "region_id": region,
        "url": url,
    }
    return {"type": name, "id": hex_id("service", name), "name": name, "endpoints": [endpoint]}


def _keystone_list(
    call: Call, collection: str, rows: list[dict[str, Any]], *, path: str = ""
) -> httpx.Response:
    """A Keystone collection answer: ``links`` for the collection (at ``path``, default ``/v3/<collection>``),
    a ``self`` link to ``/v3/<collection>/<id>`` last in every row."""
    origin = _origin(call)
    base = f"{origin}/v3/{collection}"
    return json_response(
        200,
        {
            "links": {"self": f"{origin}{path}" if path else base, "previous": None, "next": None},
            collection: [{**row, "links": {"self": f"{base}/{row['id']}"}} for row in rows],
        },
    )


def list_auth_domains(call: Call, directory: IamDirectory) -> httpx.Response:
    """``GET /v3/auth/domains``: the domain (account) the caller belongs to. The official SDK core calls
    it to find the domain id of ``GlobalCredentials`` built without one (IAM and other global services)."""
    directory.verify(call.request)
    user = _caller(directory, call)
    row = {"id": user.domain_id, "name": user.domain_name, "enabled": True, "description": ""}
    return _keystone_list(call, "domains", [row], path="/v3/auth/domains")


def list_auth_projects(call: Call, directory: IamDirectory) -> httpx.Response:
    """``GET /v3/auth/projects``: the projects the caller can access (its domain's)."""
    caller_domain, _ = _verified_domain(call, directory)
    rows = [_project_row(p) for p in directory.creds.projects(caller_domain)]
    return _keystone_list(call, "projects", rows, path="/v3/auth/projects")
