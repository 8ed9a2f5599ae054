"""Every request of the app is a plain KitRequest, with its members (``ack_session`` included)."""

from __future__ import annotations

import pytest
import requests
from pyramid.response import Response
from sqlalchemy import text

from atlassian_connect_kit import KitRequest, hookimpl

PUBLIC_PATH = "/request-probe/public"
PAGE_PATH = "/request-probe/page"


class RequestProbe:
    """Two views answering with the class of the request they got and a database round trip."""

    __name__ = "request_probe"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("probe.public", PUBLIC_PATH)
        config.add_view(describe, route_name="probe.public", connect_auth="public")
        config.add_route("probe.page", PAGE_PATH)
        config.add_view(describe, route_name="probe.page", connect_auth="jwt")


def describe(request):
    # A request class built for this very request (what Pyramid does for request methods
    # added with properties) costs more than authenticating it; the kit's is the class itself.
    exact = type(request) is KitRequest
    answer = request.ack_session.scalar(text("SELECT 41 + 1"))
    assert request.ack_session is request.ack_session
    return Response(f"{exact} {answer}", content_type="text/plain")


@pytest.fixture
def ack_extra_plugins():
    return [RequestProbe()]


def test_public_requests_are_kit_requests_with_a_session(ack_server):
    response = requests.get(f"{ack_server.base_url}{PUBLIC_PATH}", timeout=10)
    assert response.status_code == 200, response.text
    assert response.text == "True 42"


def test_authenticated_requests_are_kit_requests_with_a_session(signed_page_url):
    response = requests.get(signed_page_url(PAGE_PATH), timeout=10)
    assert response.status_code == 200, response.text
    assert response.text == "True 42"
