"""A worker whose cached tenant went stale through another worker refuses cleanly, over HTTP."""

import time

import jwt
import pytest
import requests

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.testing.server import serve_kit_app
from tests.addon_for_tests import SampleAddon


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


def _page(server, app, *, secret=None):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "sub": "user-1",
        "iat": now,
        "exp": now + 180,
        "qsh": query_string_hash("GET", "/test/page", ""),
    }
    token = jwt.encode(claims, secret or app.shared_secret, algorithm="HS256")
    return requests.get(f"{server.base_url}/test/page?jwt={token}", timeout=10)


def test_a_bad_token_for_a_site_another_worker_uninstalled_is_a_401(
    fake_jira, installed_tenant, ack_server, ack_settings, ack_extra_plugins
):
    other = serve_kit_app(ack_settings, plugins=ack_extra_plugins)
    try:
        assert _page(other, installed_tenant).status_code == 200  # `other` caches the site
        assert fake_jira.uninstall(installed_tenant) == 204  # handled by ack_server
        # The cached secret fails, the database no longer knows the site: a refusal, no error.
        refused = _page(other, installed_tenant, secret="not-the-secret-0123456789abcdefghij")
        assert refused.status_code == 401
        assert refused.json() == {"error": "token signature is invalid"}
    finally:
        other.stop()


def test_a_site_another_worker_enabled_again_is_served_at_once(
    fake_jira, installed_tenant, ack_server, ack_settings, ack_extra_plugins
):
    other = serve_kit_app(ack_settings, plugins=ack_extra_plugins)
    try:
        assert fake_jira.disable(installed_tenant) == 204  # handled by ack_server
        refused = _page(other, installed_tenant)  # `other` caches the site, disabled
        assert refused.status_code == 401
        assert refused.json() == {"error": "the app is disabled for this site"}
        assert fake_jira.enable(installed_tenant) == 204  # handled by ack_server again
        # The cached "disabled" is checked against the database before anyone is refused.
        assert _page(other, installed_tenant).status_code == 200
    finally:
        other.stop()
