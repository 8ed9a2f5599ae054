"""The fake Jira Cloud site that tests, benchmarks and the demo talk to over real HTTP.

Typical use::

    with FakeJira(generate_site(1, start=date(2026, 3, 1), days=31)) as jira:
        app = jira.install("http://127.0.0.1:6543")
        ...  # point the app at jira.base_url and exercise it
        assert jira.count_requests("/rest/api/3/search/jql") == 1
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from types import TracebackType
from typing import Any

from atlassian_connect_kit.testing.fakejira import connect
from atlassian_connect_kit.testing.fakejira.auth import DEFAULT_OAUTH_AUDIENCE
from atlassian_connect_kit.testing.fakejira.connect import (
    InstalledApp,
    LifecycleCall,
    LifecycleDriver,
)
from atlassian_connect_kit.testing.fakejira.forge import (
    API_PREFIX,
    APP_TOKEN_LIFETIME,
    FIT_LIFETIME,
    INSTALLED_EVENT,
    JWKS_PATH,
    SYSTEM_TOKEN_SCOPE,
    UPGRADED_EVENT,
    USER_TOKEN_SCOPE,
    ForgeApp,
    ForgeInstallation,
    invocation_headers,
    invocation_token,
    new_installation_id,
)
from atlassian_connect_kit.testing.fakejira.forgeevents import (
    DELIVERY_TIMEOUT,
    RETRY_INTERVAL,
    DeliveryPolicy,
    ForgeDeliveries,
    ForgeDelivery,
)
from atlassian_connect_kit.testing.fakejira.generate import generate_site
from atlassian_connect_kit.testing.fakejira.model import SiteData
from atlassian_connect_kit.testing.fakejira.ratelimit import RateLimitConfig, RateLimiter
from atlassian_connect_kit.testing.fakejira.requestlog import Direction, RequestRecord
from atlassian_connect_kit.testing.fakejira.rest import forge_app_properties_owner
from atlassian_connect_kit.testing.fakejira.server import (
    INSTALL_KEYS_PATH,
    OAUTH2_TOKEN_PATH,
    FakeJiraApplication,
    RunningServer,
)
from atlassian_connect_kit.testing.fakejira.state import SiteState

DEFAULT_TOKEN_LIFETIME = 900
"""Seconds an OAuth 2.0 access token lives (``expires_in``), as Atlassian's server grants."""

_BASE_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def default_site() -> SiteData:
    """The site a :class:`FakeJira` serves when given none: small, fixed, spanning DST changes."""
    return generate_site(0, start=date(2026, 3, 1), days=61)


class FakeJira:
    """A fake Jira Cloud site listening on ``127.0.0.1`` on an ephemeral port.

    ``base_path`` (such as ``"/jira"``) puts the REST API below a path, as on sites whose base URL
    has one. ``rate_limit`` switches rate limiting on (off by default). ``latency`` delays every
    request by that many seconds. ``oauth_audience`` is the ``aud`` the OAuth 2.0 endpoint
    demands of assertions, ``token_lifetime`` the ``expires_in`` of the tokens it grants.
    ``forge_retry_interval`` and ``forge_delivery_timeout`` are how long Forge waits before
    redelivering a failed lifecycle event (60 s at Forge) and for a remote's answer (5 s).
    """

    def __init__(
        self,
        data: SiteData | None = None,
        *,
        base_path: str = "",
        rate_limit: RateLimitConfig | None = None,
        latency: float = 0.0,
        oauth_audience: str = DEFAULT_OAUTH_AUDIENCE,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        forge_retry_interval: float = RETRY_INTERVAL,
        forge_delivery_timeout: float = DELIVERY_TIMEOUT,
    ) -> None:
        normalized = base_path.rstrip("/")
        if not _BASE_PATH.match(normalized):
            raise ValueError("base_path must be empty or like '/jira'")
        self._state = SiteState(
            data if data is not None else default_site(),
            base_path=normalized,
            rate_limit=rate_limit,
            latency=latency,
            oauth_audience=oauth_audience,
            token_lifetime=token_lifetime,
        )
        self._server: RunningServer | None = None
        self._driver: LifecycleDriver | None = None
        self._deliveries = ForgeDeliveries(
            keys=self._state.forge_keys,
            tokens=self._state.forge_tokens,
            log=self._state.log,
            stopping=self._state.stopping,
            policy=DeliveryPolicy(
                retry_interval=forge_retry_interval, timeout=forge_delivery_timeout
            ),
        )

    # -- lifecycle of the server -------------------------------------------------------------

    def start(self) -> FakeJira:
        """Start listening; returns ``self`` so that ``FakeJira(...).start()`` reads well."""
        if self._server is not None:
            raise RuntimeError("the fake site is already running")
        self._state.stopping.clear()
        self._server = RunningServer(FakeJiraApplication(self._state))
        self._state.origin = f"http://127.0.0.1:{self._server.port}"
        self._driver = LifecycleDriver(
            site_base_url=self._state.base_url, keys=self._state.keys, apps=self._state.apps
        )
        return self

    def stop(self) -> None:
        """Stop listening; requests held by injected delays are released at once."""
        self._state.stopping.set()
        self._deliveries.close()
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where the site is ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The site's base URL, e.g. ``http://127.0.0.1:50123/jira`` (no trailing slash)."""
        self._require_running()
        return self._state.base_url

    @property
    def base_path(self) -> str:
        """The path part of :attr:`base_url` (``""`` or like ``/jira``)."""
        return self._state.base_path

    @property
    def install_keys_url(self) -> str:
        """Where install public keys are served; a key is at ``<this>/<kid>``."""
        self._require_running()
        return self._state.origin + INSTALL_KEYS_PATH

    @property
    def oauth2_token_url(self) -> str:
        """The OAuth 2.0 token endpoint for user impersonation."""
        self._require_running()
        return self._state.origin + OAUTH2_TOKEN_PATH

    @property
    def oauth_audience(self) -> str:
        """The ``aud`` the token endpoint demands of assertions."""
        return self._state.oauth_audience

    @property
    def install_key_id(self) -> str:
        """The ``kid`` of the key that signs installs now."""
        return self._state.keys.current_kid

    @property
    def data(self) -> SiteData:
        """What the site serves."""
        return self._state.data

    @data.setter
    def data(self, data: SiteData) -> None:
        # One reference assignment: requests in flight keep the site they started with.
        self._state.data = data

    # -- Connect lifecycle and what Jira sends to apps ----------------------------------------

    def install(
        self,
        app_base_url: str,
        *,
        descriptor: Mapping[str, Any] | None = None,
        client_key: str | None = None,
        installation_id: str | None = None,
    ) -> InstalledApp:
        """Install an app: send it a signed ``installed`` callback, as Jira does.

        The descriptor is fetched from ``<app_base_url>/atlassian-connect.json`` unless given.
        The returned record's ``install_status`` is the app's answer; only a 2xx answer makes the
        site accept the app's requests. Reinstalling an app key keeps its clientKey unless
        ``client_key`` says otherwise. ``installation_id`` (a Forge installation id) is sent as
        the payload's ``installationId``, as for an app that adopted Forge (see also
        :meth:`forge_install`'s ``adopt``). ``enabled`` is not sent; call :meth:`enable`.
        """
        return self._lifecycle().install(
            app_base_url,
            descriptor=descriptor,
            client_key=client_key,
            installation_id=installation_id,
        )

    def rotate_secret(self, app: InstalledApp) -> InstalledApp:
        """Send a signed re-install carrying a new shared secret; return the new record."""
        return self._lifecycle().rotate_secret(app)

    def enable(self, app: InstalledApp) -> int | None:
        """Send ``enabled``; the app's HTTP status, or ``None`` if it declares no such callback."""
        return self._lifecycle().enable(app)

    def disable(self, app: InstalledApp) -> int | None:
        """Send ``disabled``; the app's HTTP status, or ``None`` if it declares no such callback."""
        return self._lifecycle().disable(app)

    def uninstall(self, app: InstalledApp) -> int | None:
        """Send a signed ``uninstalled`` and forget the app and its users' access tokens."""
        status = self._lifecycle().uninstall(app)
        self._state.tokens.revoke_client(app.client_key)
        return status

    @property
    def lifecycle_calls(self) -> tuple[LifecycleCall, ...]:
        """Every lifecycle callback the site sent (URL, token, body, the app's status), in order."""
        return self._lifecycle().calls

    @property
    def installed_apps(self) -> tuple[InstalledApp, ...]:
        """The apps installed now, with their current shared secrets."""
        return self._state.apps.all()

    def new_install_key(self) -> str:
        """Start signing installs with a fresh RSA key (older keys stay served); return its kid."""
        return self._state.keys.rotate()

    def signed_url(
        self,
        app: InstalledApp,
        module_url: str,
        *,
        account_id: str | None,
        context: Mapping[str, str] | None = None,
    ) -> str:
        """The absolute iframe URL Jira would load for a module, with its JWT.

        ``module_url`` is the descriptor's module URL relative to the app's base URL;
        ``{placeholders}`` such as ``{project.key}`` are filled from ``context``.
        ``account_id`` is the viewer (``None`` for an anonymous one).
        """
        user = self.data.user(account_id) if account_id is not None else None
        return connect.signed_module_url(
            self._current(app),
            module_url,
            site_base_url=self.base_url,
            account_id=account_id,
            time_zone=user.time_zone if user is not None else None,
            locale=user.locale if user is not None else "en_US",
            context=context,
            now=int(time.time()),
        )

    def context_token(self, app: InstalledApp, account_id: str | None) -> str:
        """A context token (``qsh`` ``"context-qsh"``) as ``AP.context.getToken()`` returns."""
        return connect.context_token(self._current(app), account_id, now=int(time.time()))

    def access_token(
        self, app: InstalledApp, account_id: str, *, scopes: Sequence[str] | None = None
    ) -> str:
        """A bearer token acting as ``account_id``, without the OAuth 2.0 round trip.

        For tests that exercise user visibility without an assertion; ``scopes`` default to the
        app's descriptor scopes.
        """
        if self.data.user(account_id) is None:
            raise ValueError("no such user on this site")
        granted = frozenset(scopes) if scopes is not None else self._current(app).scopes
        grant = self._state.tokens.issue(
            self._current(app),
            account_id,
            granted,
            lifetime=self._state.token_lifetime,
            now=time.time(),
        )
        return grant.token

    # -- Forge --------------------------------------------------------------------------------

    @property
    def cloud_id(self) -> str:
        """The site's cloud id, as Forge names the site."""
        return self._state.cloud_id

    @property
    def forge_jwks_url(self) -> str:
        """Where the keys that sign Forge Invocation Tokens are published (a JWKS)."""
        self._require_running()
        return self._state.origin + JWKS_PATH

    @property
    def forge_api_base_url(self) -> str:
        """The API gateway URL of this site (``<origin>/ex/jira/<cloudId>``), a FIT's apiBaseUrl."""
        self._require_running()
        return f"{self._state.origin}{API_PREFIX}{self._state.cloud_id}"

    @property
    def forge_key_id(self) -> str:
        """The ``kid`` of the key that signs Forge Invocation Tokens now."""
        return self._state.forge_keys.current_kid

    def new_forge_key(self) -> str:
        """Sign FITs with a fresh RSA key from now on (older keys stay published); its kid."""
        return self._state.forge_keys.rotate()

    def forge_install(
        self,
        manifest: Mapping[str, Any],
        *,
        remote_base_url: str | None = None,
        environment_type: str = "PRODUCTION",
        app_version: str = "1.0.0",
        license: Mapping[str, Any] | None = None,
        installer_account_id: str | None = None,
        adopt: InstalledApp | None = None,
    ) -> ForgeInstallation:
        """Install a Forge app from its manifest (parsed YAML) and deliver ``installed`` to it.

        ``remote_base_url`` replaces the base URL of every remote (the app under test listens on
        an ephemeral port). ``license`` becomes the FITs' ``app.license``. ``adopt`` names the
        Connect installation of the same app (``app.connect.key``) that now adopts Forge: it is
        sent a signed ``installed`` whose payload carries the new ``installationId``. Then the
        ``avi:forge:installed:app`` event is delivered to the endpoints subscribed to it, with
        Forge's retries (:attr:`forge_deliveries` records every attempt). Returns the installation.
        """
        app = ForgeApp.from_manifest(manifest, remote_base_url=remote_base_url)
        if adopt is not None and app.connect_key != adopt.app_key:
            raise ValueError("the manifest's app.connect.key is not the adopted app's key")
        app_uuid = app.app_id.rsplit("/", 1)[-1]
        environment_uuid = uuid.uuid5(uuid.NAMESPACE_URL, app.app_id + environment_type)
        installation = ForgeInstallation(
            app=app,
            installation_id=new_installation_id(),
            cloud_id=self.cloud_id,
            api_base_url=self.forge_api_base_url,
            site_url=self.base_url,
            environment_type=environment_type,
            environment_id=f"ari:cloud:ecosystem::environment/{app_uuid}/{environment_uuid}",
            app_version=app_version,
            license=dict(license) if license is not None else None,
            installer_account_id=installer_account_id,
        )
        self._state.forge_installations.put(installation)
        if adopt is not None:
            self._lifecycle().install(
                adopt.app_base_url,
                descriptor=adopt.descriptor,
                client_key=adopt.client_key,
                installation_id=installation.installation_id,
            )
        self._deliveries.deliver_event(
            installation, INSTALLED_EVENT, account_id=installer_account_id
        )
        return installation

    def forge_upgrade(
        self,
        installation: ForgeInstallation,
        *,
        manifest: Mapping[str, Any] | None = None,
        remote_base_url: str | None = None,
        app_version: str | None = None,
        upgrader_account_id: str | None = None,
    ) -> ForgeInstallation:
        """Upgrade an installation (a new major version) and deliver ``avi:forge:upgraded:app``.

        A new ``manifest`` replaces the app's remotes, endpoints and scopes. Returns the
        upgraded installation (same installation id).
        """
        current = self._forge_current(installation)
        app = current.app
        if manifest is not None:
            app = ForgeApp.from_manifest(manifest, remote_base_url=remote_base_url)
        upgraded = replace(current, app=app, app_version=app_version or current.app_version)
        self._state.forge_installations.put(upgraded)
        self._deliveries.deliver_event(upgraded, UPGRADED_EVENT, account_id=upgrader_account_id)
        return upgraded

    def forge_uninstall(self, installation: ForgeInstallation) -> list[ForgeDelivery]:
        """Uninstall: call the ``preUninstall`` endpoints once, then forget the installation and
        revoke its tokens (no lifecycle event follows, as at Forge). Returns the calls made."""
        current = self._forge_current(installation)
        calls = self._deliveries.call_pre_uninstall(current)
        self._state.forge_installations.remove(current.installation_id)
        self._state.forge_tokens.revoke_installation(current.installation_id)
        return calls

    @property
    def forge_installations(self) -> tuple[ForgeInstallation, ...]:
        """The Forge installations on the site now."""
        return self._state.forge_installations.all()

    def forge_invocation_token(
        self,
        installation: ForgeInstallation,
        *,
        account_id: str | None = None,
        module_key: str = "forge-remote",
        module_type: str = "core:endpoint",
        context: Mapping[str, Any] | None = None,
        lifetime: int = FIT_LIFETIME,
        issued_at: int | None = None,
    ) -> str:
        """A Forge Invocation Token for a call to the app's remote, signed as Forge signs it.

        ``account_id`` is the ``principal`` (the user in a UI module; ``None`` for backend calls
        and triggers). Without ``context``, a UI invocation gets the module context Forge sends
        (``cloudId``, ``siteUrl``, ``moduleKey``, ``localId``, ``extension.type``) and a backend
        one none. ``issued_at`` (Unix seconds, default now) dates the token, for clock skew.
        """
        current = self._forge_current(installation)
        if context is None and account_id is not None:
            context = {
                "cloudId": current.cloud_id,
                "siteUrl": current.site_url,
                "moduleKey": module_key,
                "localId": str(uuid.uuid4()),
                "extension": {"type": module_type},
            }
        return invocation_token(
            self._state.forge_keys,
            current,
            module_key=module_key,
            module_type=module_type,
            principal=account_id,
            context=context,
            lifetime=lifetime,
            now=issued_at,
        )

    def forge_user_token(
        self,
        installation: ForgeInstallation,
        account_id: str,
        *,
        lifetime: int = APP_TOKEN_LIFETIME,
    ) -> str:
        """An app user token: the site answers it as ``account_id``, with Jira's permissions.

        Raises ``ValueError`` for a user the site does not have (or an inactive one) and
        :class:`~atlassian_connect_kit.testing.fakejira.forge.ForgeError` when the manifest
        lacks ``read:app-user-token``.
        """
        user = self.data.user(account_id)
        if user is None or not user.active:
            raise ValueError("no such active user on this site")
        return self._state.forge_tokens.issue(
            self._forge_current(installation), account_id, lifetime=lifetime
        )

    def forge_system_token(
        self, installation: ForgeInstallation, *, lifetime: int = APP_TOKEN_LIFETIME
    ) -> str:
        """An app system token: the site answers it as the app (every project visible)."""
        return self._state.forge_tokens.issue(
            self._forge_current(installation), None, lifetime=lifetime
        )

    def revoke_forge_token(self, token: str) -> None:
        """Make an app user or system token invalid (the site answers it 401)."""
        self._state.forge_tokens.revoke(token)

    def forge_invocation_headers(
        self,
        installation: ForgeInstallation,
        endpoint: str,
        *,
        account_id: str | None = None,
        module_key: str | None = None,
        module_type: str = "jira:globalPage",
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        """The headers Forge sends with a UI module's call to the remote through ``endpoint``.

        A FIT (``principal`` = ``account_id``), the trace ids, and the app tokens the endpoint's
        ``auth`` asks for and the app's scopes allow: the system token, and the user token only
        with a user in session.
        """
        current = self._forge_current(installation)
        auth = current.app.endpoints[endpoint]
        fit = self.forge_invocation_token(
            current,
            account_id=account_id,
            module_key=module_key or endpoint,
            module_type=module_type,
            context=context,
        )
        scopes = current.app.scopes
        system = None
        if auth.system_token and SYSTEM_TOKEN_SCOPE in scopes:
            system = self.forge_system_token(current)
        user = None
        if auth.user_token and account_id is not None and USER_TOKEN_SCOPE in scopes:
            user = self.forge_user_token(current, account_id)
        return invocation_headers(fit, system_token=system, user_token=user)

    @property
    def forge_deliveries(self) -> list[ForgeDelivery]:
        """Every attempt to deliver a Forge lifecycle event or preUninstall call, oldest first."""
        return self._deliveries.records

    def clear_forge_deliveries(self) -> None:
        """Forget the recorded Forge deliveries."""
        self._deliveries.clear()

    def set_forge_delivery(
        self,
        *,
        retry_interval: float | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        """Change how Forge delivers events: the wait between attempts, the remote's timeout,
        and the redeliveries after the first (4 at Forge)."""
        policy = self._deliveries.policy
        if retry_interval is not None:
            policy.retry_interval = retry_interval
        if timeout is not None:
            policy.timeout = timeout
        if max_retries is not None:
            policy.max_retries = max_retries

    def _forge_current(self, installation: ForgeInstallation) -> ForgeInstallation:
        current = self._state.forge_installations.get(installation.installation_id)
        if current is None:
            raise ValueError("that Forge installation is not on this site")
        return current

    # -- misbehaviour on demand -----------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        """Delay every following request by ``seconds``."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self._state.latency = seconds

    def inject_failures(
        self,
        path_prefix: str,
        statuses: Sequence[int],
        retry_after: Sequence[str | None] | None = None,
        *,
        method: str | None = None,
    ) -> None:
        """Make the next ``len(statuses)`` requests at or below ``path_prefix`` fail in order.

        ``path_prefix`` is relative to the base URL (``/rest/api/3/search/jql``);
        ``retry_after`` gives each failure's ``Retry-After`` header (``None`` sends none).
        """
        self._state.faults.add_failures(path_prefix, statuses, retry_after, method=method)

    def inject_delay(
        self, path_prefix: str, seconds: float, *, count: int = 1, method: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests for ``seconds``: longer than a client's
        timeout makes it hang from the client's point of view."""
        self._state.faults.add_delay(path_prefix, seconds, count=count, method=method)

    def clear_faults(self) -> None:
        """Drop every injected failure and delay still pending."""
        self._state.faults.clear()

    def set_rate_limit(self, config: RateLimitConfig | None) -> None:
        """Switch rate limiting on with fresh budgets (``config``) or off (``None``)."""
        self._state.rate_limiter = RateLimiter(config) if config is not None else None

    # -- what happened ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered since start or the last :meth:`clear_requests`, oldest first."""
        return self._state.log.snapshot()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._state.log.clear()

    def count_requests(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        direction: Direction = "received",
    ) -> int:
        """Count recorded requests at or below ``path`` (relative to the base URL); with
        ``direction="sent"``, the Forge deliveries the site made, by their path at the app."""
        return self._state.log.count(path, method=method, status=status, direction=direction)

    def request_counts(self) -> Counter[str]:
        """How often each ``"METHOD /path"`` was requested."""
        return self._state.log.counts_by_endpoint()

    def user_property(self, account_id: str, key: str) -> Any:
        """The value stored in a user property through the REST API (``None`` when absent)."""
        return self._state.properties.get(account_id, key)[1]

    def forge_app_property(self, installation: ForgeInstallation, key: str) -> Any:
        """The value a Forge app stored in one of its app properties through
        ``/rest/forge/1/app/properties`` on this installation (``None`` when absent)."""
        owner = forge_app_properties_owner(installation.installation_id)
        return self._state.app_properties.get(owner, key)[1]

    def add_dashboard(self, owner: str, *, shared: bool = False) -> str:
        """A new dashboard owned by ``owner`` (viewable by every signed-in user when ``shared``);
        returns its id."""
        if self.data.user(owner) is None:
            raise ValueError("no such user on this site")
        return self._state.dashboards.add(owner, shared=shared).dashboard_id

    def add_dashboard_item(self, dashboard_id: str, module_key: str) -> str:
        """Add an app's gadget (``module_key``) to a dashboard, as a user does in Jira's UI;
        returns the item's id (Jira has no REST resource for this)."""
        if self._state.dashboards.get(dashboard_id) is None:
            raise ValueError("no such dashboard on this site")
        return self._state.dashboards.add_item(dashboard_id, module_key)

    def dashboard_item_property(self, dashboard_id: str, item_id: str, key: str) -> Any:
        """The value stored in a dashboard item property (``None`` when absent)."""
        return self._state.dashboards.property(dashboard_id, item_id, key)[1]

    # -- helpers ------------------------------------------------------------------------------

    def _lifecycle(self) -> LifecycleDriver:
        self._require_running()
        assert self._driver is not None
        return self._driver

    def _current(self, app: InstalledApp) -> InstalledApp:
        # Sign with the secret the site holds now, even if the caller kept an older record.
        known = self._state.apps.by_app_key(app.app_key)
        return known if known is not None and known.client_key == app.client_key else app

    def _require_running(self) -> None:
        if self._server is None:
            raise RuntimeError("start the fake site first (start() or a with block)")
