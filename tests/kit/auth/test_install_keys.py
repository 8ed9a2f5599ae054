"""Install keys are fetched by kid from the key server, over real HTTP, and cached by kid."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from atlassian_connect_kit.auth.install_keys import (
    InstallKeyFetcher,
    InstallKeyUnavailable,
    InvalidKeyId,
)

KEYS_PATH = "/connect-install-keys"


def _published_pem(fake_jira, kid):
    return requests.get(f"{fake_jira.install_keys_url}/{kid}", timeout=10).content


def _key_requests(fake_jira):
    return [r.path for r in fake_jira.requests if r.path.startswith(KEYS_PATH)]


MALFORMED_KIDS = {
    "parent": "../x",
    "dots": "..",
    "inner-dots": "a..b",
    "slash": "a/b",
    "encoded-dots": "%2e%2e",
    "leading-dash": "-leading",
    "too-long": "x" * 129,
    "newline": "a\nb",
    "empty": "",
    "none": None,
    "number": 7,
}


@pytest.mark.parametrize("kid", MALFORMED_KIDS.values(), ids=MALFORMED_KIDS.keys())
def test_a_malformed_kid_is_refused_before_any_request(fake_jira, kid):
    fetcher = InstallKeyFetcher(fake_jira.install_keys_url)
    fake_jira.clear_requests()
    with pytest.raises(InvalidKeyId, match="invalid key id"):
        fetcher.public_key(kid)
    assert fake_jira.requests == []


def test_a_key_is_fetched_once_then_served_from_the_cache(fake_jira):
    fetcher = InstallKeyFetcher(fake_jira.install_keys_url + "/")  # a trailing slash is fine
    kid = fake_jira.install_key_id
    expected = _published_pem(fake_jira, kid)
    fake_jira.clear_requests()
    assert fetcher.public_key(kid) == expected
    assert fetcher.public_key(kid) == expected
    assert _key_requests(fake_jira) == [f"{KEYS_PATH}/{kid}"]


def test_the_cache_keeps_the_most_recently_used_keys(fake_jira):
    fetcher = InstallKeyFetcher(fake_jira.install_keys_url, max_entries=2)
    first = fake_jira.install_key_id
    second = fake_jira.new_install_key()
    third = fake_jira.new_install_key()
    fetcher.public_key(first)
    fetcher.public_key(second)
    fetcher.public_key(first)  # now the most recently used
    fetcher.public_key(third)  # evicts `second`
    fake_jira.clear_requests()
    fetcher.public_key(first)
    fetcher.public_key(third)
    assert _key_requests(fake_jira) == []
    fetcher.public_key(second)
    assert _key_requests(fake_jira) == [f"{KEYS_PATH}/{second}"]


def test_an_unknown_well_formed_kid_is_the_caller_s_fault(fake_jira):
    with pytest.raises(InvalidKeyId, match="unknown key id"):
        InstallKeyFetcher(fake_jira.install_keys_url).public_key("no-such-key")


def test_a_failing_key_server_is_unavailable_and_nothing_is_cached(fake_jira):
    fetcher = InstallKeyFetcher(fake_jira.install_keys_url)
    kid = fake_jira.install_key_id
    fake_jira.inject_failures(f"{KEYS_PATH}/{kid}", [500])
    with pytest.raises(InstallKeyUnavailable, match="answered 500"):
        fetcher.public_key(kid)
    assert fetcher.public_key(kid) == _published_pem(fake_jira, kid)


def test_an_unreachable_key_server_is_unavailable():
    with pytest.raises(InstallKeyUnavailable, match="unreachable"):
        InstallKeyFetcher("http://127.0.0.1:9").public_key("some-kid")


class KeyServer:
    """A key server that misbehaves on purpose: redirects, answers garbage or answers late."""

    def __init__(self, pem: bytes):
        self.pem = pem
        self.seen: list[str] = []
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.seen.append(self.path)
                time.sleep(server.delay)
                if self.path == "/keys/redirected":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere/key.pem")
                    self.end_headers()
                    return
                body = b"<html>not a key</html>" if self.path == "/keys/garbage" else server.pem
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True  # a handler still sleeping never holds up the test
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/keys"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def key_server(fake_jira):
    server = KeyServer(_published_pem(fake_jira, fake_jira.install_key_id))
    yield server
    server.close()


def test_a_redirect_is_not_followed_and_nothing_is_cached(key_server):
    fetcher = InstallKeyFetcher(key_server.url)
    for _ in range(2):
        with pytest.raises(InstallKeyUnavailable, match="answered 302"):
            fetcher.public_key("redirected")
    assert key_server.seen == ["/keys/redirected", "/keys/redirected"]


def test_an_answer_that_is_no_pem_key_is_refused(key_server):
    with pytest.raises(InstallKeyUnavailable) as refused:
        InstallKeyFetcher(key_server.url).public_key("garbage")
    # The reason is the operator's warning line, word for word.
    assert str(refused.value) == "install key server returned no PEM public key"


def test_a_slow_key_server_times_out(key_server):
    key_server.delay = 3.0
    fetcher = InstallKeyFetcher(key_server.url, timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(InstallKeyUnavailable, match="ReadTimeout"):
        fetcher.public_key("slow")
    assert time.monotonic() - started < 2.0
