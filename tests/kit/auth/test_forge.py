"""Forge Invocation Token verification: real RSA keys, the fake site's JWKS over HTTP.

Every refusal of issue 11's acceptance is here: a token signed by another key, an unknown kid
(after one refresh), ``alg: none``, HS256 keyed with the published public key, another app's
audience, another issuer, expired, not yet valid, and a JWKS outage (a distinct error, never an
acceptance).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from atlassian_connect_kit.auth.forge import (
    MAX_KID_LENGTH,
    ForgeInvocationVerifier,
    ForgeTokenError,
    bearer_token,
    check_api_base_url,
    verify_invocation_token,
)
from atlassian_connect_kit.auth.jwks import JwksKeySource, JwksUnavailable
from atlassian_connect_kit.testing.fakejira import FakeJira, ForgeInstallation
from tests.kit.testing.fakejira_support import BOB, tiny_site
from tests.kit.testing.forge_support import APP_ID, OTHER_APP_ID, forge_manifest


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[FakeJira, ForgeInstallation]]:
    """A fake site with the app installed through Forge (no remote to deliver events to)."""
    with FakeJira(tiny_site(), forge_retry_interval=0.01) as fake:
        yield fake, fake.forge_install(forge_manifest(remote_base_url="http://127.0.0.1:9"))


@pytest.fixture
def keys(site: tuple[FakeJira, ForgeInstallation]) -> JwksKeySource:
    """A fresh key cache on the site's JWKS (dev mode: http on loopback)."""
    return JwksKeySource(site[0].forge_jwks_url, dev_mode=True)


def _claims(fit: str) -> dict[str, Any]:
    return jwt.decode(fit, options={"verify_signature": False})


def _sign(claims: dict[str, Any], key: Any, *, kid: str, alg: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def _verify(fit: str, keys: JwksKeySource, **kwargs: Any) -> Any:
    return verify_invocation_token(fit, keys=keys, app_id=APP_ID, dev_mode=True, **kwargs)


def test_a_fit_from_a_ui_module_yields_the_invocation(site, keys) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(
        installation, account_id=BOB, module_key="timesheet-page", module_type="jira:globalPage"
    )

    invocation = _verify(fit, keys)

    assert invocation.installation_id == installation.installation_id
    assert invocation.installation_id.startswith("ari:cloud:ecosystem::installation/")
    assert invocation.cloud_id == fake.cloud_id
    assert invocation.api_base_url == fake.forge_api_base_url
    assert invocation.principal == BOB
    assert (invocation.module_key, invocation.module_type) == ("timesheet-page", "jira:globalPage")
    assert invocation.environment_type == "PRODUCTION"
    assert invocation.environment_id.startswith("ari:cloud:ecosystem::environment/")
    assert invocation.context["cloudId"] == fake.cloud_id
    assert invocation.site_url == fake.base_url
    assert invocation.license is None
    assert invocation.expires_at - invocation.issued_at == 25
    assert invocation.jti == _claims(fit)["jti"]
    with pytest.raises(TypeError):
        invocation.context["cloudId"] = "changed"  # type: ignore[index]


def test_a_trigger_fit_has_no_principal_and_no_context(site, keys) -> None:
    fake, installation = site
    invocation = _verify(fake.forge_invocation_token(installation), keys)
    assert invocation.principal is None
    assert dict(invocation.context) == {}


def test_the_license_is_exposed_not_enforced(keys) -> None:
    license_claim = {
        "isActive": False,
        "type": "commercial",
        "isEvaluation": True,
        "billingPeriod": "MONTHLY",
        "trialEndDate": "2026-12-31",
        "subscriptionEndDate": "2027-01-31",
    }
    with FakeJira(tiny_site(), forge_retry_interval=0.01) as fake:
        installation = fake.forge_install(
            forge_manifest(remote_base_url="http://127.0.0.1:9"), license=license_claim
        )
        source = JwksKeySource(fake.forge_jwks_url, dev_mode=True)
        invocation = _verify(fake.forge_invocation_token(installation), source)
        # Fields of the wrong type are read as absent, never passed on as they came.
        ill_typed = {"isActive": "yes", "type": 3, "billingPeriod": ["MONTHLY"], "trialEndDate": 1}
        fit = _resigned(fake, installation, _put("app.license", ill_typed))
        ill_typed_license = _verify(fit, source).license
    assert invocation.license is not None
    assert invocation.license.active is False
    assert invocation.license.type == "commercial"
    assert invocation.license.is_evaluation is True
    assert invocation.license.billing_period == "MONTHLY"
    assert invocation.license.trial_end_date == "2026-12-31"
    assert invocation.license.subscription_end_date == "2027-01-31"
    assert invocation.license.raw["isActive"] is False
    assert ill_typed_license is not None
    assert (ill_typed_license.active, ill_typed_license.type) == (None, None)
    assert (ill_typed_license.billing_period, ill_typed_license.trial_end_date) == (None, None)
    assert ill_typed_license.raw["isActive"] == "yes"


def test_signed_by_another_key_is_refused(site, keys) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _sign(claims, stranger, kid=fake.forge_key_id)
    with pytest.raises(ForgeTokenError, match="signature is invalid"):
        _verify(forged, keys)


def test_an_unknown_kid_is_refused_after_one_refresh(site) -> None:
    fake, installation = site
    clock = [1000.0]
    keys = JwksKeySource(fake.forge_jwks_url, dev_mode=True, clock=lambda: clock[0])
    claims = _claims(fake.forge_invocation_token(installation))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unknown = _sign(claims, stranger, kid="forge/invocation-token/unknown")
    _verify(fake.forge_invocation_token(installation), keys)  # the set is cached now
    assert keys.fetch_count == 1

    clock[0] += 61  # a minute later a miss may refresh once, the next ones may not
    for _ in range(3):
        with pytest.raises(ForgeTokenError, match="unknown key"):
            _verify(unknown, keys)
    assert keys.fetch_count == 2

    clock[0] += 30
    with pytest.raises(ForgeTokenError, match="unknown key"):
        _verify(unknown, keys)
    assert keys.fetch_count == 2
    clock[0] += 31
    with pytest.raises(ForgeTokenError, match="unknown key"):
        _verify(unknown, keys)
    assert keys.fetch_count == 3


def test_a_rotated_key_is_found_by_the_one_refresh(site) -> None:
    fake, installation = site
    clock = [1000.0]
    keys = JwksKeySource(fake.forge_jwks_url, dev_mode=True, clock=lambda: clock[0])
    _verify(fake.forge_invocation_token(installation), keys)
    fake.new_forge_key()
    clock[0] += 61
    assert _verify(fake.forge_invocation_token(installation), keys).jti
    assert keys.fetch_count == 2


def test_concurrent_misses_share_one_fetch(site) -> None:
    fake, installation = site
    keys = JwksKeySource(fake.forge_jwks_url, dev_mode=True)
    fit = fake.forge_invocation_token(installation)
    before = fake.count_requests("/.well-known/jwks.json")
    fake.inject_delay("/.well-known/jwks.json", 0.3)
    start = threading.Barrier(8)
    results: list[object] = []

    def verify() -> None:
        start.wait()
        results.append(_verify(fit, keys).installation_id)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [installation.installation_id] * 8
    assert fake.count_requests("/.well-known/jwks.json") == before + 1
    assert keys.fetch_count == 1


def test_a_stale_set_is_refetched_and_an_outage_then_refuses_nothing_silently(site) -> None:
    fake, installation = site
    clock = [1000.0]
    keys = JwksKeySource(
        fake.forge_jwks_url, dev_mode=True, cache_seconds=300, clock=lambda: clock[0]
    )
    fit = fake.forge_invocation_token(installation)
    _verify(fit, keys)
    clock[0] += 301
    fake.inject_failures("/.well-known/jwks.json", [503])
    with pytest.raises(JwksUnavailable):
        _verify(fit, keys)
    # No second fetch within the minute, still no answer, and the same reason for the log line.
    with pytest.raises(JwksUnavailable, match=r"^JWKS answered 503$"):
        _verify(fit, keys)
    assert keys.fetch_count == 2
    clock[0] += 61
    assert _verify(fit, keys).jti
    assert keys.fetch_count == 3


def test_alg_none_is_refused(site, keys) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": fake.forge_key_id}).encode()
    )
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode())
    unsigned = f"{header.decode().rstrip('=')}.{payload.decode().rstrip('=')}."
    with pytest.raises(ForgeTokenError, match="not signed with RS256"):
        _verify(unsigned, keys)


def test_hs256_keyed_with_the_published_public_key_is_refused(site, keys) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    public_pem = keys.signing_key(fake.forge_key_id).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "kid": fake.forge_key_id, "typ": "JWT"}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signature = hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest()
    forged = b".".join([header, payload, base64.urlsafe_b64encode(signature).rstrip(b"=")])
    with pytest.raises(ForgeTokenError, match="not signed with RS256"):
        _verify(forged.decode(), keys)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": OTHER_APP_ID}, "audience is not this app"),
        ({"iss": "forge/context-token"}, "issuer is not Forge"),
        ({"exp": -100, "iat": -125, "nbf": -125}, "expired"),
        ({"nbf": 200}, "not yet valid"),
        ({"iat": 200, "nbf": 200, "exp": 225}, "issued in the future"),
    ],
    ids=["wrong-aud", "wrong-iss", "expired", "nbf-in-future", "iat-in-future"],
)
def test_claims_that_do_not_fit_are_refused(site, keys, change, reason) -> None:
    fake, installation = site
    now = int(time.time())
    claims = _claims(fake.forge_invocation_token(installation))
    for name, value in change.items():
        claims[name] = value + now if isinstance(value, int) else value
    signed = fake._state.forge_keys.sign(claims)
    with pytest.raises(ForgeTokenError, match=reason):
        _verify(signed, keys, leeway=30)


def test_leeway_and_max_lifetime(site, keys) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(installation, lifetime=300)
    claims = _claims(fit)
    # Expired 10 seconds ago: accepted with 30 s of leeway, refused with none.
    assert _verify(fit, keys, now=claims["exp"] + 10, leeway=30)
    with pytest.raises(ForgeTokenError, match="expired"):
        _verify(fit, keys, now=claims["exp"] + 10, leeway=0)
    with pytest.raises(ForgeTokenError, match="lifetime is too long"):
        _verify(fit, keys, max_lifetime=60)
    assert _verify(fit, keys, max_lifetime=300)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda c: c.pop("jti"), "no jti claim"),
        (lambda c: c.pop("nbf"), "no nbf claim"),
        (lambda c: c["app"].update(id="ari:cloud:ecosystem::app/x"), "app id is not this app"),
        (lambda c: c["app"].update(installationId="42"), "not an installation id"),
        (
            lambda c: c["app"].update(apiBaseUrl="https://evil.example.com/ex/jira/abc"),
            "not an Atlassian API URL",
        ),
        (lambda c: c["app"].pop("module"), "app.module is not an object"),
        (lambda c: c.update(context={"cloudId": "another-site"}), "more than one site"),
    ],
    ids=["jti", "nbf", "app-id", "installation-id", "api-host", "module", "two-sites"],
)
def test_a_malformed_app_claim_is_refused(site, keys, mutate, reason) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    mutate(claims)
    with pytest.raises(ForgeTokenError, match=reason):
        _verify(fake._state.forge_keys.sign(claims), keys)


def test_a_jwks_outage_is_unavailable_not_a_refusal(site) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(installation)
    for statuses in ([503], [500]):
        fake.inject_failures("/.well-known/jwks.json", statuses)
        with pytest.raises(JwksUnavailable, match="JWKS answered"):
            _verify(fit, JwksKeySource(fake.forge_jwks_url, dev_mode=True))
    fake.inject_delay("/.well-known/jwks.json", 1.0)
    with pytest.raises(JwksUnavailable, match="unreachable"):
        _verify(fit, JwksKeySource(fake.forge_jwks_url, dev_mode=True, timeout_seconds=0.2))
    with pytest.raises(JwksUnavailable, match="unreachable"):
        _verify(fit, JwksKeySource("http://127.0.0.1:9/.well-known/jwks.json", dev_mode=True))
    fake.clear_faults()


def test_an_api_base_url_is_an_atlassian_host_outside_dev_mode() -> None:
    cloud = "d0d52620-3203-4cfa-8db5-f2587155f0dd"
    assert check_api_base_url(f"https://api.atlassian.com/ex/jira/{cloud}", dev_mode=False) == (
        f"https://api.atlassian.com/ex/jira/{cloud}",
        cloud,
    )
    assert check_api_base_url(f"https://api.stg.atlassian.com/ex/jira/{cloud}/", dev_mode=False)
    for refused in (
        f"http://api.atlassian.com/ex/jira/{cloud}",
        f"https://api.atlassian.com.evil.com/ex/jira/{cloud}",
        f"https://api.atlassian.com:8443/ex/jira/{cloud}",
        f"https://user@api.atlassian.com/ex/jira/{cloud}",
        "https://api.atlassian.com/wiki/rest",
        f"http://127.0.0.1:5000/ex/jira/{cloud}",
    ):
        with pytest.raises(ForgeTokenError):
            check_api_base_url(refused, dev_mode=False)
    assert check_api_base_url(f"http://127.0.0.1:5000/ex/jira/{cloud}", dev_mode=True)


def test_the_verifier_binds_its_settings(site, keys) -> None:
    fake, installation = site
    verifier = ForgeInvocationVerifier(keys, app_id=APP_ID, dev_mode=True)
    assert verifier.verify(fake.forge_invocation_token(installation)).app_id == APP_ID
    other = ForgeInvocationVerifier(keys, app_id=OTHER_APP_ID, dev_mode=True)
    with pytest.raises(ForgeTokenError, match="audience"):
        other.verify(fake.forge_invocation_token(installation))
    production = ForgeInvocationVerifier(keys, app_id=APP_ID)
    with pytest.raises(ForgeTokenError, match="not an Atlassian API URL"):
        production.verify(fake.forge_invocation_token(installation))
    with pytest.raises(ValueError, match="app_id"):
        ForgeInvocationVerifier(keys, app_id="my-app")


def test_bearer_token_reads_only_the_bearer_scheme() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc") == "abc"
    assert bearer_token("JWT abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_no_reason_quotes_the_token(site, keys) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    claims["aud"] = "ari:cloud:ecosystem::app/secret-looking-value"
    with pytest.raises(ForgeTokenError) as refused:
        _verify(fake._state.forge_keys.sign(claims), keys)
    assert "secret-looking-value" not in str(refused.value)


def _resigned(fake: FakeJira, installation: ForgeInstallation, change: Any) -> str:
    """A FIT of ``installation`` with its claims changed by ``change(claims)``, signed by Forge."""
    claims = _claims(fake.forge_invocation_token(installation, account_id=BOB))
    change(claims)
    signed: str = fake._state.forge_keys.sign(claims)
    return signed


def test_every_site_the_installation_names_for_this_product_must_be_the_same(site, keys) -> None:
    fake, installation = site

    def add(entry: dict[str, Any]) -> Any:
        return lambda c: c["app"]["installation"]["contexts"].append(entry)

    here = installation.api_base_url
    # A base URL written with a trailing slash is this product all the same.
    for refused in (
        add({"apiBaseUrl": here, "cloudId": "another-site"}),
        add({"apiBaseUrl": f"{here}/", "cloudId": "x"}),
    ):
        fit = _resigned(fake, installation, refused)
        assert _refusal(fit, keys) == "token names more than one site"
    # Another product of the same installation (Confluence beside Jira) names its own site; a
    # context without a cloud id names none; an installation without contexts names nothing.
    for accepted in (
        add({"apiBaseUrl": "https://api.atlassian.com/ex/confluence/other", "cloudId": "other"}),
        add({"apiBaseUrl": here}),
        _put("app.installation.contexts", None),
        _put("app.installation.contexts", []),
        lambda c: c["app"].pop("installation"),
    ):
        invocation = _verify(_resigned(fake, installation, accepted), keys)
        assert invocation.cloud_id == installation.cloud_id


def test_the_context_is_kept_whole_and_read_only(site, keys) -> None:
    fake, installation = site
    sent = {
        "extension": {"type": "jira:issuePanel", "issues": [{"key": "TIME-1"}, {"key": "TIME-2"}]},
        "tags": ["a", "b"],
    }
    fit = fake.forge_invocation_token(installation, account_id=BOB, context=sent)
    context = _verify(fit, keys).context
    assert context["tags"] == ("a", "b")
    issues = context["extension"]["issues"]
    assert [dict(issue) for issue in issues] == [{"key": "TIME-1"}, {"key": "TIME-2"}]
    with pytest.raises(TypeError):
        issues[0]["key"] = "TIME-3"  # type: ignore[index]
    with pytest.raises(TypeError):
        context["extension"]["type"] = "changed"  # type: ignore[index]


def test_the_verifier_applies_its_leeway_at_the_given_time(site, keys) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(installation, lifetime=300)
    expired_at = _claims(fit)["exp"]
    strict = ForgeInvocationVerifier(keys, app_id=APP_ID, leeway=0, dev_mode=True)
    lenient = ForgeInvocationVerifier(keys, app_id=APP_ID, leeway=30, dev_mode=True)
    assert strict.verify(fit, now=expired_at - 1).app_id == APP_ID
    with pytest.raises(ForgeTokenError, match="expired"):
        strict.verify(fit, now=expired_at + 10)
    assert lenient.verify(fit, now=expired_at + 10).app_id == APP_ID
    with pytest.raises(ForgeTokenError, match="expired"):
        lenient.verify(fit, now=expired_at + 31)


def _refusal(fit: str, keys: JwksKeySource, **kwargs: Any) -> str:
    """The reason a FIT is refused (the words of the 401), failing the test if it is accepted."""
    with pytest.raises(ForgeTokenError) as refused:
        _verify(fit, keys, **kwargs)
    return str(refused.value)


def _put(path: str, value: Any) -> Any:
    """A claims change setting the claim at dotted ``path`` (``None`` removes it)."""

    def change(claims: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = claims
        for name in parents:
            target = target[name]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_put("app", "x"), "token app is not an object"),
        (_put("app.id", "ari:cloud:ecosystem::app/x"), "token app id is not this app"),
        (_put("app.installationId", 42), "token app.installationId is missing"),
        (_put("app.installationId", "42"), "token app.installationId is not an installation id"),
        (_put("app.apiBaseUrl", ""), "token apiBaseUrl is missing"),
        (_put("app.apiBaseUrl", "http://[::1"), "token apiBaseUrl is not a URL"),
        (
            _put("app.apiBaseUrl", "https://api.atlassian.com/ex/jira/x?a=1"),
            "token apiBaseUrl is not an Atlassian API URL",
        ),
        (_put("app.environment", "prod"), "token app.environment is not an object"),
        (_put("app.environment.type", None), "token app.environment.type is missing"),
        (_put("app.environment.id", ""), "token app.environment.id is missing"),
        (_put("app.module.key", None), "token app.module.key is missing"),
        (_put("app.module.type", 7), "token app.module.type is missing"),
        (_put("app.appVersion", 2), "token app.appVersion is missing"),
        (_put("context", ["x"]), "token context is not an object"),
        (_put("context.siteUrl", 5), "token context.siteUrl is missing"),
        (_put("context.cloudId", "elsewhere"), "token names more than one site"),
        (_put("jti", ""), "token jti is missing"),
        (_put("jti", "j" * 1025), "token jti is missing"),
        (_put("iss", "forge/context-token"), "token issuer is not Forge"),
        (_put("aud", "ari:cloud:ecosystem::app/other"), "token audience is not this app"),
        (_put("exp", True), "token exp claim is not a number"),
        (_put("iat", float("inf")), "token iat claim is not a number"),
        (_put("nbf", "now"), "token nbf claim is not a number"),
        (_put("context.cloudId", 42), "token context.cloudId is missing"),
        (_put("principal", 42), "token principal is missing"),
        (_put("app.installation", "all"), "token app.installation is not an object"),
        (
            _put("app.installation.contexts", "jira"),
            "token app.installation.contexts is not a list",
        ),
        (
            _put("app.installation.contexts", {"cloudId": "x"}),
            "token app.installation.contexts is not a list",
        ),
        (
            _put("app.installation.contexts", ["jira"]),
            "token app.installation.contexts[] is not an object",
        ),
        (_put("app.license", "active"), "token app.license is not an object"),
    ],
)
def test_each_refusal_says_exactly_what_is_wrong(site, keys, change, reason) -> None:
    fake, installation = site
    assert _refusal(_resigned(fake, installation, change), keys) == reason


def test_another_product_s_context_before_a_conflicting_one_is_skipped_not_the_end(
    site, keys
) -> None:
    fake, installation = site
    here = installation.api_base_url
    first_other_then_conflict = _put(
        "app.installation.contexts",
        [
            {"apiBaseUrl": "https://api.atlassian.com/ex/confluence/other", "cloudId": "other"},
            {"apiBaseUrl": here, "cloudId": "elsewhere"},
        ],
    )
    fit = _resigned(fake, installation, first_other_then_conflict)
    assert _refusal(fit, keys) == "token names more than one site"
    entry_cloud_id = _put("app.installation.contexts", [{"apiBaseUrl": here, "cloudId": 42}])
    assert _refusal(_resigned(fake, installation, entry_cloud_id), keys) == (
        "token app.installation.contexts[].cloudId is missing"
    )


def test_the_invocation_carries_the_app_version(site, keys) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(installation, account_id=BOB)
    assert _verify(fit, keys).app_version == installation.app_version
    assert (
        _verify(_resigned(fake, installation, _put("app.appVersion", None)), keys).app_version
        is None
    )


def test_text_claims_may_be_as_long_as_the_limit_and_no_longer(site, keys) -> None:
    fake, installation = site
    assert _verify(_resigned(fake, installation, _put("jti", "j" * 1024)), keys).jti == "j" * 1024


def test_times_are_checked_at_their_exact_bounds(site, keys) -> None:
    fake, installation = site
    now = int(time.time())

    def dated(**claims: int) -> str:
        return _resigned(fake, installation, lambda c: c.update(claims))

    same_moment = dated(iat=now, nbf=now, exp=now)
    assert _refusal(same_moment, keys, leeway=0) == "token expires before it was issued"
    # exp is the first moment the token is no longer valid; iat and nbf the first it is.
    fit = dated(iat=now - 20, nbf=now - 20, exp=now + 5)
    assert _refusal(fit, keys, leeway=10, now=now + 15) == "token expired"
    assert _verify(fit, keys, leeway=10, now=now + 14)
    assert _verify(fit, keys, leeway=10, now=now - 30)  # iat == now + leeway: not in the future
    assert _refusal(fit, keys, leeway=10, now=now - 31) == "token issued in the future"
    later = dated(iat=now - 20, nbf=now, exp=now + 25)
    assert _verify(later, keys, leeway=10, now=now - 10)  # nbf == now + leeway: valid
    assert _refusal(later, keys, leeway=10, now=now - 11) == "token not yet valid"


def test_a_list_audience_naming_the_app_is_accepted(site, keys) -> None:
    fake, installation = site
    fit = _resigned(fake, installation, _put("aud", ["ari:cloud:ecosystem::app/other", APP_ID]))
    assert _verify(fit, keys).app_id == APP_ID


def test_the_header_must_name_a_key_of_bounded_length(site, keys) -> None:
    fake, installation = site
    claims = _claims(fake.forge_invocation_token(installation))
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _refusal("a.b", keys) == "malformed token"
    assert _refusal("a.b.c", keys) == "malformed token"
    assert _refusal(_sign(claims, private_key, kid=""), keys) == "token has no key id"
    too_long = "k" * (MAX_KID_LENGTH + 1)
    assert _refusal(_sign(claims, private_key, kid=too_long), keys) == "token has no key id"
    # A kid of the longest length allowed is looked up (and not found).
    longest = "k" * MAX_KID_LENGTH
    assert _refusal(_sign(claims, private_key, kid=longest), keys) == (
        "token signed by an unknown key"
    )
    assert _refusal(_sign(claims, private_key, kid=fake.forge_key_id), keys) == (
        "token signature is invalid"
    )
    hs256 = _sign(claims, "secret" * 8, kid=fake.forge_key_id, alg="HS256")
    assert _refusal(hs256, keys) == "token is not signed with RS256"
    # Signed by Forge's key, but its claims are not JSON: PyJWT's refusal, in the kit's words.
    forge_key = fake._state.forge_keys._keys[fake.forge_key_id]
    not_json = jwt.PyJWS().encode(
        b"not json", forge_key, algorithm="RS256", headers={"kid": fake.forge_key_id}
    )
    assert _refusal(not_json, keys) == "malformed token"


def test_arguments_that_cannot_be_right_are_refused_with_their_reason(keys) -> None:
    with pytest.raises(ValueError) as wrong_app:
        verify_invocation_token("a.b.c", keys=keys, app_id="my-app")
    assert str(wrong_app.value) == "app_id must be a Forge app id (ari:cloud:ecosystem::app/<uuid>)"
    with pytest.raises(ValueError) as wrong_verifier:
        ForgeInvocationVerifier(keys, app_id="my-app")
    assert str(wrong_verifier.value) == str(wrong_app.value)
    with pytest.raises(ValueError) as negative:
        verify_invocation_token("a.b.c", keys=keys, app_id=APP_ID, leeway=-1)
    assert str(negative.value) == "leeway must not be negative"


def test_outside_dev_mode_by_default_a_loopback_api_is_refused(site, keys) -> None:
    fake, installation = site
    fit = fake.forge_invocation_token(installation)
    with pytest.raises(ForgeTokenError) as refused:
        verify_invocation_token(fit, keys=keys, app_id=APP_ID)
    assert str(refused.value) == "token apiBaseUrl is not an Atlassian API URL"


def test_api_base_urls_at_the_edges(keys) -> None:
    cloud = "d0d52620-3203-4cfa-8db5-f2587155f0dd"
    plain = f"https://api.atlassian.com/ex/jira/{cloud}"
    assert check_api_base_url(f"{plain}/", dev_mode=False) == (plain, cloud)
    assert check_api_base_url(f"https://api.atlassian.com:443/ex/jira/{cloud}", dev_mode=False)
    assert check_api_base_url(f"https://127.0.0.1:5000/ex/jira/{cloud}", dev_mode=True)
    for refused in (f"{plain}?x=1", f"{plain}#top", "https://api.atlassian.com/wiki/rest"):
        with pytest.raises(ForgeTokenError) as error:
            check_api_base_url(refused, dev_mode=False)
        assert str(error.value) == "token apiBaseUrl is not an Atlassian API URL"
    with pytest.raises(ForgeTokenError) as error:
        check_api_base_url(plain + "/" * (1025 - len(plain)), dev_mode=False)
    assert str(error.value) == "token apiBaseUrl is missing"
