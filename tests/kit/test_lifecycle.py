"""Signed lifecycle callbacks against a fake Jira site, over real HTTP."""

import io
import json
import logging
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from webob import Request

from atlassian_connect_kit import IInstallKeyFetcher, find_service
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.storage.models import sha256_hex
from atlassian_connect_kit.storage.service import get_tenant_store
from atlassian_connect_kit.testing.server import serve_kit_app
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


def _page_status_on(server, app):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "sub": "557058:viewer",
        "iat": now,
        "exp": now + 60,
        "qsh": query_string_hash("GET", "/test/page", ""),
    }
    token = jwt.encode(claims, app.shared_secret, algorithm="HS256")
    return requests.get(f"{server.base_url}/test/page?jwt={token}", timeout=10).status_code


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
    ("attack", "reason"),
    [
        ("hs256", "lifecycle callbacks must be signed with RS256"),
        ("context", "lifecycle callbacks must be signed with RS256"),
        ("wrong_aud", "token audience is not this app"),
        ("bad_kid", "invalid key id"),
        ("no_token", "a signed lifecycle token is required"),
        ("wrong_qsh", "query string hash mismatch"),
        ("iss_mismatch", "clientKey does not match the token"),
        ("garbage", "malformed token"),
    ],
)
def test_forged_reinstalls_are_refused_and_the_stored_secret_still_works(
    fake_jira, ack_server, attack, reason
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
    elif attack == "garbage":
        headers["Authorization"] = "JWT not-a-token"
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
    assert response.json() == {"error": reason}
    assert response.headers["WWW-Authenticate"] == 'JWT realm="atlassian-connect"'
    assert "attacker-chosen-secret" not in response.text
    assert "JWT" not in response.text.replace("JWT realm", "")
    stored = _store(ack_server).get(app.client_key, fresh=True)
    assert stored.shared_secret == app.shared_secret
    assert _page_status(fake_jira, app) == 200


def test_install_key_server_down_is_a_503_and_nothing_is_written(fake_jira, ack_server, caplog):
    app = fake_jira.install(ack_server.base_url)
    fetcher = find_service(ack_server.app.registry, IInstallKeyFetcher)
    fetcher.keys_url = "http://127.0.0.1:9"  # nothing listens there
    fetcher._cache.clear()
    caplog.set_level(logging.WARNING, logger="atlassian_connect_kit.lifecycle")
    rotated = fake_jira.rotate_secret(app)
    assert rotated.install_status == 503
    assert _store(ack_server).get(app.client_key, fresh=True).shared_secret == app.shared_secret
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "signed install could not be verified: install key server unreachable (ConnectionError)"
    ]
    # Jira's installer shows the answer: it says what to do.
    body = json.dumps(_body("jira:new-site", "s" * 40, "https://new-site.example.com"))
    response = _post_install(ack_server, _new_site_token(fake_jira, ack_server), body)
    assert response.status_code == 503
    assert response.json() == {"error": "install key service unavailable, try again"}


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


# -- the token first, then a bounded body ------------------------------------------------------


def _assert_security_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def _post_install(ack_server, token, data, **headers):
    return requests.post(
        f"{ack_server.base_url}/installed",
        data=data,
        headers={"Authorization": f"JWT {token}", "Content-Type": "application/json", **headers},
        timeout=30,
    )


def _new_site_token(fake_jira, ack_server, client_key="jira:new-site", **options):
    return _install_token(fake_jira, client_key, ack_server.base_url, **options)


def _padded_body(client_key, size):
    body = _body(client_key, "s" * 40, "https://new-site.example.com")
    padding = size - len(json.dumps({**body, "padding": ""}).encode())
    return json.dumps({**body, "padding": "x" * padding}).encode()


def test_the_token_is_verified_before_the_body_is_read(fake_jira, ack_server):
    # Signed with another key under Atlassian's current kid: the signature fails, and the
    # malformed body is never looked at (it would have been a 400).
    forged = _new_site_token(fake_jira, ack_server, kid=fake_jira.install_key_id)
    response = _post_install(ack_server, forged, b"{not json")
    assert response.status_code == 401
    assert response.json() == {"error": "token signature is invalid"}
    _assert_security_headers(response)


@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_a_lifecycle_body_over_64_kib_gets_413_and_nothing_is_written(
    fake_jira, ack_server, transfer
):
    body = _padded_body("jira:new-site", 64 * 1024 + 1)
    data = body if transfer == "content-length" else iter([body[:1000], body[1000:]])
    response = _post_install(ack_server, _new_site_token(fake_jira, ack_server), data)
    assert response.status_code == 413
    assert response.json() == {"error": "the request body is larger than 65536 bytes"}
    _assert_security_headers(response)
    assert _store(ack_server).get("jira:new-site", fresh=True) is None


def test_a_lifecycle_body_of_64_kib_is_accepted(fake_jira, ack_server):
    body = _padded_body("jira:new-site", 64 * 1024)
    response = _post_install(ack_server, _new_site_token(fake_jira, ack_server), body)
    assert response.status_code == 204, response.text
    assert _store(ack_server).get("jira:new-site", fresh=True) is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "the body must be JSON"),
        (b"\xff\xfe", "the body must be JSON"),
        (b"", "the body must be a JSON object"),
        (b"[1, 2]", "the body must be a JSON object"),
        (b"[" * 20000 + b"]" * 20000, "the body is nested too deeply"),
        (
            b'{"clientKey": "jira:new-site", "a": ' + b"[" * 16 + b"]" * 16 + b"}",
            "the body is nested too deeply",
        ),
        (b'{"key": "x"}', "clientKey is missing"),
        (b'{"clientKey": ""}', "clientKey is missing"),
        (b'{"clientKey": 7}', "clientKey is missing"),
        (
            b'{"clientKey": "jira:new-site", "baseUrl": "https://x.example.com"}',
            "sharedSecret is missing",
        ),
    ],
    ids=[
        "malformed",
        "not-utf8",
        "empty",
        "array",
        "deep-array",
        "deep-field",
        "no-client-key",
        "empty-client-key",
        "numeric-client-key",
        "no-secret",
    ],
)
def test_a_malformed_lifecycle_body_under_the_cap_gets_400(fake_jira, ack_server, body, reason):
    response = _post_install(ack_server, _new_site_token(fake_jira, ack_server), body)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": reason}  # the words Jira's installer log shows
    _assert_security_headers(response)
    assert _store(ack_server).get("jira:new-site", fresh=True) is None


def test_a_lifecycle_body_just_inside_the_depth_limit_is_accepted(fake_jira, ack_server):
    body = _body("jira:new-site", "s" * 40, "https://new-site.example.com")
    nested: object = []
    for _ in range(13):  # the body object, "extra" and 14 arrays: 16 levels
        nested = [nested]
    body["extra"] = {"nested": nested}
    response = _post_install(ack_server, _new_site_token(fake_jira, ack_server), json.dumps(body))
    assert response.status_code == 204, response.text


def test_refusals_of_every_kind_carry_the_security_headers(fake_jira, ack_server):
    no_token = requests.post(f"{ack_server.base_url}/installed", json={}, timeout=10)
    assert no_token.status_code == 401
    _assert_security_headers(no_token)
    fetcher = find_service(ack_server.app.registry, IInstallKeyFetcher)
    fetcher.keys_url = "http://127.0.0.1:9"  # nothing listens there
    fetcher._cache.clear()
    unavailable = _post_install(ack_server, _new_site_token(fake_jira, ack_server), b"{}")
    assert unavailable.status_code == 503
    _assert_security_headers(unavailable)


def test_enabled_and_disabled_bodies_are_capped_too(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    token = _toggle_token(app, "/disabled")
    body = json.dumps({"clientKey": app.client_key, "padding": "x" * (64 * 1024)})
    response = requests.post(
        f"{ack_server.base_url}/disabled",
        data=body,
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    assert response.status_code == 413
    _assert_security_headers(response)
    assert _store(ack_server).get(app.client_key, fresh=True).enabled


# -- enabled/disabled: who may switch a site off -----------------------------------------------


def _toggle_token(app, path, *, secret=None, qsh=None, lifetime=60):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "iat": now,
        "exp": now + lifetime,
        "qsh": qsh or query_string_hash("POST", path, ""),
    }
    return jwt.encode(claims, secret or app.shared_secret, algorithm="HS256")


def _post_toggle(server, path, token, body):
    return requests.post(
        f"{server.base_url}{path}", json=body, headers={"Authorization": f"JWT {token}"}, timeout=10
    )


def test_a_context_token_cannot_disable_the_app(fake_jira, ack_server):
    # Any page viewer holds a context token signed with the site's secret; it is no lifecycle
    # token.
    app = fake_jira.install(ack_server.base_url)
    token = fake_jira.context_token(app, fake_jira.data.users[0].account_id)
    response = _post_toggle(ack_server, "/disabled", token, {"clientKey": app.client_key})
    assert response.status_code == 401
    assert response.json() == {"error": "context token not accepted here"}
    assert _store(ack_server).get(app.client_key, fresh=True).enabled
    assert _page_status(fake_jira, app) == 200


def test_a_disabled_callback_naming_another_site_in_its_body_is_refused(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    token = _toggle_token(app, "/disabled")
    response = _post_toggle(ack_server, "/disabled", token, {"clientKey": "jira:someone-else"})
    assert response.status_code == 401
    assert response.json() == {"error": "clientKey does not match the token"}
    assert _store(ack_server).get(app.client_key, fresh=True).enabled


def test_a_disabled_callback_signed_with_a_secret_rotated_away_elsewhere_is_refused(
    fake_jira, ack_server, ack_settings, ack_extra_plugins
):
    old = fake_jira.install(ack_server.base_url)
    other = serve_kit_app(ack_settings, plugins=ack_extra_plugins)  # another process, same db
    try:
        assert _page_status_on(other, old) == 200  # `other` now caches the old secret
        assert fake_jira.rotate_secret(old).install_status == 204  # handled by ack_server
        stale = _toggle_token(old, "/disabled")
        response = _post_toggle(other, "/disabled", stale, {"clientKey": old.client_key})
        assert response.status_code == 401
        assert _store(ack_server).get(old.client_key, fresh=True).enabled
    finally:
        other.stop()


def test_enabled_with_a_long_lived_token_is_refused(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.disable(app) == 204
    token = _toggle_token(app, "/enabled", lifetime=10 * 365 * 24 * 3600)
    response = _post_toggle(ack_server, "/enabled", token, {"clientKey": app.client_key})
    assert response.status_code == 401
    assert response.json() == {"error": "token lifetime exceeds the allowed maximum"}
    assert not _store(ack_server).get(app.client_key, fresh=True).enabled


def test_a_signed_install_with_a_long_lived_token_is_refused(fake_jira, ack_server):
    now = int(time.time())
    claims = {
        "iss": "jira:new-site",
        "aud": [ack_server.base_url],
        "iat": now,
        "exp": now + 3601,
        "qsh": query_string_hash("POST", "/installed", ""),
    }
    token = fake_jira._state.keys.sign(claims)
    body = json.dumps(_body("jira:new-site", "s" * 40, "https://new-site.example.com"))
    response = _post_install(ack_server, token, body)
    assert response.status_code == 401
    assert _store(ack_server).get("jira:new-site", fresh=True) is None


# -- install keys ------------------------------------------------------------------------------


def test_an_unknown_well_formed_kid_is_a_401_not_an_outage(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    token = _install_token(fake_jira, app.client_key, ack_server.base_url, kid="no-such-key")
    body = json.dumps(_body(app.client_key, "attacker-chosen-secret", fake_jira.base_url))
    response = _post_install(ack_server, token, body)
    assert response.status_code == 401
    assert response.json() == {"error": "unknown key id"}
    assert _store(ack_server).get(app.client_key, fresh=True).shared_secret == app.shared_secret


def test_a_streamed_lifecycle_body_without_a_length_is_cut_off_at_64_kib(fake_jira, ack_server):
    # As a server that streams chunked bodies presents them: no Content-Length at all.
    body = _padded_body("jira:new-site", 64 * 1024 + 1)
    request = Request.blank("/installed", method="POST")
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    request.headers["Authorization"] = "JWT " + _new_site_token(fake_jira, ack_server)
    response = request.get_response(ack_server.app)
    assert response.status_code == 413
    assert _store(ack_server).get("jira:new-site", fresh=True) is None


# -- what plugins and operators are told -------------------------------------------------------


def test_plugins_hear_each_callback_with_its_request_and_the_tenant_as_stored(
    fake_jira, ack_server, addon
):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.enable(app) == 204
    assert fake_jira.disable(app) == 204
    assert fake_jira.enable(app) == 204
    assert fake_jira.uninstall(app) == 204
    assert addon.received == [
        ("installed", "/installed", True),
        ("enabled", "/enabled", True),
        ("disabled", "/disabled", False),
        ("enabled", "/enabled", True),
        ("uninstalled", "/uninstalled", None),
    ]


def test_each_callback_leaves_one_log_line_naming_the_site(fake_jira, ack_server, caplog):
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit")
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.disable(app) == 204
    assert fake_jira.enable(app) == 204
    requests.post(f"{ack_server.base_url}/disabled", json={}, timeout=10)
    assert fake_jira.uninstall(app) == 204
    loggers = ("atlassian_connect_kit.lifecycle", "atlassian_connect_kit.privacy.purge")
    lines = [r.getMessage() for r in caplog.records if r.name in loggers]
    # A removed site is named by its clientKey's hash only, like its removal journal entry.
    assert lines == [
        f"tenant installed: {app.client_key}",
        f"tenant disabled: {app.client_key}",
        f"tenant enabled: {app.client_key}",
        "lifecycle /disabled refused: a signed lifecycle token is required",
        f"site {sha256_hex(app.client_key)} removed (uninstall): ack_tenants 1 row; "
        "recorded in the removal journal",
    ]


def test_an_uninstall_retried_on_another_worker_tells_plugins_once(
    fake_jira, ack_server, ack_settings, ack_extra_plugins, addon, caplog
):
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit.privacy")
    app = fake_jira.install(ack_server.base_url)
    other = serve_kit_app(ack_settings, plugins=ack_extra_plugins)  # another worker, same db
    try:
        assert _page_status_on(other, app) == 200  # `other` now caches the tenant
        assert fake_jira.uninstall(app) == 204  # handled by ack_server
        # Jira retries the callback (it never saw the answer), and the retry lands on `other`.
        qsh = query_string_hash("POST", "/uninstalled", "")
        token = _install_token(fake_jira, app.client_key, other.base_url, qsh=qsh)
        body = {**_body(app.client_key, "", fake_jira.base_url), "eventType": "uninstalled"}
        del body["sharedSecret"]
        response = requests.post(
            f"{other.base_url}/uninstalled",
            json=body,
            headers={"Authorization": f"JWT {token}"},
            timeout=10,
        )
        assert response.status_code == 204
    finally:
        other.stop()
    assert addon.events.count(("uninstalled", app.client_key)) == 1
    # The kit's own part ran both times: rows left for the clientKey since would be gone too.
    purges = [r.getMessage() for r in caplog.records if "removed (uninstall)" in r.getMessage()]
    assert len(purges) == 2


def test_enabled_for_a_site_that_never_installed_is_refused(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.uninstall(app) == 204
    response = _post_toggle(ack_server, "/enabled", _toggle_token(app, "/enabled"), {})
    assert response.status_code == 401
    assert response.json() == {"error": "unknown tenant"}


def test_a_toggle_body_may_leave_the_client_key_to_the_token(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    assert _post_toggle(ack_server, "/disabled", _toggle_token(app, "/disabled"), {}).ok
    assert not _store(ack_server).get(app.client_key, fresh=True).enabled


def test_the_leeway_and_lifetime_settings_bind_lifecycle_tokens(
    fake_jira, ack_server, ack_settings, ack_extra_plugins
):
    app = fake_jira.install(ack_server.base_url)
    strict = {**ack_settings, "ack.jwt_leeway": "0", "ack.jwt_max_lifetime": "300"}
    server = serve_kit_app(strict, plugins=ack_extra_plugins)
    try:
        now = int(time.time())
        late = _toggle_token(app, "/disabled", lifetime=-5)  # expired 5 s ago
        assert _post_toggle(server, "/disabled", late, {}).json() == {"error": "token expired"}
        long = _toggle_token(app, "/disabled", lifetime=301)
        refusal = _post_toggle(server, "/disabled", long, {}).json()
        assert refusal == {"error": "token lifetime exceeds the allowed maximum"}
        claims = {
            "iss": "jira:new-site",
            "aud": [server.base_url],
            "qsh": query_string_hash("POST", "/installed", ""),
        }
        body = json.dumps(_body("jira:new-site", "s" * 40, "https://new-site.example.com"))
        expired = fake_jira._state.keys.sign({**claims, "iat": now - 65, "exp": now - 5})
        assert _post_install(server, expired, body).json() == {"error": "token expired"}
        lasting = fake_jira._state.keys.sign({**claims, "iat": now, "exp": now + 301})
        refusal = _post_install(server, lasting, body).json()
        assert refusal == {"error": "token lifetime exceeds the allowed maximum"}
    finally:
        server.stop()
    assert _store(ack_server).get(app.client_key, fresh=True).enabled


def test_a_malformed_toggle_token_is_refused_with_its_reason(fake_jira, ack_server):
    app = fake_jira.install(ack_server.base_url)
    response = _post_toggle(ack_server, "/disabled", "not.a.token", {"clientKey": app.client_key})
    assert response.status_code == 401
    assert response.json() == {"error": "malformed token"}
    assert _store(ack_server).get(app.client_key, fresh=True).enabled


@pytest.mark.parametrize("event", ["installed", "uninstalled", "enabled", "disabled"])
def test_lifecycle_urls_answer_posts_only(fake_jira, ack_server, event):
    # Jira only ever POSTs them; a GET (a crawler, a misconfigured probe) finds nothing there.
    for method in ("GET", "PUT", "DELETE"):
        response = requests.request(method, f"{ack_server.base_url}/{event}", timeout=10)
        assert response.status_code == 404, (method, response.text)
