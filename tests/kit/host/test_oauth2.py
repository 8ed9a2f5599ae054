"""Acting as a user: the JWT-bearer exchange, the token cache, and bearer-authenticated calls."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import jwt
import pytest
import requests

from atlassian_connect_kit.host import (
    AccessTokenCache,
    HostClient,
    HostConfig,
    JiraAuthError,
    JiraRateLimited,
    TenantCredentials,
    fetch_access_token,
)
from atlassian_connect_kit.host.oauth2 import normalize_scopes, token_key
from tests.kit.host.scripted_jira import (
    SHARED_SECRET,
    Answer,
    Received,
    RecordedSleep,
    ScriptedJira,
    running_jira,
    tenant_on,
)

TOKEN_PATH = "/oauth2/token"
MYSELF = "/rest/api/3/myself"
AUDIENCE = "https://auth.example.test"
OAUTH_CLIENT_ID = "oauth-client-42"
ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"


class TokenService:
    """Answers token requests with a new token each time, as ``token-1``, ``token-2``, ..."""

    def __init__(self, expires_in: object = 900) -> None:
        self._numbers = itertools.count(1)
        self._expires_in = expires_in

    def __call__(self, request: Received) -> Answer:
        """Issue the next token."""
        return Answer(
            200,
            {
                "access_token": f"token-{next(self._numbers)}",
                "expires_in": self._expires_in,
                "token_type": "Bearer",
            },
        )


@pytest.fixture
def jira() -> Iterator[ScriptedJira]:
    """A running scripted Jira that also plays the token service."""
    with running_jira() as server:
        server.respond("POST", TOKEN_PATH, TokenService())
        yield server


@pytest.fixture
def tenant(jira: ScriptedJira) -> TenantCredentials:
    """A tenant that gave an OAuth client id at install."""
    return tenant_on(jira, oauth_client_id=OAUTH_CLIENT_ID)


@pytest.fixture
def config(jira: ScriptedJira) -> HostConfig:
    """Host settings pointing the token exchange at the scripted server."""
    return HostConfig(
        app_key="app", oauth2_token_url=jira.origin + TOKEN_PATH, oauth2_audience=AUDIENCE
    )


def form_of(received: Received) -> dict[str, list[str]]:
    """Parse a form-encoded request body."""
    return parse_qs(received.body.decode("ascii"))


def bearer_of(received: Received) -> str:
    """Return the bearer token a request carried."""
    scheme, _, token = (received.header("Authorization") or "").partition(" ")
    assert scheme == "Bearer"
    return token


def test_exchange_sends_the_grant_with_exactly_the_specified_assertion(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    started = time.time()
    token, expires_in = fetch_access_token(
        tenant, ACCOUNT_ID, ["read", "act_as_user"], config, requests.Session()
    )

    assert (token, expires_in) == ("token-1", 900.0)
    (received,) = jira.received(TOKEN_PATH)
    form = form_of(received)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert form["scope"] == ["ACT_AS_USER READ"]
    claims = jwt.decode(
        form["assertion"][0], SHARED_SECRET, algorithms=["HS256"], audience=AUDIENCE
    )
    assert set(claims) == {"iss", "sub", "tnt", "aud", "iat", "exp"}
    assert claims["iss"] == f"urn:atlassian:connect:clientid:{OAUTH_CLIENT_ID}"
    assert claims["sub"] == f"urn:atlassian:connect:useraccountid:{ACCOUNT_ID}"
    assert claims["tnt"] == tenant.base_url
    assert claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == 60
    assert abs(claims["iat"] - started) < 5


def test_user_calls_carry_the_bearer_token(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(200, {"accountId": ACCOUNT_ID}))
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache())

    assert client.get(MYSELF) == {"accountId": ACCOUNT_ID}

    (received,) = jira.received("/jira" + MYSELF)
    assert bearer_of(received) == "token-1"
    assert client.account_id == ACCOUNT_ID
    assert client.calls == 1


def test_tokens_are_cached_per_tenant_account_and_scopes(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(200, {}))
    cache = AccessTokenCache()
    other_tenant = tenant_on(jira, oauth_client_id=OAUTH_CLIENT_ID)

    def call(credentials: TenantCredentials, account_id: str, scopes: tuple[str, ...]) -> str:
        HostClient.as_user(credentials, account_id, config, token_cache=cache, scopes=scopes).get(
            MYSELF
        )
        return bearer_of(jira.received()[-1])

    first = call(tenant, ACCOUNT_ID, ("READ",))
    assert call(tenant, ACCOUNT_ID, ("read",)) == first
    assert call(tenant, "another-account", ("READ",)) != first
    assert call(tenant, ACCOUNT_ID, ("READ", "WRITE")) != first
    assert call(other_tenant, ACCOUNT_ID, ("READ",)) != first
    assert call(tenant, ACCOUNT_ID, ("READ",)) == first
    assert len(jira.received(TOKEN_PATH)) == 4


def test_a_token_is_refreshed_after_it_expires(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(200, {}))
    now = [1000.0]
    cache = AccessTokenCache(safety_margin_seconds=60, clock=lambda: now[0])
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=cache)

    client.get(MYSELF)
    now[0] += 900 - 60 - 1
    client.get(MYSELF)
    now[0] += 2
    client.get(MYSELF)

    assert [bearer_of(r) for r in jira.received("/jira" + MYSELF)] == [
        "token-1",
        "token-1",
        "token-2",
    ]


def test_a_401_drops_the_token_and_retries_once_with_a_new_one(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(401), Answer(200, {"accountId": ACCOUNT_ID}))
    cache = AccessTokenCache()
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=cache)

    assert client.get(MYSELF) == {"accountId": ACCOUNT_ID}

    assert [bearer_of(r) for r in jira.received("/jira" + MYSELF)] == ["token-1", "token-2"]
    # The fresh token is what stays cached.
    client.get(MYSELF)
    assert bearer_of(jira.received()[-1]) == "token-2"


def test_a_second_401_is_reported(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(401, {"errorMessages": ["Unauthorized"]}))
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache())

    with pytest.raises(JiraAuthError) as raised:
        client.get(MYSELF)

    assert raised.value.status == 401
    assert len(jira.received("/jira" + MYSELF)) == 2
    assert len(jira.received(TOKEN_PATH)) == 2


def test_the_renewal_after_a_401_spends_no_attempt(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("GET", "/jira" + MYSELF, Answer(401), Answer(200, {}))
    single_attempt = HostConfig(
        app_key="app",
        max_attempts=1,
        oauth2_token_url=config.oauth2_token_url,
        oauth2_audience=AUDIENCE,
    )
    client = HostClient.as_user(tenant, ACCOUNT_ID, single_attempt, token_cache=AccessTokenCache())

    assert client.get(MYSELF) == {}


def test_a_tenant_without_oauth_client_id_cannot_act_as_a_user(
    jira: ScriptedJira, config: HostConfig
) -> None:
    tenant = tenant_on(jira, oauth_client_id=None)

    with pytest.raises(JiraAuthError, match="no OAuth client id"):
        HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache())
    with pytest.raises(JiraAuthError, match="ACT_AS_USER"):
        fetch_access_token(tenant, ACCOUNT_ID, ["READ"], config, requests.Session())

    assert jira.received() == []


def test_a_refused_grant_is_an_auth_error_and_jira_is_not_called(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script(
        "POST",
        TOKEN_PATH,
        Answer(400, {"error": "invalid_grant", "error_description": "user not found"}),
    )
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache())

    with pytest.raises(JiraAuthError) as raised:
        client.get(MYSELF)

    assert raised.value.error_messages == ["invalid_grant: user not found"]
    assert jira.received("/jira" + MYSELF) == []
    assert len(jira.received(TOKEN_PATH)) == 1


def test_a_busy_token_service_is_retried_like_jira(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script(
        "POST",
        TOKEN_PATH,
        Answer(429, headers={"Retry-After": "0"}),
        Answer(503),
        Answer(200, {"access_token": "late-token", "expires_in": 900}),
    )
    jira.script("GET", "/jira" + MYSELF, Answer(200, {}))
    sleep = RecordedSleep()
    client = HostClient.as_user(
        tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache(), sleep=sleep
    )

    client.get(MYSELF)

    assert bearer_of(jira.received("/jira" + MYSELF)[0]) == "late-token"
    assert len(sleep.waits) == 2
    assert 0.1 <= sleep.waits[0] <= 0.5


def test_a_rate_limited_token_service_is_reported_when_retries_run_out(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("POST", TOKEN_PATH, Answer(429, headers={"Retry-After": "600"}))
    sleep = RecordedSleep()
    client = HostClient.as_user(
        tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache(), sleep=sleep
    )

    with pytest.raises(JiraRateLimited) as raised:
        client.get(MYSELF)

    assert raised.value.retry_after == 600
    assert sleep.waits == []
    assert jira.received("/jira" + MYSELF) == []


def test_an_answer_without_a_token_is_an_auth_error(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    jira.script("POST", TOKEN_PATH, Answer(200, {"expires_in": 900}))

    with pytest.raises(JiraAuthError, match="without an access token"):
        fetch_access_token(tenant, ACCOUNT_ID, ["READ"], config, requests.Session())


def test_a_bearer_token_never_leaves_the_tenant_origin(
    jira: ScriptedJira, tenant: TenantCredentials, config: HostConfig
) -> None:
    client = HostClient.as_user(tenant, ACCOUNT_ID, config, token_cache=AccessTokenCache())

    with pytest.raises(ValueError, match="origin"):
        client.get("https://attacker.example/rest/api/3/myself")

    assert jira.received() == []


def test_concurrent_requests_for_one_user_fetch_one_token() -> None:
    cache = AccessTokenCache()
    key = token_key("tenant", ACCOUNT_ID, ["READ"])
    fetches = []
    start = threading.Barrier(8)

    def slow_fetch() -> tuple[str, float]:
        fetches.append(1)
        time.sleep(0.2)
        return "shared-token", 900.0

    results: list[str] = []

    def ask() -> None:
        start.wait()
        results.append(cache.get_or_fetch(key, slow_fetch))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["shared-token"] * 8
    assert len(fetches) == 1


def test_different_users_do_not_wait_for_each_other() -> None:
    cache = AccessTokenCache()
    release = threading.Event()

    def blocked_fetch() -> tuple[str, float]:
        release.wait(5)
        return "slow-user-token", 900.0

    slow = threading.Thread(
        target=cache.get_or_fetch, args=(token_key("t", "slow", ["READ"]), blocked_fetch)
    )
    slow.start()
    try:
        started = time.monotonic()
        token = cache.get_or_fetch(token_key("t", "quick", ["READ"]), lambda: ("quick", 900.0))
        assert token == "quick"
        assert time.monotonic() - started < 1
    finally:
        release.set()
        slow.join()


def test_a_failed_fetch_caches_nothing() -> None:
    cache = AccessTokenCache()
    key = token_key("t", "a", ["READ"])

    def failing_fetch() -> tuple[str, float]:
        raise JiraAuthError("refused")

    with pytest.raises(JiraAuthError):
        cache.get_or_fetch(key, failing_fetch)

    assert cache.get_or_fetch(key, lambda: ("second", 900.0)) == "second"


def test_cache_evicts_the_least_recently_used_entry() -> None:
    cache = AccessTokenCache(max_entries=2)
    first, second, third = (token_key("t", name, ["READ"]) for name in ("a", "b", "c"))
    cache.get_or_fetch(first, lambda: ("token-a", 900.0))
    cache.get_or_fetch(second, lambda: ("token-b", 900.0))
    cache.get_or_fetch(first, lambda: ("unused", 900.0))  # touches the first entry
    cache.get_or_fetch(third, lambda: ("token-c", 900.0))

    assert len(cache) == 2
    assert cache.get_or_fetch(first, lambda: ("refetched-a", 900.0)) == "token-a"
    assert cache.get_or_fetch(second, lambda: ("refetched-b", 900.0)) == "refetched-b"


def test_discard_keeps_a_token_fetched_meanwhile() -> None:
    cache = AccessTokenCache()
    key = token_key("t", "a", ["READ"])
    cache.get_or_fetch(key, lambda: ("current", 900.0))

    cache.discard(key, "an-older-token")
    assert cache.get_or_fetch(key, lambda: ("refetched", 900.0)) == "current"
    cache.discard(key, "current")
    assert cache.get_or_fetch(key, lambda: ("refetched", 900.0)) == "refetched"


@pytest.mark.parametrize("expires_in", [None, "soon", 0, -5, True])
def test_a_token_without_a_usable_lifetime_is_used_once(expires_in: object) -> None:
    cache = AccessTokenCache()
    key = token_key("t", "a", ["READ"])
    tokens = iter(["first", "second"])

    with running_jira() as server:
        server.respond("POST", TOKEN_PATH, TokenService(expires_in=expires_in))
        tenant = tenant_on(server, oauth_client_id=OAUTH_CLIENT_ID)
        config = HostConfig(app_key="app", oauth2_token_url=server.origin + TOKEN_PATH)
        token, lifetime = fetch_access_token(tenant, "a", ["READ"], config, requests.Session())

    assert (token, lifetime) == ("token-1", 0.0)
    cache.get_or_fetch(key, lambda: (next(tokens), lifetime))
    assert cache.get_or_fetch(key, lambda: (next(tokens), lifetime)) == "second"


def test_short_lived_tokens_are_still_reused() -> None:
    now = [0.0]
    cache = AccessTokenCache(safety_margin_seconds=60, clock=lambda: now[0])
    key = token_key("t", "a", ["READ"])
    cache.get_or_fetch(key, lambda: ("brief", 30.0))

    now[0] = 14.0
    assert cache.get_or_fetch(key, lambda: ("next", 30.0)) == "brief"
    now[0] = 15.0
    assert cache.get_or_fetch(key, lambda: ("next", 30.0)) == "next"


@pytest.mark.parametrize("scopes", [[], ["READ WRITE"], ["read-only"], [""]])
def test_malformed_scopes_are_refused(scopes: list[str]) -> None:
    with pytest.raises(ValueError):
        normalize_scopes(scopes)


def test_scopes_are_upper_cased() -> None:
    assert normalize_scopes([" read", "Act_As_User"]) == frozenset({"READ", "ACT_AS_USER"})
