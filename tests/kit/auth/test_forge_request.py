"""Forge invocations authenticate only where a view opted in, over real HTTP."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.forge_request import ForgeTokenMissing, is_forge_request
from atlassian_connect_kit.auth.identity import AuthenticationFailed
from atlassian_connect_kit.storage.db import DatabaseUnavailable
from atlassian_connect_kit.storage.service import get_tenant_store
from tests.kit.forge_probe import ForgeProbe


class MembersOnly:
    """A Forge-enabled view that needs a user, and one that needs a token Forge did not send."""

    __name__ = "members_only"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("members.page", "/members/page")
        config.add_view(
            lambda request: {"user": request.identity.account_id},
            route_name="members.page",
            renderer="json",
            connect_auth="context+forge",
            connect_require_user="sign in to see the members",
        )
        config.add_route("members.token", "/members/token")
        config.add_view(
            _needs_a_token,
            route_name="members.token",
            renderer="json",
            connect_auth="context+forge",
        )


def _needs_a_token(request):
    raise ForgeTokenMissing("Forge sent no app system token")


@pytest.fixture
def probe():
    return ForgeProbe()


@pytest.fixture
def ack_extra_plugins(probe):
    return [probe, MembersOnly()]


def user(fake_jira):
    return next(u for u in fake_jira.data.users if u.active).account_id


def test_a_fit_on_a_view_that_did_not_opt_in_gets_401(forge_invoke, fake_jira):
    response = forge_invoke("/probe/connect-only", user=user(fake_jira))
    assert response.status_code == 401
    assert response.json() == {"error": "this URL does not accept Forge invocations"}


def test_a_connect_context_token_still_opens_an_opted_in_view(
    installed_tenant, ack_server, fake_jira
):
    account = user(fake_jira)
    token = fake_jira.context_token(installed_tenant, account)
    response = requests.get(
        f"{ack_server.base_url}/probe/whoami", headers={"Authorization": f"JWT {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["client_key"] == installed_tenant.client_key
    assert response.json()["account_id"] == account
    assert response.json()["linked"] is None  # a Connect identity


def test_a_bearer_token_that_is_not_a_fit_gets_401(forge_invoke, fake_jira):
    response = forge_invoke(
        "/probe/whoami", user=user(fake_jira), headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "malformed token"}


def test_no_token_at_all_gets_401(ack_server):
    response = requests.get(f"{ack_server.base_url}/probe/whoami", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "authentication required"}


def test_the_license_is_exposed_not_enforced(fake_jira, ack_server, forge_manifest):
    fake_jira.set_forge_delivery(retry_interval=0.05)
    installation = fake_jira.forge_install(
        forge_manifest, license={"active": False, "type": "commercial", "isEvaluation": False}
    )
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=user(fake_jira)
    )
    response = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.json()["license_active"] is False


class TestWithoutAnAppId:
    """An app without ``ack.forge.app_id`` accepts no Forge invocation."""

    @pytest.fixture
    def ack_settings(self, ack_settings):
        return {k: v for k, v in ack_settings.items() if k != "ack.forge.app_id"}

    def test_every_fit_gets_401(self, fake_jira, ack_server):
        from atlassian_connect_kit.testing.pytest_plugin import FORGE_TEST_APP_ID
        from tests.kit.testing.forge_support import forge_manifest

        manifest = forge_manifest(remote_base_url=ack_server.base_url)
        manifest["app"]["id"] = FORGE_TEST_APP_ID
        fake_jira.set_forge_delivery(max_retries=0)
        installation = fake_jira.forge_install(manifest)
        assert [d.status for d in fake_jira.forge_deliveries] == [401]
        headers = fake_jira.forge_invocation_headers(
            installation, "ack-remote-endpoint", account_id=user(fake_jira)
        )
        response = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"error": "Forge invocations are not enabled (ack.forge.app_id)"}


def test_a_pure_forge_invocation_without_a_user_names_its_installation_and_nobody(
    forge_invoke, forge_installation
):
    response = forge_invoke("/probe/whoami", user=None)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_key": forge_installation.installation_id,
        "account_id": None,
        # A backend invocation names no site URL: the site's API base URL stands for it.
        "base_url": forge_installation.api_base_url,
        "mode": "context+forge",
        "linked": False,
        "installation_id": forge_installation.installation_id,
        "license_active": None,
    }
    assert response.headers["Cache-Control"] == "no-store"


def _adopted_install(fake_jira, ack_server, forge_manifest):
    """A Connect install of the app, then the Forge app adopting it: (Connect app, installation)."""
    app = fake_jira.install(ack_server.base_url)
    manifest = {**forge_manifest, "app": {**forge_manifest["app"]}}
    manifest["app"]["connect"] = {"key": app.app_key, "remote": "ack-remote"}
    fake_jira.set_forge_delivery(retry_interval=0.05)
    return app, fake_jira.forge_install(manifest, adopt=app)


def test_a_fit_of_an_adopted_connect_install_is_its_tenant(
    fake_jira, ack_server, forge_manifest, monkeypatch, caplog
):
    app, installation = _adopted_install(fake_jira, ack_server, forge_manifest)
    viewer = user(fake_jira)
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=viewer
    )
    touched = []

    def touch(client_key):
        touched.append(client_key)
        raise DatabaseUnavailable("connection refused")

    monkeypatch.setattr(get_tenant_store(ack_server.app.registry), "touch", touch)
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit.auth.forge_request")
    response = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    # The site was seen (`ack tenants purge-stale` goes by that); when that cannot be written,
    # the invocation the token proves is served all the same.
    assert touched == [app.client_key]
    assert [record.getMessage() for record in caplog.records] == [
        "Forge installation last-seen time not recorded: connection refused"
    ]
    assert response.json() == {
        "client_key": app.client_key,
        "account_id": viewer,
        "base_url": fake_jira.base_url,
        "mode": "context+forge",
        "linked": True,
        "installation_id": installation.installation_id,
        "license_active": None,
    }


def test_a_pure_forge_invocation_carries_its_module_s_context(forge_invoke, fake_jira):
    response = forge_invoke("/probe/where", user=user(fake_jira), module_key="timesheet-page")
    assert response.status_code == 200, response.text
    context = response.json()["context"]
    assert context["moduleKey"] == "timesheet-page"
    assert context["extension"] == {"type": "jira:globalPage"}


def test_a_fit_of_an_adopted_connect_install_carries_its_module_s_context(
    fake_jira, ack_server, forge_manifest
):
    _, installation = _adopted_install(fake_jira, ack_server, forge_manifest)
    sent = {"extension": {"type": "jira:issuePanel", "issue": {"key": "TIME-1"}}}
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=user(fake_jira), context=sent
    )
    response = requests.get(f"{ack_server.base_url}/probe/where", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"context": sent}


def test_a_forge_invocation_without_a_user_where_one_is_needed_gets_403(forge_invoke, fake_jira):
    # Forge reserves 401 for refused tokens; this one was accepted.
    response = forge_invoke("/members/page", user=None)
    assert response.status_code == 403
    assert response.json() == {"error": "sign in to see the members"}
    assert response.headers["Cache-Control"] == "no-store"
    assert forge_invoke("/members/page", user=user(fake_jira)).json() == {"user": user(fake_jira)}


def test_a_connect_viewer_without_a_user_still_gets_the_401(
    installed_tenant, ack_server, fake_jira
):
    token = fake_jira.context_token(installed_tenant, None)
    response = requests.get(
        f"{ack_server.base_url}/members/page",
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "sign in to see the members"}


def test_a_view_missing_a_forge_token_answers_403(forge_invoke, fake_jira):
    response = forge_invoke("/members/token", user=user(fake_jira))
    assert response.status_code == 403
    assert response.json() == {"error": "Forge sent no app system token"}
    assert response.headers["Cache-Control"] == "no-store"


def test_an_installation_first_seen_through_an_invocation_is_announced_once(
    fake_jira, ack_server, forge_manifest, probe
):
    # Forge's installed event never arrived (the remote was unreachable then).
    fake_jira.set_forge_delivery(max_retries=0)
    installation = fake_jira.forge_install(forge_manifest, remote_base_url="http://127.0.0.1:9")
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=user(fake_jira)
    )
    for _ in range(2):
        response = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["client_key"] == installation.installation_id
    assert probe.heard == [("forge_installed", installation.installation_id, None)]


def test_a_fit_living_longer_than_the_maximum_lifetime_gets_401(
    forge_installation, fake_jira, ack_server
):
    # ack.jwt_max_lifetime (3600 s by default) binds Forge's tokens as it binds Connect's.
    for lifetime, status in ((7200, 401), (600, 200)):
        fit = fake_jira.forge_invocation_token(
            forge_installation, account_id=user(fake_jira), lifetime=lifetime
        )
        response = requests.get(
            f"{ack_server.base_url}/probe/whoami",
            headers={"Authorization": f"Bearer {fit}"},
            timeout=10,
        )
        assert response.status_code == status, response.text
        if status == 401:
            assert response.json() == {"error": "token lifetime is too long"}


class TestWithALongerLeeway:
    """``ack.jwt_leeway`` is the clock skew Forge's tokens get too, not only Connect's."""

    @pytest.fixture
    def ack_settings(self, ack_settings):
        return {**ack_settings, "ack.jwt_leeway": "60"}

    def test_a_fit_expired_within_the_leeway_is_accepted(
        self, forge_installation, fake_jira, ack_server
    ):
        now = int(time.time())
        # Both lived 60 s: one expired 45 s ago (within 60 s of skew), one 90 s ago.
        for issued_ago, status in ((105, 200), (150, 401)):
            fit = fake_jira.forge_invocation_token(
                forge_installation,
                account_id=user(fake_jira),
                lifetime=60,
                issued_at=now - issued_ago,
            )
            response = requests.get(
                f"{ack_server.base_url}/probe/whoami",
                headers={"Authorization": f"Bearer {fit}"},
                timeout=10,
            )
            assert response.status_code == status, response.text


class TestWithoutForgeSigningKeys:
    """Forge's key set cannot be fetched: nothing is accepted, and the answer says try again."""

    @pytest.fixture
    def ack_settings(self, ack_settings):
        return {**ack_settings, "ack.forge.jwks_url": "http://127.0.0.1:9/.well-known/jwks.json"}

    def test_every_fit_gets_503(self, fake_jira, ack_server, forge_manifest, caplog):
        fake_jira.set_forge_delivery(max_retries=0)
        installation = fake_jira.forge_install(forge_manifest)
        headers = fake_jira.forge_invocation_headers(
            installation, "ack-remote-endpoint", account_id=user(fake_jira)
        )
        caplog.set_level(logging.WARNING, logger="atlassian_connect_kit.auth.forge_request")
        caplog.clear()  # the installed event was refused the same way
        response = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
        assert response.status_code == 503
        assert response.json() == {"error": "Forge signing keys are unavailable; try again shortly"}
        assert [record.getMessage() for record in caplog.records] == [
            "Forge invocation not verified: JWKS unreachable (ConnectionError)"
        ]


def test_a_request_whose_authentication_was_refused_is_no_forge_request():
    # The predicate that picks Forge's answers (403 rather than 401) asks for the identity; a
    # refused token must leave the request to the ordinary answers, not make the lookup fail.
    class Refused:
        @property
        def identity(self):
            raise AuthenticationFailed("token signature is invalid")

    assert is_forge_request(Refused()) is False
