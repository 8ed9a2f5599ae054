"""Connect JWTs: what is accepted, what is refused, and agreement with Atlassian's signers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from atlassian_jwt.encode import encode_token
from atlassian_jwt.url_utils import hash_url
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.auth.tokens import (
    CONTEXT_QSH,
    OAUTH2_ISSUER_PREFIX,
    OAUTH2_SUBJECT_PREFIX,
    QshMismatchError,
    TokenError,
    TokenExpiredError,
    is_valid_kid,
    mint_context_token,
    oauth2_assertion,
    sign_request,
    token_from_request,
    unverified_header,
    unverified_issuer,
    url_origin,
    verify_install_token,
    verify_tenant_token,
)
from tests.shared_data import shared_path

NOW = 1_800_000_000
SECRET = "tenant-shared-secret-0123456789-abcdefghijklmnop"
OTHER_SECRET = "another-shared-secret-0123456789-abcdefghijklmno"
CLIENT_KEY = "jira:7f3c2a10-0000-4000-8000-000000000001"
ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"
PAGE_QSH = query_string_hash("GET", "/timesheet", "project=TS&xdm_e=https%3A%2F%2Fx.net")
APP_BASE_URL = "https://timesheet.example.com"
INSTALLED_QSH = query_string_hash("POST", "/installed", "")
# NOW is a fixed instant, so PyJWT (which reads the clock) is told not to judge the times.
IGNORE_TIME: Any = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


# Every reason a refused token is given; it reaches the client in the 401 body, so each path
# must give exactly one of these.
REFUSAL_REASONS = {
    "malformed token",
    "token has no issuer",
    "token audience is not this tenant",
    "token audience is not this app",
    "token subject is not a string",
    "token is not signed with HS256",
    "token is not signed with RS256",
    "token signature is invalid",
    "install key is not a PEM public key",
    "install key is not an RSA key",
    *(f"token has no {name} claim" for name in ("iss", "iat", "exp", "aud", "qsh")),
    *(f"token {name} claim is not a number" for name in ("iat", "exp", "nbf")),
    "token expired",
    "token issued in the future",
    "token lifetime exceeds the allowed maximum",
    "token not yet valid",
    "token issuer does not match",
    "token qsh claim is not a string",
    "context token not accepted here",
    "query string hash mismatch",
}


def claims_for_page(**overrides: Any) -> dict[str, Any]:
    """Return the claims of a valid page-load token, with some replaced or (``None``) removed."""
    claims: dict[str, Any] = {
        "iss": CLIENT_KEY,
        "sub": ACCOUNT_ID,
        "iat": NOW - 10,
        "exp": NOW + 170,
        "qsh": PAGE_QSH,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def hs256(claims: dict[str, Any], secret: str = SECRET) -> str:
    """Sign claims as the product would."""
    return jwt.encode(claims, secret, algorithm="HS256")


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url, the JWS way."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_made_token(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None) -> str:
    """Build a token outside any JWT library, as an attacker would; unsigned when no key."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is None:
        return signing_input + "."
    signature = hmac.new(hmac_key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def hs256_unchecked(claims: dict[str, Any]) -> str:
    """Sign claims with HS256 without PyJWT's checks on their types, as a hostile signer might."""
    return hand_made_token({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode())


def verify_page(token: str, **options: Any) -> dict[str, Any]:
    """Verify a token as the page route would (no context tokens)."""
    arguments: dict[str, Any] = {
        "shared_secret": SECRET,
        "client_key": CLIENT_KEY,
        "expected_qsh": PAGE_QSH,
        "allow_context_qsh": False,
        "now": NOW,
    }
    arguments.update(options)
    return verify_tenant_token(token, **arguments)


@pytest.fixture(scope="module")
def install_key() -> rsa.RSAPrivateKey:
    """An RSA key standing in for Atlassian's install signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def install_public_pem(install_key: rsa.RSAPrivateKey) -> bytes:
    """The PEM the install-keys server would publish for ``install_key``."""
    return install_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def install_claims(**overrides: Any) -> dict[str, Any]:
    """Return the claims of a valid signed install, with some replaced or (``None``) removed."""
    claims: dict[str, Any] = {
        "iss": CLIENT_KEY,
        "aud": [APP_BASE_URL + "/"],
        "iat": NOW - 5,
        "exp": NOW + 175,
        "qsh": INSTALLED_QSH,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def verify_install(token: str, public_pem: bytes, **options: Any) -> dict[str, Any]:
    """Verify a token as the installed callback would."""
    arguments: dict[str, Any] = {
        "public_key_pem": public_pem,
        "app_base_url": APP_BASE_URL,
        "client_key": CLIENT_KEY,
        "expected_qsh": INSTALLED_QSH,
        "now": NOW,
    }
    arguments.update(options)
    return verify_install_token(token, **arguments)


# --- finding the token and reading it unverified ----------------------------------------------


@pytest.mark.parametrize(
    ("query_jwt", "authorization", "expected"),
    [
        (None, "JWT abc.def.ghi", "abc.def.ghi"),
        (None, "jwt   abc.def.ghi  ", "abc.def.ghi"),
        ("q.q.q", "JWT h.h.h", "h.h.h"),
        ("q.q.q", "Bearer h.h.h", "q.q.q"),
        ("q.q.q", "JWT ", "q.q.q"),
        (None, "Basic dXNlcjpwYXNz", None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_token_from_request(
    query_jwt: str | None, authorization: str | None, expected: str | None
) -> None:
    assert token_from_request(query_jwt, authorization) == expected


@pytest.mark.parametrize(
    "kid", ["a", "0b7c8e2a-8c31-4e54-9d5a-7f0e0c9b1a23", "key.2026_11-27", "a" * 128]
)
def test_valid_kids(kid: str) -> None:
    assert is_valid_kid(kid)


@pytest.mark.parametrize(
    "kid",
    ["", "../etc/passwd", "a/b", "a..b", ".hidden", "-a", "a" * 129, "abc\n", "a b", "é", 42, None],
)
def test_invalid_kids(kid: object) -> None:
    assert not is_valid_kid(kid)


def test_unverified_issuer_reads_iss_without_the_secret() -> None:
    assert unverified_issuer(hs256(claims_for_page(), OTHER_SECRET)) == CLIENT_KEY


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed token"),
        ("not-a-token", "malformed token"),
        ("a.b.c", "malformed token"),
        (f"x.{b64url(b'[1]')}.c", "malformed token"),
        (f"x.{b64url(b'not json')}.c", "malformed token"),
        (hs256(claims_for_page(iss=None)), "token has no issuer"),
        (hs256_unchecked(claims_for_page(iss=7)), "token has no issuer"),
    ],
)
def test_unverified_issuer_refuses_tokens_without_a_readable_issuer(
    token: str, reason: str
) -> None:
    # The reason reaches the client in the 401 body.
    with pytest.raises(TokenError) as refused:
        unverified_issuer(token)
    assert str(refused.value) == reason


def test_unverified_header_reads_kid_and_alg(install_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(install_claims(), install_key, algorithm="RS256", headers={"kid": "k-1"})

    header = unverified_header(token)

    assert (header["alg"], header["kid"]) == ("RS256", "k-1")


def test_unverified_header_refuses_garbage() -> None:
    with pytest.raises(TokenError, match=r"^malformed token$"):
        unverified_header("garbage")


# --- tenant tokens (HS256) -------------------------------------------------------------------


def test_a_good_page_token_is_accepted_and_its_claims_returned() -> None:
    claims = verify_page(hs256(claims_for_page()))

    assert (claims["iss"], claims["sub"]) == (CLIENT_KEY, ACCOUNT_ID)


@pytest.mark.parametrize("audience", [CLIENT_KEY, [CLIENT_KEY], ["other", CLIENT_KEY]])
def test_an_audience_naming_the_tenant_is_accepted(audience: object) -> None:
    assert verify_page(hs256(claims_for_page(aud=audience)))["iss"] == CLIENT_KEY


@pytest.mark.parametrize("audience", ["jira:someone-else", ["jira:someone-else"], [], 5])
def test_an_audience_naming_someone_else_is_refused(audience: object) -> None:
    with pytest.raises(TokenError, match="audience"):
        verify_page(hs256(claims_for_page(aud=audience)))


def test_a_token_for_another_path_is_refused() -> None:
    other_qsh = query_string_hash("GET", "/admin", "project=TS")

    with pytest.raises(QshMismatchError, match=r"^query string hash mismatch$"):
        verify_page(hs256(claims_for_page(qsh=other_qsh)))


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(TokenExpiredError, match=r"^token expired$"):
        verify_page(hs256(claims_for_page(exp=NOW - 31)))


def test_expiry_allows_the_leeway() -> None:
    assert verify_page(hs256(claims_for_page(exp=NOW - 29)))["iss"] == CLIENT_KEY
    with pytest.raises(TokenExpiredError):
        verify_page(hs256(claims_for_page(exp=NOW - 29)), leeway=0)


def test_a_token_issued_in_the_future_is_refused() -> None:
    with pytest.raises(TokenError, match=r"^token issued in the future$"):
        verify_page(hs256(claims_for_page(iat=NOW + 120)))


def test_a_token_not_yet_valid_is_refused() -> None:
    with pytest.raises(TokenError, match=r"^token not yet valid$"):
        verify_page(hs256(claims_for_page(nbf=NOW + 120)))


def test_issue_and_start_times_up_to_the_leeway_ahead_are_accepted() -> None:
    # A site's clock may run up to the leeway (30 s) ahead of the app's; a second more is refused.
    for claims in (
        claims_for_page(nbf=NOW - 60),
        claims_for_page(nbf=NOW),
        claims_for_page(nbf=NOW + 30),
        claims_for_page(iat=NOW + 30, exp=NOW + 200),
    ):
        assert verify_page(hs256(claims))["iss"] == CLIENT_KEY
    with pytest.raises(TokenError, match=r"^token not yet valid$"):
        verify_page(hs256(claims_for_page(nbf=NOW + 31)))
    with pytest.raises(TokenError, match=r"^token issued in the future$"):
        verify_page(hs256(claims_for_page(iat=NOW + 31, exp=NOW + 200)))


def test_fractional_times_are_accepted() -> None:
    # RFC 7519 NumericDates may carry fractions of a second.
    claims = claims_for_page(iat=NOW - 10.5, exp=NOW + 170.25, nbf=NOW - 0.5)

    assert verify_page(hs256(claims))["exp"] == NOW + 170.25


def test_a_token_living_longer_than_the_maximum_is_refused() -> None:
    # Jira's tokens live minutes; one valid for years is refused even while it is "valid".
    with pytest.raises(TokenError, match=r"^token lifetime exceeds the allowed maximum$"):
        verify_page(hs256(claims_for_page(iat=NOW - 10, exp=NOW + 3591)))
    assert verify_page(hs256(claims_for_page(iat=NOW - 10, exp=NOW + 3590)))["iss"] == CLIENT_KEY


def test_the_maximum_lifetime_is_the_caller_s_to_choose() -> None:
    token = hs256(claims_for_page(iat=NOW - 10, exp=NOW + 51))
    with pytest.raises(TokenError, match="lifetime"):
        verify_page(token, max_lifetime=60)
    assert verify_page(token, max_lifetime=61)["iss"] == CLIENT_KEY
    with pytest.raises(ValueError, match="max_lifetime"):
        verify_page(token, max_lifetime=0)


def test_a_signed_install_living_longer_than_the_maximum_is_refused(
    install_key: rsa.RSAPrivateKey, install_public_pem: bytes
) -> None:
    claims = install_claims(iat=NOW - 5, exp=NOW + 3596)
    token = jwt.encode(claims, install_key, algorithm="RS256")

    with pytest.raises(TokenError, match="lifetime"):
        verify_install(token, install_public_pem)
    assert verify_install(token, install_public_pem, max_lifetime=3601)["iss"] == CLIENT_KEY


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(TokenError, match="signature"):
        verify_page(hs256(claims_for_page(), OTHER_SECRET))


def test_a_token_from_another_tenant_is_refused() -> None:
    with pytest.raises(TokenError, match="issuer"):
        verify_page(hs256(claims_for_page(iss="jira:someone-else")))


@pytest.mark.parametrize("claim", ["qsh", "exp", "iat", "iss"])
def test_a_token_missing_a_required_claim_is_refused(claim: str) -> None:
    with pytest.raises(TokenError, match=f"no {claim} claim"):
        verify_page(hs256(claims_for_page(**{claim: None})))


@pytest.mark.parametrize(
    ("claim", "value"), [("exp", "soon"), ("iat", True), ("qsh", 12), ("sub", ["x"])]
)
def test_a_claim_of_the_wrong_type_is_refused(claim: str, value: object) -> None:
    with pytest.raises(TokenError):
        verify_page(hs256_unchecked(claims_for_page(**{claim: value})))


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_an_expiry_that_is_not_a_finite_number_is_refused(value: float) -> None:
    # JSON has no Infinity or NaN, yet Python's parser accepts both.
    with pytest.raises(TokenError, match="not a number"):
        verify_page(hs256_unchecked(claims_for_page(exp=value)))


def test_an_unsigned_token_is_refused() -> None:
    token = hand_made_token({"alg": "none", "typ": "JWT"}, claims_for_page(), None)

    with pytest.raises(TokenError, match="not signed with HS256"):
        verify_page(token)


def test_an_rs256_token_is_refused_by_the_tenant_check(install_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(claims_for_page(), install_key, algorithm="RS256")

    with pytest.raises(TokenError, match="not signed with HS256"):
        verify_page(token)


def test_an_hs512_token_is_refused() -> None:
    long_secret = SECRET * 2
    token = jwt.encode(claims_for_page(), long_secret, algorithm="HS512")

    with pytest.raises(TokenError, match="not signed with HS256"):
        verify_page(token, shared_secret=long_secret)


def test_a_context_token_is_refused_on_a_page_route() -> None:
    with pytest.raises(QshMismatchError, match=r"^context token not accepted here$"):
        verify_page(hs256(claims_for_page(qsh=CONTEXT_QSH)))


def test_a_context_token_is_accepted_where_the_route_allows_it() -> None:
    claims = verify_page(hs256(claims_for_page(qsh=CONTEXT_QSH)), allow_context_qsh=True)

    assert claims["qsh"] == CONTEXT_QSH


def test_a_request_bound_token_still_works_on_a_context_route() -> None:
    assert verify_page(hs256(claims_for_page()), allow_context_qsh=True)["qsh"] == PAGE_QSH


def test_a_context_route_still_refuses_a_forged_qsh() -> None:
    with pytest.raises(QshMismatchError):
        verify_page(hs256(claims_for_page(qsh="0" * 64)), allow_context_qsh=True)


def test_verifying_without_a_secret_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="shared_secret"):
        verify_page(hs256(claims_for_page()), shared_secret="")


def test_refusal_messages_never_leak_the_token_the_secret_or_claims() -> None:
    leaky_claims = claims_for_page(iss="jira:someone-else", aud="jira:someone-else")
    tokens = [
        hs256(leaky_claims),
        hs256(claims_for_page(), OTHER_SECRET),
        hs256(claims_for_page(exp=NOW - 600)),
        hs256(claims_for_page(qsh="f" * 64)),
        hs256(claims_for_page(aud=["jira:someone-else"])),
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqaXJhOnNvbWVvbmUtZWxzZSJ9.c2lnbmF0dXJl",
    ]
    for token in tokens:
        with pytest.raises(TokenError) as refused:
            verify_page(token)
        message = str(refused.value)
        assert message in REFUSAL_REASONS
        assert refused.value.reason == message
        assert refused.value.__cause__ is None
        for secret_or_value in (token, SECRET, OTHER_SECRET, CLIENT_KEY, ACCOUNT_ID, "someone"):
            assert secret_or_value not in message


@given(st.text(max_size=300))
def test_arbitrary_input_is_only_ever_refused_with_a_token_error(text: str) -> None:
    with pytest.raises(TokenError) as refused:
        verify_page(text)
    assert str(refused.value) in REFUSAL_REASONS


@given(st.lists(st.text(alphabet="abcXYZ019-_=", max_size=40), min_size=3, max_size=3))
def test_arbitrary_three_part_tokens_are_only_ever_refused_with_a_token_error(
    parts: list[str],
) -> None:
    with pytest.raises(TokenError) as refused:
        verify_page(".".join(parts))
    assert str(refused.value) in REFUSAL_REASONS


# --- interoperability ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative_url",
    [
        "/timesheet?name=John+Smith&title=John%20Smith",
        "/timesheet?sum=1+%2B+1&literal=%2B",
        "/timesheet?user=Jos%C3%A9&city=K%C3%B8benhavn&kanji=%E5%AE%AE%E5%B4%8E",
        "/timesheet?user=José",
        "/timesheet?ids=3&ids=1&ids=20&ids=2",
        "/timesheet?json=%7B%22from%22%3A%222026-11-01%22%2C%22to%22%3A%5B1%2C2%5D%7D",
        "/timesheet?jql=project%20%3D%20TS%20AND%20worklogDate%20%3E%3D%20%222026-11-01%22",
        "/timesheet?empty=&tilde=%7E&star=*&a=1&B=2",
        "/timesheet",
    ],
)
def test_tokens_from_atlassians_python_signer_verify(relative_url: str) -> None:
    token = encode_token("GET", relative_url, CLIENT_KEY, SECRET)
    url = urlsplit(relative_url)

    claims = verify_tenant_token(
        token,
        shared_secret=SECRET,
        client_key=CLIENT_KEY,
        expected_qsh=query_string_hash("GET", url.path, url.query),
        allow_context_qsh=False,
    )

    assert claims["aud"] == CLIENT_KEY


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_every_atlassian_signed_url_verifies() -> None:
    vectors = json.loads(shared_path("vectors", "jwt-signed-urls.json").read_text("utf-8"))
    for vector in vectors["tests"]:
        url = urlsplit(vector["signedUrl"])
        token = dict(pair.split("=", 1) for pair in url.query.split("&") if pair)["jwt"]
        issuer = unverified_issuer(token)
        issued_at = jwt.decode(token, options={"verify_signature": False})["iat"]

        claims = verify_tenant_token(
            token,
            shared_secret=vectors["secret"],
            client_key=issuer,
            expected_qsh=query_string_hash(
                "GET", url.path, url.query, vector.get("addonBaseUrl", "")
            ),
            allow_context_qsh=False,
            now=issued_at,
        )

        assert claims["iss"] == issuer, vector["name"]


# --- signed installs (RS256) -----------------------------------------------------------------


def test_a_good_signed_install_is_accepted(
    install_key: rsa.RSAPrivateKey, install_public_pem: bytes
) -> None:
    token = jwt.encode(install_claims(), install_key, algorithm="RS256", headers={"kid": "k1"})

    assert verify_install(token, install_public_pem)["iss"] == CLIENT_KEY


@pytest.mark.parametrize(
    ("audience", "app_base_url"),
    [
        (APP_BASE_URL, APP_BASE_URL),
        (APP_BASE_URL + "/", APP_BASE_URL),
        ([APP_BASE_URL], APP_BASE_URL + "/"),
        (["https://other.example.com", APP_BASE_URL], APP_BASE_URL),
    ],
)
def test_install_audience_ignores_a_trailing_slash(
    install_key: rsa.RSAPrivateKey, install_public_pem: bytes, audience: object, app_base_url: str
) -> None:
    token = jwt.encode(install_claims(aud=audience), install_key, algorithm="RS256")

    assert verify_install(token, install_public_pem, app_base_url=app_base_url)["aud"] == audience


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": ["https://evil.example.com"]}, "audience"),
        ({"aud": APP_BASE_URL + ".evil.example.com"}, "audience"),
        ({"aud": None}, "no aud claim"),
        ({"iss": "jira:someone-else"}, "issuer"),
        ({"qsh": CONTEXT_QSH}, "context token"),
        ({"qsh": query_string_hash("POST", "/uninstalled", "")}, "query string hash"),
        ({"qsh": None}, "no qsh claim"),
        ({"exp": None}, "no exp claim"),
        ({"iat": None}, "no iat claim"),
        ({"exp": NOW - 60}, "expired"),
    ],
)
def test_bad_signed_installs_are_refused(
    install_key: rsa.RSAPrivateKey,
    install_public_pem: bytes,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    token = jwt.encode(install_claims(**overrides), install_key, algorithm="RS256")

    with pytest.raises(TokenError, match=reason):
        verify_install(token, install_public_pem)


def test_an_install_signed_by_another_key_is_refused(install_public_pem: bytes) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(install_claims(), stranger, algorithm="RS256")

    with pytest.raises(TokenError, match="signature"):
        verify_install(token, install_public_pem)


def test_an_hs256_install_is_refused(install_public_pem: bytes) -> None:
    with pytest.raises(TokenError, match="not signed with RS256"):
        verify_install(hs256(install_claims()), install_public_pem)


def test_an_hs256_install_keyed_with_the_public_key_is_refused(install_public_pem: bytes) -> None:
    # The classic confusion attack: HMAC keyed with the (public) PEM the verifier will load.
    token = hand_made_token({"alg": "HS256", "typ": "JWT"}, install_claims(), install_public_pem)

    with pytest.raises(TokenError, match="not signed with RS256"):
        verify_install(token, install_public_pem)


def test_an_unsigned_install_is_refused(install_public_pem: bytes) -> None:
    token = hand_made_token({"alg": "none"}, install_claims(), None)

    with pytest.raises(TokenError):
        verify_install(token, install_public_pem)


def test_an_install_key_that_is_not_rsa_is_refused(install_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(install_claims(), install_key, algorithm="RS256")

    with pytest.raises(TokenError, match=r"^install key is not a PEM public key$"):
        verify_install(token, b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")


# --- tokens the app makes --------------------------------------------------------------------


def test_a_minted_context_token_verifies_on_a_context_route() -> None:
    token = mint_context_token(
        client_key=CLIENT_KEY,
        shared_secret=SECRET,
        account_id=ACCOUNT_ID,
        context={"project": {"key": "TS"}},
        now=NOW,
    )

    claims = verify_page(token, allow_context_qsh=True, now=NOW + 60)

    assert claims["sub"] == ACCOUNT_ID
    assert claims["context"] == {"project": {"key": "TS"}}
    assert claims["qsh"] == CONTEXT_QSH


def test_a_minted_context_token_is_refused_on_a_page_route() -> None:
    token = mint_context_token(
        client_key=CLIENT_KEY, shared_secret=SECRET, account_id=ACCOUNT_ID, now=NOW
    )

    with pytest.raises(QshMismatchError):
        verify_page(token)


def test_a_minted_context_token_expires_after_its_lifetime() -> None:
    token = mint_context_token(
        client_key=CLIENT_KEY,
        shared_secret=SECRET,
        account_id=None,
        lifetime_seconds=300,
        now=NOW,
    )

    assert "sub" not in verify_page(token, allow_context_qsh=True, now=NOW + 299)
    with pytest.raises(TokenExpiredError):
        verify_page(token, allow_context_qsh=True, now=NOW + 300, leeway=0)


def test_a_signed_request_carries_the_app_key_and_the_qsh_relative_to_the_base_url() -> None:
    url = "https://example.atlassian.net/wiki/rest/api/content?expand=body.storage&limit=10"

    token = sign_request(
        app_key="smart-timesheet-report",
        shared_secret=SECRET,
        method="get",
        url=url,
        tenant_base_url="https://example.atlassian.net/wiki",
        now=NOW,
    )

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options=IGNORE_TIME)
    assert claims == {
        "iss": "smart-timesheet-report",
        "iat": NOW,
        "exp": NOW + 180,
        "qsh": hash_url("GET", "/rest/api/content?expand=body.storage&limit=10"),
    }


def test_a_signed_request_on_the_explicit_default_port_is_the_same_origin() -> None:
    token = sign_request(
        app_key="app",
        shared_secret=SECRET,
        method="POST",
        url="HTTPS://Example.atlassian.net:443/rest/api/3/search/jql",
        tenant_base_url="https://example.atlassian.net",
        now=NOW,
    )

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options=IGNORE_TIME)
    assert claims["qsh"] == hash_url("POST", "/rest/api/3/search/jql")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/rest/api/3/myself",
        "http://example.atlassian.net/rest/api/3/myself",
        "https://example.atlassian.net:8443/rest/api/3/myself",
        "https://example.atlassian.net.evil.com/rest/api/3/myself",
        "/rest/api/3/myself",
    ],
)
def test_requests_outside_the_tenant_origin_are_never_signed(url: str) -> None:
    with pytest.raises(ValueError, match=r"outside the tenant's origin|absolute http"):
        sign_request(
            app_key="app",
            shared_secret=SECRET,
            method="GET",
            url=url,
            tenant_base_url="https://example.atlassian.net",
            now=NOW,
        )


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.atlassian.net/x", ("https", "example.atlassian.net", 443)),
        ("HTTP://example.atlassian.net", ("http", "example.atlassian.net", 80)),
        ("https://example.atlassian.net:8443/", ("https", "example.atlassian.net", 8443)),
    ],
)
def test_the_origin_of_an_http_url_has_its_default_port(url: str, origin: tuple) -> None:
    assert url_origin(url) == origin


@pytest.mark.parametrize(
    "url", ["ftp://example.atlassian.net/x", "file:///etc/passwd", "https:///x", "example.net/x"]
)
def test_only_absolute_http_urls_have_an_origin(url: str) -> None:
    with pytest.raises(ValueError, match="absolute http or https URL"):
        url_origin(url)


def test_the_oauth2_assertion_has_exactly_the_expected_claims() -> None:
    audience = "https://oauth-2-authorization-server.services.atlassian.com"

    token = oauth2_assertion(
        oauth_client_id="client-123",
        account_id=ACCOUNT_ID,
        tenant_base_url="https://example.atlassian.net",
        shared_secret=SECRET,
        audience=audience,
        now=NOW,
    )

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=audience, options=IGNORE_TIME)
    assert claims == {
        "iss": OAUTH2_ISSUER_PREFIX + "client-123",
        "sub": OAUTH2_SUBJECT_PREFIX + ACCOUNT_ID,
        "tnt": "https://example.atlassian.net",
        "aud": audience,
        "iat": NOW,
        "exp": NOW + 60,
    }


@pytest.mark.parametrize("lifetime", [0, -1])
def test_a_lifetime_must_be_positive(lifetime: int) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        mint_context_token(
            client_key=CLIENT_KEY, shared_secret=SECRET, account_id=None, lifetime_seconds=lifetime
        )


def test_a_one_second_lifetime_is_a_lifetime() -> None:
    token = mint_context_token(
        client_key=CLIENT_KEY, shared_secret=SECRET, account_id=None, lifetime_seconds=1, now=NOW
    )
    assert jwt.decode(token, SECRET, algorithms=["HS256"], options=IGNORE_TIME)["exp"] == NOW + 1


MINT_ARGUMENTS: dict[str, dict[str, Any]] = {
    "context": {"client_key": CLIENT_KEY, "shared_secret": SECRET, "account_id": None},
    "request": {
        "app_key": "app",
        "shared_secret": SECRET,
        "method": "GET",
        "url": "https://example.atlassian.net/rest/api/3/myself",
        "tenant_base_url": "https://example.atlassian.net",
    },
    "assertion": {
        "oauth_client_id": "client-123",
        "account_id": ACCOUNT_ID,
        "tenant_base_url": "https://example.atlassian.net",
        "shared_secret": SECRET,
        "audience": "https://auth.example.com",
    },
}
MINTERS = {"context": mint_context_token, "request": sign_request, "assertion": oauth2_assertion}
REQUIRED = [
    ("context", "client_key"),
    ("context", "shared_secret"),
    ("request", "app_key"),
    ("request", "shared_secret"),
    ("assertion", "oauth_client_id"),
    ("assertion", "account_id"),
    ("assertion", "tenant_base_url"),
    ("assertion", "shared_secret"),
    ("assertion", "audience"),
]


@pytest.mark.parametrize(("kind", "name"), REQUIRED)
def test_a_token_is_never_made_from_an_empty_value(kind: str, name: str) -> None:
    # An empty secret would make the HMAC forgeable; an empty identity names nobody.
    arguments = {**MINT_ARGUMENTS[kind], name: ""}
    with pytest.raises(ValueError, match=f"^{name} must not be empty$"):
        MINTERS[kind](**arguments, now=NOW)
