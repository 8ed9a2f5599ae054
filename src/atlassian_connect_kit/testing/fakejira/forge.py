"""The Forge side of the fake site: installations, invocation tokens, and the app's OAuth tokens.

What Atlassian's Forge platform does for a Forge Remote, played by the fake:

- :class:`ForgeApp`: what the fake reads from an app's ``manifest.yml`` (its id, remotes, endpoints,
  lifecycle triggers, ``preUninstall`` endpoints and scopes).
- :class:`ForgeInstallation` and :class:`ForgeInstallations`: the app installed on this site, with
  an installation id (``ari:cloud:ecosystem::installation/<uuid>``) and the site's cloud id.
- :func:`invocation_token`: a Forge Invocation Token (FIT), RS256 under a key the site publishes
  in its JWKS, with the claims the Forge Remote essentials document.
- :class:`ForgeTokens`: app user and app system tokens (JWTs with an ``exp``) that the site then
  accepts as ``Authorization: Bearer`` on ``/ex/jira/{cloudId}/rest/api/3/...``; expired, unknown
  and revoked ones answer 401.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from atlassian_connect_kit.testing.fakejira.connect import InstallKeys
from atlassian_connect_kit.testing.fakejira.grants import GrantStore

FIT_ISSUER = "forge/invocation-token"
"""The ``iss`` of Forge Invocation Tokens."""

FIT_LIFETIME = 25
"""Seconds a FIT lives, as in the documented example (``exp - iat``)."""

APP_TOKEN_LIFETIME = 4 * 3600
"""Seconds an app user or system token lives (Forge's tokens have a TTL of at most 4 hours)."""

JWKS_PATH = "/.well-known/jwks.json"
"""Where the site publishes the keys that sign FITs (at its origin's root)."""

API_PREFIX = "/ex/jira/"
"""Root path of the API gateway, followed by the cloud id: ``/ex/jira/<cloudId>/rest/...``."""

INSTALLED_EVENT = "avi:forge:installed:app"
"""The lifecycle event sent after an installation."""

UPGRADED_EVENT = "avi:forge:upgraded:app"
"""The lifecycle event sent after a major version upgrade."""

USER_TOKEN_SCOPE = "read:app-user-token"
"""The scope without which Forge sends no app user token."""

SYSTEM_TOKEN_SCOPE = "read:app-system-token"
"""The scope without which Forge sends no app system token."""

# Atlassian's "Equivalent Connect to Forge OAuth2 scope mappings": the Connect scope each Forge
# scope corresponds to. The fake checks its REST routes against Connect scopes, so a Forge token
# is granted the Connect scopes its Forge scopes correspond to (then the ladder's implications).
_CONNECT_EQUIVALENT = {
    "read:jira-work": "READ",
    "read:jira-user": "READ",
    "write:jira-work": "DELETE",
    "manage:jira-webhook": "WRITE",
    "manage:jira-project": "PROJECT_ADMIN",
    "manage:jira-configuration": "ADMIN",
    "read:connect-jira": "READ",
    "write:connect-jira": "WRITE",
    "delete:connect-jira": "DELETE",
    "project-admin:connect-jira": "PROJECT_ADMIN",
    "admin:connect-jira": "ADMIN",
}

_TOKEN_ISSUER = "fake-jira/forge-oauth"


class ForgeError(Exception):
    """The fake cannot do what was asked (a manifest it cannot read, a token it cannot grant)."""


@dataclass(frozen=True, slots=True)
class ForgeEndpoint:
    """A manifest ``endpoint`` module: the remote it calls, its route and the tokens it gets."""

    key: str
    remote: str
    path: str
    system_token: bool
    user_token: bool


@dataclass(frozen=True, slots=True)
class ForgeApp:
    """What the fake reads from a Forge manifest.

    ``remotes`` map remote keys to base URLs, ``triggers`` map lifecycle events to the endpoint
    keys subscribed to them, ``pre_uninstall`` lists the ``(module key, endpoint key)`` of each
    ``preUninstall`` module with an endpoint, ``connect_key`` is ``app.connect.key`` for an app
    that adopted Forge from Connect.
    """

    app_id: str
    remotes: Mapping[str, str]
    endpoints: Mapping[str, ForgeEndpoint]
    triggers: Mapping[str, tuple[str, ...]]
    pre_uninstall: tuple[tuple[str, str], ...]
    scopes: frozenset[str]
    connect_key: str | None

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], *, remote_base_url: str | None = None
    ) -> ForgeApp:
        """Read a manifest (as parsed YAML); ``remote_base_url`` replaces every remote's base URL
        (the app under test listens on an ephemeral port, not at its public URL)."""
        app = manifest.get("app")
        if not isinstance(app, Mapping) or not isinstance(app.get("id"), str):
            raise ForgeError("the manifest has no app.id")
        remotes: dict[str, str] = {}
        for remote in manifest.get("remotes") or []:
            base = remote_base_url or remote.get("baseUrl")
            if not isinstance(base, str):
                raise ForgeError(f"remote {remote.get('key')!r} has no baseUrl the fake can call")
            remotes[str(remote["key"])] = base.rstrip("/")
        modules = manifest.get("modules") or {}
        endpoints = {str(item["key"]): _endpoint(item) for item in modules.get("endpoint") or []}
        triggers: dict[str, list[str]] = {}
        for trigger in modules.get("trigger") or []:
            if "endpoint" in trigger:
                for event in trigger.get("events") or []:
                    triggers.setdefault(str(event), []).append(str(trigger["endpoint"]))
        pre_uninstall = tuple(
            (str(item["key"]), str(item["endpoint"]))
            for item in modules.get("preUninstall") or []
            if "endpoint" in item
        )
        used = [key for keys in triggers.values() for key in keys]
        for key in [*used, *(endpoint for _, endpoint in pre_uninstall)]:
            if key not in endpoints or endpoints[key].remote not in remotes:
                raise ForgeError(f"endpoint {key!r} is not declared with a known remote")
        permissions = manifest.get("permissions") or {}
        connect = app.get("connect")
        connect_key = connect.get("key") if isinstance(connect, Mapping) else None
        return cls(
            app_id=app["id"],
            remotes=remotes,
            endpoints=endpoints,
            triggers={event: tuple(keys) for event, keys in triggers.items()},
            pre_uninstall=pre_uninstall,
            scopes=frozenset(str(scope) for scope in permissions.get("scopes") or []),
            connect_key=connect_key if isinstance(connect_key, str) else None,
        )

    def endpoint_url(self, key: str) -> str:
        """The absolute URL Forge posts to for the endpoint ``key``."""
        endpoint = self.endpoints[key]
        return self.remotes[endpoint.remote] + endpoint.path


def _endpoint(item: Mapping[str, Any]) -> ForgeEndpoint:
    auth = item.get("auth") or {}
    route = item.get("route") or {}
    return ForgeEndpoint(
        key=str(item["key"]),
        remote=str(item.get("remote")),
        path=str(route.get("path") or ""),
        system_token=bool((auth.get("appSystemToken") or {}).get("enabled")),
        user_token=bool((auth.get("appUserToken") or {}).get("enabled")),
    )


@dataclass(frozen=True, slots=True)
class ForgeInstallation:
    """One installation of a Forge app on the fake site.

    ``installation_id`` is the ARI a FIT carries in ``app.installationId``; lifecycle event
    payloads carry its bare UUID (:attr:`installation_uuid`) as their ``id``. ``api_base_url`` is
    the site's API gateway URL for the app (``http://127.0.0.1:<port>/ex/jira/<cloudId>``).
    ``license`` is the FIT's ``app.license`` (``None`` for free apps and non-production
    environments).
    """

    app: ForgeApp
    installation_id: str
    cloud_id: str
    api_base_url: str
    site_url: str
    environment_type: str
    environment_id: str
    app_version: str
    license: Mapping[str, Any] | None = None
    installer_account_id: str | None = None

    @property
    def installation_uuid(self) -> str:
        """The UUID part of the installation id (the ``id`` of lifecycle event payloads)."""
        return self.installation_id.rsplit("/", 1)[-1]

    @property
    def app_uuid(self) -> str:
        """The UUID part of the app id (the ``app.id`` of lifecycle event payloads)."""
        return self.app.app_id.rsplit("/", 1)[-1]

    @property
    def connect_scopes(self) -> frozenset[str]:
        """The Connect scopes equivalent to the installation's Forge scopes (before implication)."""
        return frozenset(
            _CONNECT_EQUIVALENT[scope] for scope in self.app.scopes if scope in _CONNECT_EQUIVALENT
        )


def new_installation_id() -> str:
    """A fresh installation id, ``ari:cloud:ecosystem::installation/<uuid>``."""
    return f"ari:cloud:ecosystem::installation/{uuid.uuid4()}"


class ForgeInstallations:
    """Thread-safe registry of the Forge installations on the site, by installation id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, ForgeInstallation] = {}

    def put(self, installation: ForgeInstallation) -> None:
        """Record (or replace) an installation."""
        with self._lock:
            self._by_id[installation.installation_id] = installation

    def remove(self, installation_id: str) -> ForgeInstallation | None:
        """Forget an installation and return it."""
        with self._lock:
            return self._by_id.pop(installation_id, None)

    def get(self, installation_id: str) -> ForgeInstallation | None:
        """The installation with this id, if it is installed."""
        with self._lock:
            return self._by_id.get(installation_id)

    def all(self) -> tuple[ForgeInstallation, ...]:
        """Every installation."""
        with self._lock:
            return tuple(self._by_id.values())


def invocation_token(
    keys: InstallKeys,
    installation: ForgeInstallation,
    *,
    module_key: str,
    module_type: str,
    principal: str | None,
    context: Mapping[str, Any] | None,
    lifetime: int = FIT_LIFETIME,
    now: int | None = None,
) -> str:
    """A Forge Invocation Token for one invocation of the app's remote, signed as Forge signs.

    ``principal`` is the invoking user's accountId (``None`` for triggers); ``context`` the
    module's context (left out when ``None``, as for backend invocations).
    """
    issued = int(time.time()) if now is None else now
    app: dict[str, Any] = {
        "id": installation.app.app_id,
        "version": installation.app_version.split(".", 1)[0],
        "appVersion": installation.app_version,
        "installationId": installation.installation_id,
        "apiBaseUrl": installation.api_base_url,
        "environment": {"type": installation.environment_type, "id": installation.environment_id},
        "module": {"type": module_type, "key": module_key},
        "installation": {
            "id": installation.installation_id,
            "contexts": [
                {
                    "name": "jira",
                    "apiBaseUrl": installation.api_base_url,
                    "cloudId": installation.cloud_id,
                }
            ],
        },
    }
    if installation.license is not None:
        app["license"] = dict(installation.license)
    claims: dict[str, Any] = {
        "app": app,
        "aud": installation.app.app_id,
        "iss": FIT_ISSUER,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_hex(20),
    }
    if context is not None:
        claims["context"] = dict(context)
    if principal is not None:
        claims["principal"] = principal
    return keys.sign(claims)


@dataclass(frozen=True, slots=True)
class ForgeGrant:
    """An app token issued for an installation: as a user (``account_id``) or as the app."""

    token: str
    installation_id: str
    account_id: str | None
    expires_at: float


class ForgeTokens:
    """Thread-safe store of the app user and app system tokens the site has issued."""

    def __init__(self) -> None:
        self._secret = secrets.token_urlsafe(32)
        self._store: GrantStore[ForgeGrant] = GrantStore()

    def issue(
        self,
        installation: ForgeInstallation,
        account_id: str | None,
        *,
        lifetime: int = APP_TOKEN_LIFETIME,
        now: float | None = None,
    ) -> str:
        """Issue a token acting as ``account_id`` (an app user token) or, for ``None``, as the app.

        Raises :class:`ForgeError` when the app's scopes do not allow that kind of token.
        """
        needed = SYSTEM_TOKEN_SCOPE if account_id is None else USER_TOKEN_SCOPE
        if needed not in installation.app.scopes:
            raise ForgeError(f"the app's manifest does not request {needed}")
        issued = time.time() if now is None else now
        claims = {
            "iss": _TOKEN_ISSUER,
            "sub": account_id or installation.installation_id,
            "aud": "api.atlassian.com",
            "iat": int(issued),
            "exp": int(issued + lifetime),
            "jti": secrets.token_hex(16),
        }
        token = jwt.encode(claims, self._secret, algorithm="HS256")
        grant = ForgeGrant(token, installation.installation_id, account_id, issued + lifetime)
        self._store.put(token, grant)
        return token

    def resolve(self, token: str, *, now: float) -> ForgeGrant | None:
        """The live grant of ``token``; expired tokens are forgotten."""
        return self._store.resolve(token, now=now)

    def revoke(self, token: str) -> None:
        """Invalidate one token."""
        self._store.revoke(token)

    def revoke_installation(self, installation_id: str) -> None:
        """Invalidate every token of an installation."""
        self._store.revoke_where(lambda grant: grant.installation_id == installation_id)


def invocation_headers(
    fit: str, *, system_token: str | None, user_token: str | None
) -> dict[str, str]:
    """The headers Forge adds to a request to a remote: FIT, trace ids and the app's tokens."""
    headers = {
        "Authorization": f"Bearer {fit}",
        "x-b3-traceid": secrets.token_hex(16),
        "x-b3-spanid": secrets.token_hex(8),
    }
    if system_token is not None:
        headers["x-forge-oauth-system"] = system_token
    if user_token is not None:
        headers["x-forge-oauth-user"] = user_token
    return headers


def api_request_target(raw_path: str) -> tuple[str, str] | None:
    """Split ``/ex/jira/<cloudId>/rest/...`` into ``(cloud_id, "/rest/...")``; else ``None``."""
    if not raw_path.startswith(API_PREFIX):
        return None
    cloud_id, slash, rest = raw_path[len(API_PREFIX) :].partition("/")
    if not cloud_id or not slash:
        return None
    return cloud_id, "/" + rest
