"""The JWKS key source: what counts as a key set, and what is an outage."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
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
        self.delay = 0.0
        self._server = RunningServer(self._wsgi)
        self.url = f"http://127.0.0.1:{self._server.port}/.well-known/jwks.json"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.accept_headers.append(environ.get("HTTP_ACCEPT"))
        time.sleep(self.delay)
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
    with pytest.raises(ValueError) as refused:
        JwksKeySource(server.url, dev_mode=True, **timing)
    assert str(refused.value) == (
        "refresh_interval, cache_seconds and timeout_seconds must be positive"
    )


def test_an_unreachable_key_server_is_an_outage_naming_the_error() -> None:
    closed = JwksServer()
    url = closed.url
    closed.close()

    with pytest.raises(JwksUnavailable, match=r"^JWKS unreachable \(ConnectionError\)$"):
        JwksKeySource(url, dev_mode=True).signing_key("k1")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://forge.example.com/jwks.json", "the JWKS URL is not an absolute https URL"),
        ("/jwks.json", "the JWKS URL is not an absolute https URL"),
        (
            "https://forge.example.com/jwks.json#keys",
            "must not carry a query, fragment or credentials",
        ),
        (
            "https://user@forge.example.com/jwks.json",
            "must not carry a query, fragment or credentials",
        ),
        (
            "https://:pw@forge.example.com/jwks.json",
            "must not carry a query, fragment or credentials",
        ),
        (
            "http://forge.example.com/jwks.json",
            "must use https (http only on loopback in dev mode)",
        ),
    ],
)
def test_an_unusable_jwks_url_is_refused_naming_the_problem(url: str, problem: str) -> None:
    # The operator reads this line at start-up.
    with pytest.raises(ValueError) as refused:
        check_jwks_url(url, dev_mode=True)
    message = str(refused.value)
    assert message.startswith("the JWKS URL ")
    assert message.endswith(problem)


def test_zero_refresh_interval_and_fractional_timings_are_accepted(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    source = JwksKeySource(
        server.url, dev_mode=True, refresh_interval=0, cache_seconds=0.5, timeout_seconds=0.5
    )

    assert source.signing_key("k1").key_size == 2048


def test_a_key_server_that_never_answers_times_out_as_an_outage() -> None:
    # A listening socket that accepts connections (the kernel's backlog) but never answers.
    with _listener() as (_, url):
        reason = _outage_within(url, timeout_seconds=0.5, seconds=10)
    assert reason == "JWKS unreachable (ReadTimeout)"


@contextlib.contextmanager
def _listener() -> Iterator[tuple[socket.socket, str]]:
    """A socket listening on loopback (its backlog accepts connections) and its JWKS URL."""
    listening = socket.socket()
    try:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        yield listening, f"http://127.0.0.1:{listening.getsockname()[1]}/jwks.json"
    finally:
        listening.close()


def _outage_within(url: str, *, timeout_seconds: float, seconds: float) -> str:
    """Why a key lookup on ``url`` found an outage, failing the test if it took over ``seconds``
    or ended any other way."""
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            JwksKeySource(url, dev_mode=True, timeout_seconds=timeout_seconds).signing_key("k1")
        except BaseException as error:  # handed to the test's thread
            outcome.append(error)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), f"the lookup on {url} was still running after {seconds} s"
    assert len(outcome) == 1
    assert isinstance(outcome[0], JwksUnavailable), repr(outcome[0])
    return str(outcome[0])


def test_an_outage_stays_an_outage_while_the_rate_limit_holds(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    clock = [1000.0]
    source = JwksKeySource(server.url, dev_mode=True, cache_seconds=30, clock=lambda: clock[0])
    source.signing_key("k1")
    clock[0] = 1061.0  # stale, and a fetch is allowed again
    server.status = "503 Service Unavailable"

    # Not a refusal of the token: the same outage, with its reason, without asking again.
    for _ in range(2):
        with pytest.raises(JwksUnavailable, match=r"^JWKS answered 503$"):
            source.signing_key("k1")
    assert source.fetch_count == 2


def test_a_stale_set_still_answers_while_the_rate_limit_holds_back_a_fetch(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    clock = [1000.0]
    source = JwksKeySource(server.url, dev_mode=True, cache_seconds=30, clock=lambda: clock[0])
    source.signing_key("k1")
    with pytest.raises(UnknownSigningKey):
        source.signing_key("k2")  # at 1000 s: no second fetch within the minute
    clock[0] = 1040.0  # stale (30 s), but the last fetch was only 40 s ago

    assert source.signing_key("k1").key_size == 2048
    assert source.fetch_count == 1


def test_concurrent_lookups_share_one_fetch_and_all_get_the_key(server) -> None:
    server.body = json.dumps({"keys": [_rsa_jwk("k1")]}).encode()
    server.delay = 0.3
    source = JwksKeySource(server.url, dev_mode=True)
    start = threading.Barrier(6)
    sizes: list[int] = []

    def look_up() -> None:
        start.wait()
        sizes.append(source.signing_key("k1").key_size)

    threads = [threading.Thread(target=look_up) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sizes == [2048] * 6
    assert len(server.accept_headers) == 1


def test_a_key_server_streaming_without_end_is_cut_off_at_the_size_limit() -> None:
    # A hostile or broken key server sends a chunked body that never ends, each chunk well
    # within the read timeout: the fetch must stop at the size limit, not read on for ever.
    with _listener() as (listener, url):

        def stream_for_ever() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                chunk = b" " * 65536
                try:
                    while True:
                        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    return  # the client hung up

        threading.Thread(target=stream_for_ever, daemon=True).start()
        reason = _outage_within(url, timeout_seconds=5, seconds=20)
    assert reason == "the JWKS response is too large"
