"""Fake Huawei IAM (``huaweicloudsdkiam`` v3): tokens, projects, temporary AK/SK (platform.md §7).

Four operations are what opsfn and the official SDKs need:

* ``POST /v3/auth/tokens`` - password or agency (``assume_role``) token; 201 with the token in the
  ``X-Subject-Token`` header and
  ``token{methods, issued_at, expires_at, user, project|domain, roles, catalog}``
  in the body (``?nocatalog=true`` drops the catalog). Valid 24 h.
* ``GET /v3/projects`` - the caller's projects, ``name`` filter (the core SDK resolves project ids this way).
* ``GET /v3/users`` - the users of the caller's domain (``name``/``enabled``/``domain_id`` filters), which
  the seat reconciliation reads as its roster.
* ``POST /v3.0/OS-CREDENTIAL/securitytokens`` - temporary AK/SK + security token by token or by agency;
  201 with ``credential{access, secret, securitytoken, expires_at}``, ``duration_seconds`` 900-86400
  (default 900).

IAM's Keystone-compatible API answers errors as ``{"error": {"code": <status>, "message", "title"}}``,
not in the gateway's flat shape. Everything issued goes into ``emulator.credentials``, so requests signed
with it are accepted by the verifier until it expires. The service itself is registered with
``auth="none"`` because password login carries the credentials in the body; the two other operations
verify the caller themselves (token or AK/SK), as the real IAM does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Service, json_response
from devkit.emulator.credentials import EmulatorCredentials, IamToken, IamUser, Project, hex_id
from devkit.emulator.verification import verify_huawei

__all__ = ["MAX_DURATION", "MIN_DURATION", "iam_error", "make_service"]

MIN_DURATION = 900
MAX_DURATION = 86400

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


def iam_error(status: int, message: str) -> ApiError:
    """IAM's Keystone-style error body."""
    body = {"error": {"code": status, "message": message, "title": _TITLES.get(status, "Error")}}
    return ApiError(json_response(status, body))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "000Z"


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise iam_error(400, f"Invalid input for field '{where}': it must be an object.")
    return value


def _str(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise iam_error(400, f"Invalid input for field '{where}.{name}': a non-empty string is required.")
    return value


def _creds(emulator: Emulator) -> EmulatorCredentials:
    if emulator.credentials is None:
        raise RuntimeError("IAM needs emulator.credentials; build the emulator with build_emulator()")
    return emulator.credentials


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


def _password_user(creds: EmulatorCredentials, identity: dict[str, Any]) -> IamUser:
    password = _obj(identity.get("password"), "auth.identity.password")
    user = _obj(password.get("user"), "auth.identity.password.user")
    name = _str(user, "name", "auth.identity.password.user")
    secret = _str(user, "password", "auth.identity.password.user")
    domain = _obj(user.get("domain"), "auth.identity.password.user.domain")
    if domain.get("id"):
        found = creds.user(str(domain["id"]), name, by_id=True)
    else:
        found = creds.user(_str(domain, "name", "auth.identity.password.user.domain"), name)
    # One message for unknown user and wrong password, so the answer does not reveal which user names exist.
    if found is None or not _constant_time_equal(found.password, secret):
        raise iam_error(401, "The username or password is wrong.")
    return found


def _constant_time_equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _caller_token(creds: EmulatorCredentials, call: Call) -> IamToken:
    value = call.header("x-auth-token")
    token = creds.token(value) if value else None
    if token is None or creds.expired(token.expires_at):
        raise iam_error(401, "The request you have made requires authentication.")
    return token


def _agency_user(creds: EmulatorCredentials, assume: dict[str, Any], caller: IamUser) -> tuple[IamUser, str]:
    """The principal an agency stands for: ``domain/agency`` in the agency's (known) domain."""
    agency = _str(assume, "agency_name", "assume_role")
    if assume.get("domain_id"):
        match = [u for u in creds.users() if u.domain_id == str(assume["domain_id"])]
    elif assume.get("domain_name"):
        match = [u for u in creds.users() if u.domain_name == str(assume["domain_name"])]
    else:
        raise iam_error(400, "Invalid input for field 'assume_role': domain_id or domain_name is required.")
    if not match:
        raise iam_error(404, "Could not find domain of the agency.")
    domain_name, domain_id = match[0].domain_name, match[0].domain_id
    principal = IamUser(
        domain_name=domain_name,
        domain_id=domain_id,
        name=f"{domain_name}/{agency}",
        id=hex_id("agency", domain_id, agency, caller.id),
        password="",
    )
    return principal, agency


def _scope(creds: EmulatorCredentials, auth: dict[str, Any], user: IamUser) -> Project | None:
    scope = auth.get("scope")
    if scope is None:
        return None
    scope = _obj(scope, "auth.scope")
    if "project" in scope:
        project = _obj(scope["project"], "auth.scope.project")
        if project.get("id"):
            return creds.project(project_id=str(project["id"]))
        name = _str(project, "name", "auth.scope.project")
        found = creds.project(name=name)
        if found is None:
            raise iam_error(404, f"Could not find project: {name}.")
        return found
    if "domain" in scope:
        return None
    raise iam_error(400, "Invalid input for field 'auth.scope': project or domain is required.")


def _token_body(token: IamToken, call: Call, emulator: Emulator, *, catalog: bool) -> dict[str, Any]:
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
        base = _origin(call)
        region = token.project.name if token.project else _creds(emulator).region
        body["catalog"] = [
            {
                "type": svc.name,
                "id": hex_id("service", svc.name),
                "name": svc.name,
                "endpoints": [
                    {
                        "id": hex_id("endpoint", svc.name),
                        "interface": "public",
                        "region": region,
                        "region_id": region,
                        "url": base,
                    }
                ],
            }
            for svc in emulator.services
        ]
    return {"token": body}


def _origin(call: Call) -> str:
    """``scheme://host:port`` the caller reached us at: catalog URLs and ``links`` must point back there."""
    return f"{call.request.url.scheme}://{call.request.url.netloc.decode()}"


def _keystone_list(call: Call, collection: str, rows: list[dict[str, Any]]) -> httpx.Response:
    """A Keystone collection answer: ``links`` for the collection, a ``self`` link last in every row."""
    base = f"{_origin(call)}/v3/{collection}"
    return json_response(
        200,
        {
            "links": {"self": base, "previous": None, "next": None},
            collection: [{**row, "links": {"self": f"{base}/{row['id']}"}} for row in rows],
        },
    )


def _duration(data: dict[str, Any]) -> int:
    value = data.get("duration_seconds", MIN_DURATION)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DURATION <= value <= MAX_DURATION:
        raise iam_error(
            400,
            "Invalid input for field 'duration_seconds': "
            f"it must be an integer between {MIN_DURATION} and {MAX_DURATION}.",
        )
    return value


def make_service(emulator: Emulator) -> Service[None]:
    """Build the ``iam`` service; its state lives in ``emulator.credentials``."""
    service: Service[None] = Service("iam", lambda key: None, auth="none")

    @service.route("POST", "/v3/auth/tokens", "KeystoneCreateUserToken")
    def create_token(call: Call, backend: None) -> httpx.Response:
        creds = _creds(emulator)
        auth, methods = _identity(call)
        identity = auth["identity"]
        if methods == ["password"]:
            user = _password_user(creds, identity)
            token = creds.issue_token(user, ("password",), project=_scope(creds, auth, user))
        elif methods == ["assume_role"]:
            caller = _caller_token(creds, call)
            assume = _obj(identity.get("assume_role"), "auth.identity.assume_role")
            principal, agency = _agency_user(creds, assume, caller.user)
            project = _scope(creds, auth, principal)
            token = creds.issue_token(principal, ("assume_role",), project=project, agency=agency)
        else:
            raise iam_error(400, f"Unsupported authentication methods: {', '.join(methods)}.")
        nocatalog = call.query.get("nocatalog", "")
        body = _token_body(token, call, emulator, catalog=not nocatalog)
        return json_response(201, body, {"X-Subject-Token": token.value})

    @service.route("GET", "/v3/projects", "KeystoneListProjects")
    def list_projects(call: Call, backend: None) -> httpx.Response:
        creds = _creds(emulator)
        verify_huawei(emulator, service, call.request)
        caller_domain = _caller_domain(creds, call)
        query = call.query
        projects = [
            p
            for p in creds.projects(caller_domain)
            if ("name" not in query or p.name == query["name"])
            and ("domain_id" not in query or p.domain_id == query["domain_id"])
        ]
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "domain_id": p.domain_id,
                "parent_id": p.domain_id,
                "is_domain": False,
                "enabled": True,
                "description": "",
            }
            for p in projects
        ]
        return _keystone_list(call, "projects", rows)

    @service.route("GET", "/v3/users", "KeystoneListUsers")
    def list_users(call: Call, backend: None) -> httpx.Response:
        creds = _creds(emulator)
        verify_huawei(emulator, service, call.request)
        caller_domain = _caller_domain(creds, call)
        query = call.query
        enabled = query.get("enabled")
        if enabled is not None and enabled not in ("true", "false"):
            raise iam_error(400, "Invalid input for field 'enabled': expected true or false.")
        users = [
            u
            for u in creds.users()
            if u.domain_id == caller_domain
            and ("name" not in query or u.name == query["name"])
            and ("domain_id" not in query or u.domain_id == query["domain_id"])
            and (enabled is None or u.enabled == (enabled == "true"))
        ]
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
            for u in users
        ]
        return _keystone_list(call, "users", rows)

    @service.route("POST", "/v3.0/OS-CREDENTIAL/securitytokens", "CreateTemporaryAccessKeyByToken")
    def create_security_token(call: Call, backend: None) -> httpx.Response:
        creds = _creds(emulator)
        verify_huawei(emulator, service, call.request)
        auth, methods = _identity(call)
        identity = auth["identity"]
        if methods == ["token"]:
            spec = _obj(identity.get("token", {}), "auth.identity.token")
            value = spec.get("id") or call.header("x-auth-token")
            token = creds.token(str(value)) if value else None
            if token is None or creds.expired(token.expires_at):
                raise iam_error(401, "The request you have made requires authentication.")
            user = token.user
            duration = _duration(spec)
        elif methods == ["assume_role"]:
            assume = _obj(identity.get("assume_role"), "auth.identity.assume_role")
            caller = _caller_domain_user(creds, call)
            user, _ = _agency_user(creds, assume, caller)
            duration = _duration(assume)
        else:
            raise iam_error(400, f"Unsupported authentication methods: {', '.join(methods)}.")
        key = creds.issue_temporary_key(user, duration)
        assert key.expires_at is not None and key.security_token is not None
        credential = {
            "access": key.access,
            "secret": key.secret,
            "securitytoken": key.security_token,
            "expires_at": _iso(key.expires_at),
        }
        return json_response(201, {"credential": credential})

    return service


def _caller_domain_user(creds: EmulatorCredentials, call: Call) -> IamUser:
    """The already-verified caller: the token's user, or the owner of the AK."""
    value = call.header("x-auth-token")
    if value:
        token = creds.token(value)
        if token is not None:
            return token.user
    from shared.auth import parse_huawei_authorization

    key = creds.huawei_key(parse_huawei_authorization(call.header("authorization")).access)
    if key is None:  # verify_huawei has accepted the key already; this only guards against a race
        raise iam_error(401, "The request you have made requires authentication.")
    return key.user


def _caller_domain(creds: EmulatorCredentials, call: Call) -> str:
    return _caller_domain_user(creds, call).domain_id
