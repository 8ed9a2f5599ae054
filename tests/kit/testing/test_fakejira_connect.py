"""What the fake site sends to apps: signed lifecycle callbacks, iframe URLs, tokens, OAuth 2.0."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.testing.fakejira import ConnectError, FakeJira, InstalledApp
from tests.kit.testing.fakejira_support import (
    ANN,
    BOB,
    CID,
    RecordingApp,
    as_app,
    as_user,
    tiny_site,
)

CLIENT_ID = "urn:atlassian:connect:clientid:"
ACCOUNT = "urn:atlassian:connect:useraccountid:"


@pytest.fixture
def site() -> Iterator[FakeJira]:
    """A fresh hand-built site below ``/jira``."""
    with FakeJira(tiny_site(), base_path="/jira") as fake:
        yield fake


@pytest.fixture
def recording_app() -> Iterator[RecordingApp]:
    """A Connect app below ``/addon`` that records what it receives."""
    app = RecordingApp(base_path="/addon")
    yield app
    app.stop()


@pytest.fixture(scope="module")
def installed() -> Iterator[tuple[FakeJira, InstalledApp, RecordingApp]]:
    """One site with the app installed below ``/addon``, for tests that change nothing."""
    recording = RecordingApp(base_path="/addon")
    with FakeJira(tiny_site(), base_path="/jira") as fake:
        yield fake, fake.install(recording.base_url), recording
    recording.stop()


def _served_key(site: FakeJira, kid: str) -> requests.Response:
    return requests.get(f"{site.install_keys_url}/{kid}", timeout=10)


def _verify_signed_install(site: FakeJira, token: str, audience: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    public_key = _served_key(site, kid)
    assert public_key.status_code == 200
    claims: dict[str, Any] = jwt.decode(
        token, public_key.text, algorithms=["RS256"], audience=audience
    )
    return claims


def _bearer_token(received_token: str) -> str:
    return received_token.removeprefix("JWT ")


# -- install and the other lifecycle callbacks -------------------------------------------------


def test_install_posts_a_signed_installed_callback_verifiable_with_the_served_key(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    app = site.install(recording_app.base_url)

    fetched, posted = recording_app.received
    assert (fetched.method, fetched.path) == ("GET", "/addon/atlassian-connect.json")
    assert posted.path == "/addon/installed"
    token = _bearer_token(posted.headers["Authorization"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = _verify_signed_install(site, token, recording_app.base_url)
    body = posted.json()
    assert claims["iss"] == body["clientKey"] == app.client_key
    assert claims["aud"] == [recording_app.base_url]
    # The qsh is of the lifecycle path relative to the app's base URL: "POST&/installed&".
    assert claims["qsh"] == query_string_hash("POST", "/installed", "")
    assert claims["exp"] - claims["iat"] == 180
    assert body["key"] == app.app_key == "fake-jira-test-app"
    assert body["sharedSecret"] == app.shared_secret
    assert body["oauthClientId"] == app.oauth_client_id
    assert body["baseUrl"] == site.base_url and body["baseUrl"].endswith("/jira")
    assert (body["productType"], body["eventType"]) == ("jira", "installed")
    assert body["clientKey"].startswith("jira:")
    assert {
        "serverVersion",
        "pluginsVersion",
        "displayUrl",
        "description",
        "serviceEntitlementNumber",
    } <= body.keys()
    assert app.install_status == 204


def test_an_unknown_key_id_is_404(site: FakeJira) -> None:
    assert _served_key(site, "no-such-kid").status_code == 404
    assert _served_key(site, site.install_key_id).text.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_refused_install_leaves_the_app_unable_to_call_the_site(
    site: FakeJira,
) -> None:
    refusing = RecordingApp(status=401)
    try:
        app = site.install(refusing.base_url)
    finally:
        refusing.stop()

    assert app.install_status == 401
    assert site.installed_apps == ()
    assert as_app(site, app, "GET", "/rest/api/3/myself").status_code == 401


def test_enable_and_disable_are_signed_with_the_shared_secret(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    app = site.install(recording_app.base_url)

    assert site.enable(app) == 204
    assert site.disable(app) == 204

    for event in ("enabled", "disabled"):
        (posted,) = recording_app.posts_to(f"/{event}")
        claims = jwt.decode(
            _bearer_token(posted.headers["Authorization"]), app.shared_secret, algorithms=["HS256"]
        )
        assert claims["iss"] == app.client_key
        assert claims["qsh"] == query_string_hash("POST", f"/{event}", "")
        assert posted.json()["eventType"] == event
        assert "sharedSecret" not in posted.json()


def test_uninstall_is_signed_forgets_the_app_and_revokes_its_user_tokens(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    app = site.install(recording_app.base_url)
    user_token = site.access_token(app, ANN)

    assert site.uninstall(app) == 204

    (posted,) = recording_app.posts_to("/uninstalled")
    claims = _verify_signed_install(
        site, _bearer_token(posted.headers["Authorization"]), recording_app.base_url
    )
    assert claims["qsh"] == query_string_hash("POST", "/uninstalled", "")
    assert posted.json()["eventType"] == "uninstalled"
    assert "sharedSecret" not in posted.json()
    assert as_app(site, app, "GET", "/rest/api/3/myself").status_code == 401
    assert as_user(site, user_token, "GET", "/rest/api/3/myself").status_code == 401


def test_rotating_the_secret_reinstalls_with_the_same_client_key(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    before = site.install(recording_app.base_url)

    after = site.rotate_secret(before)

    assert after.client_key == before.client_key
    assert after.shared_secret != before.shared_secret
    assert recording_app.posts_to("/installed")[-1].json()["sharedSecret"] == after.shared_secret
    assert as_app(site, before, "GET", "/rest/api/3/myself").status_code == 401
    assert as_app(site, after, "GET", "/rest/api/3/myself").status_code == 200


def test_reinstall_keeps_the_client_key_unless_told_otherwise(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    first = site.install(recording_app.base_url)
    upgraded = site.install(recording_app.base_url)
    imported = site.install(recording_app.base_url, client_key="jira:imported-site")

    assert upgraded.client_key == first.client_key
    assert upgraded.oauth_client_id == first.oauth_client_id
    assert imported.client_key == "jira:imported-site"
    assert [a.client_key for a in site.installed_apps] == ["jira:imported-site"]


def test_a_new_install_key_signs_from_then_on_and_old_keys_stay_served(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    old_kid = site.install_key_id

    new_kid = site.new_install_key()
    site.install(recording_app.base_url)

    posted = recording_app.posts_to("/installed")[-1]
    assert (
        jwt.get_unverified_header(_bearer_token(posted.headers["Authorization"]))["kid"] == new_kid
    )
    assert _served_key(site, old_kid).status_code == 200
    assert new_kid != old_kid


def test_install_with_a_given_descriptor_and_broken_descriptors(
    site: FakeJira, recording_app: RecordingApp
) -> None:
    descriptor = dict(recording_app.descriptor, key="given-descriptor-app")

    app = site.install(recording_app.base_url, descriptor=descriptor)

    assert app.app_key == "given-descriptor-app"
    assert [r.path for r in recording_app.received] == ["/addon/installed"]
    with pytest.raises(ConnectError, match=r"no lifecycle\.installed"):
        site.install(recording_app.base_url, descriptor={"key": "x", "lifecycle": {}})
    with pytest.raises(ConnectError, match="no app key"):
        site.install(recording_app.base_url, descriptor={"lifecycle": {"installed": "/i"}})
    with pytest.raises(ConnectError, match="could not read the descriptor"):
        site.install(f"{site.base_url}/not-an-app")


# -- what Jira puts into pages ---------------------------------------------------------------


def test_signed_url_carries_jiras_context_and_a_jwt_for_exactly_that_url(
    installed: tuple[FakeJira, InstalledApp, RecordingApp],
) -> None:
    site, app, recording_app = installed

    url = site.signed_url(
        app,
        "/timesheet?project={project.key}&mode=week",
        account_id=ANN,
        context={"project.key": "ALPHA BETA"},
    )

    parts = urlsplit(url)
    assert url.startswith(f"{recording_app.base_url}/timesheet?")
    params = dict(parse_qsl(parts.query))
    origin = site.base_url.removesuffix("/jira")
    assert params["project"] == "ALPHA BETA" and params["mode"] == "week"
    assert (params["xdm_e"], params["cp"]) == (origin, "/jira")
    assert (params["lic"], params["loc"], params["tz"]) == ("none", "en-US", "Europe/Berlin")
    assert {"xdm_c", "cv", "xdi"} <= params.keys()
    claims = jwt.decode(params["jwt"], app.shared_secret, algorithms=["HS256"])
    assert (claims["iss"], claims["sub"]) == (app.client_key, ANN)
    assert claims["exp"] - claims["iat"] == 180
    assert claims["qsh"] == query_string_hash("GET", parts.path, parts.query, "/addon")


def test_signed_url_for_a_viewer_hiding_their_zone_has_no_tz(
    installed: tuple[FakeJira, InstalledApp, RecordingApp],
) -> None:
    site, app, _ = installed

    params = dict(parse_qsl(urlsplit(site.signed_url(app, "/page", account_id=BOB)).query))
    anonymous = dict(parse_qsl(urlsplit(site.signed_url(app, "/page", account_id=None)).query))

    assert "tz" not in params
    assert "sub" not in jwt.decode(anonymous["jwt"], app.shared_secret, algorithms=["HS256"])


@pytest.mark.parametrize("account", [CID, None], ids=["user", "anonymous"])
def test_context_token_is_bound_to_no_request(
    installed: tuple[FakeJira, InstalledApp, RecordingApp], account: str | None
) -> None:
    site, app, _ = installed

    claims = jwt.decode(
        site.context_token(app, account),
        app.shared_secret,
        algorithms=["HS256"],
        audience=app.client_key,
    )

    assert (claims["qsh"], claims["iss"], claims.get("sub")) == (
        "context-qsh",
        app.client_key,
        account,
    )


# -- OAuth 2.0 user impersonation ------------------------------------------------------------


def _assertion(site: FakeJira, app: InstalledApp, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": CLIENT_ID + app.oauth_client_id,
        "sub": ACCOUNT + BOB,
        "tnt": site.base_url,
        "aud": site.oauth_audience,
        "iat": now,
        "exp": now + 60,
    }
    secret = overrides.pop("secret", app.shared_secret)
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def _exchange(site: FakeJira, assertion: str, **form: str) -> requests.Response:
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion,
        "scope": "READ ACT_AS_USER",
    }
    data.update(form)
    return requests.post(site.oauth2_token_url, data=data, timeout=10)


def test_a_valid_assertion_buys_a_bearer_token_acting_as_the_user(
    installed: tuple[FakeJira, InstalledApp, RecordingApp],
) -> None:
    site, app, _ = installed

    granted = _exchange(site, _assertion(site, app))

    assert granted.status_code == 200
    body = granted.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    me = as_user(site, body["access_token"], "GET", "/rest/api/3/myself").json()
    assert me["accountId"] == BOB


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"aud": "https://auth.example.com"}, 400, "invalid_grant"),
        ({"tnt": "https://other.atlassian.net"}, 400, "invalid_grant"),
        ({"sub": ACCOUNT + "nobody"}, 400, "invalid_grant"),
        ({"sub": ACCOUNT + CID}, 400, "invalid_grant"),  # Cid is inactive.
        ({"sub": BOB}, 400, "invalid_grant"),  # The accountId prefix is required.
        ({"exp": int(time.time()) - 10}, 400, "invalid_grant"),
        ({"tnt": None}, 400, "invalid_grant"),
        ({"secret": "a-secret-that-is-not-the-shared-one"}, 400, "invalid_grant"),
        ({"iss": CLIENT_ID + "unknown-client"}, 401, "invalid_client"),
        ({"iss": "fake-jira-test-app"}, 401, "invalid_client"),
    ],
)
def test_bad_assertions_are_refused(
    installed: tuple[FakeJira, InstalledApp, RecordingApp],
    overrides: dict[str, Any],
    status: int,
    error: str,
) -> None:
    site, app, _ = installed
    assertion = _assertion(site, app, **overrides)

    refused = _exchange(site, assertion)

    assert refused.status_code == status
    assert refused.json()["error"] == error
    assert assertion not in refused.text


def test_grant_type_and_scopes_are_checked(
    installed: tuple[FakeJira, InstalledApp, RecordingApp],
) -> None:
    site, app, _ = installed
    assertion = _assertion(site, app)

    wrong_grant = _exchange(site, assertion, grant_type="client_credentials")
    undeclared = _exchange(site, assertion, scope="READ ADMIN")

    assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert (undeclared.status_code, undeclared.json()["error"]) == (400, "invalid_scope")


def test_an_app_without_act_as_user_cannot_impersonate(site: FakeJira) -> None:
    plain = RecordingApp(key="no-impersonation", scopes=("READ",))
    try:
        app = site.install(plain.base_url)
    finally:
        plain.stop()

    refused = _exchange(site, _assertion(site, app), scope="READ")

    assert (refused.status_code, refused.json()["error"]) == (400, "unauthorized_client")


def test_audience_and_token_lifetime_are_configurable(recording_app: RecordingApp) -> None:
    audience = "https://auth.example.test"
    with FakeJira(tiny_site(), oauth_audience=audience, token_lifetime=1) as site:
        app = site.install(recording_app.base_url)

        granted = _exchange(site, _assertion(site, app, aud=audience)).json()
        token = granted["access_token"]
        fresh = as_user(site, token, "GET", "/rest/api/3/myself").status_code
        time.sleep(1.1)
        stale = as_user(site, token, "GET", "/rest/api/3/myself").status_code

    assert granted["expires_in"] == 1
    assert (fresh, stale) == (200, 401)
