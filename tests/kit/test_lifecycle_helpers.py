"""A plugin's own signed callbacks use the lifecycle helpers, over real HTTP.

``verify_tenant_callback_token`` and ``read_lifecycle_body`` let a plugin accept a POST Jira signs
with the site's shared secret (a webhook, say) with the same checks as ``/enabled``: the token
first, bound to the request, then the capped JSON body.
"""

import json
import time

import jwt
import pytest
import requests

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.lifecycle import read_lifecycle_body, verify_tenant_callback_token

PATH = "/hooks/issue-updated"


class IssueHook:
    """A plugin route Jira posts to, signed like ``/enabled``."""

    __name__ = "issue_hook"

    @hookimpl
    def ack_configure(self, config, settings):
        def issue_updated(request):
            tenant = verify_tenant_callback_token(request)
            body = read_lifecycle_body(request)
            return {"site": tenant.client_key, "issue": body["issue"]}

        config.add_route("issue_hook", PATH, request_method="POST")
        config.add_view(
            issue_updated, route_name="issue_hook", renderer="json", connect_auth="public"
        )


@pytest.fixture
def ack_extra_plugins():
    return [IssueHook()]


def _post(server, app, *, secret=None, qsh=None):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "iat": now,
        "exp": now + 180,
        "qsh": qsh or query_string_hash("POST", PATH, ""),
    }
    token = jwt.encode(claims, secret or app.shared_secret, algorithm="HS256")
    return requests.post(
        f"{server.base_url}{PATH}",
        data=json.dumps({"issue": "TS-1"}),
        headers={"Authorization": f"JWT {token}", "Content-Type": "application/json"},
        timeout=10,
    )


def test_a_signed_post_to_a_plugin_route_names_its_site_and_body(installed_tenant, ack_server):
    response = _post(ack_server, installed_tenant)
    assert response.status_code == 200, response.text
    assert response.json() == {"site": installed_tenant.client_key, "issue": "TS-1"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "not-the-secret-0123456789abcdefghij"}, "token signature is invalid"),
        ({"qsh": "context-qsh"}, "context token not accepted here"),
    ],
)
def test_a_plugin_route_refuses_what_enabled_would(installed_tenant, ack_server, change, reason):
    response = _post(ack_server, installed_tenant, **change)
    assert response.status_code == 401
    assert response.json() == {"error": reason}
