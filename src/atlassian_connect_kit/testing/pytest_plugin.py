"""Pytest fixtures for testing add-ons built on atlassian-connect-kit against a fake Jira Cloud.

An add-on's test suite enables them in its ``conftest.py`` with
``pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]``; the kit registers no
``pytest11`` entry point, so they stay out of every other pytest run (docs/decisions.md says why).
They need only pytest besides the kit: ``pip install 'atlassian-connect-kit[testing]'``.
Override ``ack_plugins`` (entry-point names) or ``ack_extra_plugins`` (plugin objects) to choose
what the app under test runs, ``fake_jira_site`` to choose the data. Forge Remote invocations
are made with ``forge_invoke`` (the app installed through Forge by ``forge_installation``). See
docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported lazily below: enabling the plugin should cost a test run nothing until a test
    # asks for a fixture, so the fake site and the app load only for the tests that use them.
    import requests

    from atlassian_connect_kit.testing.fakejira import FakeJira, ForgeInstallation, SiteData
    from atlassian_connect_kit.testing.fakejira.connect import InstalledApp
    from atlassian_connect_kit.testing.server import AppServer


@pytest.fixture
def fake_jira_site() -> SiteData:
    """The synthetic Jira data the fake site serves (small, deterministic)."""
    from atlassian_connect_kit.testing.fakejira import generate_site

    return generate_site(seed=7, start=date(2026, 1, 5), days=28)


@pytest.fixture
def fake_jira(fake_jira_site: SiteData) -> Iterator[FakeJira]:
    """A fake Jira Cloud site on 127.0.0.1, started for the test and stopped after it."""
    from atlassian_connect_kit.testing.fakejira import FakeJira

    with FakeJira(fake_jira_site) as site:
        yield site


@pytest.fixture
def ack_plugins() -> Sequence[str]:
    """Entry-point names of the plugins the app under test enables (``ack.plugins``)."""
    return ()


@pytest.fixture
def ack_extra_plugins() -> Sequence[object]:
    """Plugin objects registered directly into the app under test (not through entry points)."""
    return ()


FORGE_TEST_APP_ID = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-00000000ac4e"
"""The Forge app id the app under test is given (``ack.forge.app_id``)."""


@pytest.fixture
def ack_settings(tmp_path: Path, fake_jira: FakeJira, ack_plugins: Sequence[str]) -> dict[str, Any]:
    """Settings for the app under test: dev mode, a fresh SQLite file and key, the fake site.

    Forge is set up too: a test app id and the fake site's JWKS, so ``forge_invoke`` works.
    """
    from atlassian_connect_kit.storage.crypto import generate_key_line

    return {
        "ack.forge.app_id": FORGE_TEST_APP_ID,
        "ack.forge.jwks_url": fake_jira.forge_jwks_url,
        "ack.dev_mode": "true",
        "ack.plugins": " ".join(ack_plugins),
        "ack.encryption_keys": generate_key_line(),
        "ack.install_keys_url": fake_jira.install_keys_url,
        "ack.oauth2_token_url": fake_jira.oauth2_token_url,
        "ack.oauth2_audience": fake_jira.oauth_audience,
        "ack.host.max_wait_seconds": "5",
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        "here": str(tmp_path),
    }


@pytest.fixture
def ack_server(
    ack_settings: Mapping[str, Any], ack_extra_plugins: Sequence[object]
) -> Iterator[AppServer]:
    """The app under test, served over HTTP on an ephemeral 127.0.0.1 port."""
    from atlassian_connect_kit.testing.server import serve_kit_app

    server = serve_kit_app(ack_settings, plugins=ack_extra_plugins)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def installed_tenant(fake_jira: FakeJira, ack_server: AppServer) -> InstalledApp:
    """The app installed into the fake site through the real signed lifecycle, and enabled."""
    app = fake_jira.install(ack_server.base_url)
    assert 200 <= app.install_status < 300, f"install answered {app.install_status}"
    assert fake_jira.enable(app) in (200, 204, None)
    return app


@pytest.fixture
def signed_page_url(fake_jira: FakeJira, installed_tenant: InstalledApp) -> Callable[..., str]:
    """Return a factory of iframe URLs signed the way Jira signs them for a module and user.

    ``signed_page_url("/my-page", account_id=...)``; without an account id, the site's first
    active user opens the page; ``anonymous=True`` signs it for an anonymous visitor (no ``sub``),
    as Jira does on sites that allow anonymous access.
    """

    def factory(
        module_url: str, *, account_id: str | None = None, anonymous: bool = False, **context: str
    ) -> str:
        user = None if anonymous else account_id or _first_active_user(fake_jira)
        return fake_jira.signed_url(installed_tenant, module_url, account_id=user, context=context)

    return factory


def _first_active_user(fake_jira: FakeJira) -> str:
    return next(user for user in fake_jira.data.users if user.active).account_id


@pytest.fixture
def forge_manifest(
    ack_server: AppServer, ack_settings: Mapping[str, Any], ack_extra_plugins: Sequence[object]
) -> dict[str, Any]:
    """The Forge manifest ``ack manifest`` renders for the app under test (at its real URL)."""
    from atlassian_connect_kit.manifest import build_manifest
    from atlassian_connect_kit.plugins import make_plugin_manager
    from atlassian_connect_kit.settings import load_settings

    raw = {**ack_settings, "ack.base_url": ack_server.base_url}
    settings = load_settings(raw, here=raw.get("here"))
    pm = make_plugin_manager(settings.plugins, extra_plugins=ack_extra_plugins)
    return build_manifest(settings, pm)


@pytest.fixture
def forge_installation(
    fake_jira: FakeJira, ack_server: AppServer, forge_manifest: Mapping[str, Any]
) -> ForgeInstallation:
    """The app installed into the fake site through Forge from :func:`forge_manifest`; Forge's
    ``installed`` event has been delivered to ``/forge/lifecycle`` (and answered 2xx)."""
    # Forge redelivers a failed event a minute later; a failing test should fail sooner.
    fake_jira.set_forge_delivery(retry_interval=0.05)
    installation = fake_jira.forge_install(forge_manifest, remote_base_url=ack_server.base_url)
    failed = [d for d in fake_jira.forge_deliveries if d.failure is not None]
    assert not failed, f"the installed event answered {failed[0].status}"
    return installation


@pytest.fixture
def forge_invoke(
    fake_jira: FakeJira, ack_server: AppServer, forge_installation: ForgeInstallation
) -> Callable[..., requests.Response]:
    """Return a function that invokes the app's remote the way a Forge UI module does.

    ``forge_invoke("/timesheet/api/report", user=account_id, params={...})`` sends a request to
    the app under test with a Forge Invocation Token whose ``principal`` is ``user`` and the app
    tokens Forge sends (the user token only with a user), and returns the ``requests`` response.
    ``user=None`` invokes without a user (as a backend function does); ``method``, ``json`` and
    ``headers`` (added or replacing, ``None`` values removing) shape the request.
    """
    import requests

    from atlassian_connect_kit.manifest import REMOTE_ENDPOINT_KEY

    def invoke(
        path: str,
        *,
        user: str | None = None,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str | None] | None = None,
        module_key: str = "ack-test-module",
    ) -> requests.Response:
        sent: dict[str, str] = dict(
            fake_jira.forge_invocation_headers(
                forge_installation, REMOTE_ENDPOINT_KEY, account_id=user, module_key=module_key
            )
        )
        for name, value in (headers or {}).items():
            sent = {key: val for key, val in sent.items() if key.lower() != name.lower()}
            if value is not None:
                sent[name] = value
        return requests.request(
            method,
            ack_server.base_url + path,
            params=params,
            json=json,
            headers=sent,
            timeout=30,
            allow_redirects=False,
        )

    return invoke
