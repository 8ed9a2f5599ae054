"""Benchmark: the cost of Connect JWT authentication.

Prints JSON with
- ``verify_us``: microseconds per token verification (unverified iss -> tenant lookup (cached) ->
  HS256 signature and claims -> qsh of the request), measured on the kit's authentication path;
- the throughput of a JWT-protected endpoint and of an equivalent public endpoint of the same WSGI
  app, in-process (WSGI calls) and over HTTP (waitress, one keep-alive client), and their ratios.
The target is a protected/public ratio of at least 0.8.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from pyramid.request import Request
from pyramid.response import Response
from webtest import TestApp

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.connect import authenticate_connect_request
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.storage.service import get_tenant_store
from atlassian_connect_kit.storage.store import InstallPayload
from atlassian_connect_kit.testing.server import AppServer

CLIENT_KEY = "bench-tenant"
SECRET = "bench-shared-secret-of-a-realistic-length-0123456789"
QUERY = "projectKey=DEMO&from=2026-11-01&to=2026-11-30&user=abc&user=def"


class BenchAddon:
    """Two identical endpoints, one public and one protected by a context token."""

    __name__ = "bench_addon"

    @hookimpl
    def ack_configure(self, config: Any, settings: Any) -> None:
        def hello(request: Request) -> Response:
            return Response(b"hello", content_type="text/plain")

        config.add_route("bench.public", "/bench/public")
        config.add_view(hello, route_name="bench.public", connect_auth="public")
        config.add_route("bench.jwt", "/bench/jwt")
        config.add_view(hello, route_name="bench.jwt", connect_auth="jwt")


def token_for(path: str, *, lifetime: int = 3600) -> str:
    import jwt

    now = int(time.time())
    claims = {
        "iss": CLIENT_KEY,
        "sub": "557058:bench-user",
        "iat": now,
        "exp": now + lifetime,
        "qsh": query_string_hash("GET", path, QUERY),
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def build_app(base_url: str, workdir: Path) -> Any:
    app = make_app(
        {
            "ack.base_url": base_url,
            "ack.dev_mode": "true",
            "ack.encryption_keys": generate_key_line(),
            "sqlalchemy.url": f"sqlite:///{workdir}/bench.sqlite",
            "here": str(workdir),
        },
        extra_plugins=[BenchAddon()],
    )
    get_tenant_store(app.registry).save_install(
        InstallPayload(CLIENT_KEY, "https://bench.atlassian.net", SECRET, "oauth-bench", None)
    )
    return app


def measure(call: Any, seconds: float) -> float:
    """Calls per second of ``call`` over about ``seconds``."""
    for _ in range(50):
        call()
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(20):
            call()
        count += 20
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        server = AppServer(lambda base_url: build_app(base_url, workdir)).start()
        try:
            app = server.app
            token = token_for("/bench/jwt")
            # Verification alone, on a request object as a view would see it.
            request = Request.blank(
                f"/bench/jwt?{QUERY}", headers={"Authorization": f"JWT {token}"}
            )
            request.registry = app.registry  # type: ignore[attr-defined]
            verify_rate = measure(
                lambda: authenticate_connect_request(request, "jwt"), args.seconds
            )

            client = TestApp(app)
            headers = {"Authorization": f"JWT {token}"}
            wsgi_public = measure(lambda: client.get(f"/bench/public?{QUERY}"), args.seconds)
            wsgi_jwt = measure(
                lambda: client.get(f"/bench/jwt?{QUERY}", headers=headers), args.seconds
            )

            session = requests.Session()
            public_url = f"{server.base_url}/bench/public?{QUERY}"
            jwt_url = f"{server.base_url}/bench/jwt?{QUERY}"
            assert session.get(jwt_url, headers=headers).status_code == 200
            assert session.get(jwt_url).status_code == 401
            http_public = measure(lambda: session.get(public_url), args.seconds)
            http_jwt = measure(lambda: session.get(jwt_url, headers=headers), args.seconds)
        finally:
            server.stop()
    result = {
        "verify_us": round(1e6 / verify_rate, 1),
        "wsgi": {
            "public_rps": round(wsgi_public),
            "jwt_rps": round(wsgi_jwt),
            "ratio": round(wsgi_jwt / wsgi_public, 3),
        },
        "http": {
            "public_rps": round(http_public),
            "jwt_rps": round(http_jwt),
            "ratio": round(http_jwt / http_public, 3),
        },
        "target_ratio": 0.8,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
