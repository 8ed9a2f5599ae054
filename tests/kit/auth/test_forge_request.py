"""Forge invocations authenticate only where a view opted in, over real HTTP."""

from __future__ import annotations

import pytest
import requests

from tests.kit.forge_probe import ForgeProbe


@pytest.fixture
def ack_extra_plugins():
    return [ForgeProbe()]


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
