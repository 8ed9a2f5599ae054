"""Only https, and every response tells the browser how to keep it safe."""

import pytest
import requests
from pyramid.response import Response
from webtest import TestApp

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.settings import SettingsError
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.server import AppServer
from tests.addon_for_tests import SampleAddon
from tests.kit.failing_view import FailingView
from tests.kit.operator import run_ack
from tests.kit.security.production import production_settings

HTTPS = {"wsgi.url_scheme": "https"}
HSTS = "max-age=31536000; includeSubDomains"


class FramedPage:
    """A page with a Content-Security-Policy of its own."""

    __name__ = "framed_page"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("framed", "/framed")
        config.add_view(
            lambda request: Response(
                "ok", headers={"Content-Security-Policy": "default-src 'self'"}
            ),
            route_name="framed",
            connect_auth="public",
        )


@pytest.fixture
def app(tmp_path):
    return TestApp(make_app(production_settings(tmp_path), extra_plugins=[FramedPage()]))


@pytest.mark.parametrize("path", ["/atlassian-connect.json", "/no-such-page", "/framed"])
def test_every_https_response_carries_the_security_headers(app, path):
    response = app.get(path, extra_environ=HTTPS, expect_errors=True)
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://*.atlassian.net https://*.jira.com https://*.jira-dev.com"
    )


def test_a_view_s_own_policy_is_kept_and_framing_still_limited(app):
    policy = app.get("/framed", extra_environ=HTTPS).headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'; frame-ancestors 'self' https://*.atlassian.net")


def test_frame_ancestors_come_from_the_setting(tmp_path):
    settings = production_settings(
        tmp_path, **{"ack.security.frame_ancestors": "https://jira.example.org"}
    )
    response = TestApp(make_app(settings)).get("/atlassian-connect.json", extra_environ=HTTPS)
    assert response.headers["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://jira.example.org"
    )


def test_a_plain_http_get_is_sent_to_the_https_base_url(app):
    response = app.get(
        "/atlassian-connect.json?x=1", headers={"Host": "evil.example.com"}, status=308
    )
    assert response.headers["Location"] == "https://app.example.com/atlassian-connect.json?x=1"
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_a_plain_http_post_is_refused_before_the_app_sees_it(app):
    response = app.post_json("/installed", {"clientKey": "jira:1"}, status=403)
    assert response.json == {"error": "https is required"}
    assert "no-store" in response.headers["Cache-Control"]


def test_outside_dev_mode_the_server_needs_a_security_contact(tmp_path):
    settings = production_settings(tmp_path, **{"ack.security.contact": ""})
    with pytest.raises(SettingsError, match=r"^ack\.security\.contact: is required"):
        make_app(settings)


def test_the_descriptor_command_needs_no_security_contact(tmp_path):
    ini = tmp_path / "p.ini"
    identity = "".join(f"{name} = {value}\n" for name, value in TEST_APP_IDENTITY.items())
    ini.write_text(
        "[app:main]\nuse = egg:atlassian-connect-kit\nack.base_url = https://app.example.com\n"
        + identity
    )
    result = run_ack("descriptor", "-c", str(ini))
    assert result.status == 0, result.err


def test_dev_mode_serves_http_without_hsts(tmp_path):
    settings = {
        **TEST_APP_IDENTITY,
        "ack.base_url": "http://localhost:6543",
        "ack.dev_mode": "true",
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        "here": str(tmp_path),
    }
    response = TestApp(make_app(settings)).get("/atlassian-connect.json", status=200)
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


def test_authenticated_pages_are_never_cached_and_leak_no_referrer(signed_page_url):
    response = requests.get(signed_page_url("/test/page"), timeout=10)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_https_redirect_drops_the_token_and_keeps_everything_else(tmp_path):
    # Over real HTTP, as a browser or proxy would send the iframe URL on plain http.
    server = AppServer(lambda base_url: make_app(production_settings(tmp_path))).start()
    try:
        query = "b=2&jwt=eyJ.secret.sig&a=%20x+y&%6Awt=eyJ.again&flag&c=%2Fz"
        response = requests.get(
            f"{server.base_url}/timesheet/page?{query}", allow_redirects=False, timeout=10
        )
    finally:
        server.stop()
    assert response.status_code == 308
    assert response.headers["Location"] == (
        "https://app.example.com/timesheet/page?b=2&a=%20x+y&flag&c=%2Fz"
    )
    assert "eyJ" not in response.text


def test_a_redirect_of_a_url_carrying_only_a_token_has_no_query_left(app):
    response = app.get("/atlassian-connect.json?jwt=abc", status=308)
    assert response.headers["Location"] == "https://app.example.com/atlassian-connect.json"


def test_an_unexpected_error_is_a_short_500_with_the_security_headers(tmp_path, caplog):
    app = TestApp(
        make_app(
            production_settings(tmp_path),
            extra_plugins=[FailingView("/broken", RuntimeError("something unexpected"))],
        )
    )
    response = app.get("/broken", extra_environ=HTTPS, status=500)
    assert response.json == {"error": "internal error"}
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "something unexpected" not in response.text
    assert any("unexpected error answering GET /broken" in r.getMessage() for r in caplog.records)
