"""The credentials the emulator accepts, and the ones it issues at run time.

The emulator must accept exactly what a developer's tools send, so the long-term keys come from the same
variables the clouds' SDKs read. When a variable is unset a fixed demo value is used, so that
``opsfn emulator`` and ``opsfn invoke`` work out of the box with no configuration at all:

==============================  ==========================================================
variable                        demo default when unset
==============================  ==========================================================
``HUAWEICLOUD_SDK_AK``          ``OPSFNDEMOAK000000000``
``HUAWEICLOUD_SDK_SK``          ``OpsfnDemoSK0000000000000000000000000000``
``HUAWEICLOUD_SDK_REGION``      ``cn-north-4`` (also the name of the project IAM lists)
``HUAWEICLOUD_SDK_PROJECT_ID``  derived from the region name (any project id is accepted)
``TENCENTCLOUD_SECRET_ID``      ``AKIDOPSFNDEMO00000000000000000000000`` (account 1250000000)
``TENCENTCLOUD_SECRET_KEY``     ``OpsfnDemoTencentKey0000000000000``
==============================  ==========================================================

IAM's demo user is domain ``opsfn-demo``, user ``opsfn-admin``, password ``OpsfnDemo@2024`` (overridable
with ``OPSFN_EMULATOR_IAM_DOMAIN`` / ``_USER`` / ``_PASSWORD``). The demo values are public by design; they
only open the local emulator.

At run time the IAM service issues tokens and temporary AK/SK + security tokens; they are recorded here with
their expiry so that request verification accepts them until they expire - the same life cycle as the real
cloud. Every Tencent key maps to an account id (the ``AppId``), which is the Tencent tenancy boundary.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = [
    "DEMO_HUAWEI_AK",
    "DEMO_HUAWEI_SK",
    "DEMO_IAM_DOMAIN",
    "DEMO_IAM_PASSWORD",
    "DEMO_IAM_USER",
    "DEMO_REGION",
    "DEMO_TENCENT_ACCOUNT",
    "DEMO_TENCENT_SECRET_ID",
    "DEMO_TENCENT_SECRET_KEY",
    "EmulatorCredentials",
    "HuaweiKey",
    "IamToken",
    "IamUser",
    "Project",
    "TencentKey",
    "hex_id",
]

DEMO_HUAWEI_AK = "OPSFNDEMOAK000000000"
DEMO_HUAWEI_SK = "OpsfnDemoSK0000000000000000000000000000"
DEMO_REGION = "cn-north-4"
DEMO_TENCENT_SECRET_ID = "AKIDOPSFNDEMO00000000000000000000000"  # noqa: S105 - public demo value
DEMO_TENCENT_SECRET_KEY = "OpsfnDemoTencentKey0000000000000"  # noqa: S105 - public demo value
DEMO_TENCENT_ACCOUNT = "1250000000"
DEMO_IAM_DOMAIN = "opsfn-demo"
DEMO_IAM_USER = "opsfn-admin"
DEMO_IAM_PASSWORD = "OpsfnDemo@2024"  # noqa: S105 - public demo value

TOKEN_LIFETIME = timedelta(hours=24)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hex_id(*parts: str) -> str:
    """Stable 32-hex ids (like Huawei's) so a restarted emulator lists the same project and user ids."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain_id: str


@dataclass(frozen=True)
class IamUser:
    domain_name: str
    domain_id: str
    name: str
    id: str
    password: str = field(repr=False)
    enabled: bool = True


@dataclass(frozen=True, kw_only=True)
class _Key:
    """What long-term and temporary keys share: a temporary key carries a session token and an expiry."""

    token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None

    @property
    def temporary(self) -> bool:
        return self.token is not None

    def token_matches(self, presented: str) -> bool:
        """Whether ``presented`` is this key's session token (compared in constant time)."""
        return self.token is not None and hmac.compare_digest(presented, self.token)


@dataclass(frozen=True)
class HuaweiKey(_Key):
    """An AK/SK pair; a temporary pair's ``token`` is the security token IAM issued with it."""

    access: str
    secret: str = field(repr=False)
    user: IamUser

    @property
    def security_token(self) -> str | None:
        """Huawei's name for the session token (``X-Security-Token``)."""
        return self.token


@dataclass(frozen=True)
class IamToken:
    """A token issued by the emulator's IAM (``X-Subject-Token``), scoped to a project or a domain."""

    value: str = field(repr=False)
    user: IamUser
    methods: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    project: Project | None = None
    agency: str | None = None


@dataclass(frozen=True)
class TencentKey(_Key):
    """A SecretId/SecretKey pair of one account (the ``AppId``); temporary pairs carry a token."""

    secret_id: str
    secret_key: str = field(repr=False)
    account_id: str


class EmulatorCredentials:
    """Thread-safe store of every credential the emulator accepts.

    ``clock`` is the emulator's notion of "now" for expiry and clock-skew checks; tests replace it to move
    time without sleeping.
    """

    def __init__(self, *, region: str = DEMO_REGION, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or _utcnow
        self.region = region
        self._lock = threading.RLock()
        self._users: dict[tuple[str, str], IamUser] = {}
        self._projects: dict[str, Project] = {}
        self._huawei: dict[str, HuaweiKey] = {}
        self._tokens: dict[str, IamToken] = {}
        self._tencent: dict[str, TencentKey] = {}

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, clock: Clock | None = None
    ) -> EmulatorCredentials:
        """The credentials named by the clouds' own variables, demo values where unset."""
        import os

        env = os.environ if env is None else env
        region = env.get("HUAWEICLOUD_SDK_REGION") or DEMO_REGION
        creds = cls(region=region, clock=clock)
        user = creds.add_user(
            env.get("OPSFN_EMULATOR_IAM_DOMAIN") or DEMO_IAM_DOMAIN,
            env.get("OPSFN_EMULATOR_IAM_USER") or DEMO_IAM_USER,
            env.get("OPSFN_EMULATOR_IAM_PASSWORD") or DEMO_IAM_PASSWORD,
        )
        creds.add_project(region, user.domain_id, project_id=env.get("HUAWEICLOUD_SDK_PROJECT_ID") or None)
        creds.add_huawei_key(
            env.get("HUAWEICLOUD_SDK_AK") or DEMO_HUAWEI_AK,
            env.get("HUAWEICLOUD_SDK_SK") or DEMO_HUAWEI_SK,
            user,
        )
        creds.add_tencent_key(
            env.get("TENCENTCLOUD_SECRET_ID") or DEMO_TENCENT_SECRET_ID,
            env.get("TENCENTCLOUD_SECRET_KEY") or DEMO_TENCENT_SECRET_KEY,
            DEMO_TENCENT_ACCOUNT,
        )
        return creds

    def add_user(self, domain_name: str, name: str, password: str, *, enabled: bool = True) -> IamUser:
        user = IamUser(
            domain_name=domain_name,
            domain_id=hex_id("domain", domain_name),
            name=name,
            id=hex_id("user", domain_name, name),
            password=password,
            enabled=enabled,
        )
        with self._lock:
            self._users[(domain_name, name)] = user
        return user

    def add_project(self, name: str, domain_id: str, *, project_id: str | None = None) -> Project:
        project = Project(id=project_id or hex_id("project", domain_id, name), name=name, domain_id=domain_id)
        with self._lock:
            self._projects[project.id] = project
        return project

    def add_huawei_key(self, access: str, secret: str, user: IamUser) -> HuaweiKey:
        key = HuaweiKey(access=access, secret=secret, user=user)
        with self._lock:
            self._huawei[access] = key
        return key

    def add_tencent_key(
        self,
        secret_id: str,
        secret_key: str,
        account_id: str,
        *,
        token: str | None = None,
        expires_at: datetime | None = None,
    ) -> TencentKey:
        key = TencentKey(secret_id, secret_key, account_id, token=token, expires_at=expires_at)
        with self._lock:
            self._tencent[secret_id] = key
        return key

    # -- look-ups ----------------------------------------------------------------------------------------

    @property
    def default_user(self) -> IamUser:
        with self._lock:
            return next(iter(self._users.values()))

    def user(self, domain: str, name: str, *, by_id: bool = False) -> IamUser | None:
        """Find a user by domain name (or domain id when ``by_id``) and user name."""
        with self._lock:
            for user in self._users.values():
                if user.name == name and (user.domain_id if by_id else user.domain_name) == domain:
                    return user
        return None

    def users(self) -> list[IamUser]:
        with self._lock:
            return list(self._users.values())

    def projects(self, domain_id: str | None = None) -> list[Project]:
        with self._lock:
            return [p for p in self._projects.values() if domain_id is None or p.domain_id == domain_id]

    def project(self, *, project_id: str | None = None, name: str | None = None) -> Project | None:
        """Any project id is valid in the emulator; an unknown id is registered on first use."""
        with self._lock:
            if project_id:
                return self._projects.get(project_id) or self.add_project(
                    self.region, self.default_user.domain_id, project_id=project_id
                )
            for project in self._projects.values():
                if project.name == name:
                    return project
        return None

    def principal_user(self, principal: str) -> IamUser | None:
        """The IAM user behind a verified principal: an access key's owner, or ``user@domain`` (a token)."""
        key = self.huawei_key(principal)
        if key is not None:
            return key.user
        name, _, domain = principal.rpartition("@")
        return self.user(domain, name) if name else None

    def huawei_key(self, access: str) -> HuaweiKey | None:
        with self._lock:
            return self._huawei.get(access)

    def default_huawei_access(self) -> str:
        """The first long-term AK (the one from the environment), for the startup banner."""
        with self._lock:
            return next((k.access for k in self._huawei.values() if not k.temporary), "")

    def default_tencent_secret_id(self) -> str:
        with self._lock:
            return next((k.secret_id for k in self._tencent.values() if not k.temporary), "")

    def token(self, value: str) -> IamToken | None:
        with self._lock:
            return self._tokens.get(value)

    def tencent_key(self, secret_id: str) -> TencentKey | None:
        with self._lock:
            return self._tencent.get(secret_id)

    def tencent_account(self, secret_id: str) -> str | None:
        key = self.tencent_key(secret_id)
        return key.account_id if key else None

    def expired(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at <= self.clock()

    # -- issuing (used by the IAM service) ---------------------------------------------------------------

    def issue_token(
        self,
        user: IamUser,
        methods: tuple[str, ...],
        *,
        project: Project | None = None,
        agency: str | None = None,
        lifetime: timedelta = TOKEN_LIFETIME,
    ) -> IamToken:
        now = self.clock()
        token = IamToken(
            value="MIIO" + secrets.token_urlsafe(96),
            user=user,
            methods=methods,
            issued_at=now,
            expires_at=now + lifetime,
            project=project,
            agency=agency,
        )
        with self._lock:
            self._tokens[token.value] = token
        return token

    def issue_temporary_key(self, user: IamUser, duration_seconds: int) -> HuaweiKey:
        alphabet = string.ascii_uppercase + string.digits
        key = HuaweiKey(
            access="OPSFNTMP" + "".join(secrets.choice(alphabet) for _ in range(12)),
            secret=secrets.token_urlsafe(30),
            user=user,
            token="gQpzb3Bmbi" + secrets.token_urlsafe(180),
            expires_at=self.clock() + timedelta(seconds=duration_seconds),
        )
        with self._lock:
            self._huawei[key.access] = key
        return key
