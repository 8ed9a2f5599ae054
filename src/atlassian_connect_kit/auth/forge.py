"""Verify Forge Invocation Tokens (FITs), the bearer tokens Forge sends to a Forge Remote.

A FIT is an RS256 JWT signed with a key from Forge's JWKS, issued by ``forge/invocation-token``
for an audience that is the app's id (``ari:cloud:ecosystem::app/<uuid>``). Its ``app`` claim says
which installation, site and module invoked the remote, ``principal`` which user (UI invocations
only), ``context`` what the module saw. :func:`verify_invocation_token` checks all of it and
returns a :class:`ForgeInvocation`; every refusal raises :class:`ForgeTokenError` (a
:class:`~atlassian_connect_kit.auth.tokens.TokenError`, answered 401) with a short reason that
never quotes the token or a claim's value. When the keys cannot be had,
:class:`~atlassian_connect_kit.auth.jwks.JwksUnavailable` passes through (answered 503).

The algorithm is fixed to RS256 and never read from the token, so ``alg: none`` and an HS256
token keyed with the published public key are refused before any key is used. Apart from the
key lookup and the clock (``now``), everything here is pure.

Sources: the Forge Remote essentials (the FIT claims and the verification duty), Atlassian's
reference validators (issuer, audience, RS256 only).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import jwt

from atlassian_connect_kit.auth.jwks import MAX_KID_LENGTH, SigningKeys, UnknownSigningKey
from atlassian_connect_kit.auth.tokens import SIGNATURE_ONLY_OPTIONS, TokenError

FIT_ISSUER = "forge/invocation-token"
"""The ``iss`` of every Forge Invocation Token."""

APP_ID_PATTERN = re.compile(r"^ari:cloud:ecosystem::app/[0-9a-fA-F-]{36}$")
"""A Forge app id: the app's ARI, as ``forge register`` writes it into the manifest."""

INSTALLATION_ID_PATTERN = re.compile(r"^ari:cloud:ecosystem::installation/[0-9a-fA-F-]{36}$")
"""A Forge installation id, as a FIT's ``app.installationId`` carries it."""

ATLASSIAN_API_HOSTS = frozenset({"api.atlassian.com", "api.stg.atlassian.com"})
"""Hosts an ``app.apiBaseUrl`` may name outside dev mode (production and Atlassian's staging)."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts an ``http`` ``app.apiBaseUrl`` may name in dev mode (the fake Jira site)."""

BEARER_SCHEME = "bearer"

_API_PATH = re.compile(r"^/ex/(?P<product>[a-z][a-z-]*)/(?P<cloud_id>[A-Za-z0-9-]{1,64})/?$")
_ALGORITHM = "RS256"
_REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "nbf", "jti", "app")
_MAX_TEXT = 1024


class ForgeTokenError(TokenError):
    """A Forge Invocation Token was refused; ``str()`` is a short reason, safe to log and show."""


@dataclass(frozen=True, slots=True)
class ForgeLicense:
    """The ``app.license`` claim: present for paid apps in production only.

    The kit exposes it and enforces nothing. ``active`` comes from ``active`` or its deprecated
    alias ``isActive``; ``raw`` holds every field as sent (read-only).
    """

    active: bool | None
    type: str | None
    is_evaluation: bool | None
    billing_period: str | None
    trial_end_date: str | None
    subscription_end_date: str | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ForgeInvocation:
    """What a verified Forge Invocation Token says about one invocation of the remote.

    ``installation_id`` keys everything the app keeps for the installation; ``cloud_id`` is the
    site (stable across reinstalls), ``api_base_url`` where its REST API is called
    (``https://api.atlassian.com/ex/jira/<cloudId>``, no trailing slash). ``principal`` is the
    invoking user's accountId, ``None`` for triggers and backend invocations. ``context`` is the
    module's context as sent (read-only, empty when none). ``expires_at`` and ``issued_at`` are
    the token's ``exp`` and ``iat``.
    """

    app_id: str
    installation_id: str
    cloud_id: str
    api_base_url: str
    principal: str | None
    module_key: str
    module_type: str
    environment_type: str
    environment_id: str
    app_version: str | None
    site_url: str | None
    license: ForgeLicense | None
    context: Mapping[str, Any]
    jti: str
    issued_at: int
    expires_at: int


def bearer_token(authorization: str | None) -> str | None:
    """Return the credentials of an ``Authorization: Bearer <token>`` header, else ``None``."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != BEARER_SCHEME or not credentials:
        return None
    return credentials


def is_app_id(value: object) -> bool:
    """Tell whether ``value`` is a Forge app id (``ari:cloud:ecosystem::app/<uuid>``)."""
    return isinstance(value, str) and APP_ID_PATTERN.fullmatch(value) is not None


def check_api_base_url(url: object, *, dev_mode: bool) -> tuple[str, str]:
    """Return ``(api_base_url, cloud_id)`` for a FIT's ``app.apiBaseUrl``, or raise.

    Outside dev mode it must be ``https://`` on an Atlassian API host
    (:data:`ATLASSIAN_API_HOSTS`, default port) with the path ``/ex/<product>/<cloudId>``; dev mode
    also allows ``http`` on a loopback host, where the fake site serves. A trailing slash is
    dropped. Raises :class:`ForgeTokenError`.
    """
    if not isinstance(url, str) or not url or len(url) > _MAX_TEXT:
        raise ForgeTokenError("token apiBaseUrl is missing")
    try:
        parts = urlsplit(url)  # an unclosed IPv6 bracket is refused here already
        port = parts.port
    except ValueError:
        raise ForgeTokenError("token apiBaseUrl is not a URL") from None
    host = parts.hostname or ""
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ForgeTokenError("token apiBaseUrl is not an Atlassian API URL")
    atlassian = parts.scheme == "https" and host in ATLASSIAN_API_HOSTS and port in (None, 443)
    loopback = dev_mode and parts.scheme in {"http", "https"} and host in LOOPBACK_HOSTS
    if not (atlassian or loopback):
        raise ForgeTokenError("token apiBaseUrl is not an Atlassian API URL")
    found = _API_PATH.fullmatch(parts.path)
    if found is None:
        raise ForgeTokenError("token apiBaseUrl is not an Atlassian API URL")
    return url.rstrip("/"), found.group("cloud_id")


def verify_invocation_token(
    token: str,
    *,
    keys: SigningKeys,
    app_id: str,
    leeway: int = 30,
    max_lifetime: int | None = None,
    dev_mode: bool = False,
    now: float | None = None,
) -> ForgeInvocation:
    """Verify a Forge Invocation Token for the app ``app_id`` and return what it says.

    Checks, in order: the header (``alg`` exactly RS256, a ``kid``), the signature under the key
    ``keys`` publishes for that kid, the claims ``iss`` (:data:`FIT_ISSUER`), ``aud`` (``app_id``),
    ``exp``/``iat``/``nbf`` (with ``leeway`` seconds of clock skew), the token's lifetime
    (``exp - iat`` at most ``max_lifetime`` seconds when given), ``jti``, and the ``app`` claim
    (its ``id`` equal to ``app_id``, an installation id, an Atlassian ``apiBaseUrl``, the module
    and environment). Raises :class:`ForgeTokenError` on any refusal and lets
    :class:`~atlassian_connect_kit.auth.jwks.JwksUnavailable` through.
    """
    if not is_app_id(app_id):
        raise ValueError("app_id must be a Forge app id (ari:cloud:ecosystem::app/<uuid>)")
    if leeway < 0:
        raise ValueError("leeway must not be negative")
    kid = _checked_header(token)
    try:
        key = keys.signing_key(kid)
    except UnknownSigningKey:
        raise ForgeTokenError("token signed by an unknown key") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options=SIGNATURE_ONLY_OPTIONS
        )
    except jwt.InvalidSignatureError:
        raise ForgeTokenError("token signature is invalid") from None
    except jwt.PyJWTError:
        # PyJWT's messages can quote parts of the token, so none of them is passed on.
        raise ForgeTokenError("malformed token") from None
    for name in _REQUIRED_CLAIMS:
        if name not in claims:
            raise ForgeTokenError(f"token has no {name} claim")
    if claims["iss"] != FIT_ISSUER:
        raise ForgeTokenError("token issuer is not Forge")
    if not _audience_is(claims["aud"], app_id):
        raise ForgeTokenError("token audience is not this app")
    issued_at, expires_at = _check_times(claims, leeway=leeway, max_lifetime=max_lifetime, now=now)
    jti = _text(claims["jti"], "jti")
    return _invocation(
        claims,
        app_id=app_id,
        dev_mode=dev_mode,
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
    )


class ForgeInvocationVerifier:
    """Verifies FITs for one app: :func:`verify_invocation_token` with its arguments bound.

    The view layer holds one per application (its keys cache is per process).
    """

    def __init__(
        self,
        keys: SigningKeys,
        *,
        app_id: str,
        leeway: int = 30,
        max_lifetime: int | None = None,
        dev_mode: bool = False,
    ) -> None:
        if not is_app_id(app_id):
            raise ValueError("app_id must be a Forge app id (ari:cloud:ecosystem::app/<uuid>)")
        self.keys = keys
        self.app_id = app_id
        self.leeway = leeway
        self.max_lifetime = max_lifetime
        self.dev_mode = dev_mode

    def verify(self, token: str, *, now: float | None = None) -> ForgeInvocation:
        """Verify ``token``; see :func:`verify_invocation_token`."""
        return verify_invocation_token(
            token,
            keys=self.keys,
            app_id=self.app_id,
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
            dev_mode=self.dev_mode,
            now=now,
        )


def _checked_header(token: object) -> str:
    if not isinstance(token, str) or token.count(".") != 2:
        raise ForgeTokenError("malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ForgeTokenError("malformed token") from None
    if header.get("alg") != _ALGORITHM:
        raise ForgeTokenError("token is not signed with RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        raise ForgeTokenError("token has no key id")
    return kid


def _audience_is(audience: object, app_id: str) -> bool:
    candidates = [audience] if isinstance(audience, str) else audience
    return isinstance(candidates, list) and app_id in [c for c in candidates if isinstance(c, str)]


def _number(claims: Mapping[str, Any], name: str) -> int:
    value = claims[name]
    # bool is an int in Python, and the JSON parser accepts NaN and Infinity: neither is a time.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ForgeTokenError(f"token {name} claim is not a number")
    return math.floor(value)


def _check_times(
    claims: Mapping[str, Any], *, leeway: int, max_lifetime: int | None, now: float | None
) -> tuple[int, int]:
    current = time.time() if now is None else now
    expires_at = _number(claims, "exp")
    issued_at = _number(claims, "iat")
    not_before = _number(claims, "nbf")
    if expires_at <= issued_at:
        raise ForgeTokenError("token expires before it was issued")
    if current >= expires_at + leeway:
        raise ForgeTokenError("token expired")
    if issued_at > current + leeway:
        raise ForgeTokenError("token issued in the future")
    if not_before > current + leeway:
        raise ForgeTokenError("token not yet valid")
    if max_lifetime is not None and expires_at - issued_at > max_lifetime:
        raise ForgeTokenError("token lifetime is too long")
    return issued_at, expires_at


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise ForgeTokenError(f"token {name} is missing")
    return value


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _object(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ForgeTokenError(f"token {name} is not an object")
    return value


def _invocation(
    claims: Mapping[str, Any],
    *,
    app_id: str,
    dev_mode: bool,
    jti: str,
    issued_at: int,
    expires_at: int,
) -> ForgeInvocation:
    app = _object(claims["app"], "app")
    if app.get("id") != app_id:
        raise ForgeTokenError("token app id is not this app")
    installation_id = _text(app.get("installationId"), "app.installationId")
    if INSTALLATION_ID_PATTERN.fullmatch(installation_id) is None:
        raise ForgeTokenError("token app.installationId is not an installation id")
    api_base_url, path_cloud_id = check_api_base_url(app.get("apiBaseUrl"), dev_mode=dev_mode)
    environment = _object(app.get("environment"), "app.environment")
    module = _object(app.get("module"), "app.module")
    context_claim = claims.get("context")
    context = _object(context_claim, "context") if context_claim is not None else {}
    cloud_id = _one_cloud_id(path_cloud_id, app, context, api_base_url)
    license_claim = app.get("license")
    # Forge leaves principal out for triggers and backend calls; an empty one means the same.
    principal = claims.get("principal") or None
    return ForgeInvocation(
        app_id=app_id,
        installation_id=installation_id,
        cloud_id=cloud_id,
        api_base_url=api_base_url,
        principal=_optional_text(principal, "principal"),
        module_key=_text(module.get("key"), "app.module.key"),
        module_type=_text(module.get("type"), "app.module.type"),
        environment_type=_text(environment.get("type"), "app.environment.type"),
        environment_id=_text(environment.get("id"), "app.environment.id"),
        app_version=_optional_text(app.get("appVersion"), "app.appVersion"),
        site_url=_optional_text(context.get("siteUrl"), "context.siteUrl"),
        license=_license(license_claim) if license_claim is not None else None,
        context=_frozen(context),
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
    )


def _one_cloud_id(
    path_cloud_id: str, app: Mapping[str, Any], context: Mapping[str, Any], api_base_url: str
) -> str:
    """The site's cloud id; every place the token names one must name the same."""
    named = [path_cloud_id]
    if context.get("cloudId") is not None:
        named.append(_text(context.get("cloudId"), "context.cloudId"))
    installation = app.get("installation")
    if installation is not None:
        contexts = _object(installation, "app.installation").get("contexts") or []
        if not isinstance(contexts, Sequence) or isinstance(contexts, str):
            raise ForgeTokenError("token app.installation.contexts is not a list")
        for entry in contexts:
            entry = _object(entry, "app.installation.contexts[]")
            base = entry.get("apiBaseUrl")
            if isinstance(base, str) and base.rstrip("/") != api_base_url:
                continue  # a context of another product of the same installation
            if entry.get("cloudId") is not None:
                named.append(_text(entry.get("cloudId"), "app.installation.contexts[].cloudId"))
    if len(set(named)) != 1:
        raise ForgeTokenError("token names more than one site")
    return path_cloud_id


def _license(value: object) -> ForgeLicense:
    claim = _object(value, "app.license")

    def flag(name: str) -> bool | None:
        found = claim.get(name)
        return found if isinstance(found, bool) else None

    def text(name: str) -> str | None:
        found = claim.get(name)
        return found if isinstance(found, str) else None

    active = flag("active")
    return ForgeLicense(
        active=active if active is not None else flag("isActive"),
        type=text("type"),
        is_evaluation=flag("isEvaluation"),
        billing_period=text("billingPeriod"),
        trial_end_date=text("trialEndDate"),
        subscription_end_date=text("subscriptionEndDate"),
        raw=_frozen(claim),
    )


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only deep copy: nested objects become read-only mappings, lists tuples."""

    def freeze(item: Any) -> Any:
        if isinstance(item, Mapping):
            return MappingProxyType({str(k): freeze(v) for k, v in item.items()})
        if isinstance(item, list | tuple):
            return tuple(freeze(v) for v in item)
        return item

    frozen: Mapping[str, Any] = freeze(value)
    return frozen
