"""The fake site plays Forge: JWKS, invocation tokens, app tokens on the API gateway, events."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import jwt
import pytest
import requests

from atlassian_connect_kit.testing.fakejira import FakeJira, ForgeError, ForgeInstallation
from tests.kit.testing.fakejira_support import (
    ANN,
    BOB,
    CID,
    RecordingApp,
    as_app,
    tiny_site,
)
from tests.kit.testing.forge_support import APP_ID, OTHER_APP_ID, forge_manifest

SEARCH = "/rest/api/3/search/jql"


@pytest.fixture
def remote() -> Iterator[RecordingApp]:
    """A remote that records what Forge posts to it."""
    app = RecordingApp(key="forge-test-app")
    yield app
    app.stop()


@pytest.fixture
def site(remote: RecordingApp) -> Iterator[tuple[FakeJira, ForgeInstallation]]:
    """A site (below /jira) with the app installed through Forge; retries 20 ms apart."""
    with FakeJira(tiny_site(), base_path="/jira", forge_retry_interval=0.02) as fake:
        yield fake, fake.forge_install(forge_manifest(remote_base_url=remote.base_url))


def _gateway(fake: FakeJira, token: str, path: str, **params: str) -> requests.Response:
    return requests.get(
        f"{fake.forge_api_base_url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _keys(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(issue["key"] for issue in response.json()["issues"])


def test_the_jwks_verifies_the_fits_the_site_mints(site) -> None:
    fake, installation = site
    jwks = requests.get(fake.forge_jwks_url, timeout=10)
    assert jwks.status_code == 200
    fit = fake.forge_invocation_token(installation, account_id=ANN, module_key="page")
    key = jwt.PyJWKSet.from_dict(jwks.json())[jwt.get_unverified_header(fit)["kid"]]
    claims = jwt.decode(fit, key.key, algorithms=["RS256"], audience=APP_ID)
    assert claims["iss"] == "forge/invocation-token"
    assert claims["principal"] == ANN
    assert claims["app"]["installationId"] == installation.installation_id
    assert claims["app"]["apiBaseUrl"] == f"{fake.forge_api_base_url}"
    assert claims["app"]["apiBaseUrl"].endswith(f"/ex/jira/{fake.cloud_id}")
    assert claims["app"]["installation"]["contexts"][0]["cloudId"] == fake.cloud_id
    assert claims["app"]["module"] == {"type": "core:endpoint", "key": "page"}
    assert claims["exp"] - claims["iat"] == 25
    assert claims["context"]["cloudId"] == fake.cloud_id


def test_a_new_forge_key_is_published_beside_the_old(site) -> None:
    fake, _ = site
    old = fake.forge_key_id
    new = fake.new_forge_key()
    kids = [key["kid"] for key in requests.get(fake.forge_jwks_url, timeout=10).json()["keys"]]
    assert kids == [new, old]
    assert new.startswith("forge/invocation-token/")


def test_a_user_token_acts_as_that_user_with_jiras_permissions(site) -> None:
    fake, installation = site
    jql = "project = ALPHA OR project = BETA"
    ann = fake.forge_user_token(installation, ANN)
    bob = fake.forge_user_token(installation, BOB)
    assert {key.split("-")[0] for key in _keys(_gateway(fake, ann, SEARCH, jql=jql))} == {
        "ALPHA",
        "BETA",
    }
    # Bob is not in BETA: Jira answers as for a project he cannot see.
    refused = _gateway(fake, bob, SEARCH, jql=jql)
    assert refused.status_code == 400
    assert _keys(_gateway(fake, bob, SEARCH, jql="project = ALPHA"))
    assert _gateway(fake, bob, "/rest/api/3/myself").json()["accountId"] == BOB
    records = [r for r in fake.requests if r.path.endswith("/rest/api/3/myself")]
    assert (records[-1].acting_as, records[-1].account_id) == ("user", BOB)


def test_a_system_token_acts_as_the_app(site) -> None:
    fake, installation = site
    system = fake.forge_system_token(installation)
    found = _keys(_gateway(fake, system, SEARCH, jql="project = BETA"))
    assert found == ["BETA-1"]
    me = _gateway(fake, system, "/rest/api/3/myself").json()
    assert me["accountType"] == "app"


def test_expired_unknown_and_revoked_tokens_get_401(site) -> None:
    fake, installation = site
    expired = fake.forge_user_token(installation, ANN, lifetime=1)
    revoked = fake.forge_user_token(installation, ANN)
    fake.revoke_forge_token(revoked)
    time.sleep(1.1)
    for token in (expired, revoked, "not-a-token"):
        assert _gateway(fake, token, "/rest/api/3/myself").status_code == 401
    assert (
        requests.get(f"{fake.forge_api_base_url}/rest/api/3/myself", timeout=10).status_code == 401
    )
    # A Connect credential is no good on the gateway.
    connect = requests.get(
        f"{fake.forge_api_base_url}/rest/api/3/myself",
        headers={"Authorization": "JWT abc"},
        timeout=10,
    )
    assert connect.status_code == 401


def test_another_cloud_id_is_not_this_site(site) -> None:
    fake, installation = site
    token = fake.forge_user_token(installation, ANN)
    response = requests.get(
        f"{fake.forge_api_base_url.rsplit('/', 1)[0]}/00000000-0000-0000-0000-000000000000"
        "/rest/api/3/myself",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 404


def test_scopes_bound_the_tokens(remote) -> None:
    read_only = forge_manifest(
        remote_base_url=remote.base_url,
        scopes=("read:jira-work", "read:app-system-token", "read:app-user-token"),
    )
    with FakeJira(tiny_site()) as fake:
        installation = fake.forge_install(read_only)
        token = fake.forge_user_token(installation, ANN)
        put = requests.put(
            f"{fake.forge_api_base_url}/rest/api/3/user/properties/colour",
            params={"accountId": ANN},
            json={"v": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert put.status_code == 403
        no_tokens = fake.forge_install(
            forge_manifest(remote_base_url=remote.base_url, scopes=("read:jira-work",))
        )
        with pytest.raises(ForgeError, match="read:app-user-token"):
            fake.forge_user_token(no_tokens, ANN)
        with pytest.raises(ForgeError, match="read:app-system-token"):
            fake.forge_system_token(no_tokens)
        with pytest.raises(ValueError, match="active user"):
            fake.forge_user_token(installation, CID)


def test_install_delivers_the_installed_event_with_a_fit_and_a_system_token(site, remote) -> None:
    fake, installation = site
    (post,) = remote.posts_to("/forge/lifecycle")
    body = post.json()["payload"]
    assert body["eventType"] == "avi:forge:installed:app"
    assert body["id"] == installation.installation_uuid
    assert body["context"] == f"ari:cloud:jira::site/{fake.cloud_id}"
    assert body["app"]["id"] == APP_ID.rsplit("/", 1)[-1]
    assert "retryContext" not in body
    assert post.headers["Authorization"].startswith("Bearer ")
    assert post.headers["X-B3-Traceid"] and post.headers["X-B3-Spanid"]
    assert "X-Forge-Oauth-User" not in post.headers
    system = post.headers["X-Forge-Oauth-System"]
    assert _gateway(fake, system, "/rest/api/3/myself").status_code == 200
    fit = jwt.decode(post.headers["Authorization"][7:], options={"verify_signature": False})
    assert "principal" not in fit
    assert fit["app"]["module"] == {"type": "core:endpoint", "key": "ack-lifecycle-endpoint"}
    sent = [r for r in fake.requests if r.direction == "sent"]
    assert [(r.method, r.path, r.status) for r in sent] == [("POST", "/forge/lifecycle", 204)]
    assert fake.count_requests("/forge/lifecycle", direction="sent") == 1
    assert fake.count_requests("/forge/lifecycle") == 0


def test_a_failing_remote_gets_four_retries_with_a_retry_context(site, remote) -> None:
    fake, installation = site
    remote.status = 500
    fake.clear_forge_deliveries()
    fake.forge_upgrade(installation, upgrader_account_id=ANN)

    attempts = fake.forge_deliveries
    assert [a.retry_count for a in attempts] == [0, 1, 2, 3, 4]
    posts = remote.posts_to("/forge/lifecycle")[1:]
    contexts = [p.json()["payload"].get("retryContext") for p in posts]
    assert contexts[0] is None
    assert contexts[1:] == [
        {"retryData": None, "retryCount": n, "retryReason": "INVALID_REMOTE_INVOCATION_ERROR"}
        for n in (1, 2, 3, 4)
    ]
    assert posts[0].json()["payload"]["upgraderAccountId"] == ANN
    assert posts[0].json()["payload"]["eventType"] == "avi:forge:upgraded:app"
    gaps = [b.time - a.time for a, b in itertools.pairwise(attempts)]
    assert min(gaps) >= 0.02
    # Each attempt carries a fresh invocation token.
    assert len({p.headers["Authorization"] for p in posts}) == 5


def test_retries_stop_at_the_first_success_and_name_401_and_timeouts(site, remote) -> None:
    fake, installation = site
    remote.status = 401
    fake.set_forge_delivery(max_retries=1)
    fake.clear_forge_deliveries()
    fake.forge_upgrade(installation)
    assert [a.failure for a in fake.forge_deliveries] == ["INVALID_FORGE_INVOCATION_TOKEN"] * 2

    remote.status = 204
    fake.set_forge_delivery(max_retries=4)
    fake.clear_forge_deliveries()
    fake.forge_upgrade(installation)
    assert [(a.status, a.failure) for a in fake.forge_deliveries] == [(204, None)]


def test_a_slow_remote_is_a_timeout(remote) -> None:
    slow = RecordingApp(key="slow-remote")
    original = slow._wsgi

    def delayed(environ, start_response):  # type: ignore[no-untyped-def]
        time.sleep(0.4)
        return original(environ, start_response)

    slow._server._server.set_app(delayed)
    try:
        with FakeJira(tiny_site(), forge_retry_interval=0.01, forge_delivery_timeout=0.1) as fake:
            fake.set_forge_delivery(max_retries=1)
            fake.forge_install(forge_manifest(remote_base_url=slow.base_url))
            attempts = fake.forge_deliveries
            assert [(a.status, a.failure) for a in attempts] == [(None, "TIMEOUT_ERROR")] * 2
            assert attempts[1].body["payload"]["retryContext"]["retryReason"] == "TIMEOUT_ERROR"
            assert fake.count_requests("/forge/lifecycle", direction="sent", status=0) == 2
    finally:
        slow.stop()


def test_uninstall_calls_pre_uninstall_once_and_revokes_the_tokens(site, remote) -> None:
    fake, installation = site
    token = fake.forge_system_token(installation)
    remote.status = 500
    (call,) = fake.forge_uninstall(installation)
    assert call.failure == "INVALID_REMOTE_INVOCATION_ERROR"  # and no retry follows
    (post,) = remote.posts_to("/forge/uninstall")
    assert post.json()["context"] == {"cloudId": fake.cloud_id, "moduleKey": "ack-pre-uninstall"}
    assert post.json()["contextToken"]
    assert _gateway(fake, token, "/rest/api/3/myself").status_code == 401
    assert fake.forge_installations == ()
    with pytest.raises(ValueError, match="not on this site"):
        fake.forge_invocation_token(installation)


def test_an_adopting_connect_app_gets_the_installation_id_in_its_installed_payload(
    remote,
) -> None:
    with FakeJira(tiny_site(), forge_retry_interval=0.01) as fake:
        connect = fake.install(remote.base_url)
        first = remote.posts_to("/installed")[-1].json()
        assert "installationId" not in first

        installation = fake.forge_install(
            forge_manifest(remote_base_url=remote.base_url, connect_key=connect.app_key),
            adopt=connect,
        )
        adopted = remote.posts_to("/installed")[-1].json()
        assert adopted["installationId"] == installation.installation_id
        assert adopted["clientKey"] == connect.client_key
        (current,) = fake.installed_apps
        assert current.installation_id == installation.installation_id
        # Secret rotations keep sending it.
        fake.rotate_secret(current)
        assert remote.posts_to("/installed")[-1].json()["installationId"] == (
            installation.installation_id
        )
        with pytest.raises(ValueError, match=r"app\.connect\.key"):
            fake.forge_install(forge_manifest(remote_base_url=remote.base_url), adopt=connect)


def test_invocation_headers_follow_the_endpoints_auth(site) -> None:
    fake, installation = site
    ui = fake.forge_invocation_headers(installation, "ack-remote-endpoint", account_id=BOB)
    assert {"Authorization", "x-b3-traceid", "x-b3-spanid"} <= set(ui)
    assert _gateway(fake, ui["x-forge-oauth-user"], "/rest/api/3/myself").json()["accountId"] == BOB
    assert "x-forge-oauth-system" in ui
    backend = fake.forge_invocation_headers(installation, "ack-remote-endpoint")
    assert "x-forge-oauth-user" not in backend
    uninstall = fake.forge_invocation_headers(installation, "ack-uninstall-endpoint")
    assert "x-forge-oauth-system" not in uninstall


APP_PROPERTIES = "/rest/forge/1/app/properties"
APP_DATA_SCOPES = ("read:app-data:jira", "write:app-data:jira")


def _as(fake: FakeJira, token: str | None, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(
        method, f"{fake.forge_api_base_url}{path}", headers=headers, timeout=10, **kwargs
    )


@pytest.fixture
def app_data_site(remote: RecordingApp) -> Iterator[tuple[FakeJira, ForgeInstallation]]:
    """A site with a Forge app that declares the app-data scopes."""
    scopes = (
        "read:jira-work",
        "read:app-system-token",
        "read:app-user-token",
        *APP_DATA_SCOPES,
    )
    with FakeJira(tiny_site()) as fake:
        manifest = forge_manifest(remote_base_url=remote.base_url, scopes=scopes)
        yield fake, fake.forge_install(manifest)


def test_forge_app_properties_are_the_apps_with_its_system_token(app_data_site) -> None:
    fake, installation = app_data_site
    system = fake.forge_system_token(installation)
    path = f"{APP_PROPERTIES}/working-week"

    missing = _as(fake, system, "GET", path)
    created = _as(fake, system, "PUT", path, json={"mon": 8})
    updated = _as(fake, system, "PUT", path, json={"mon": 7.5})

    assert missing.status_code == 404
    assert (created.status_code, created.json()) == (
        201,
        {"message": "Property created.", "statusCode": 201},
    )
    assert updated.status_code == 200
    assert _as(fake, system, "GET", path).json() == {"key": "working-week", "value": {"mon": 7.5}}
    assert fake.forge_app_property(installation, "working-week") == {"mon": 7.5}
    [listed] = _as(fake, system, "GET", APP_PROPERTIES).json()["keys"]
    assert listed["key"] == "working-week" and listed["self"].endswith(path)
    assert _as(fake, system, "DELETE", path).status_code == 204
    assert _as(fake, system, "DELETE", path).status_code == 404
    assert fake.forge_app_property(installation, "working-week") is None


def test_only_the_app_itself_may_use_forge_app_properties(app_data_site) -> None:
    fake, installation = app_data_site
    system = fake.forge_system_token(installation)
    user = fake.forge_user_token(installation, ANN)
    path = f"{APP_PROPERTIES}/shared"
    _as(fake, system, "PUT", path, json=[1])

    # A user's token is an impersonated call: 403, and nothing changes.
    for method, body in (("GET", None), ("PUT", [2]), ("DELETE", None)):
        refused = _as(fake, user, method, path, json=body)
        assert refused.status_code == 403, method
        assert refused.json()["errorMessages"] == [
            "Access to this resource must be authenticated as an app."
        ]
    assert _as(fake, None, "GET", path).status_code == 401
    assert _as(fake, "not-a-token", "PUT", path, json=[3]).status_code == 401
    # Connect apps cannot use Forge's app properties, not even with their own JWT.
    connect_remote = RecordingApp(key="connect-app", scopes=("READ", "WRITE"))
    try:
        connect = fake.install(connect_remote.base_url)
        by_connect = as_app(fake, connect, "PUT", path, json=[4])
    finally:
        connect_remote.stop()
    assert by_connect.status_code == 403
    assert fake.forge_app_property(installation, "shared") == [1]


def test_forge_app_properties_are_kept_per_installation(app_data_site, remote) -> None:
    fake, installation = app_data_site
    other_manifest = forge_manifest(
        remote_base_url=remote.base_url,
        scopes=("read:jira-work", "read:app-system-token", *APP_DATA_SCOPES),
    )
    other_manifest["app"]["id"] = OTHER_APP_ID
    other = fake.forge_install(other_manifest)
    path = f"{APP_PROPERTIES}/shared"
    _as(fake, fake.forge_system_token(installation), "PUT", path, json="mine")

    theirs = _as(fake, fake.forge_system_token(other), "GET", path)

    assert theirs.status_code == 404
    assert fake.forge_app_property(other, "shared") is None


def test_forge_app_property_limits_and_the_read_scope(app_data_site, remote) -> None:
    fake, installation = app_data_site
    system = fake.forge_system_token(installation)
    too_long_key = _as(fake, system, "PUT", f"{APP_PROPERTIES}/{'k' * 128}", json=1)
    too_big = _as(fake, system, "PUT", f"{APP_PROPERTIES}/big", json="x" * 32_767)
    empty = _as(fake, system, "PUT", f"{APP_PROPERTIES}/empty", data=b"")
    assert too_long_key.status_code == 400
    assert too_big.status_code == 400 and "32768" in too_big.text
    assert empty.status_code == 400
    assert _as(fake, system, "PUT", f"{APP_PROPERTIES}/fits", json="x" * 32_766).status_code == 201
    # Without read:app-data:jira Jira does not let the app read its properties.
    unscoped = fake.forge_install(
        forge_manifest(
            remote_base_url=remote.base_url, scopes=("read:jira-work", "read:app-system-token")
        )
    )
    read = _as(fake, fake.forge_system_token(unscoped), "GET", f"{APP_PROPERTIES}/fits")
    assert read.status_code == 403 and "read:app-data:jira" in read.text
