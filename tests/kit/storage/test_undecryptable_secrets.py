"""A stored secret the key ring cannot decrypt: 503 with the security headers, the key id logged."""

import logging
import time

import pytest
import requests

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.fakejira.connect import shared_secret_token
from atlassian_connect_kit.testing.server import AppServer
from tests.addon_for_tests import SampleAddon


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


@pytest.fixture
def keyless_worker(ack_server, ack_settings, ack_extra_plugins):
    """The app on the same database, configured without the key the secrets are stored under."""
    settings = {
        **ack_settings,
        "ack.base_url": ack_server.base_url,
        "ack.encryption_keys": generate_key_line("k-other"),
    }
    with AppServer(lambda _: make_app(settings, extra_plugins=ack_extra_plugins)) as worker:
        yield worker


def test_a_secret_under_a_key_no_longer_configured_is_a_503_with_the_security_headers(
    fake_jira, installed_tenant, ack_settings, keyless_worker, caplog
):
    caplog.set_level(logging.INFO)
    kid = ack_settings["ack.encryption_keys"].split(":")[0]
    token = fake_jira.context_token(installed_tenant, fake_jira.data.users[0].account_id)
    response = requests.get(
        f"{keyless_worker.base_url}/test/api/whoami",
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    assert response.status_code == 503
    assert response.json() == {"error": "service temporarily unavailable"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    [line] = [r.getMessage() for r in caplog.records if "cannot be decrypted" in r.getMessage()]
    assert f"(key id {kid})" in line
    key = ack_settings["ack.encryption_keys"].split(":")[1]
    for record in caplog.records:
        message = record.getMessage()
        assert key not in message and installed_tenant.shared_secret not in message
        assert token not in message


def test_a_lifecycle_callback_for_such_a_site_is_a_503_too(installed_tenant, keyless_worker):
    token = shared_secret_token(
        installed_tenant,
        method="POST",
        url=f"{installed_tenant.app_base_url}/disabled",
        now=int(time.time()),
    )
    response = requests.post(
        f"{keyless_worker.base_url}/disabled",
        json={"clientKey": installed_tenant.client_key},
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    assert response.status_code == 503
    assert response.headers["X-Content-Type-Options"] == "nosniff"
