"""One URL served by a page view and by a context view: each keeps its own mode.

A plugin may answer the page and its JSON at the same URL, told apart by a view predicate. A
context token accepted by the JSON view must still be refused by the page view, even though the
kit remembers tokens it verified: the route mode is part of what was verified.
"""

import time

import jwt
import pytest
import requests

from atlassian_connect_kit import hookimpl


class SharedUrl:
    """A page at /shared and its JSON at the same URL, for clients that accept JSON."""

    __name__ = "shared_url"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("shared", "/shared")
        config.add_view(
            lambda request: {"mode": request.identity.mode},
            route_name="shared",
            renderer="json",
            connect_auth="jwt",
        )
        config.add_view(
            lambda request: {"mode": request.identity.mode},
            route_name="shared",
            renderer="json",
            accept="application/json",
            connect_auth="context",
        )


@pytest.fixture
def ack_extra_plugins():
    return [SharedUrl()]


def _context_token(app):
    now = int(time.time())
    claims = {"iss": app.client_key, "sub": "user-1", "iat": now, "exp": now + 180}
    return jwt.encode({**claims, "qsh": "context-qsh"}, app.shared_secret, algorithm="HS256")


def test_a_context_token_the_json_view_accepted_never_opens_the_page_view(
    installed_tenant, ack_server
):
    token = _context_token(installed_tenant)
    headers = {"Authorization": f"JWT {token}"}
    url = f"{ack_server.base_url}/shared"
    as_json = requests.get(url, headers={**headers, "Accept": "application/json"}, timeout=10)
    assert as_json.status_code == 200, as_json.text
    assert as_json.json() == {"mode": "context"}
    for _ in range(2):  # verified before on the same URL, or not: the page view refuses it
        page = requests.get(url, headers={**headers, "Accept": "text/html"}, timeout=10)
        assert page.status_code == 401
        assert page.json() == {"error": "context token not accepted here"}
