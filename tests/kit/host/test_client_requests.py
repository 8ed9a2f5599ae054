"""Requests made as the app: URLs, signatures, bodies, origin checks, answers and logging."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.host import (
    HostClient,
    HostConfig,
    JiraAuthError,
    JiraError,
    JiraNotFound,
    TenantCredentials,
    encode_query,
    flatten_query_params,
)
from tests.kit.host.scripted_jira import (
    SHARED_SECRET,
    Answer,
    Received,
    ScriptedJira,
    tenant_on,
)

CONFIG = HostConfig(app_key="timesheet-app", max_attempts=3, timeout_seconds=5.0)


def verified_claims(received: Received) -> dict[str, object]:
    """Decode the request's JWT with the tenant secret, as Jira would, and return its claims."""
    scheme, _, token = (received.header("Authorization") or "").partition(" ")
    assert scheme == "JWT"
    claims: dict[str, object] = jwt.decode(token, SHARED_SECRET, algorithms=["HS256"])
    return claims


def expected_qsh(received: Received) -> str:
    """The qsh Jira computes for the request it received, relative to the /jira base path."""
    return query_string_hash(received.method, received.path, received.query, "/jira")


AWKWARD_QUERIES = [
    {"jql": 'project = "A B" AND summary ~ "x+y"', "fields": ["summary", "worklog"]},
    {"accountId": ["5b10ac8d82e05b22cc7d4ef5", "5b10a2844c20165700ede21g"], "expand": ""},
    {"q": "üñí/çødé?&=#", "star": "*", "tilde": "~", "plus": "+", "percent": "%2B"},
    [("b", "2"), ("a", "1"), ("b", "1"), ("A", "0")],
    {"flag": True, "count": 0, "ratio": 0.5, "skipped": None},
]


@pytest.mark.parametrize("params", AWKWARD_QUERIES)
def test_signed_request_qsh_matches_the_url_jira_receives(
    jira: ScriptedJira, tenant: TenantCredentials, params: object
) -> None:
    jira.script("GET", "/jira/rest/api/3/search", Answer(200, {"ok": True}))
    client = HostClient.as_app(tenant, CONFIG)

    assert client.get("/rest/api/3/search", params=params) == {"ok": True}  # type: ignore[arg-type]

    (received,) = jira.received()
    claims = verified_claims(received)
    assert claims["qsh"] == expected_qsh(received)
    assert claims["iss"] == "timesheet-app"
    assert claims["exp"] == claims["iat"] + 180  # type: ignore[operator]


def test_query_parameters_arrive_as_given(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira/rest/api/3/user/bulk", Answer(200, {}))
    client = HostClient.as_app(tenant, CONFIG)

    client.get(
        "/rest/api/3/user/bulk", params={"accountId": ["a b", "c+d"], "q": "x&y=z", "n": None}
    )

    (received,) = jira.received()
    assert received.query == "accountId=a%20b&accountId=c%2Bd&q=x%26y%3Dz"
    assert parse_qsl(received.query) == [("accountId", "a b"), ("accountId", "c+d"), ("q", "x&y=z")]


def test_a_query_in_the_path_is_kept_and_extended(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira/rest/api/3/issue/ABC-1/worklog", Answer(200, {}))
    client = HostClient.as_app(tenant, CONFIG)

    client.get("rest/api/3/issue/ABC-1/worklog?startedAfter=1", params={"maxResults": 5000})

    (received,) = jira.received()
    assert received.query == "startedAfter=1&maxResults=5000"
    assert verified_claims(received)["qsh"] == expected_qsh(received)


def test_absolute_url_on_the_tenant_origin_is_signed(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira/rest/api/3/myself", Answer(200, {"accountId": "me"}))
    client = HostClient.as_app(tenant, CONFIG)

    answer = client.get(tenant.base_url + "/rest/api/3/myself?expand=groups")

    assert answer == {"accountId": "me"}
    (received,) = jira.received()
    assert verified_claims(received)["qsh"] == expected_qsh(received)


def test_tenant_at_the_root_of_its_site(jira: ScriptedJira) -> None:
    tenant = tenant_on(jira, base_path="")
    jira.script("DELETE", "/rest/api/3/user/properties/k", Answer(204))
    client = HostClient.as_app(tenant, CONFIG)

    assert client.delete("/rest/api/3/user/properties/k", params={"accountId": "x"}) is None

    (received,) = jira.received()
    assert verified_claims(received)["qsh"] == query_string_hash(
        "DELETE", "/rest/api/3/user/properties/k", "accountId=x"
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/rest/api/3/myself",
        "http://127.0.0.2:{port}/jira/rest/api/3/myself",
        "http://127.0.0.1:{other_port}/jira/rest/api/3/myself",
        "https://127.0.0.1:{port}/jira/rest/api/3/myself",
        "http://127.0.0.1:{port}@evil.example.com/jira/rest/api/3/myself",
        "//evil.example.com/rest/api/3/myself",
        "ftp://127.0.0.1:{port}/jira",
    ],
)
def test_refuses_to_send_to_another_origin(
    jira: ScriptedJira, tenant: TenantCredentials, target: str
) -> None:
    port = int(jira.origin.rsplit(":", 1)[1])
    url = target.format(port=port, other_port=port + 1)
    client = HostClient.as_app(tenant, CONFIG)

    with pytest.raises(ValueError, match=r"origin|absolute"):
        client.get(url)

    assert jira.received() == []
    assert client.calls == 0


def test_json_body_is_sent_and_answer_parsed(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("POST", "/jira/rest/api/3/worklog/list", Answer(200, [{"id": "1"}]))
    client = HostClient.as_app(tenant, CONFIG)

    answer = client.post("/rest/api/3/worklog/list", json={"ids": [1, 2]})

    assert answer == [{"id": "1"}]
    (received,) = jira.received()
    assert received.json() == {"ids": [1, 2]}
    assert received.header("Content-Type") == "application/json"
    assert received.header("Accept") == "application/json"
    assert received.header("User-Agent") == "atlassian-connect-kit"
    assert verified_claims(received)["qsh"] == expected_qsh(received)


def test_put_sends_its_body(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("PUT", "/jira/rest/api/3/user/properties/prefs", Answer(201, b""))
    client = HostClient.as_app(tenant, CONFIG)

    answer = client.put(
        "/rest/api/3/user/properties/prefs", params={"accountId": "u1"}, json={"weekStart": 1}
    )

    assert answer is None
    (received,) = jira.received()
    assert (received.method, received.json()) == ("PUT", {"weekStart": 1})


def test_counts_the_calls_it_makes(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira/rest/api/3/configuration", Answer(200, {}))
    client = HostClient.as_app(tenant, CONFIG)

    for _ in range(3):
        client.get("/rest/api/3/configuration")

    assert client.calls == 3


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, JiraAuthError), (403, JiraAuthError), (404, JiraNotFound), (409, JiraError)],
)
def test_client_errors_are_typed_and_not_retried(
    jira: ScriptedJira, tenant: TenantCredentials, status: int, error_type: type[JiraError]
) -> None:
    jira.script(
        "GET",
        "/jira/rest/api/3/issue/X-1",
        Answer(status, {"errorMessages": ["Issue does not exist or you do not have permission"]}),
    )
    client = HostClient.as_app(tenant, CONFIG)

    with pytest.raises(error_type) as raised:
        client.get("/rest/api/3/issue/X-1")

    assert type(raised.value) is error_type
    assert raised.value.status == status
    assert raised.value.error_messages == ["Issue does not exist or you do not have permission"]
    assert len(jira.received()) == 1


def test_a_success_that_is_not_json_is_an_error(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira/status", Answer(200, b"<html>maintenance</html>"))
    client = HostClient.as_app(tenant, CONFIG)

    with pytest.raises(JiraError, match="not JSON"):
        client.get("/status")


def test_redirects_are_not_followed(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script(
        "GET", "/jira/moved", Answer(302, headers={"Location": "https://elsewhere.example/"})
    )
    client = HostClient.as_app(tenant, CONFIG)

    with pytest.raises(JiraError) as raised:
        client.get("/moved")

    assert raised.value.status == 302
    assert len(jira.received()) == 1


def test_debug_log_names_the_call_but_no_query_or_token(
    jira: ScriptedJira, tenant: TenantCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    jira.script("GET", "/jira/rest/api/3/search", Answer(503), Answer(200, {}))
    client = HostClient.as_app(tenant, CONFIG, sleep=lambda seconds: None)

    with caplog.at_level(logging.DEBUG, logger="atlassian_connect_kit.host"):
        client.get("/rest/api/3/search", params={"jql": "secret-project-name"})

    token = (jira.received()[0].header("Authorization") or "").partition(" ")[2]
    text = caplog.text
    assert "GET /jira/rest/api/3/search -> 503 (attempt 1" in text
    assert "GET /jira/rest/api/3/search -> 200 (attempt 2" in text
    assert "secret-project-name" not in text
    assert token not in text
    assert "JWT" not in text
    assert SHARED_SECRET not in text


def test_credentials_repr_hides_the_secret(tenant: TenantCredentials) -> None:
    assert SHARED_SECRET not in repr(tenant)
    assert tenant.client_key in repr(tenant)


@pytest.mark.parametrize(
    "settings",
    [
        {"app_key": ""},
        {"max_attempts": 0},
        {"max_wait_seconds": -1.0},
        {"timeout_seconds": 0.0},
        {"concurrency": 0},
    ],
)
def test_config_refuses_unworkable_settings(settings: dict[str, object]) -> None:
    values: dict[str, object] = {"app_key": "app", **settings}
    with pytest.raises(ValueError):
        HostConfig(**values)  # type: ignore[arg-type]


query_names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
query_values = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
)


@given(st.lists(st.tuples(query_names, query_values), max_size=6))
def test_encoded_query_decodes_to_the_parameters_given(
    pairs: list[tuple[str, str | int | bool]],
) -> None:
    encoded = encode_query(pairs)

    assert parse_qsl(encoded, keep_blank_values=True) == flatten_query_params(pairs)
    # Only RFC 3986 unreserved characters are left bare, so no HTTP layer rewrites the query.
    assert re.fullmatch(r"(?:[A-Za-z0-9._~=&-]|%[0-9A-F]{2})*", encoded)
