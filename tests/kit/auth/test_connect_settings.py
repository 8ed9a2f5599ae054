"""The clock leeway and the page-token lifetime settings bind page requests, over real HTTP."""

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


def _page_token(app, *, expired_seconds_ago=-60):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "sub": "user-1",
        "iat": min(now, now - expired_seconds_ago - 60),
        "exp": now - expired_seconds_ago,
        "qsh": query_string_hash("GET", "/test/page", ""),
    }
    return jwt.encode(claims, app.shared_secret, algorithm="HS256")


def _page(server, token):
    return requests.get(f"{server.base_url}/test/page?jwt={token}", timeout=10)


@pytest.mark.parametrize(("leeway", "expired_seconds_ago", "status"), [(0, 5, 401), (60, 45, 200)])
def test_the_leeway_setting_decides_how_late_a_page_token_may_come(
    installed_tenant, ack_settings, ack_extra_plugins, leeway, expired_seconds_ago, status
):
    server = serve_kit_app(
        {**ack_settings, "ack.jwt_leeway": str(leeway)}, plugins=ack_extra_plugins
    )
    try:
        token = _page_token(installed_tenant, expired_seconds_ago=expired_seconds_ago)
        response = _page(server, token)
        assert response.status_code == status, response.text
        if status == 401:
            assert response.json() == {"error": "token expired"}
    finally:
        server.stop()


def test_the_page_s_context_token_lives_as_long_as_the_setting_says(
    installed_tenant, ack_settings, ack_extra_plugins
):
    server = serve_kit_app(
        {**ack_settings, "ack.context_token_seconds": "60"}, plugins=ack_extra_plugins
    )
    try:
        page = _page(server, _page_token(installed_tenant))
        assert page.status_code == 200, page.text
        context_token = page.text.split("data-token='")[1].split("'")[0]
        claims = jwt.decode(context_token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 60
    finally:
        server.stop()
