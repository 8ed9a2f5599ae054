"""``request.jira`` and ``request.jira_as_app`` come from the ``ack_host_client`` hook."""

import pytest
import requests

from atlassian_connect_kit import hookimpl
from tests.addon_for_tests import SampleAddon


class WatchingAdapter:
    """Another host protocol's adapter: it sees every request and answers none of them."""

    __name__ = "watching_adapter"

    def __init__(self):
        self.asked = []

    @hookimpl
    def ack_host_client(self, request, identity, as_user):
        self.asked.append((identity.account_id, as_user))
        return None


@pytest.fixture
def adapter():
    return WatchingAdapter()


@pytest.fixture
def ack_extra_plugins(adapter):
    return [SampleAddon(), adapter]


def test_views_get_clients_through_the_hook_and_connect_answers_last(
    installed_tenant, ack_server, fake_jira, adapter
):
    viewer = next(user for user in fake_jira.data.users if user.active)
    token = fake_jira.context_token(installed_tenant, viewer.account_id)
    response = requests.get(
        f"{ack_server.base_url}/test/api/myself",
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accountId"] == viewer.account_id
    assert (viewer.account_id, True) in adapter.asked
    assert (viewer.account_id, False) in adapter.asked


def test_the_viewer_s_client_never_acts_as_the_app_for_an_anonymous_visitor(
    installed_tenant, ack_server, fake_jira, adapter
):
    anonymous = fake_jira.context_token(installed_tenant, None)
    fake_jira.clear_requests()
    response = requests.get(
        f"{ack_server.base_url}/test/api/myself",
        headers={"Authorization": f"JWT {anonymous}"},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json() == {"error": "sign in to Jira to see this page"}
    assert [record for record in fake_jira.requests if record.acting_as == "app"] == []
    # Refused before any host protocol was asked for a client acting as nobody.
    assert (None, True) not in adapter.asked
