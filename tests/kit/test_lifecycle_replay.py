"""A captured lifecycle callback: its retry is answered again, its token with another body is not.

Over real HTTP: the fake site installs the app with signed callbacks and keeps what it sent, as an
eavesdropper between the site and the app would; the tests post those tokens again.
"""

import datetime as dt
import hashlib
import json

import jwt
import pytest
import requests
from sqlalchemy import select

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.models import LifecycleToken
from atlassian_connect_kit.storage.service import get_engine, get_tenant_store
from atlassian_connect_kit.testing.server import AppServer
from tests.addon_for_tests import SampleAddon

JWT_LEEWAY = "7"


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


@pytest.fixture
def ack_settings(ack_settings):
    return {**ack_settings, "ack.jwt_leeway": JWT_LEEWAY}


@pytest.fixture
def second_worker(ack_server, ack_settings, ack_extra_plugins):
    """Another app instance on the same database, behind the same public URL."""
    public_url = ack_server.base_url
    settings = {**ack_settings, "ack.base_url": public_url}
    with AppServer(lambda _: make_app(settings, extra_plugins=ack_extra_plugins)) as worker:
        yield worker


def replay(server, call, body=None):
    """Post a captured callback's token to ``server`` with its body, or with ``body`` instead."""
    path = call.url.split("/", 3)[3]
    # The same JSON encoding the site used, so an unchanged body is the same bytes.
    data = json.dumps(call.body if body is None else body)
    return requests.post(
        f"{server.base_url}/{path}",
        data=data,
        headers={"Authorization": f"JWT {call.token}", "Content-Type": "application/json"},
        timeout=10,
    )


def stored_secret(server, client_key):
    return get_tenant_store(server.app.registry).get(client_key, fresh=True).shared_secret


def page_status(fake_jira, app, server):
    url = fake_jira.signed_url(app, "/test/page", account_id=fake_jira.data.users[0].account_id)
    return requests.get(url.replace(app.app_base_url, server.base_url), timeout=10).status_code


def test_a_retried_install_is_answered_again(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    [call] = fake_jira.lifecycle_calls
    assert call.status == 204
    assert replay(ack_server, call).status_code == 204
    assert stored_secret(ack_server, app.client_key) == app.shared_secret
    # Remembered, by hash, exactly as long as the token itself is accepted (leeway included).
    expires = jwt.decode(call.token, options={"verify_signature": False})["exp"]
    engine = get_engine(ack_server.app.registry)
    with engine.connect() as connection:
        [row] = connection.execute(select(LifecycleToken)).all()
    assert row.token_sha256 == hashlib.sha256(call.token.encode()).hexdigest()
    assert row.expires_at == dt.datetime.fromtimestamp(expires + int(JWT_LEEWAY), dt.UTC)


def test_a_captured_install_token_with_another_body_is_refused_and_nothing_is_written(
    fake_jira, ack_server
):
    app = fake_jira.install(ack_server.base_url)
    [call] = fake_jira.lifecycle_calls
    forged = {**call.body, "sharedSecret": "attacker-chosen-secret-0123456789abcdef"}
    response = replay(ack_server, call, forged)
    assert response.status_code == 401
    assert response.json() == {"error": "this token was already used with another body"}
    moved = {**call.body, "baseUrl": "https://attacker.example.com"}
    assert replay(ack_server, call, moved).status_code == 401
    tenant = get_tenant_store(ack_server.app.registry).get(app.client_key, fresh=True)
    assert tenant.shared_secret == app.shared_secret
    assert tenant.base_url == fake_jira.base_url
    assert page_status(fake_jira, app, ack_server) == 200


def test_every_worker_remembers_the_tokens_another_one_accepted(
    fake_jira, ack_server, second_worker
):
    app = fake_jira.install(ack_server.base_url)
    [call] = fake_jira.lifecycle_calls
    forged = {**call.body, "sharedSecret": "attacker-chosen-secret-0123456789abcdef"}
    assert replay(second_worker, call, forged).status_code == 401
    assert stored_secret(second_worker, app.client_key) == app.shared_secret
    # Atlassian's retry may land on any worker.
    assert replay(second_worker, call).status_code == 204
    assert page_status(fake_jira, app, second_worker) == 200


def test_a_captured_enabled_token_with_another_body_is_refused(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.enable(app) == 204
    enabled = fake_jira.lifecycle_calls[-1]
    assert fake_jira.disable(app) == 204
    altered = {**enabled.body, "description": "a different body"}
    assert replay(ack_server, enabled, altered).status_code == 401
    assert not get_tenant_store(ack_server.app.registry).get(app.client_key, fresh=True).enabled
