"""``request.jira`` and ``request.jira_as_app`` on Forge invocations, over real HTTP.

The app calls the fake site's API gateway (``app.apiBaseUrl``) with Forge's app tokens: the
user token as the invoking user, the system token as the app; the same client retries and
types its errors as for Connect, and the tokens appear in no log.
"""

from __future__ import annotations

import logging

import pytest

from tests.kit.forge_probe import ForgeProbe


@pytest.fixture
def ack_extra_plugins():
    return [ForgeProbe()]


def viewer(fake_jira):
    """An active user who cannot browse every project."""
    everyone = {p.key for p in fake_jira.data.projects}
    return next(
        u.account_id for u in fake_jira.data.users if u.active and set(u.project_keys) != everyone
    )


def gateway_calls(fake_jira):
    return [r for r in fake_jira.requests if r.direction == "received" and "/rest/" in r.path]


def test_request_jira_acts_as_the_invoking_user_on_the_api_base_url(forge_invoke, fake_jira):
    account = viewer(fake_jira)
    fake_jira.clear_requests()
    response = forge_invoke("/probe/myself", user=account)
    assert response.status_code == 200, response.text
    assert response.json() == {"accountId": account}
    [call] = gateway_calls(fake_jira)
    assert call.account_id == account
    assert call.acting_as is not None


def test_request_jira_as_app_uses_the_system_token(forge_invoke, fake_jira):
    response = forge_invoke("/probe/projects", user=viewer(fake_jira))
    assert response.status_code == 200, response.text
    # The app sees every project, whoever invoked it.
    assert response.json() == sorted(p.key for p in fake_jira.data.projects)


def test_without_a_system_token_the_app_client_answers_403(forge_invoke, fake_jira):
    fake_jira.clear_requests()
    response = forge_invoke(
        "/probe/projects", user=viewer(fake_jira), headers={"x-forge-oauth-system": None}
    )
    assert response.status_code == 403
    assert "system token" in response.json()["error"]
    assert gateway_calls(fake_jira) == []


def test_the_user_client_never_falls_back_to_the_system_token(forge_invoke, fake_jira):
    fake_jira.clear_requests()
    response = forge_invoke(
        "/probe/myself", user=viewer(fake_jira), headers={"x-forge-oauth-user": None}
    )
    assert response.status_code == 403
    assert response.json()["error"].startswith("Forge sent no user token")
    assert gateway_calls(fake_jira) == []


def test_a_malformed_token_header_counts_as_none(forge_invoke, fake_jira):
    response = forge_invoke(
        "/probe/myself", user=viewer(fake_jira), headers={"x-forge-oauth-user": "two words"}
    )
    assert response.status_code == 403


def test_jira_s_retry_advice_is_followed_as_for_connect(
    forge_invoke, fake_jira, forge_installation
):
    path = f"/ex/jira/{forge_installation.cloud_id}/rest/api/3/myself"
    fake_jira.inject_failures(path, [503, 429], retry_after=["0", "0"])
    fake_jira.clear_requests()
    response = forge_invoke("/probe/myself", user=viewer(fake_jira))
    assert response.status_code == 200, response.text
    assert [r.status for r in gateway_calls(fake_jira)] == [503, 429, 200]


def test_the_tokens_appear_in_no_log_line(forge_invoke, fake_jira, forge_installation, caplog):
    caplog.set_level(logging.DEBUG)
    headers = fake_jira.forge_invocation_headers(
        forge_installation, "ack-remote-endpoint", account_id=viewer(fake_jira)
    )
    response = forge_invoke("/probe/myself", user=viewer(fake_jira), headers=headers)
    assert response.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name in ("x-forge-oauth-user", "x-forge-oauth-system", "Authorization"):
        assert headers[name].removeprefix("Bearer ") not in logged
