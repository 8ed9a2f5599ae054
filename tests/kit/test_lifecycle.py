"""Signed lifecycle callbacks against a fake Jira site, over real HTTP."""

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.storage.service import get_tenant_store
from tests.addon_for_tests import SampleAddon


@pytest.fixture
def addon():
    return SampleAddon()


@pytest.fixture
def ack_extra_plugins(addon):
    return [addon]


def _store(ack_server):
    return get_tenant_store(ack_server.app.registry)


def _page_status(fake_jira, app, account_id=None):
    user = account_id or fake_jira.data.users[0].account_id
    url = fake_jira.signed_url(app, "/test/page", account_id=user)
    return requests.get(url, timeout=10).status_code


def _install_token(fake_jira, client_key, audience, *, alg="RS256", kid=None, qsh=None, key=None):
    now = int(time.time())
    claims = {
        "iss": client_key,
        "aud": [audience],
        "iat": now,
        "exp": now + 180,
        "qsh": qsh or query_string_hash("POST", "/installed", ""),
    }
    if alg == "HS256":
        return jwt.encode(claims, key, algorithm="HS256")
    if kid is None:
        return fake_jira._state.keys.sign(claims)
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": kid})


def _body(client_key, secret, base_url):
    return {
        "key": "smart-timesheet-report",
        "clientKey": client_key,
        "sharedSecret": secret,
        "baseUrl": base_url,
        "productType": "jira",
        "eventType": "installed",
    }


def test_signed_install_stores_the_tenant_and_page_loads(fake_jira, ack_server, addon, tmp_path):
    app = fake_jira.install(ack_server.base_url)
    assert app.install_status == 204
    tenant = _store(ack_server).get(app.client_key, fresh=True)
    assert tenant is not None and tenant.enabled
    assert tenant.base_url == fake_jira.base_url
    assert ("installed", app.client_key) in addon.events
    database = (tmp_path / "ack.sqlite").read_bytes()
    assert app.shared_secret.encode() not in database
    assert _page_status(fake_jira, app) == 200


def test_signed_reinstall_replaces_the_secret(fake_jira, ack_server):
    first = fake_jira.install(ack_server.base_url)
    second = fake_jira.rotate_secret(first)
    assert second.install_status == 204
    assert second.shared_secret != first.shared_secret
    assert (
        _store(ack_server).get(first.client_key, fresh=True).shared_secret == second.shared_secret
    )
    assert _page_status(fake_jira, second) == 200


@pytest.mark.parametrize(
    "attack", ["hs256", "context", "wrong_aud", "bad_kid", "no_token", "wrong_qsh", "iss_mismatch"]
)
def test_forged_reinstalls_are_refused_and_the_stored_secret_still_works(
    fake_jira, ack_server, attack
):
    app = fake_jira.install(ack_server.base_url)
    body = _body(app.client_key, "attacker-chosen-secret", fake_jira.base_url)
    audience = ack_server.base_url
    headers = {}
    if attack == "hs256":
        headers["Authorization"] = "JWT " + _install_token(
            fake_jira, app.client_key, audience, alg="HS256", key=app.shared_secret
        )
    elif attack == "context":
        headers["Authorization"] = "JWT " + jwt.encode(
            {
                "iss": app.client_key,
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "qsh": "context-qsh",
                "aud": [audience],
            },
            app.shared_secret,
            algorithm="HS256",
        )
    elif attack == "no_token":
        pass
    else:
        options = {}
        if attack == "wrong_aud":
            options["audience"] = "https://evil.example.com"
        elif attack == "bad_kid":
            options["kid"] = "../x"
        elif attack == "wrong_qsh":
            options["qsh"] = query_string_hash("POST", "/uninstalled", "")
        elif attack == "iss_mismatch":
            body["clientKey"] = "jira:someone-else"
        token = _install_token(
            fake_jira, app.client_key, options.pop("audience", audience), **options
        )
        headers["Authorization"] = "JWT " + token
    response = requests.post(
        f"{ack_server.base_url}/installed", json=body, headers=headers, timeout=10
    )
    assert response.status_code == 401
    assert "attacker-chosen-secret" not in response.text
    assert "JWT" not in response.text.replace("JWT realm", "")
    stored = _store(ack_server).get(app.client_key, fresh=True)
    assert stored.shared_secret == app.shared_secret
    assert _page_status(fake_jira, app) == 200


def test_install_key_server_down_is_a_503_and_nothing_is_written(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    fetcher = ack_server.app.registry["ack.install_key_fetcher"]
    fetcher.keys_url = "http://127.0.0.1:9"  # nothing listens there
    fetcher._cache.clear()
    rotated = fake_jira.rotate_secret(app)
    assert rotated.install_status == 503
    assert _store(ack_server).get(app.client_key, fresh=True).shared_secret == app.shared_secret


def test_disable_then_enable(fake_jira, ack_server, addon):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.enable(app) == 204
    assert fake_jira.disable(app) == 204
    assert ("disabled", app.client_key) in addon.events
    assert _page_status(fake_jira, app) == 401
    assert fake_jira.enable(app) == 204
    assert _page_status(fake_jira, app) == 200


def test_enabled_signed_with_another_secret_is_refused(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": app.client_key,
            "iat": now,
            "exp": now + 60,
            "qsh": query_string_hash("POST", "/disabled", ""),
        },
        "not-the-secret-of-this-tenant-0123456789abcdef",
        algorithm="HS256",
    )
    response = requests.post(
        f"{ack_server.base_url}/disabled",
        json={"clientKey": app.client_key},
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert _store(ack_server).get(app.client_key, fresh=True).enabled


def test_signed_uninstall_deletes_the_row_and_tokens_stop_working(fake_jira, ack_server, addon):
    app = fake_jira.install(ack_server.base_url)
    url = fake_jira.signed_url(app, "/test/page", account_id=fake_jira.data.users[0].account_id)
    assert requests.get(url, timeout=10).status_code == 200
    assert fake_jira.uninstall(app) == 204
    assert ("uninstalled", app.client_key) in addon.events
    assert _store(ack_server).get(app.client_key, fresh=True) is None
    assert requests.get(url, timeout=10).status_code == 401
