"""The example add-on, tested the way any add-on tests itself: against the fake Jira site."""

import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
import myself_page


@pytest.fixture
def ack_extra_plugins():
    return [myself_page]


def test_the_page_greets_the_viewer(fake_jira, signed_page_url):
    viewer = next(user for user in fake_jira.data.users if user.active)
    response = requests.get(signed_page_url("/hello", account_id=viewer.account_id), timeout=30)
    assert response.status_code == 200
    assert viewer.display_name in response.text


def test_the_api_lists_only_the_viewers_projects(fake_jira, installed_tenant, ack_server):
    viewer = next(user for user in fake_jira.data.users if user.active)
    token = fake_jira.context_token(installed_tenant, viewer.account_id)
    response = requests.get(
        f"{ack_server.base_url}/hello/api/projects",
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json() == {"projects": sorted(viewer.project_keys)}


def test_the_api_refuses_a_request_without_a_token(ack_server):
    assert requests.get(f"{ack_server.base_url}/hello/api/projects", timeout=10).status_code == 401


def test_an_anonymous_visitor_is_asked_to_sign_in(
    fake_jira, installed_tenant, ack_server, signed_page_url
):
    fake_jira.clear_requests()
    page = requests.get(signed_page_url("/hello", anonymous=True), timeout=30)
    assert page.status_code == 401
    assert "sign in to Jira" in page.text
    token = fake_jira.context_token(installed_tenant, None)
    api = requests.get(
        f"{ack_server.base_url}/hello/api/projects",
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert api.status_code == 401
    assert [r for r in fake_jira.requests if r.acting_as == "app"] == []
