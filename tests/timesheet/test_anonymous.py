"""An anonymous visitor never sees worklogs: every Timesheet route wants a signed-in viewer.

Jira sends tokens without ``sub`` to anonymous visitors of sites that allow anonymous access. Such
a token is valid, but the Timesheet must neither show it anything nor fetch anything as the app on
its behalf (which would reveal every project the app can read).
"""

import json

import requests

PERIOD = "from=2026-01-05&to=2026-01-11"
MESSAGE = "sign in to Jira to see this report"


def _routes(fake_jira):
    someone = next(user for user in fake_jira.data.users if user.active).account_id
    cell = f"row={json.dumps([someone])}&column=2026-01-05"
    return [
        "/timesheet/api/report?" + PERIOD,
        "/timesheet/api/worklogs?" + PERIOD + "&group=user&" + cell,
        "/timesheet/export.csv?" + PERIOD,
        "/timesheet/export.xlsx?" + PERIOD,
    ]


def _calls_as_the_app(fake_jira):
    return [f"{r.method} {r.path}" for r in fake_jira.requests if r.acting_as == "app"]


def test_an_anonymous_page_token_gets_a_sign_in_page(installed_tenant, fake_jira):
    fake_jira.clear_requests()
    url = fake_jira.signed_url(installed_tenant, "/timesheet", account_id=None)
    response = requests.get(url, timeout=30)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<p>{MESSAGE}</p>" in response.text
    assert "context_token" not in response.text and "eyJ" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _calls_as_the_app(fake_jira) == []


def test_jira_signed_anonymous_urls_of_every_api_and_export_get_401(installed_tenant, fake_jira):
    fake_jira.clear_requests()
    for route in _routes(fake_jira):
        url = fake_jira.signed_url(installed_tenant, route, account_id=None)
        response = requests.get(url, timeout=30)
        assert response.status_code == 401, (route, response.text[:200])
        assert response.json() == {"error": MESSAGE}, route
    assert _calls_as_the_app(fake_jira) == []


def test_an_anonymous_context_token_gets_401_everywhere(installed_tenant, ack_server, fake_jira):
    token = fake_jira.context_token(installed_tenant, None)
    fake_jira.clear_requests()
    for route in _routes(fake_jira):
        response = requests.get(
            ack_server.base_url + route, headers={"Authorization": f"JWT {token}"}, timeout=30
        )
        assert response.status_code == 401, (route, response.text[:200])
        assert response.json() == {"error": MESSAGE}, route
    # The page takes no context token at all, anonymous or not.
    page = requests.get(
        ack_server.base_url + "/timesheet", headers={"Authorization": f"JWT {token}"}, timeout=30
    )
    assert page.status_code == 401
    assert _calls_as_the_app(fake_jira) == []


def test_a_signed_in_viewer_still_gets_the_report(installed_tenant, ack_server, fake_jira):
    viewer = next(user for user in fake_jira.data.users if user.active).account_id
    token = fake_jira.context_token(installed_tenant, viewer)
    for route in _routes(fake_jira):
        response = requests.get(
            ack_server.base_url + route, headers={"Authorization": f"JWT {token}"}, timeout=30
        )
        assert response.status_code == 200, (route, response.text[:200])
