"""The Timesheet's API and exports answer Forge Remote invocations; its page stays Connect-only.

Over real HTTP: the fake site installs the app through Forge (the manifest ``ack manifest``
renders), mints Forge Invocation Tokens and app tokens, and answers the app's calls to its API
gateway with Jira's per-user permissions.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import time
from datetime import UTC, datetime

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog

LEAD = "5b10a2844c20165700ede401"  # browses ALPHA and BETA
OUTSIDER = "5b10a2844c20165700ede402"  # browses ALPHA only
NOBODY = "5b10a2844c20165700ede403"  # browses no project
PERIOD = {"from": "2014-02-01", "to": "2014-02-28", "group": "project", "tz": "UTC"}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Two projects, one worklog in each; three viewers who may browse both, one, none."""
    users = [
        User(LEAD, "Lee Lead", "lee@example.com", "UTC", project_keys=frozenset({"ALPHA", "BETA"})),
        User(OUTSIDER, "Olu Outside", "olu@example.com", "UTC", project_keys=frozenset({"ALPHA"})),
        User(NOBODY, "Nia None", "nia@example.com", "UTC", project_keys=frozenset()),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")]
    issues = [
        Issue("20001", "ALPHA-1", "Build the thing", "Task", "ALPHA"),
        Issue("20002", "BETA-1", "Secret beta work", "Task", "BETA"),
    ]
    worklogs = [
        Worklog("30001", "20001", LEAD, datetime(2014, 2, 10, 9, 0, tzinfo=UTC), 3600),
        Worklog("30002", "20002", LEAD, datetime(2014, 2, 11, 9, 0, tzinfo=UTC), 7200),
    ]
    return SiteData(users=users, projects=projects, issues=issues, worklogs=worklogs)


def _rows(response: requests.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return [row["key"] for row in response.json()["rows"]]


def _jira_calls(fake_jira) -> list[str]:
    return [r.path for r in fake_jira.requests if r.direction == "received" and "/rest/" in r.path]


def test_a_forge_invocation_reports_as_its_user_with_jiras_permissions(forge_invoke, fake_jira):
    fake_jira.clear_requests()
    assert _rows(forge_invoke("/timesheet/api/report", user=LEAD, params=PERIOD)) == [
        ["ALPHA"],
        ["BETA"],
    ]
    # The same app, another user: Jira answers the user token with that user's permissions.
    assert _rows(forge_invoke("/timesheet/api/report", user=OUTSIDER, params=PERIOD)) == [["ALPHA"]]
    assert _rows(forge_invoke("/timesheet/api/report", user=NOBODY, params=PERIOD)) == []
    calls = [r for r in fake_jira.requests if r.direction == "received" and "/rest/" in r.path]
    assert calls, "the report called Jira"
    assert {r.account_id for r in calls} == {LEAD, OUTSIDER, NOBODY}


def test_the_exports_and_the_cell_detail_answer_forge(forge_invoke) -> None:
    # Through Forge an export is JSON carrying the file (invokeRemote passes JSON only).
    exported = forge_invoke("/timesheet/export.csv", user=OUTSIDER, params=PERIOD)
    assert exported.status_code == 200, exported.text
    text = base64.b64decode(exported.json()["content"]).decode("utf-8-sig")
    assert "ALPHA" in text and "BETA" not in text
    assert list(csv.reader(io.StringIO(text)))
    xlsx = forge_invoke("/timesheet/export.xlsx", user=LEAD, params=PERIOD)
    assert xlsx.status_code == 200
    assert base64.b64decode(xlsx.json()["content"])[:2] == b"PK"
    detail = forge_invoke(
        "/timesheet/api/worklogs",
        user=LEAD,
        params={**PERIOD, "row": '["BETA"]', "column": "2014-02-11"},
    )
    assert detail.status_code == 200, detail.text


def test_the_page_stays_connect_only(forge_invoke, fake_jira) -> None:
    fake_jira.clear_requests()
    response = forge_invoke("/timesheet", user=LEAD)
    assert response.status_code == 401
    assert response.json() == {"error": "this URL does not accept Forge invocations"}
    assert _jira_calls(fake_jira) == []


def test_connect_context_tokens_still_work(installed_tenant, ack_server, fake_jira) -> None:
    token = fake_jira.context_token(installed_tenant, OUTSIDER)
    response = requests.get(
        f"{ack_server.base_url}/timesheet/api/report",
        params=PERIOD,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert _rows(response) == [["ALPHA"]]


def test_without_the_user_token_the_answer_is_403_and_nothing_falls_back(
    forge_invoke, fake_jira
) -> None:
    fake_jira.clear_requests()
    response = forge_invoke(
        "/timesheet/api/report", user=LEAD, params=PERIOD, headers={"x-forge-oauth-user": None}
    )
    assert response.status_code == 403
    assert "user token" in response.json()["error"]
    # The system token was there, and was not used in the user's place.
    assert _jira_calls(fake_jira) == []


def test_an_invocation_without_a_user_gets_403(forge_invoke, fake_jira) -> None:
    fake_jira.clear_requests()
    response = forge_invoke("/timesheet/api/report", user=None, params=PERIOD)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/json")
    assert _jira_calls(fake_jira) == []


def test_a_revoked_user_token_is_jiras_refusal_not_a_fallback(forge_invoke, fake_jira) -> None:
    response = forge_invoke(
        "/timesheet/api/report",
        user=LEAD,
        params=PERIOD,
        headers={"x-forge-oauth-user": "not-a-token-jira-issued"},
    )
    assert response.status_code == 403
    assert response.json()["error"].startswith("Jira did not allow this report")


# -- forged invocation tokens -------------------------------------------------------------------


def _genuine_claims(fake_jira, forge_installation) -> dict:
    fit = fake_jira.forge_invocation_token(forge_installation, account_id=LEAD, module_key="m")
    return jwt.decode(fit, options={"verify_signature": False})


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _forged(kind: str, fake_jira, forge_installation) -> str:
    claims = _genuine_claims(fake_jira, forge_installation)
    kid = fake_jira.forge_key_id
    now = int(time.time())
    if kind == "another key":
        return jwt.encode(claims, _other_key(), algorithm="RS256", headers={"kid": kid})
    if kind == "unknown kid":
        return jwt.encode(
            claims, _other_key(), algorithm="RS256", headers={"kid": "forge/invocation-token/x"}
        )
    if kind == "alg none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    if kind == "HS256 keyed with the public key":
        jwks = requests.get(fake_jira.forge_jwks_url, timeout=10).json()
        public = jwt.PyJWK(jwks["keys"][0]).key
        pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        header = jwt.utils.base64url_encode(
            f'{{"alg":"HS256","typ":"JWT","kid":"{jwks["keys"][0]["kid"]}"}}'.encode()
        )
        payload = jwt.utils.base64url_encode(json.dumps(claims).encode())
        signing_input = header + b"." + payload
        signature = hmac.new(pem, signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()
    if kind == "wrong aud":
        other = "ari:cloud:ecosystem::app/9a8b7c6d-0000-4000-8000-000000000002"
        claims["aud"] = other
        claims["app"]["id"] = other
    elif kind == "wrong iss":
        claims["iss"] = "forge/context-token"
    elif kind == "expired":
        claims.update(iat=now - 600, nbf=now - 600, exp=now - 300)
    elif kind == "nbf in the future":
        claims["nbf"] = now + 600
    return fake_jira._state.forge_keys.sign(claims)


FORGERIES = {
    "another key": "token signature is invalid",
    "unknown kid": "token signed by an unknown key",
    "alg none": "token is not signed with RS256",
    "HS256 keyed with the public key": "token is not signed with RS256",
    "wrong aud": "token audience is not this app",
    "wrong iss": "token issuer is not Forge",
    "expired": "token expired",
    "nbf in the future": "token not yet valid",
}


@pytest.mark.parametrize("kind", list(FORGERIES))
def test_forged_invocation_tokens_get_401_and_nothing_is_called(
    kind, forge_invoke, fake_jira, forge_installation
) -> None:
    token = _forged(kind, fake_jira, forge_installation)
    fake_jira.clear_requests()
    response = forge_invoke(
        "/timesheet/api/report",
        user=LEAD,
        params=PERIOD,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json() == {"error": FORGERIES[kind]}
    assert token not in response.text
    assert _jira_calls(fake_jira) == []


def test_an_unknown_kid_is_refused_after_one_refresh_of_the_keys(
    fake_jira, ack_server, forge_manifest
) -> None:
    # Installed without the lifecycle trigger, so the forged token is the first the app sees.
    modules = {k: v for k, v in forge_manifest["modules"].items() if k != "trigger"}
    installation = fake_jira.forge_install(
        {**forge_manifest, "modules": modules}, remote_base_url=ack_server.base_url
    )
    token = _forged("unknown kid", fake_jira, installation)
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=LEAD
    )
    fake_jira.clear_requests()
    for _ in range(3):
        response = requests.get(
            f"{ack_server.base_url}/timesheet/api/report",
            params=PERIOD,
            headers={**headers, "Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 401
        assert response.json() == {"error": "token signed by an unknown key"}
    fetches = [r for r in fake_jira.requests if r.path == "/.well-known/jwks.json"]
    assert len(fetches) == 1  # one refresh, then the rate limit holds
    assert _jira_calls(fake_jira) == []


def test_a_jwks_outage_answers_503(fake_jira, ack_server, forge_manifest) -> None:
    fake_jira.set_forge_delivery(max_retries=0)
    fake_jira.inject_failures("/.well-known/jwks.json", [503])
    installation = fake_jira.forge_install(forge_manifest, remote_base_url=ack_server.base_url)
    # The installed event met the outage first: Forge is told to come back later.
    assert [d.status for d in fake_jira.forge_deliveries] == [503]
    fake_jira.clear_requests()
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=LEAD
    )
    response = requests.get(
        f"{ack_server.base_url}/timesheet/api/report", params=PERIOD, headers=headers, timeout=30
    )
    assert response.status_code == 503
    assert response.json() == {"error": "Forge signing keys are unavailable; try again shortly"}
    assert _jira_calls(fake_jira) == []
