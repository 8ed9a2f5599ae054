"""Connect JWT authentication of page, API and public routes, over real HTTP."""

import http.client
import logging
import re
import time
from urllib.parse import urlencode

import jwt
import pytest
import requests
from atlassian_jwt import encode as atlassian_encode
from pyramid.httpexceptions import HTTPForbidden
from pyramid.interfaces import IExceptionResponse
from pyramid.response import Response
from webob import Request
from webtest import TestApp

from atlassian_connect_kit import get_plugin_manager, hookimpl
from atlassian_connect_kit.auth.connect import request_qsh
from atlassian_connect_kit.auth.identity import AUTH_MODES
from atlassian_connect_kit.auth.policy import sign_in_required_view
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.host import SignInRequired
from atlassian_connect_kit.storage.db import DatabaseUnavailable
from atlassian_connect_kit.storage.service import get_tenant_store
from atlassian_connect_kit.testing.server import serve_kit_app
from tests.addon_for_tests import SampleAddon
from tests.kit.dev_settings import dev_settings


class IdentityEcho:
    """Views that show what the kit tells a view about its viewer and its context."""

    __name__ = "identity_echo"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("echo.identity", "/echo/identity")
        config.add_view(
            echo_identity, route_name="echo.identity", renderer="json", connect_auth="jwt"
        )
        config.add_route("echo.public", "/echo/public")
        config.add_view(
            echo_public, route_name="echo.public", renderer="json", connect_auth="public"
        )
        config.add_route("echo.cached", "/echo/cached")
        config.add_view(echo_cached, route_name="echo.cached", connect_auth="jwt")


def echo_identity(context, request):
    identity = request.identity
    return {
        "clientKey": identity.client_key,
        "baseUrl": identity.base_url,
        "accountId": identity.account_id,
        "context": identity.context,
        "mode": identity.mode,
        "root": type(context).__name__,
    }


def echo_public(context, request):
    return {
        "root": type(context).__name__,
        "identity": request.identity,
        "userid": request.authenticated_userid,
    }


def echo_cached(context, request):
    response = Response("per viewer", content_type="text/plain")
    response.cache_control.max_age = 60  # a view's own caching wish
    return response


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon(), IdentityEcho()]


def _token(app, path, query="", *, secret=None, lifetime=180, qsh=None, sub="user-1", **extra):
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "sub": sub,
        "iat": now,
        "exp": now + lifetime,
        "qsh": qsh if qsh is not None else query_string_hash("GET", path, query),
        **extra,
    }
    if sub is None:
        del claims["sub"]  # an anonymous visitor
    return jwt.encode(claims, secret or app.shared_secret, algorithm="HS256")


def _get(server, path, query="", token=None, header=False):
    url = f"{server.base_url}{path}"
    headers = {}
    if token and header:
        headers["Authorization"] = f"JWT {token}"
    elif token:
        query = f"{query}&jwt={token}" if query else f"jwt={token}"
    if query:
        url = f"{url}?{query}"
    return requests.get(url, headers=headers, timeout=10)


AWKWARD_QUERIES = [
    {"q": "some spaces here", "plus": "a+b", "uni": "naïve 日本", "json": '{"a": [1, 2]}'},
    [("user", "b"), ("user", "a"), ("user", "a c"), ("x", "")],
    {"jql": 'project = "A B" AND summary ~ "x+y%"'},
]


@pytest.mark.parametrize("params", AWKWARD_QUERIES)
def test_atlassians_own_library_signs_urls_we_accept(installed_tenant, ack_server, params):
    url = f"{ack_server.base_url}/test/page?{urlencode(params)}"
    token = atlassian_encode.encode_token(
        "GET", url, installed_tenant.client_key, installed_tenant.shared_secret
    )
    response = requests.get(url + "&jwt=" + token, timeout=10)
    assert response.status_code == 200, response.text


def test_the_page_gets_the_identity_and_a_context_token(
    installed_tenant, signed_page_url, ack_server
):
    account_id = "557058:page-viewer"
    response = requests.get(signed_page_url("/test/page", account_id=account_id), timeout=10)
    assert response.status_code == 200
    assert f"data-user='{account_id}'" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"data-token='([^']+)'", response.text).group(1)
    claims = jwt.decode(token, installed_tenant.shared_secret, algorithms=["HS256"])
    assert (claims["iss"], claims["sub"], claims["qsh"]) == (
        installed_tenant.client_key,
        account_id,
        "context-qsh",
    )
    assert claims["exp"] - claims["iat"] == 300  # ack.context_token_seconds
    # The site was seen: `ack tenants purge-stale` goes by this.
    tenant = get_tenant_store(ack_server.app.registry).get(installed_tenant.client_key, fresh=True)
    assert tenant.last_seen_at is not None


@pytest.mark.parametrize(
    ("case", "expected", "reason"),
    [
        ("good", 200, None),
        ("other_path", 401, "query string hash mismatch"),
        ("expired", 401, "token expired"),
        ("other_secret", 401, "token signature is invalid"),
        ("alg_none", 401, "token is not signed with HS256"),
        ("no_qsh", 401, "token has no qsh claim"),
        ("context_qsh_on_page", 401, "context token not accepted here"),
        ("foreign_aud", 401, "token audience is not this tenant"),
        ("own_aud", 200, None),
        ("unknown_tenant", 401, "unknown tenant"),
        ("garbage", 401, "malformed token"),
        ("no_token", 401, "authentication required"),
    ],
)
def test_page_route_tokens(installed_tenant, ack_server, case, expected, reason):
    app = installed_tenant
    query = "a=1&b=two+words"
    token = None
    if case == "good":
        token = _token(app, "/test/page", query)
    elif case == "other_path":
        token = _token(app, "/test/api/whoami", query)
    elif case == "expired":
        token = _token(app, "/test/page", query, lifetime=-3600)
    elif case == "other_secret":
        token = _token(app, "/test/page", query, secret="another-secret-0123456789abcdefghij")
    elif case == "alg_none":
        now = int(time.time())
        token = jwt.encode(
            {
                "iss": app.client_key,
                "iat": now,
                "exp": now + 60,
                "qsh": query_string_hash("GET", "/test/page", query),
            },
            None,
            algorithm="none",
        )
    elif case == "no_qsh":
        now = int(time.time())
        token = jwt.encode(
            {"iss": app.client_key, "iat": now, "exp": now + 60},
            app.shared_secret,
            algorithm="HS256",
        )
    elif case == "context_qsh_on_page":
        token = _token(app, "/test/page", qsh="context-qsh")
    elif case == "foreign_aud":
        token = _token(app, "/test/page", query, aud="jira:someone-else")
    elif case == "own_aud":
        token = _token(app, "/test/page", query, aud=[app.client_key])
    elif case == "unknown_tenant":
        token = jwt.encode(
            {
                "iss": "jira:unknown",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "qsh": query_string_hash("GET", "/test/page", query),
            },
            app.shared_secret,
            algorithm="HS256",
        )
    elif case == "garbage":
        token = "not.a.token"
    response = _get(ack_server, "/test/page", query, token)
    assert response.status_code == expected, response.text
    if expected == 401:
        # A short reason the product's support can act on, never the credential itself.
        assert response.json() == {"error": reason}
        assert response.headers["WWW-Authenticate"] == 'JWT realm="atlassian-connect"'
        assert "no-store" in response.headers["Cache-Control"]
        assert len(response.text) < 200
        assert app.shared_secret not in response.text
        if token:
            assert token not in response.text


def test_context_route_accepts_context_tokens_in_the_header(
    installed_tenant, ack_server, fake_jira
):
    account_id = fake_jira.data.users[0].account_id
    token = fake_jira.context_token(installed_tenant, account_id)
    response = _get(ack_server, "/test/api/whoami", "x=1", token, header=True)
    assert response.status_code == 200
    assert response.json() == {
        "clientKey": installed_tenant.client_key,
        "accountId": account_id,
        "mode": "context",
        "userid": account_id,  # Pyramid's own view of who is signed in agrees
    }
    # A qsh that matches the request is accepted on a context route too.
    exact = _token(installed_tenant, "/test/api/whoami", "x=1")
    assert _get(ack_server, "/test/api/whoami", "x=1", exact, header=True).status_code == 200


def test_a_public_view_is_handed_its_context_and_no_identity(ack_server):
    response = _get(ack_server, "/echo/public")
    assert response.status_code == 200
    assert response.json() == {"root": "DefaultRootFactory", "identity": None, "userid": None}


def test_an_authenticated_answer_a_view_would_cache_is_never_stored(installed_tenant, ack_server):
    token = _token(installed_tenant, "/echo/cached")
    response = _get(ack_server, "/echo/cached", token=token)
    assert response.status_code == 200
    # One header carrying both (some intermediaries read only the first of several).
    [cache_control] = response.raw.headers.getlist("Cache-Control")
    assert {part.strip() for part in cache_control.split(",")} == {"max-age=60", "no-store"}


def test_public_route_needs_no_token(ack_server):
    response = _get(ack_server, "/test/public")
    assert response.status_code == 200
    assert response.text == "public"


def test_every_registered_view_declares_its_authentication_mode(ack_server):
    introspector = ack_server.app.registry.introspector
    views = list(introspector.get_category("views") or [])
    assert views, "the app registers views"
    missing = []
    for entry in views:
        view = entry["introspectable"]
        context = view.get("context")
        renders_exceptions = context is IExceptionResponse or (
            isinstance(context, type) and issubclass(context, BaseException)
        )
        if view.get("exception_only") or renders_exceptions:
            # Exception views only ever render an error raised by an authenticated view.
            continue
        if view.get("connect_auth") not in AUTH_MODES:
            missing.append((view.get("route_name"), view.title))
    assert missing == []


def _plugin_with_one_view(view, **options):
    """A plugin that adds ``view`` at /single with exactly the view ``options`` given."""

    class SingleView:
        __name__ = "single_view"

        @hookimpl
        def ack_configure(self, config, settings):
            config.add_route("single", "/single")
            config.add_view(view, route_name="single", renderer="json", **options)

    return SingleView()


def test_a_view_without_a_mode_fails_at_start_up(tmp_path):
    from pyramid.exceptions import ConfigurationExecutionError

    plugin = _plugin_with_one_view(lambda request: {})
    with pytest.raises(
        ConfigurationExecutionError,
        match=r"view \S*test_a_view_without_a_mode_fails_at_start_up\.<locals>\.<lambda> "
        r"must declare connect_auth as one of jwt, context, public",
    ):
        serve_kit_app(dev_settings(tmp_path), plugins=[plugin]).stop()


def test_a_secret_rotated_through_another_process_works_at_once(
    fake_jira, installed_tenant, ack_server, ack_settings, ack_extra_plugins
):
    # A second process on the same database, with the tenant already cached.
    other = serve_kit_app(ack_settings, plugins=ack_extra_plugins)
    try:
        query = "a=1"
        assert _get(other, "/test/page", query, _token(installed_tenant, "/test/page", query)).ok
        rotated = fake_jira.rotate_secret(installed_tenant)  # lands on ack_server only
        assert rotated.install_status == 204
        # A token signed with neither secret fails against both, and says why.
        forged = _token(installed_tenant, "/test/page", query, secret="x" * 40)
        refused = _get(other, "/test/page", query, forged)
        assert refused.status_code == 401
        assert refused.json() == {"error": "token signature is invalid"}
        fresh = _token(rotated, "/test/page", query)
        assert _get(other, "/test/page", query, fresh).status_code == 200
        stale = _token(installed_tenant, "/test/page", query)
        assert _get(other, "/test/page", query, stale).status_code == 401
    finally:
        other.stop()


def test_logs_never_contain_tokens_or_secrets(
    installed_tenant, ack_server, fake_jira, caplog, signed_page_url
):
    caplog.set_level(logging.DEBUG)
    good = signed_page_url("/test/page")
    token = good.split("jwt=")[1]
    requests.get(good, timeout=10)
    requests.get(good.replace("jwt=", "jwt=x"), timeout=10)
    context = fake_jira.context_token(installed_tenant, fake_jira.data.users[0].account_id)
    _get(ack_server, "/test/api/whoami", "", context, header=True)
    _get(ack_server, "/test/api/whoami", "", context + "x", header=True)
    requests.post(
        f"{ack_server.base_url}/installed",
        json={"clientKey": "x", "sharedSecret": "s3cr3t-value"},
        headers={"Authorization": "JWT " + token},
        timeout=10,
    )
    fake_jira.rotate_secret(installed_tenant)
    # urllib3 logs the URLs this test itself requests (the iframe URLs Jira hands a browser, with
    # their jwt parameter); everything the app, the kit and the server log is scanned.
    text = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("urllib3")
    )
    assert text, "requests were logged"
    for secret in (token, context, installed_tenant.shared_secret, "s3cr3t-value"):
        assert secret not in text
    assert "Authorization" not in text
    assert "eyJ" not in text  # no JWT segment at all


@pytest.mark.parametrize(
    ("claims", "account_id", "context"),
    [
        (
            {"sub": "557058:viewer", "context": {"jira": {"issue": {"key": "KIT-7"}}}},
            "557058:viewer",
            {"jira": {"issue": {"key": "KIT-7"}}},
        ),
        ({"sub": "557058:viewer", "context": "not an object"}, "557058:viewer", {}),
        ({"sub": "", "context": ["KIT-7"]}, None, {}),
        ({"sub": None}, None, {}),
    ],
)
def test_the_view_sees_the_site_the_viewer_and_the_token_s_context(
    fake_jira, installed_tenant, ack_server, claims, account_id, context
):
    extra = {key: value for key, value in claims.items() if key != "sub"}
    token = _token(installed_tenant, "/echo/identity", sub=claims["sub"], **extra)
    response = _get(ack_server, "/echo/identity", token=token)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "clientKey": installed_tenant.client_key,
        "baseUrl": fake_jira.base_url,
        "accountId": account_id,  # an empty subject is nobody, as a missing one
        "context": context,  # only an object is a context
        "mode": "jwt",
        "root": "DefaultRootFactory",  # the view is handed Pyramid's context as usual
    }


def test_database_unavailable_is_a_503(installed_tenant, ack_server, monkeypatch):
    store = get_tenant_store(ack_server.app.registry)

    def down(*args, **kwargs):
        raise DatabaseUnavailable("connection refused")

    monkeypatch.setattr(store, "get", down)
    response = _get(ack_server, "/test/page", "a=1", _token(installed_tenant, "/test/page", "a=1"))
    assert response.status_code == 503
    assert "Traceback" not in response.text


def test_a_cached_site_s_page_is_served_while_the_database_is_down(
    installed_tenant, ack_server, monkeypatch, caplog
):
    store = get_tenant_store(ack_server.app.registry)
    query = "a=1"
    # The site is in this process's cache (every request reads it through there).
    assert _get(ack_server, "/test/page", query, _token(installed_tenant, "/test/page", query)).ok
    cached_get = store.get

    def get(client_key, *, fresh=False):
        if fresh:
            raise DatabaseUnavailable("connection refused")
        return cached_get(client_key)

    def touch(client_key):
        raise DatabaseUnavailable("connection refused")

    monkeypatch.setattr(store, "get", get)
    monkeypatch.setattr(store, "touch", touch)
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit.auth.connect")
    response = _get(ack_server, "/test/page", query, _token(installed_tenant, "/test/page", query))
    # The page and its context token come from the cached site; only the last-seen time waits.
    assert response.status_code == 200, response.text
    token = re.search(r"data-token='([^']+)'", response.text).group(1)
    claims = jwt.decode(token, installed_tenant.shared_secret, algorithms=["HS256"])
    assert claims["iss"] == installed_tenant.client_key
    assert [record.getMessage() for record in caplog.records] == [
        f"last-seen time of {installed_tenant.client_key} not recorded: connection refused"
    ]


# -- views that require a signed-in user -------------------------------------------------------


def test_a_page_requiring_a_user_shows_an_anonymous_visitor_a_sign_in_page(
    installed_tenant, signed_page_url
):
    response = requests.get(signed_page_url("/test/members", anonymous=True), timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<p>sign in to Jira to see this page</p>" in response.text
    assert "data-token" not in response.text  # the view never ran: no context token handed out
    assert response.headers["WWW-Authenticate"] == 'JWT realm="atlassian-connect"'
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(signed_page_url("/test/members"), timeout=10).status_code == 200


def test_an_api_requiring_a_user_refuses_an_anonymous_context_token(
    installed_tenant, ack_server, fake_jira
):
    anonymous = fake_jira.context_token(installed_tenant, None)
    response = _get(ack_server, "/test/api/mine", "", anonymous, header=True)
    assert response.status_code == 401
    assert response.json() == {"error": "sign in to see yours"}
    signed_in = fake_jira.context_token(installed_tenant, fake_jira.data.users[0].account_id)
    assert _get(ack_server, "/test/api/mine", "", signed_in, header=True).status_code == 200


def test_an_exact_token_without_a_user_is_refused_where_a_user_is_required(
    installed_tenant, ack_server
):
    # Jira-signed (qsh of this very request) but anonymous: the signature is not the question.
    token = _token(installed_tenant, "/test/api/mine", "x=1", sub=None)
    response = _get(ack_server, "/test/api/mine", "x=1", token, header=True)
    assert response.status_code == 401
    assert response.json() == {"error": "sign in to see yours"}


def test_without_the_option_an_anonymous_identity_reaches_the_view(
    installed_tenant, ack_server, fake_jira
):
    anonymous = fake_jira.context_token(installed_tenant, None)
    response = _get(ack_server, "/test/api/whoami", "", anonymous, header=True)
    assert response.status_code == 200
    assert response.json()["accountId"] is None
    assert response.json()["userid"] is None


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"connect_auth": "public", "connect_require_user": True}, "public view"),
        ({"connect_auth": "context", "connect_require_user": 3}, "connect_require_user"),
        ({"connect_auth": "context", "connect_require_user": "  "}, "connect_require_user"),
    ],
)
def test_a_misdeclared_user_requirement_fails_at_start_up(tmp_path, options, problem):
    plugin = _plugin_with_one_view(lambda request: {}, **options)
    # The message names the view, so the developer knows which one to fix.
    with pytest.raises(
        Exception,
        match=r"view \S*test_a_misdeclared_user_requirement_fails_at_start_up\.<locals>"
        rf"\.<lambda>: .*{problem}",
    ):
        serve_kit_app(dev_settings(tmp_path), plugins=[plugin]).stop()


def test_a_callable_object_without_a_mode_is_named_by_its_repr(tmp_path):
    class Listing:
        """A view written as a callable object: it has no ``__qualname__`` of its own."""

        def __call__(self, request):
            return {}

        def __repr__(self):
            return "<Listing view>"

    plugin = _plugin_with_one_view(Listing())
    with pytest.raises(Exception, match="view <Listing view> must declare connect_auth"):
        serve_kit_app(dev_settings(tmp_path), plugins=[plugin]).stop()


# -- the qsh covers the request as the server received it --------------------------------------


def _get_verbatim(server, target):
    # http.client sends the request target as given (requests would decode %70 back to "p").
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", target)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_qsh_covers_the_still_encoded_path_over_http(installed_tenant, ack_server):
    raw = "/test/%70age"  # routes to /test/page once decoded
    token = _token(installed_tenant, raw, "a=1")
    assert _get_verbatim(ack_server, f"{raw}?a=1&jwt={token}") == 200
    decoded = _token(installed_tenant, "/test/page", "a=1")
    assert _get_verbatim(ack_server, f"{raw}?a=1&jwt={decoded}") == 401


@pytest.mark.parametrize("variable", ["RAW_URI", "REQUEST_URI"])
def test_the_qsh_path_comes_from_the_server_s_raw_uri(installed_tenant, ack_server, variable):
    # gunicorn names the request line's target RAW_URI, waitress REQUEST_URI; PATH_INFO is decoded.
    raw = "/test/%70age"
    token = _token(installed_tenant, raw, "a=1")
    app = TestApp(ack_server.app)
    url = f"/test/page?a=1&jwt={token}"
    app.get(url, extra_environ={variable: f"{raw}?a=1&jwt={token}"}, status=200)
    app.get(url, status=401)  # without it, the decoded path is all there is
    decoded = _token(installed_tenant, "/test/page", "a=1")
    app.get(f"/test/page?a=1&jwt={decoded}", extra_environ={variable: "/test/page"}, status=200)


def test_a_question_mark_inside_the_query_belongs_to_the_query(installed_tenant, ack_server):
    # RFC 3986 allows "?" in a query unencoded, as in a return URL Jira signs as it is.
    query = "next=/browse/KIT-1?focus=comments"
    response = _get(ack_server, "/test/page", query, _token(installed_tenant, "/test/page", query))
    assert response.status_code == 200, response.text


def test_a_raw_uri_that_is_not_a_path_is_ignored(installed_tenant, ack_server):
    token = _token(installed_tenant, "/test/page", "a=1")
    TestApp(ack_server.app).get(
        f"/test/page?a=1&jwt={token}",
        extra_environ={"RAW_URI": "http://elsewhere.example.com/test/other"},
        status=200,
    )


# -- tokens valid for years --------------------------------------------------------------------


def test_a_page_token_valid_for_years_is_refused_with_one_log_line(
    installed_tenant, ack_server, caplog
):
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit")
    forever = _token(installed_tenant, "/test/page", "a=1", lifetime=10 * 365 * 24 * 3600)
    response = _get(ack_server, "/test/page", "a=1", forever)
    assert response.status_code == 401
    assert response.json() == {"error": "token lifetime exceeds the allowed maximum"}
    [line] = [r.getMessage() for r in caplog.records if "lifetime" in r.getMessage()]
    assert (
        line
        == "authentication refused for GET /test/page: token lifetime exceeds the allowed maximum"
    )
    hour = _token(installed_tenant, "/test/page", "a=1", lifetime=3600)
    assert _get(ack_server, "/test/page", "a=1", hour).status_code == 200


def test_a_long_lived_context_token_is_refused_on_a_context_route(installed_tenant, ack_server):
    forever = _token(installed_tenant, "", qsh="context-qsh", lifetime=3601)
    assert _get(ack_server, "/test/api/whoami", "", forever, header=True).status_code == 401


def test_the_maximum_lifetime_is_a_setting(installed_tenant, ack_settings, ack_extra_plugins):
    relaxed = serve_kit_app(
        {**ack_settings, "ack.jwt_max_lifetime": "7200"}, plugins=ack_extra_plugins
    )
    try:
        two_hours = _token(installed_tenant, "/test/page", "a=1", lifetime=7200)
        assert _get(relaxed, "/test/page", "a=1", two_hours).status_code == 200
        longer = _token(installed_tenant, "/test/page", "a=1", lifetime=7201)
        assert _get(relaxed, "/test/page", "a=1", longer).status_code == 401
    finally:
        relaxed.stop()


def test_a_token_accepted_once_is_never_accepted_for_another_request(installed_tenant, ack_server):
    token = _token(installed_tenant, "/test/page", "a=1")
    assert _get(ack_server, "/test/page", "a=1", token).status_code == 200
    refused = _get(ack_server, "/test/page", "a=2", token)
    assert refused.status_code == 401
    assert refused.json() == {"error": "query string hash mismatch"}
    assert _get(ack_server, "/test/page", "a=1", token).status_code == 200


def test_an_anonymous_refusal_is_logged_once_without_the_token(
    installed_tenant, ack_server, fake_jira, caplog
):
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit")
    anonymous = fake_jira.context_token(installed_tenant, None)
    assert _get(ack_server, "/test/api/mine", "", anonymous, header=True).status_code == 401
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("atlassian_connect_kit")]
    assert lines == ["sign-in required for GET /test/api/mine: no user"]


def test_the_sign_in_page_escapes_its_message():
    request = Request.blank("/members")
    request.ack_auth_mode = "jwt"
    response = sign_in_required_view(SignInRequired("members <b>& friends</b> only"), request)
    assert response.status_code == 401
    assert response.content_type == "text/html"
    assert response.text == (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Sign in required</title></head>\n"
        "<body><p>members &lt;b&gt;&amp; friends&lt;/b&gt; only</p></body></html>\n"
    )
    request.ack_auth_mode = "context"
    api = sign_in_required_view(SignInRequired("members <b>& friends</b> only"), request)
    assert api.json_body == {"error": "members <b>& friends</b> only"}


def test_the_qsh_is_relative_to_the_app_s_base_path():
    request = Request.blank("/addon/test/page?a=1")
    assert request_qsh(request, "/addon") == query_string_hash("GET", "/test/page", "a=1")


def test_a_request_without_a_query_string_hashes_as_an_empty_query():
    # WSGI lets a server leave QUERY_STRING out when there is none.
    request = Request.blank("/test/page")
    del request.environ["QUERY_STRING"]
    assert request_qsh(request, "") == query_string_hash("GET", "/test/page", "")


class PermissionedPage:
    """A public view that also names a permission: the kit guards by connect_auth, not by ACLs."""

    __name__ = "permissioned_page"

    from atlassian_connect_kit import hookimpl

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("permissioned", "/permissioned")
        config.add_view(
            lambda request: {"ok": True},
            route_name="permissioned",
            renderer="json",
            connect_auth="public",
            permission="view",
        )


def test_a_view_naming_a_permission_is_guarded_by_its_mode_alone(tmp_path):
    settings = dev_settings(tmp_path)
    app = TestApp(make_app(settings, extra_plugins=[PermissionedPage()]))
    assert app.get("/permissioned", status=200).json == {"ok": True}


class ForeignProtocol:
    """Another host protocol that replaces Connect and recognises none of these requests."""

    __name__ = "foreign_protocol"

    from atlassian_connect_kit import hookimpl

    @hookimpl
    def ack_authenticate(self, request, mode):
        return None

    @hookimpl
    def ack_configure(self, config, settings):
        def closed(request):
            raise HTTPForbidden()

        config.add_route("closed", "/closed")
        config.add_view(closed, route_name="closed", connect_auth="public")


def test_a_request_no_protocol_recognises_is_unauthenticated(tmp_path):
    settings = dev_settings(tmp_path)
    wsgi = make_app(settings, extra_plugins=[ForeignProtocol(), SampleAddon()])
    get_plugin_manager(wsgi.registry).set_blocked("atlassian_connect_kit.auth.connect")
    app = TestApp(wsgi)
    response = app.get("/test/api/whoami", status=401)
    assert response.json == {"error": "authentication required"}
    # A view's own refusal is a 401 too, as Connect expects, never a 403.
    assert app.get("/closed", status=401).json == {"error": "authentication required"}


class TokenOnPublicPage:
    """A public view asking for a context token, as a page open to anonymous visitors might."""

    __name__ = "token_on_public_page"

    from atlassian_connect_kit import hookimpl

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("public_token", "/public-token")
        config.add_view(
            lambda request: {"token": request.ack_context_token()},
            route_name="public_token",
            renderer="json",
            connect_auth="public",
        )


def test_a_context_token_asked_for_without_a_signed_request_is_a_401(tmp_path, caplog):
    settings = dev_settings(tmp_path)
    app = TestApp(make_app(settings, extra_plugins=[TokenOnPublicPage()]))
    caplog.set_level(logging.INFO, logger="atlassian_connect_kit.auth")
    response = app.get("/public-token", status=401)
    assert response.json == {"error": "authentication required"}
    assert [record.getMessage() for record in caplog.records] == [
        "authentication refused for GET /public-token: authentication required"
    ]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
