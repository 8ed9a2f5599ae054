"""The app caps every request body itself, whatever server runs it."""

import io

import pytest
import requests
from webob import Request

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.server import serve_kit_app

CAP = 65536


class BodyEcho:
    """A public view that reads the whole body, as a form or JSON view would."""

    __name__ = "body_echo"

    def __init__(self):
        self.calls = 0

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("echo", "/echo", request_method="POST")
        config.add_view(self.echo, route_name="echo", renderer="json", connect_auth="public")

    def echo(self, request):
        self.calls += 1
        return {"received": len(request.body)}


@pytest.fixture
def echo():
    return BodyEcho()


@pytest.fixture
def settings(tmp_path):
    return {
        **TEST_APP_IDENTITY,
        "ack.dev_mode": "true",
        "ack.encryption_keys": generate_key_line(),
        "ack.max_request_body_bytes": str(CAP),
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        "here": str(tmp_path),
    }


@pytest.fixture
def server(settings, echo):
    server = serve_kit_app(settings, plugins=[echo])
    yield server
    server.stop()


def _assert_security_headers(response_headers):
    assert response_headers["X-Content-Type-Options"] == "nosniff"
    assert response_headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors" in response_headers["Content-Security-Policy"]


@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_a_body_over_the_cap_gets_413_before_any_view_runs(server, echo, transfer):
    body = b"x" * (CAP + 1)
    data = body if transfer == "content-length" else iter([body[:CAP], body[CAP:]])
    response = requests.post(f"{server.base_url}/echo", data=data, timeout=30)
    assert response.status_code == 413
    assert response.json() == {"error": f"the request body is larger than {CAP} bytes"}
    assert "no-store" in response.headers["Cache-Control"]
    _assert_security_headers(response.headers)
    assert echo.calls == 0


def test_a_body_at_the_cap_is_served(server):
    response = requests.post(f"{server.base_url}/echo", data=b"x" * CAP, timeout=30)
    assert response.status_code == 200
    assert response.json() == {"received": CAP}


def test_the_cap_applies_to_every_route_even_unknown_ones(server):
    response = requests.post(f"{server.base_url}/no-such-route", data=b"x" * (CAP + 1), timeout=30)
    assert response.status_code == 413


def _streamed(app, body):
    # The environ of a server that streams a chunked body to the app: no Content-Length, and
    # wsgi.input_terminated telling the app it may read to the end.
    request = Request.blank("/echo", method="POST")
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    return request.get_response(app)


def test_a_streamed_body_without_a_length_is_cut_off_at_the_cap(settings, echo):
    app = make_app({**settings, "ack.base_url": "http://localhost:6543"}, extra_plugins=[echo])
    response = _streamed(app, b"x" * (CAP + 1))
    assert response.status_code == 413
    assert response.json == {"error": f"the request body is larger than {CAP} bytes"}
    _assert_security_headers(response.headers)
    small = _streamed(app, b"x" * 1000)
    assert small.status_code == 200
    assert small.json == {"received": 1000}
