"""The JWKS key source: what counts as a key set, and what is an outage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from atlassian_connect_kit.auth.jwks import (
    MAX_JWKS_BYTES,
    JwksKeySource,
    JwksUnavailable,
    UnknownSigningKey,
    check_jwks_url,
    parse_jwks,
)
from atlassian_connect_kit.testing.fakejira.server import RunningServer


class JwksServer:
    """Serves whatever body and status a test sets, over real HTTP."""

    def __init__(self) -> None:
        self.status = "200 OK"
        self.body = b"{}"
        self.location: str | None = None
        self.accept_headers: list[str | None] = []
        self._server = RunningServer(self._wsgi)
        self.url = f"http://127.0.0.1:{self._server.port}/.well-known/jwks.json"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.accept_headers.append(environ.get("HTTP_ACCEPT"))
        headers = [("Content-Type", "application/json")]
        if self.location is not None:
            headers.append(("Location", self.location))
        start_response(self.status, headers)
        return [self.body]

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def server() -> Iterator[JwksServer]:
    """A JWKS server under the test's control."""
    served = JwksServer()
    yield served
    served.close()


def _rsa_jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": kid, "use": "sig", "alg": "RS256"}


def test_only_rsa_signing_keys_are_kept() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    document = {
        "keys": [
            _rsa_jwk("good"),
            {**_rsa_jwk("encryption"), "use": "enc"},
            {**_rsa_jwk("other-alg"), "alg": "RS512"},
            {**json.loads(ECAlgorithm.to_jwk(ec_key)), "kid": "ec"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {k: v for k, v in _rsa_jwk("x").items() if k != "kid"},
            {**_rsa_jwk("ignored"), "kid": ""},
            {**_rsa_jwk("ignored"), "kid": 42},
            {**_rsa_jwk("ignored"), "kid": "x" * 257},
            "not an object",
            None,
        ]
    }
    assert list(parse_jwks(document)) == ["good"]


def test_a_key_without_use_or_alg_is_an_rs256_signing_key() -> None:
    bare = {k: v for k, v in _rsa_jwk("bare").items() if k not in {"use", "alg"}}

    assert parse_jwks({"keys": [bare]})["bare"].key_size == 2048


def test_a_set_of_keys_without_usable_kids_holds_no_key() -> None:
    document = {"keys": [{**_rsa_jwk("ignored"), "kid": kid} for kid in ("", 42, "x" * 257)]}

    with pytest.raises(JwksUnavailable, match="no RSA signing key"):
        parse_jwks(document)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        ("503 Service Unavailable", b"{}", "JWKS answered 503"),
        ("404 Not Found", b"{}", "JWKS answered 404"),
        ("200 OK", b"<html>", "the JWKS response is not JSON"),
        ("200 OK", b'{"keys": "none"}', "the JWKS response is not a key set"),
        ("200 OK", b'[{"keys": []}]', "the JWKS response is not a key set"),
        ("200 OK", b'"keys"', "the JWKS response is not a key set"),
        ("200 OK", b'{"keys": []}', "the JWKS response holds no RSA signing key"),
        ("200 OK", b"x" * (1024 * 1024 + 1), "the JWKS response is too large"),
    ],
)
def test_a_broken_answer_is_an_outage(server, status, body, reason) -> None:
    # The reason is what the operator reads in the log line of the 503.
    server.status, server.body = status, body
    with pytest.raises(JwksUnavailable, match=f"^{reason}$"):
        JwksKeySource(server.url, dev_mode=True).signing_key("any")


def test_a_published_key_is_found_and_an_absent_one_is_unknown(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    source = JwksKeySource(server.url, dev_mode=True)
    assert source.signing_key("k1").key_size == 2048
    with pytest.raises(UnknownSigningKey):
        source.signing_key("k2")
    with pytest.raises(UnknownSigningKey):
        source.signing_key("x" * 300)
    assert source.fetch_count == 1


def test_the_url_must_be_https_unless_dev_mode_on_loopback() -> None:
    assert check_jwks_url(
        "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json", dev_mode=False
    )
    for url, dev_mode in [
        ("http://127.0.0.1:1/jwks.json", False),
        ("http://forge.example.com/jwks.json", True),
        ("https://forge.example.com/jwks.json?x=1", False),
        ("ftp://forge.example.com/jwks.json", True),
    ]:
        with pytest.raises(ValueError, match="JWKS URL"):
            JwksKeySource(url, dev_mode=dev_mode)
    assert check_jwks_url("http://localhost:8080/jwks.json", dev_mode=True)


def test_a_key_set_of_exactly_the_size_limit_is_accepted(server) -> None:
    document = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    server.body = document + b" " * (MAX_JWKS_BYTES - len(document))
    assert len(server.body) == MAX_JWKS_BYTES

    assert JwksKeySource(server.url, dev_mode=True).signing_key("k1").key_size == 2048


@pytest.mark.parametrize("kid", ["", "x" * 257, 42, None])
def test_a_malformed_kid_is_refused_without_a_fetch(server, kid) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    source = JwksKeySource(server.url, dev_mode=True)

    with pytest.raises(UnknownSigningKey):
        source.signing_key(kid)
    assert server.accept_headers == []
    assert source.fetch_count == 0


def test_a_kid_of_the_longest_allowed_length_is_found(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k" * 256)]}).encode()

    assert JwksKeySource(server.url, dev_mode=True).signing_key("k" * 256).key_size == 2048


def test_a_fresh_set_answers_known_kids_without_a_fetch_until_it_is_stale(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    clock = [1000.0]
    source = JwksKeySource(server.url, dev_mode=True, clock=lambda: clock[0])
    source.signing_key("k1")

    # Past the refresh interval but within cache_seconds (600 s): no fetch for a known kid.
    for elapsed in (61.0, 599.0):
        clock[0] = 1000.0 + elapsed
        assert source.signing_key("k1").key_size == 2048
    assert source.fetch_count == 1
    # cache_seconds after the fetch, the set is no longer trusted without asking again.
    clock[0] = 1600.0
    source.signing_key("k1")
    assert source.fetch_count == 2
    assert len(server.accept_headers) == 2


def test_an_unknown_kid_fetches_again_once_the_refresh_interval_has_passed(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    clock = [1000.0]
    source = JwksKeySource(server.url, dev_mode=True, clock=lambda: clock[0])
    source.signing_key("k1")

    clock[0] = 1059.5
    with pytest.raises(UnknownSigningKey):
        source.signing_key("k2")
    assert source.fetch_count == 1
    clock[0] = 1060.0
    server.body = json.dumps({"keys": [_rsa_jwk("k1"), _rsa_jwk("k2")]}).encode()
    assert source.signing_key("k2").key_size == 2048
    assert source.fetch_count == 2


def test_the_key_set_is_asked_for_as_json(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    JwksKeySource(server.url, dev_mode=True).signing_key("k1")

    assert server.accept_headers == ["application/json"]


def test_a_redirect_to_another_key_set_is_an_outage_not_followed(server) -> None:
    elsewhere = JwksServer()
    try:
        elsewhere.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
        server.status, server.location = "302 Found", elsewhere.url

        with pytest.raises(JwksUnavailable, match=r"^JWKS answered 302$"):
            JwksKeySource(server.url, dev_mode=True).signing_key("k1")
        assert elsewhere.accept_headers == []
    finally:
        elsewhere.close()


def test_an_http_url_needs_dev_mode_even_on_loopback() -> None:
    with pytest.raises(ValueError, match="must use https"):
        JwksKeySource("http://127.0.0.1:1/jwks.json")


@pytest.mark.parametrize(
    "timing",
    [{"refresh_interval": -1}, {"cache_seconds": 0}, {"timeout_seconds": 0}],
)
def test_timings_must_be_positive(server, timing) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        JwksKeySource(server.url, dev_mode=True, **timing)


def test_an_unreachable_key_server_is_an_outage_naming_the_error() -> None:
    closed = JwksServer()
    url = closed.url
    closed.close()

    with pytest.raises(JwksUnavailable, match=r"^JWKS unreachable \(ConnectionError\)$"):
        JwksKeySource(url, dev_mode=True).signing_key("k1")
