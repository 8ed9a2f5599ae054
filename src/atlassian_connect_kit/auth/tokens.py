"""Verify, mint and sign the JWTs of Atlassian Connect.

Each function fixes its algorithm (HS256 for tenant tokens, RS256 for signed installs) and never
takes it from the token, which is what defeats ``alg: none`` and key-confusion attacks. PyJWT checks
the signature only; the time claims are checked here so that the current time can be passed in
(``now``) and tests stay deterministic.

Every refusal raises :class:`TokenError`, whose text is a short fixed reason that is safe to log:
it never contains the token, a secret or the value of a claim.

Everything here is pure apart from reading the clock when ``now`` is not given.
"""

from __future__ import annotations

import binascii
import functools
import hmac
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from atlassian_connect_kit.auth.qsh import qsh_for_url

if TYPE_CHECKING:
    from jwt.types import Options

CONTEXT_QSH = "context-qsh"
"""The ``qsh`` of a context token: not bound to one request, accepted only where a route says so."""

KID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
"""The shape of an install key id that may be used to build the key's URL."""

DEFAULT_MAX_LIFETIME = 3600
"""The longest ``exp - iat`` an incoming token may have, in seconds (Jira's own live minutes)."""

OAUTH2_ISSUER_PREFIX = "urn:atlassian:connect:clientid:"
"""Prefix of the ``iss`` claim of a user-impersonation assertion, followed by the oauthClientId."""

OAUTH2_SUBJECT_PREFIX = "urn:atlassian:connect:useraccountid:"
"""Prefix of the ``sub`` claim of a user-impersonation assertion, followed by the accountId."""

_TENANT_ALGORITHM = "HS256"
_INSTALL_ALGORITHM = "RS256"
_AUTHORIZATION_SCHEME = "jwt"
_DEFAULT_PORTS = {"http": 80, "https": 443}

# PyJWT's own claim checks read the wall clock and know nothing of qsh; the checks below replace
# them, so PyJWT is left to verify the signature and the shape of the token only.
SIGNATURE_ONLY_OPTIONS: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}
"""PyJWT options that check the signature and the token's shape only; the claims are checked
here (and in ``auth.forge``), against a clock the caller may pass."""


class TokenError(Exception):
    """A token was refused. ``str()`` gives a short reason that is safe to log and to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenExpiredError(TokenError):
    """The token's ``exp`` has passed (beyond the leeway); a fresh token may succeed."""


class QshMismatchError(TokenError):
    """The token was issued for another request, or is a context token where none is accepted."""


def is_valid_kid(kid: object) -> bool:
    """Tell whether ``kid`` is an install key id safe to use in the key server's URL."""
    return isinstance(kid, str) and KID_PATTERN.fullmatch(kid) is not None and ".." not in kid


def token_from_request(query_jwt: str | None, authorization: str | None) -> str | None:
    """Return the JWT a request carries, or ``None`` when it carries none.

    The ``Authorization: JWT <token>`` header (scheme in any case) wins over the ``jwt`` query
    parameter; an ``Authorization`` header of another scheme is ignored.
    """
    if authorization:
        scheme_and_credentials = authorization.split(None, 1)
        if len(scheme_and_credentials) == 2:
            scheme, credentials = scheme_and_credentials
            if scheme.lower() == _AUTHORIZATION_SCHEME and credentials.strip():
                return credentials.strip()
    if query_jwt:
        return query_jwt
    return None


def unverified_header(token: str) -> dict[str, Any]:
    """Return the JOSE header of ``token`` without verifying anything.

    Only for choosing how to verify (for example reading ``kid``); raises :class:`TokenError` when
    the token is malformed.
    """
    _require_text_token(token)
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("malformed token") from None


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A compact JWS split and decoded once, its signature not yet checked.

    Authentication reads the issuer, then verifies the signature and the claims: parsing the
    token once serves both. Nothing in it may be trusted before :func:`verify_tenant_token`.
    """

    text: str = field(repr=False)
    header: dict[str, Any]
    claims: dict[str, Any] = field(repr=False)
    signing_input: bytes = field(repr=False)
    signature: bytes = field(repr=False)


def parse_token(token: str) -> ParsedToken:
    """Split and decode ``token`` (header, claims, signature) without verifying anything.

    Raises :class:`TokenError` ("malformed token") unless it is three base64url segments whose
    first two are JSON objects.
    """
    _require_text_token(token)
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    header_segment, payload_segment, signature_segment = parts
    try:
        signing_input = token[: len(token) - len(signature_segment) - 1].encode("ascii")
        header = _decoded_header(header_segment)
        claims = json.loads(_base64url_decode(payload_segment).decode("utf-8"))
        signature = _base64url_decode(signature_segment)
    except (ValueError, binascii.Error):
        raise TokenError("malformed token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("malformed token")
    return ParsedToken(token, header, claims, signing_input, signature)


@functools.lru_cache(maxsize=64)
def _decoded_header(segment: str) -> Any:
    # Every token of one signer carries the same header ({"alg":"HS256","typ":"JWT"}): decoded
    # once, shared (read-only) afterwards. Errors are raised, so refusals are never cached.
    return json.loads(_base64url_decode(segment).decode("utf-8"))


def unverified_issuer(token: str | ParsedToken) -> str:
    """Return the ``iss`` claim of ``token`` without verifying it, to find whose secret checks it.

    Raises :class:`TokenError` when the token is malformed or has no string ``iss``.
    """
    if isinstance(token, ParsedToken):
        claims = token.claims
    else:
        _require_text_token(token)
        claims = _unverified_claims(token)
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise TokenError("token has no issuer")
    return issuer


def verify_tenant_token(
    token: str | ParsedToken,
    *,
    shared_secret: str,
    client_key: str,
    expected_qsh: str,
    allow_context_qsh: bool,
    leeway: int = 30,
    max_lifetime: int = DEFAULT_MAX_LIFETIME,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a token the product (or the app's own page) sent for a tenant; return its claims.

    The token must be HS256 under the tenant's ``shared_secret``, carry ``exp``, ``iat``, ``iss``
    and ``qsh``, be issued by ``client_key``, and have either no ``aud`` or one that is (or
    contains) ``client_key``. Its ``qsh`` must equal ``expected_qsh``, the hash of the request
    actually received, or be :data:`CONTEXT_QSH` when ``allow_context_qsh`` is true. ``leeway``
    is in seconds; ``exp - iat`` may not exceed ``max_lifetime`` seconds. ``token`` may be given
    already parsed (:func:`parse_token`). Raises
    :class:`TokenError` on any refusal and ``ValueError`` when called without a secret or client
    key.
    """
    _require_nonempty(shared_secret=shared_secret, client_key=client_key)
    parsed = token if isinstance(token, ParsedToken) else parse_token(token)
    _check_hs256_signature(parsed, shared_secret)
    claims = parsed.claims
    _require_claims(claims, ("exp", "iat", "iss", "qsh"))
    _check_lifetime(claims, leeway=leeway, max_lifetime=max_lifetime, now=now)
    _check_issuer(claims, client_key)
    if "aud" in claims and not _audience_contains(claims["aud"], client_key, _same_text):
        raise TokenError("token audience is not this tenant")
    _check_qsh(claims, expected_qsh, allow_context_qsh=allow_context_qsh)
    if "sub" in claims and not isinstance(claims["sub"], str):
        raise TokenError("token subject is not a string")
    return claims


def verify_install_token(
    token: str,
    *,
    public_key_pem: bytes,
    app_base_url: str,
    client_key: str,
    expected_qsh: str,
    leeway: int = 30,
    max_lifetime: int = DEFAULT_MAX_LIFETIME,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify the RS256 token of a signed lifecycle callback (installed, uninstalled).

    The token must be RS256 under ``public_key_pem`` (fetched by its ``kid``), carry ``exp`` and
    ``iat`` (at most ``max_lifetime`` seconds apart), have an ``aud`` containing ``app_base_url``
    (trailing slashes ignored), be issued by ``client_key`` and have a ``qsh`` equal to
    ``expected_qsh``; context tokens are refused. Returns the claims; raises :class:`TokenError`
    on any refusal.
    """
    _require_nonempty(app_base_url=app_base_url, client_key=client_key)
    public_key = _load_rsa_public_key(public_key_pem)
    claims = _decode_verified(token, public_key, _INSTALL_ALGORITHM)
    _require_claims(claims, ("exp", "iat", "iss", "aud", "qsh"))
    _check_lifetime(claims, leeway=leeway, max_lifetime=max_lifetime, now=now)
    if not _audience_contains(claims["aud"], app_base_url, _same_url):
        raise TokenError("token audience is not this app")
    _check_issuer(claims, client_key)
    _check_qsh(claims, expected_qsh, allow_context_qsh=False)
    return claims


def mint_context_token(
    *,
    client_key: str,
    shared_secret: str,
    account_id: str | None,
    context: dict[str, Any] | None = None,
    lifetime_seconds: int = 300,
    now: float | None = None,
) -> str:
    """Mint a short-lived context token the app hands to its own page for calls back to itself.

    HS256 under the tenant's ``shared_secret``, issued as ``client_key`` so that it verifies like
    the product's own tokens, with ``sub`` set to ``account_id`` when there is a user and
    ``qsh`` set to :data:`CONTEXT_QSH`.
    """
    _require_nonempty(client_key=client_key, shared_secret=shared_secret)
    issued_at = _whole_seconds(now)
    claims: dict[str, Any] = {
        "iss": client_key,
        "iat": issued_at,
        "exp": issued_at + _positive_lifetime(lifetime_seconds),
        "qsh": CONTEXT_QSH,
    }
    if account_id is not None:
        claims["sub"] = account_id
    if context is not None:
        claims["context"] = context
    return jwt.encode(claims, shared_secret, algorithm=_TENANT_ALGORITHM)


def sign_request(
    *,
    app_key: str,
    shared_secret: str,
    method: str,
    url: str,
    tenant_base_url: str,
    lifetime_seconds: int = 180,
    now: float | None = None,
) -> str:
    """Return the JWT for the app's own call ``method url`` to a tenant's REST API.

    Issued as ``app_key`` (the descriptor key), HS256 under the tenant's ``shared_secret``, with a
    ``qsh`` computed relative to the path of ``tenant_base_url``. Raises ``ValueError`` when
    ``url`` is not on the origin (scheme, host and port) of ``tenant_base_url``: the tenant's
    secret must never sign a request bound elsewhere.
    """
    _require_nonempty(app_key=app_key, shared_secret=shared_secret)
    if url_origin(url) != url_origin(tenant_base_url):
        raise ValueError("refusing to sign a request outside the tenant's origin")
    issued_at = _whole_seconds(now)
    claims = {
        "iss": app_key,
        "iat": issued_at,
        "exp": issued_at + _positive_lifetime(lifetime_seconds),
        "qsh": qsh_for_url(method, url, tenant_base_url),
    }
    return jwt.encode(claims, shared_secret, algorithm=_TENANT_ALGORITHM)


def oauth2_assertion(
    *,
    oauth_client_id: str,
    account_id: str,
    tenant_base_url: str,
    shared_secret: str,
    audience: str,
    lifetime_seconds: int = 60,
    now: float | None = None,
) -> str:
    """Return the JWT-bearer assertion that exchanges for an access token acting as a user.

    Claims are exactly ``iss`` (``urn:atlassian:connect:clientid:<oauth_client_id>``), ``sub``
    (``urn:atlassian:connect:useraccountid:<account_id>``), ``tnt`` (``tenant_base_url``), ``aud``
    (``audience``, the authorization server), ``iat`` and ``exp``; HS256 under the tenant's
    ``shared_secret``.
    """
    _require_nonempty(
        oauth_client_id=oauth_client_id,
        account_id=account_id,
        tenant_base_url=tenant_base_url,
        shared_secret=shared_secret,
        audience=audience,
    )
    issued_at = _whole_seconds(now)
    claims = {
        "iss": OAUTH2_ISSUER_PREFIX + oauth_client_id,
        "sub": OAUTH2_SUBJECT_PREFIX + account_id,
        "tnt": tenant_base_url,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + _positive_lifetime(lifetime_seconds),
    }
    return jwt.encode(claims, shared_secret, algorithm=_TENANT_ALGORITHM)


def _require_text_token(token: object) -> None:
    if not isinstance(token, str) or not token:
        raise TokenError("malformed token")


def _require_nonempty(**values: str) -> None:
    # An empty secret would make every HMAC forgeable, an empty issuer would match nothing useful:
    # both are caller bugs, reported loudly rather than as a refused token.
    for name, value in values.items():
        if not value:
            raise ValueError(f"{name} must not be empty")


def _unverified_claims(token: str) -> dict[str, Any]:
    # Only the issuer is read from an unverified token, to pick the secret that verifies it, so
    # a plain base64 and JSON decode of the payload is enough; the signature is checked later.
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    try:
        claims = json.loads(_base64url_decode(parts[1]))
    except (ValueError, binascii.Error):
        raise TokenError("malformed token") from None
    if not isinstance(claims, dict):
        raise TokenError("malformed token")
    return claims


_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _base64url_decode(segment: str) -> bytes:
    # PyJWT's decoding (urlsafe_b64decode of the unpadded segment), without its layers of checks.
    # Translated as bytes: str.translate maps character by character through a dict, several
    # times slower on every token. Text that is not ASCII raises UnicodeEncodeError (a
    # ValueError), as a2b_base64 itself would.
    padded = segment + "=" * (-len(segment) % 4)
    return binascii.a2b_base64(padded.encode("ascii").translate(_URLSAFE_TO_STANDARD))


@functools.lru_cache(maxsize=256)
def _hs256_key(shared_secret: str) -> hmac.HMAC:
    # Keyed once per tenant secret and only ever copied, never updated (the copies are).
    return hmac.new(shared_secret.encode("utf-8"), digestmod="sha256")


def _check_hs256_signature(parsed: ParsedToken, shared_secret: str) -> None:
    # The algorithm is pinned here and never taken from the token (no "none", no RS256 key
    # confusion). PyJWT's HS256 check is this same HMAC and constant-time comparison; doing it on
    # the token parsed once saves decoding it again on every request.
    if parsed.header.get("alg") != _TENANT_ALGORITHM:
        raise TokenError(f"token is not signed with {_TENANT_ALGORITHM}")
    if "crit" in parsed.header:
        # RFC 7515: a token naming critical extensions must be refused by whoever knows none.
        raise TokenError("malformed token")
    # An HMAC object keyed once per secret and copied, rather than the one-shot hmac.digest:
    # the one-shot releases the GIL around OpenSSL's HMAC even for a few hundred bytes, and under
    # a threaded server every fresh token then waits to take it back behind the other requests.
    mac = _hs256_key(shared_secret).copy()
    mac.update(parsed.signing_input)
    expected = mac.digest()
    if not hmac.compare_digest(expected, parsed.signature):
        raise TokenError("token signature is invalid")


def _decode_verified(token: str, key: str | RSAPublicKey, algorithm: str) -> dict[str, Any]:
    _require_text_token(token)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[algorithm], options=SIGNATURE_ONLY_OPTIONS
        )
    except jwt.InvalidAlgorithmError:
        raise TokenError(f"token is not signed with {algorithm}") from None
    except jwt.InvalidSignatureError:
        raise TokenError("token signature is invalid") from None
    except jwt.PyJWTError:
        # PyJWT's messages can quote parts of the token, so none of them is passed on.
        raise TokenError("malformed token") from None
    return claims


def _load_rsa_public_key(public_key_pem: bytes) -> RSAPublicKey:
    try:
        public_key = load_pem_public_key(public_key_pem)
    except (ValueError, TypeError):
        raise TokenError("install key is not a PEM public key") from None
    if not isinstance(public_key, RSAPublicKey):
        raise TokenError("install key is not an RSA key")
    return public_key


def _require_claims(claims: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name not in claims:
            raise TokenError(f"token has no {name} claim")


def _numeric_claim(claims: dict[str, Any], name: str) -> int | float:
    value = claims[name]
    # bool is an int in Python, and the JSON parser accepts NaN and Infinity: neither is a time.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenError(f"token {name} claim is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise TokenError(f"token {name} claim is not a number")
    return value


def _check_lifetime(
    claims: dict[str, Any], *, leeway: int, max_lifetime: int, now: float | None
) -> None:
    if leeway < 0:
        raise ValueError("leeway must not be negative")
    if max_lifetime <= 0:
        raise ValueError("max_lifetime must be positive")
    current = time.time() if now is None else now
    expires_at = _numeric_claim(claims, "exp")
    issued_at = _numeric_claim(claims, "iat")
    if current >= expires_at + leeway:
        raise TokenExpiredError("token expired")
    if issued_at > current + leeway:
        raise TokenError("token issued in the future")
    # A token valid for years is a stolen token's best friend: refuse what Jira never issues.
    if expires_at - issued_at > max_lifetime:
        raise TokenError("token lifetime exceeds the allowed maximum")
    if "nbf" in claims and _numeric_claim(claims, "nbf") > current + leeway:
        raise TokenError("token not yet valid")


def _check_issuer(claims: dict[str, Any], client_key: str) -> None:
    if claims["iss"] != client_key:
        raise TokenError("token issuer does not match")


def _check_qsh(claims: dict[str, Any], expected_qsh: str, *, allow_context_qsh: bool) -> None:
    qsh = claims["qsh"]
    if not isinstance(qsh, str):
        raise TokenError("token qsh claim is not a string")
    if qsh == CONTEXT_QSH:
        if allow_context_qsh:
            return
        raise QshMismatchError("context token not accepted here")
    if not hmac.compare_digest(qsh.encode("utf-8"), expected_qsh.encode("utf-8")):
        raise QshMismatchError("query string hash mismatch")


def _same_text(claimed: str, expected: str) -> bool:
    return claimed == expected


def _same_url(claimed: str, expected: str) -> bool:
    return claimed.rstrip("/") == expected.rstrip("/")


def _audience_contains(
    audience: object, expected: str, matches: Callable[[str, str], bool]
) -> bool:
    candidates = [audience] if isinstance(audience, str) else audience
    if not isinstance(candidates, list):
        return False
    return any(isinstance(entry, str) and matches(entry, expected) for entry in candidates)


def url_origin(url: str) -> tuple[str, str, int]:
    """Return ``(scheme, host, port)`` of an absolute http(s) URL, the default port filled in.

    Two URLs are on the same origin exactly when these are equal; a JWT for a tenant is only ever
    signed for its own origin. Raises ``ValueError`` for anything but an absolute http(s) URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("expected an absolute http or https URL")
    port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
    return scheme, parts.hostname, port


def _whole_seconds(now: float | None) -> int:
    return math.floor(time.time() if now is None else now)


def _positive_lifetime(lifetime_seconds: int) -> int:
    if lifetime_seconds <= 0:
        raise ValueError("lifetime_seconds must be positive")
    return lifetime_seconds
