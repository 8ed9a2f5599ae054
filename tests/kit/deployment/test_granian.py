"""The app served by granian (a Rust HTTP server) through ``atlassian_connect_kit.wsgi``.

granian does not apply a proxy's ``X-Forwarded-Proto``; with ``ack.forwarded_allow_ips`` the app
does, so a TLS-terminating front end on a trusted address is served and anyone else's claim of
https is not.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.processes import GranianServer, write_ini
from tests.kit.deployment.support import migrate, server_environment
from tests.shared_data import REPO_ROOT
from tests.side_environment import free_port

pytestmark = pytest.mark.slow

BASE_URL = "https://app.example.com"


def granian_executable() -> str:
    found = shutil.which("granian", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("granian is not installed (pip install -e '.[test]')")
    return found


@contextlib.contextmanager
def granian_serving(tmp_path: Path, forwarded_allow_ips: str) -> Iterator[str]:
    """Serve a production-mode app (its ini in ``tmp_path``) with granian; yield its URL."""
    executable = granian_executable()
    database_url = f"sqlite:///{tmp_path / 'ack.sqlite'}"
    migrate(database_url)
    ini = write_ini(
        tmp_path / "app.ini",
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": BASE_URL,
            "ack.encryption_keys": generate_key_line(),
            "ack.security.contact": "mailto:security@example.com",
            "ack.forwarded_allow_ips": forwarded_allow_ips,
            "sqlalchemy.url": database_url,
        },
        logging_from=REPO_ROOT / "production.ini",
    )
    server = GranianServer(
        ini,
        executable=executable,
        port=free_port(),
        log=tmp_path / "granian.log",
        blocking_threads=2,
        env=server_environment(),
    )
    # Plain http is redirected in production mode: any answer means it is serving.
    server.start(ready_status=None, timeout=60)
    try:
        yield server.base_url
    finally:
        server.stop()


def descriptor(url: str, **headers: str) -> requests.Response:
    """``GET /atlassian-connect.json`` with ``headers``, not following a redirect."""
    return requests.get(
        f"{url}/atlassian-connect.json", headers=headers, allow_redirects=False, timeout=10
    )


def test_granian_serves_the_proxy_s_https_requests_and_redirects_plain_http(tmp_path):
    with granian_serving(tmp_path, "127.0.0.1") as url:
        proxied = descriptor(url, **{"X-Forwarded-Proto": "https"})
        plain = descriptor(url)
    assert proxied.status_code == 200
    assert proxied.json()["baseUrl"] == BASE_URL
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    assert plain.status_code == 308
    assert plain.headers["Location"] == f"{BASE_URL}/atlassian-connect.json"


def test_under_granian_an_untrusted_peer_cannot_claim_https(tmp_path):
    with granian_serving(tmp_path, "10.0.0.0/8") as url:
        claimed = descriptor(url, **{"X-Forwarded-Proto": "https"})
    assert claimed.status_code == 308
    assert claimed.headers["Location"] == f"{BASE_URL}/atlassian-connect.json"
