"""Each request is authenticated once, however often the view, its helpers and tweens ask."""

from __future__ import annotations

import pytest
import requests
from pyramid.response import Response

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.identity import AuthenticationFailed


class CountingAddon:
    """Counts ``ack_authenticate`` calls; its page and tween ask for the identity many times."""

    __name__ = "counting_addon"

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(hookwrapper=True)
    def ack_authenticate(self, request, mode):
        self.calls += 1
        yield

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("count.page", "/count/page")
        config.add_view(asking_page, route_name="count.page", connect_auth="jwt")
        config.add_tween(f"{__name__}.userid_header_tween")


def asking_page(request):
    first = request.identity
    assert request.identity is first
    assert request.authenticated_userid == first.account_id
    assert request.is_authenticated
    token = request.ack_context_token()
    return Response(f"{first.account_id} {len(token)}", content_type="text/plain")


def userid_header_tween(handler, registry):
    """After the view, ask for the user again, as logging or metrics tweens do."""

    def tween(request):
        response = handler(request)
        try:
            userid = str(request.authenticated_userid)
        except AuthenticationFailed as failure:
            userid = f"refused: {failure.status} {failure.reason}"
        response.headers["X-Asked-Userid"] = userid
        return response

    return tween


@pytest.fixture
def counting():
    return CountingAddon()


class OutageProtocol:
    """Another host protocol: while its keys are out of reach it refuses with 503."""

    __name__ = "outage_protocol"

    @hookimpl(tryfirst=True)
    def ack_authenticate(self, request, mode):
        if request.headers.get("X-Outage"):
            raise AuthenticationFailed("keys unavailable, try again", status=503)
        return None


@pytest.fixture
def ack_extra_plugins(counting):
    return [counting, OutageProtocol()]


def test_a_page_asking_five_times_is_authenticated_once(counting, signed_page_url):
    url = signed_page_url("/count/page", account_id="557058:asker")
    counting.calls = 0
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.text.startswith("557058:asker ")
    assert response.headers["X-Asked-Userid"] == "557058:asker"
    assert counting.calls == 1


def test_a_refusal_is_kept_too(counting, installed_tenant, ack_server):
    counting.calls = 0
    response = requests.get(
        f"{ack_server.base_url}/count/page",
        headers={"Authorization": "JWT not.a.token"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "malformed token"}
    # Asked again, the request is refused again, for the same reason and with the same status.
    assert response.headers["X-Asked-Userid"] == "refused: 401 malformed token"
    assert counting.calls == 1


def test_a_refusal_is_kept_with_its_status(counting, ack_server):
    counting.calls = 0
    response = requests.get(
        f"{ack_server.base_url}/count/page", headers={"X-Outage": "1"}, timeout=10
    )
    assert response.status_code == 503
    assert response.json() == {"error": "keys unavailable, try again"}
    assert response.headers["X-Asked-Userid"] == "refused: 503 keys unavailable, try again"
    assert counting.calls == 1
