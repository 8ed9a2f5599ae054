"""Who is calling the fake site: the app (Connect JWT) or a user (OAuth 2.0 bearer token).

Requests to the REST API carry either ``Authorization: JWT <token>``, an HS256 token from the app
(``iss`` its app key, ``qsh`` bound to this very request), or ``Authorization: Bearer <token>``
obtained by exchanging a user-impersonation assertion at the site's OAuth 2.0 endpoint. Requests
through the API gateway (``/ex/jira/<cloudId>/...``) carry a Forge app user or app system token
as ``Bearer`` instead (:func:`authenticate_forge`). Refusals carry short fixed messages that never
repeat the token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.testing.fakejira.connect import (
    CONNECT_SCOPES,
    CONTEXT_QSH,
    InstalledApp,
    InstalledApps,
)
from atlassian_connect_kit.testing.fakejira.forge import (
    ForgeInstallation,
    ForgeInstallations,
    ForgeTokens,
)
from atlassian_connect_kit.testing.fakejira.grants import GrantStore
from atlassian_connect_kit.testing.fakejira.model import SiteData
from atlassian_connect_kit.testing.fakejira.requestlog import Actor

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
"""The ``grant_type`` of the user-impersonation token request."""

DEFAULT_OAUTH_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"
"""The ``aud`` Atlassian's authorization server expects in assertions."""

CLIENT_ID_PREFIX = "urn:atlassian:connect:clientid:"
"""Prefix of an assertion's ``iss``, followed by the app's oauthClientId."""

ACCOUNT_ID_PREFIX = "urn:atlassian:connect:useraccountid:"
"""Prefix of an assertion's ``sub``, followed by the user's accountId."""

# Tokens issued up to this many seconds "in the future" are accepted: iat is truncated to whole
# seconds by most clients, and the fake shares the machine's clock with them.
_CLOCK_SLACK = 1

# Each scope includes the ones below it, as in Connect.
_SCOPE_LADDER = ("READ", "WRITE", "DELETE", "PROJECT_ADMIN", "ADMIN")


class AuthenticationError(Exception):
    """The request is not authenticated; ``str()`` is a short message safe to send back."""


class OAuthError(Exception):
    """The token request was refused: an RFC 6749 ``error`` code, a description and a status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: the app itself, or a user the app acts as.

    ``scopes`` are what the caller may do, with implied scopes included (``WRITE`` implies
    ``READ``). The app sees every project; a user only the projects they belong to. ``app_id``
    identifies the installation (its clientKey, or its Forge installation id) and ``app_name``
    is what the site shows as the app's name. ``forge_scopes`` are the Forge scopes of a caller
    holding a Forge app token (``None`` for Connect callers), for the endpoints only Forge apps
    may call.
    """

    acting_as: Actor
    app_id: str
    app_name: str
    account_id: str | None
    scopes: frozenset[str]
    forge_scopes: frozenset[str] | None = None

    def visible_projects(self, data: SiteData) -> frozenset[str]:
        """The keys of the projects this caller may browse."""
        return data.projects_visible_to(self.account_id if self.acting_as == "user" else None)


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """An access token issued to an app for acting as one user."""

    token: str
    app_key: str
    client_key: str
    account_id: str
    scopes: frozenset[str]
    expires_at: float


class AccessTokens:
    """Thread-safe store of issued bearer tokens."""

    def __init__(self) -> None:
        self._store: GrantStore[AccessGrant] = GrantStore()

    def issue(
        self,
        app: InstalledApp,
        account_id: str,
        scopes: frozenset[str],
        *,
        lifetime: int,
        now: float,
    ) -> AccessGrant:
        """Create and remember a token for ``app`` acting as ``account_id``."""
        grant = AccessGrant(
            token=secrets.token_urlsafe(32),
            app_key=app.app_key,
            client_key=app.client_key,
            account_id=account_id,
            scopes=scopes,
            expires_at=now + lifetime,
        )
        self._store.put(grant.token, grant)
        return grant

    def resolve(self, token: str, *, now: float) -> AccessGrant | None:
        """Return the live grant of ``token``; expired tokens are forgotten."""
        return self._store.resolve(token, now=now)

    def revoke_client(self, client_key: str) -> None:
        """Invalidate every token issued to the installation with this clientKey."""
        self._store.revoke_where(lambda grant: grant.client_key == client_key)


def implied_scopes(scopes: frozenset[str]) -> frozenset[str]:
    """Add the scopes each scope implies; no scopes at all means ``READ``."""
    declared = scopes or frozenset({"READ"})
    implied = set(declared)
    for index, scope in enumerate(_SCOPE_LADDER):
        if scope in declared:
            implied.update(_SCOPE_LADDER[:index])
    return frozenset(implied)


def authenticate(
    authorization: str | None,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    base_path: str,
    apps: InstalledApps,
    tokens: AccessTokens,
    now: float,
) -> Caller:
    """Identify the caller of a REST request or raise :class:`AuthenticationError`.

    ``raw_path`` and ``raw_query`` are the request's path and query string as sent; the ``qsh``
    of an app JWT is checked against them with the site's base path stripped.
    """
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if not credential:
        raise AuthenticationError("Client must be authenticated to access this resource.")
    if scheme.lower() == "jwt":
        return _app_caller(credential, method, raw_path, raw_query, base_path, apps, now)
    if scheme.lower() == "bearer":
        return _user_caller(credential, apps, tokens, now)
    raise AuthenticationError("Client must be authenticated to access this resource.")


def _app_caller(
    token: str,
    method: str,
    raw_path: str,
    raw_query: str,
    base_path: str,
    apps: InstalledApps,
    now: float,
) -> Caller:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AuthenticationError("The JWT is malformed.") from error
    if header.get("alg") != "HS256":
        raise AuthenticationError("The JWT must be signed with HS256.")
    issuer = unverified.get("iss")
    app = apps.by_app_key(issuer) if isinstance(issuer, str) else None
    if app is None:
        raise AuthenticationError("The JWT issuer is not an app installed on this site.")
    claims = _verify_hs256(token, app.shared_secret, now, required=("exp", "iat", "iss", "qsh"))
    expected = query_string_hash(method, raw_path, raw_query, base_path)
    qsh = claims.get("qsh")
    if not isinstance(qsh, str) or qsh == CONTEXT_QSH or not hmac.compare_digest(qsh, expected):
        raise AuthenticationError("The JWT query string hash does not match the request.")
    audience = claims.get("aud")
    if audience is not None:
        audiences = audience if isinstance(audience, list) else [audience]
        if app.client_key not in audiences:
            raise AuthenticationError("The JWT audience is not this installation.")
    return Caller(
        "app", app.client_key, _app_name(app), None, implied_scopes(app.scopes - {"ACT_AS_USER"})
    )


def _user_caller(token: str, apps: InstalledApps, tokens: AccessTokens, now: float) -> Caller:
    grant = tokens.resolve(token, now=now)
    app = apps.by_app_key(grant.app_key) if grant is not None else None
    if grant is None or app is None or app.client_key != grant.client_key:
        raise AuthenticationError("The bearer token is invalid or has expired.")
    return Caller(
        "user", app.client_key, _app_name(app), grant.account_id, implied_scopes(grant.scopes)
    )


def _app_name(app: InstalledApp) -> str:
    name = app.descriptor.get("name")
    return name if isinstance(name, str) and name else app.app_key


def authenticate_forge(
    authorization: str | None,
    *,
    installations: ForgeInstallations,
    tokens: ForgeTokens,
    now: float,
) -> tuple[Caller, ForgeInstallation]:
    """Identify the caller of an API gateway request by its Forge app token, or raise.

    An app user token acts as its user, an app system token as the app; either has the Connect
    scopes equivalent to the installation's Forge scopes. Expired, revoked and unknown tokens,
    and tokens of an installation no longer on the site, raise :class:`AuthenticationError`.
    """
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise AuthenticationError("Client must be authenticated to access this resource.")
    grant = tokens.resolve(credential, now=now)
    installation = installations.get(grant.installation_id) if grant is not None else None
    if grant is None or installation is None:
        raise AuthenticationError("The access token is invalid or has expired.")
    declared = installation.connect_scopes
    scopes = implied_scopes(declared) if declared else frozenset()
    actor: Actor = "app" if grant.account_id is None else "user"
    caller = Caller(
        actor,
        installation.installation_id,
        installation.app.app_id,
        grant.account_id,
        scopes,
        forge_scopes=installation.app.scopes,
    )
    return caller, installation


def _verify_hs256(
    token: str, secret: str, now: float, *, required: tuple[str, ...], noun: str = "JWT"
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={
                "require": list(required),
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError as error:
        raise AuthenticationError(f"The {noun} signature is invalid.") from error
    except jwt.MissingRequiredClaimError as error:
        raise AuthenticationError(f"The {noun} lacks the '{error.claim}' claim.") from error
    except jwt.PyJWTError as error:
        raise AuthenticationError(f"The {noun} is invalid.") from error
    # Time claims are checked here rather than by PyJWT so that the server's notion of "now" is
    # the only clock involved.
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise AuthenticationError(f"The {noun} time claims are malformed.")
    if expires <= now:
        raise AuthenticationError(f"The {noun} has expired.")
    if issued > now + _CLOCK_SLACK:
        raise AuthenticationError(f"The {noun} was issued in the future.")
    return claims


def exchange_assertion(
    form: Mapping[str, str],
    *,
    apps: InstalledApps,
    data: SiteData,
    site_base_url: str,
    audience: str,
    tokens: AccessTokens,
    lifetime: int,
    now: float,
) -> dict[str, Any]:
    """Check a user-impersonation assertion and return the token response body.

    Raises :class:`OAuthError` (400 for a bad grant or scope, 401 for an unknown client).
    """
    if form.get("grant_type") != JWT_BEARER_GRANT:
        raise OAuthError(400, "unsupported_grant_type", "Only the JWT bearer grant is supported.")
    assertion = form.get("assertion", "")
    if not assertion:
        raise OAuthError(400, "invalid_request", "The assertion is missing.")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise OAuthError(400, "invalid_grant", "The assertion is malformed.") from error
    if header.get("alg") != "HS256":
        raise OAuthError(400, "invalid_grant", "The assertion must be signed with HS256.")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer.startswith(CLIENT_ID_PREFIX):
        raise OAuthError(401, "invalid_client", "The assertion issuer is not a Connect client id.")
    app = apps.by_oauth_client_id(issuer[len(CLIENT_ID_PREFIX) :])
    if app is None:
        raise OAuthError(401, "invalid_client", "The assertion issuer is unknown.")
    try:
        claims = _verify_hs256(
            assertion,
            app.shared_secret,
            now,
            required=("iss", "sub", "aud", "tnt", "iat", "exp"),
            noun="assertion",
        )
    except AuthenticationError as error:
        raise OAuthError(400, "invalid_grant", str(error)) from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audience not in audiences:
        raise OAuthError(400, "invalid_grant", "The assertion audience is not this server.")
    if str(claims["tnt"]).rstrip("/") != site_base_url.rstrip("/"):
        raise OAuthError(400, "invalid_grant", "The assertion tenant is not this site.")
    subject = claims["sub"]
    account_id = ""
    if isinstance(subject, str) and subject.startswith(ACCOUNT_ID_PREFIX):
        account_id = subject[len(ACCOUNT_ID_PREFIX) :]
    user = data.user(account_id)
    if user is None or not user.active:
        raise OAuthError(400, "invalid_grant", "The assertion subject is not an active user.")
    if "ACT_AS_USER" not in app.scopes:
        raise OAuthError(
            400, "unauthorized_client", "The app's descriptor does not request ACT_AS_USER."
        )
    granted = _requested_scopes(form.get("scope"), app)
    grant = tokens.issue(app, account_id, granted, lifetime=lifetime, now=now)
    return {
        "access_token": grant.token,
        "expires_in": lifetime,
        "token_type": "Bearer",
        "scope": " ".join(sorted(granted)),
    }


def _requested_scopes(requested: str | None, app: InstalledApp) -> frozenset[str]:
    if requested is None or not requested.strip():
        return app.scopes
    scopes = frozenset(requested.split())
    unknown = scopes - CONNECT_SCOPES
    if unknown:
        raise OAuthError(400, "invalid_scope", "The request names scopes Connect does not know.")
    if not scopes <= app.scopes:
        raise OAuthError(400, "invalid_scope", "The request names scopes the app did not declare.")
    return scopes
