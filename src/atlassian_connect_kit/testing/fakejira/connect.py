"""The product side of Atlassian Connect: what Jira sends to an app, signed the way Jira signs it.

- :class:`InstallKeys`: the RSA key pairs whose public halves the site serves by key id, as
  ``connect-install-keys.atlassian.com`` does, and which sign ``installed``/``uninstalled``.
- :class:`InstalledApp` and :class:`InstalledApps`: what the site knows about installed apps.
- Token minting: signed-install (RS256), shared-secret (HS256) and context tokens.
- :func:`signed_module_url`: the iframe URL Jira builds for a page module.
- :class:`LifecycleDriver`: posts the lifecycle callbacks to an app over HTTP, and keeps them
  (:class:`LifecycleCall`) so tests can replay what an eavesdropper would have captured.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.descriptor import SCOPES

SIGNED_TOKEN_LIFETIME = 180
"""Seconds a lifecycle or page-load token stays valid (Jira uses three minutes)."""

CONTEXT_TOKEN_LIFETIME = 900
"""Seconds a context token (``AP.context.getToken()``) stays valid."""

CONTEXT_QSH = "context-qsh"
"""The ``qsh`` of a context token, which is bound to no particular request."""

SERVER_VERSION = "100265"
"""``serverVersion`` of the lifecycle payloads."""

PLUGINS_VERSION = "1001.0.0-SNAPSHOT"
"""``pluginsVersion`` of the lifecycle payloads and ``cv`` of page URLs."""

# The scopes a descriptor may request: the ones the kit's own descriptor validation knows.
CONNECT_SCOPES = SCOPES
"""The scopes a Connect descriptor may request."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\}")
_HTTP_TIMEOUT = 30.0


class ConnectError(Exception):
    """The app could not be driven: its descriptor is missing, unreadable or incomplete."""


class InstallKeys:
    """RSA key pairs by key id; the newest signs, older ones stay served (keys never change).

    ``kid_prefix`` starts every key id (Forge names its keys ``forge/invocation-token/<uuid>``).
    """

    def __init__(self, *, kid_prefix: str = "") -> None:
        self._lock = threading.Lock()
        self._kid_prefix = kid_prefix
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._current = self.rotate()

    @property
    def current_kid(self) -> str:
        """The id of the key that signs new tokens."""
        return self._current

    def rotate(self) -> str:
        """Create a new key pair, make it the signing key and return its id."""
        kid = f"{self._kid_prefix}{uuid.uuid4()}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with self._lock:
            self._keys[kid] = key
            self._current = kid
        return kid

    def public_pem(self, kid: str) -> str | None:
        """The PEM public key for ``kid``, or ``None`` for an unknown id."""
        with self._lock:
            key = self._keys.get(kid)
        if key is None:
            return None
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def jwks(self) -> dict[str, Any]:
        """Every public key as a JSON Web Key Set (RS256 signing keys), the newest first."""
        with self._lock:
            keys = list(self._keys.items())
        entries = []
        for kid, key in reversed(keys):
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.pop("key_ops", None)  # "use" says the same; a JWK should carry only one of them
            entries.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": entries}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign ``claims`` with RS256 and the current key, naming it in the ``kid`` header."""
        with self._lock:
            kid = self._current
            key = self._keys[kid]
        return jwt.encode(dict(claims), key, algorithm="RS256", headers={"kid": kid})


@dataclass(frozen=True, slots=True)
class InstalledApp:
    """An app as the site knows it after an ``installed`` callback.

    ``app_base_url`` is where the site reaches the app; the descriptor's ``baseUrl`` (the
    ``audience``) may differ, for example when the app runs on an ephemeral port behind a public
    name. ``install_status`` is the HTTP status the app answered the latest ``installed`` with.
    ``installation_id`` is the Forge installation id the ``installed`` payload carried, for an app
    that adopted Forge (``None`` for a plain Connect install).
    """

    app_key: str
    client_key: str
    shared_secret: str
    oauth_client_id: str
    app_base_url: str
    descriptor: Mapping[str, Any]
    install_status: int
    installation_id: str | None = None

    @property
    def audience(self) -> str:
        """The app's descriptor ``baseUrl``: the ``aud`` of signed installs."""
        declared = self.descriptor.get("baseUrl")
        return declared if isinstance(declared, str) and declared else self.app_base_url

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes the descriptor requests, upper case."""
        declared = self.descriptor.get("scopes") or []
        return frozenset(str(scope).upper() for scope in declared)

    def lifecycle_path(self, event: str) -> str | None:
        """The descriptor's path for a lifecycle ``event``, or ``None`` when not declared."""
        lifecycle = self.descriptor.get("lifecycle") or {}
        path = lifecycle.get(event) if isinstance(lifecycle, Mapping) else None
        return path if isinstance(path, str) and path else None


class InstalledApps:
    """Thread-safe registry of installed apps; one installation per app key on a site."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_app_key: dict[str, InstalledApp] = {}

    def put(self, app: InstalledApp) -> InstalledApp | None:
        """Record ``app``, replacing and returning any earlier installation of its key."""
        with self._lock:
            previous = self._by_app_key.get(app.app_key)
            self._by_app_key[app.app_key] = app
            return previous

    def remove(self, app_key: str) -> InstalledApp | None:
        """Forget the app with this key and return what was known of it."""
        with self._lock:
            return self._by_app_key.pop(app_key, None)

    def by_app_key(self, app_key: str) -> InstalledApp | None:
        """The installation of this app key (the ``iss`` of the app's own JWTs)."""
        with self._lock:
            return self._by_app_key.get(app_key)

    def by_client_key(self, client_key: str) -> InstalledApp | None:
        """The installation with this clientKey."""
        with self._lock:
            return next(
                (app for app in self._by_app_key.values() if app.client_key == client_key), None
            )

    def by_oauth_client_id(self, oauth_client_id: str) -> InstalledApp | None:
        """The installation with this oauthClientId (named in user-impersonation assertions)."""
        with self._lock:
            return next(
                (
                    app
                    for app in self._by_app_key.values()
                    if app.oauth_client_id == oauth_client_id
                ),
                None,
            )

    def all(self) -> tuple[InstalledApp, ...]:
        """Every installed app."""
        with self._lock:
            return tuple(self._by_app_key.values())


def signed_install_token(
    keys: InstallKeys, *, client_key: str, audience: str, url: str, app_base_url: str, now: int
) -> str:
    """The RS256 token of an ``installed``/``uninstalled`` POST to ``url``."""
    return keys.sign(
        {
            "iss": client_key,
            "aud": [audience],
            "qsh": _qsh("POST", url, app_base_url),
            "iat": now,
            "exp": now + SIGNED_TOKEN_LIFETIME,
        }
    )


def shared_secret_token(
    app: InstalledApp, *, method: str, url: str, now: int, account_id: str | None = None
) -> str:
    """An HS256 token from the site to the app for a request to ``url`` (under the app)."""
    claims: dict[str, Any] = {
        "iss": app.client_key,
        "qsh": _qsh(method, url, app.app_base_url),
        "iat": now,
        "exp": now + SIGNED_TOKEN_LIFETIME,
        "context": {},
    }
    if account_id is not None:
        claims["sub"] = account_id
    return jwt.encode(claims, app.shared_secret, algorithm="HS256")


def context_token(app: InstalledApp, account_id: str | None, *, now: int) -> str:
    """A context token as ``AP.context.getToken()`` hands to the app's iframe."""
    claims: dict[str, Any] = {
        "iss": app.client_key,
        "aud": [app.client_key],
        "qsh": CONTEXT_QSH,
        "iat": now,
        "exp": now + CONTEXT_TOKEN_LIFETIME,
        "context": {},
    }
    if account_id is not None:
        claims["sub"] = account_id
    return jwt.encode(claims, app.shared_secret, algorithm="HS256")


def signed_module_url(
    app: InstalledApp,
    module_url: str,
    *,
    site_base_url: str,
    account_id: str | None,
    time_zone: str | None,
    locale: str,
    context: Mapping[str, str] | None,
    now: int,
) -> str:
    """The absolute iframe URL of a module, as Jira renders it into a page.

    ``module_url`` is the descriptor's URL, relative to the app's base URL; ``{name}``
    placeholders are replaced from ``context`` (URL-encoded; unknown ones become empty, as in
    Jira). Jira's context parameters are appended (``xdm_e`` the site's origin and ``cp`` its
    context path, so together they make the base URL; ``xdm_c``, ``xdi``, ``lic``, ``cv``, ``loc``,
    and ``tz`` when the viewer shows a zone), then a ``jwt`` whose ``qsh`` covers all of them.
    """
    if not module_url.startswith("/"):
        raise ValueError("module URLs are relative to the app's base URL and start with '/'")
    values = dict(context or {})
    expanded = _PLACEHOLDER.sub(
        lambda found: quote(values.get(found.group(1), ""), safe=""), module_url
    )
    path, _, own_query = expanded.partition("?")
    site = urlsplit(site_base_url)
    module_key = path.strip("/").replace("/", "-") or "root"
    parameters = [
        ("xdm_e", f"{site.scheme}://{site.netloc}"),
        ("xdm_c", f"channel-{app.app_key}__{module_key}"),
        ("cp", site.path.rstrip("/")),
        ("xdi", "false"),
        ("lic", "none"),
        ("cv", PLUGINS_VERSION),
        ("loc", locale.replace("_", "-")),
    ]
    if time_zone is not None:
        parameters.append(("tz", time_zone))
    added = "&".join(f"{name}={quote(value, safe='')}" for name, value in parameters)
    query = f"{own_query}&{added}" if own_query else added
    url = f"{app.app_base_url.rstrip('/')}{path}?{query}"
    token = shared_secret_token(app, method="GET", url=url, now=now, account_id=account_id)
    return f"{url}&jwt={token}"


def lifecycle_body(
    app: InstalledApp, event: str, *, site_base_url: str, with_secret: bool
) -> dict[str, Any]:
    """The JSON body of a lifecycle callback; only ``installed`` carries ``sharedSecret``."""
    body: dict[str, Any] = {
        "key": app.app_key,
        "clientKey": app.client_key,
        "serverVersion": SERVER_VERSION,
        "pluginsVersion": PLUGINS_VERSION,
        "baseUrl": site_base_url,
        "displayUrl": site_base_url,
        "productType": "jira",
        "description": f"Atlassian JIRA at {site_base_url}",
        "serviceEntitlementNumber": _entitlement_number(app.client_key),
        "oauthClientId": app.oauth_client_id,
        "eventType": event,
    }
    if with_secret:
        body["sharedSecret"] = app.shared_secret
    if app.installation_id is not None:
        body["installationId"] = app.installation_id
    return body


@dataclass(frozen=True, slots=True)
class LifecycleCall:
    """One lifecycle callback the site sent: where, with which token, which JSON body."""

    url: str
    token: str
    body: Mapping[str, Any]
    status: int


class LifecycleDriver:
    """Installs, enables, disables and uninstalls apps on behalf of one site."""

    def __init__(self, *, site_base_url: str, keys: InstallKeys, apps: InstalledApps) -> None:
        self._site_base_url = site_base_url
        self._keys = keys
        self._apps = apps
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._calls: list[LifecycleCall] = []
        self._signed_at: dict[tuple[str, str, str], int] = {}

    @property
    def calls(self) -> tuple[LifecycleCall, ...]:
        """Every lifecycle callback sent so far, oldest first (what an eavesdropper could see)."""
        with self._lock:
            return tuple(self._calls)

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    def install(
        self,
        app_base_url: str,
        *,
        descriptor: Mapping[str, Any] | None = None,
        client_key: str | None = None,
        installation_id: str | None = None,
    ) -> InstalledApp:
        """Send a signed ``installed`` callback and return the resulting installation.

        Without ``descriptor``, it is fetched from ``<app_base_url>/atlassian-connect.json``.
        Installing an app key again (upgrade) keeps its clientKey and oauthClientId and sends a
        fresh shared secret; ``client_key`` overrides the clientKey (a site import yields a new
        one). ``installation_id`` is sent as the payload's ``installationId``, as for an app that
        adopted Forge; a re-install keeps an earlier one. The site accepts the app's JWTs only
        once the app answered with a 2xx status.
        """
        if descriptor is None:
            descriptor = self._fetch_descriptor(app_base_url)
        app_key = descriptor.get("key")
        if not isinstance(app_key, str) or not app_key:
            raise ConnectError("the descriptor has no app key")
        previous = self._apps.by_app_key(app_key)
        app = InstalledApp(
            app_key=app_key,
            client_key=client_key or (previous.client_key if previous else f"jira:{uuid.uuid4()}"),
            shared_secret=secrets.token_urlsafe(48),
            oauth_client_id=previous.oauth_client_id if previous else secrets.token_hex(16),
            app_base_url=app_base_url.rstrip("/"),
            descriptor=dict(descriptor),
            install_status=0,
            installation_id=installation_id
            or (previous.installation_id if previous is not None else None),
        )
        path = app.lifecycle_path("installed")
        if path is None:
            raise ConnectError("the descriptor declares no lifecycle.installed callback")
        status = self._post_signed(app, "installed", path, with_secret=True)
        app = replace(app, install_status=status)
        if 200 <= status < 300:
            self._apps.put(app)
        return app

    def rotate_secret(self, app: InstalledApp) -> InstalledApp:
        """Re-install ``app`` with a new shared secret, as Atlassian rotates secrets."""
        return self.install(app.app_base_url, descriptor=app.descriptor, client_key=app.client_key)

    def enable(self, app: InstalledApp) -> int | None:
        """Send ``enabled`` (HS256); return the app's status, or ``None`` if not declared."""
        return self._post_shared_secret(app, "enabled")

    def disable(self, app: InstalledApp) -> int | None:
        """Send ``disabled`` (HS256); return the app's status, or ``None`` if not declared."""
        return self._post_shared_secret(app, "disabled")

    def uninstall(self, app: InstalledApp) -> int | None:
        """Send a signed ``uninstalled`` and forget the app whatever it answers.

        Returns the app's status, or ``None`` when the descriptor declares no such callback.
        """
        current = self._current(app)
        self._apps.remove(app.app_key)
        path = current.lifecycle_path("uninstalled")
        if path is None:
            return None
        return self._post_signed(current, "uninstalled", path, with_secret=False)

    def _current(self, app: InstalledApp) -> InstalledApp:
        # The caller may hold a record from before a secret rotation; the site signs with the
        # secret it knows now.
        known = self._apps.by_app_key(app.app_key)
        return known if known is not None and known.client_key == app.client_key else app

    def _post_signed(self, app: InstalledApp, event: str, path: str, *, with_secret: bool) -> int:
        url = app.app_base_url + path
        token = signed_install_token(
            self._keys,
            client_key=app.client_key,
            audience=app.audience,
            url=url,
            app_base_url=app.app_base_url,
            now=self._signing_second((app.client_key, app.audience, path)),
        )
        body = lifecycle_body(
            app, event, site_base_url=self._site_base_url, with_secret=with_secret
        )
        return self._post(url, body, token)

    def _post_shared_secret(self, app: InstalledApp, event: str) -> int | None:
        current = self._current(app)
        path = current.lifecycle_path(event)
        if path is None:
            return None
        url = current.app_base_url + path
        token = shared_secret_token(current, method="POST", url=url, now=int(time.time()))
        body = lifecycle_body(current, event, site_base_url=self._site_base_url, with_secret=False)
        return self._post(url, body, token)

    def _signing_second(self, signed: tuple[str, str, str]) -> int:
        # Jira signs each callback as it sends it. Two different callbacks with the same claims
        # (site, audience, path: several app servers may share one public URL) signed in the same
        # second would carry the very same token, which the app rightly refuses as a replay: like
        # the real site, never send them that close together.
        with self._lock:
            now = time.time()
            if self._signed_at.get(signed) == int(now):
                time.sleep(1 - now % 1)
                now = time.time()
            self._signed_at[signed] = int(now)
            return int(now)

    def _post(self, url: str, body: Mapping[str, Any], token: str) -> int:
        response = self._http.post(
            url, json=body, headers={"Authorization": f"JWT {token}"}, timeout=_HTTP_TIMEOUT
        )
        with self._lock:
            self._calls.append(LifecycleCall(url, token, dict(body), response.status_code))
        return response.status_code

    def _fetch_descriptor(self, app_base_url: str) -> Mapping[str, Any]:
        url = f"{app_base_url.rstrip('/')}/atlassian-connect.json"
        try:
            response = self._http.get(url, timeout=_HTTP_TIMEOUT)
            response.raise_for_status()
            descriptor = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ConnectError(f"could not read the descriptor at {url}: {error}") from error
        if not isinstance(descriptor, dict):
            raise ConnectError(f"the descriptor at {url} is not a JSON object")
        return descriptor


def _qsh(method: str, url: str, app_base_url: str) -> str:
    target = urlsplit(url)
    return query_string_hash(method, target.path, target.query, urlsplit(app_base_url).path)


def _entitlement_number(client_key: str) -> str:
    # Stable per installation, shaped like Atlassian's SEN numbers.
    return f"SEN-{uuid.uuid5(uuid.NAMESPACE_URL, client_key).int % 10**8:08d}"
