"""Benchmark: the cost of Connect JWT authentication, in-process.

Prints JSON with
- ``verify_us``: microseconds per token verification on the kit's authentication path
  (unverified iss -> tenant lookup (cached) -> HS256 signature and claims -> qsh of the request),
  every token and query distinct, so no memo helps;
- the throughput of a JWT-protected endpoint and of an equivalent public endpoint of the same WSGI
  app called in-process (no server, no sockets), and their ratios: ``reused`` sends one token
  again and again (a page's XHRs with its context token), ``fresh`` sends a new token and query
  every time (iframe page loads, each signed anew by Jira).
- ``forge_verify_us``: microseconds per Forge Invocation Token verification (RS256 signature,
  claims, the ``app`` claim) with the JWKS already cached, every token distinct; and
  ``forge_vs_connect``, its ratio to ``verify_us``.

Throughput over HTTP, under concurrent load and against atlassian-connect-express, is measured by
bench/http_throughput.py: one synchronous client in this process would measure the client, not the
server.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from apps.bench_app import PROTECTED_PATH, PUBLIC_PATH, BenchAddon
from pyramid.request import Request
from webtest import TestApp

from atlassian_connect_kit.auth.connect import authenticate_connect_request
from atlassian_connect_kit.auth.forge import ForgeInvocationVerifier
from atlassian_connect_kit.auth.jwks import JwksKeySource
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.storage.service import get_tenant_store
from atlassian_connect_kit.storage.store import InstallPayload
from atlassian_connect_kit.testing.fakejira import FakeJira
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.server import AppServer

CLIENT_KEY = "bench-tenant"
SECRET = "bench-shared-secret-of-a-realistic-length-0123456789"
QUERY = "projectKey=DEMO&from=2026-11-01&to=2026-11-30&user=abc&user=def"


def token_for(path: str, *, query: str = QUERY, lifetime: int = 3600) -> str:
    import jwt

    now = int(time.time())
    claims = {
        "iss": CLIENT_KEY,
        "sub": "557058:bench-user",
        "iat": now,
        "exp": now + lifetime,
        "qsh": query_string_hash("GET", path, query),
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def fresh_requests(path: str, count: int) -> list[tuple[str, str]]:
    """``count`` distinct (query, token) pairs, minted before any timing starts."""
    pairs = []
    for n in range(count):
        query = f"{QUERY}&n={n}"
        pairs.append((query, token_for(path, query=query)))
    return pairs


def measure_each(calls: list[Any]) -> float:
    """Calls per second of running each call once."""
    started = time.perf_counter()
    for call in calls:
        call()
    return len(calls) / (time.perf_counter() - started)


def build_app(base_url: str, workdir: Path) -> Any:
    app = make_app(
        {
            **TEST_APP_IDENTITY,
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


FORGE_APP_ID = "ari:cloud:ecosystem::app/0f7d1c5a-0000-4000-8000-000000000001"
FORGE_MANIFEST = {
    "app": {"id": FORGE_APP_ID, "runtime": {"name": "nodejs24.x"}},
    "remotes": [{"key": "ack-remote", "baseUrl": "https://bench.example.com"}],
    "permissions": {"scopes": ["read:jira-work"]},
    "modules": {},
}


def forge_verify_rate(count: int) -> float:
    """Verifications per second of distinct FITs, the JWKS fetched once before timing."""
    with FakeJira() as fake:
        installation = fake.forge_install(FORGE_MANIFEST)
        tokens = [
            fake.forge_invocation_token(
                installation, account_id=f"557058:user-{n}", module_key="page", lifetime=3600
            )
            for n in range(count)
        ]
        keys = JwksKeySource(fake.forge_jwks_url, dev_mode=True)
        verifier = ForgeInvocationVerifier(keys, app_id=FORGE_APP_ID, dev_mode=True)
        verifier.verify(tokens[0])  # warm the key cache: the steady state is measured
        rate = measure_each([lambda t=t: verifier.verify(t) for t in tokens])
        assert keys.fetch_count == 1
    return rate


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
    parser.add_argument("--fresh", type=int, default=3000, help="distinct tokens per fresh run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        server = AppServer(lambda base_url: build_app(base_url, workdir)).start()
        try:
            app = server.app
            token = token_for(PROTECTED_PATH)
            headers = {"Authorization": f"JWT {token}"}
            fresh = fresh_requests(PROTECTED_PATH, args.fresh)

            # Verification alone, each token and query new, on requests as a view would see them.
            def blank(query: str, fresh_token: str) -> Request:
                request = Request.blank(
                    f"{PROTECTED_PATH}?{query}", headers={"Authorization": f"JWT {fresh_token}"}
                )
                request.registry = app.registry  # type: ignore[attr-defined]
                return request

            blanks = [blank(query, fresh_token) for query, fresh_token in fresh]
            verify_rate = measure_each(
                [lambda r=r: authenticate_connect_request(r, "jwt") for r in blanks]
            )

            client = TestApp(app)
            wsgi_public = measure(lambda: client.get(f"{PUBLIC_PATH}?{QUERY}"), args.seconds)
            wsgi_jwt = measure(
                lambda: client.get(f"{PROTECTED_PATH}?{QUERY}", headers=headers), args.seconds
            )
            fresh = fresh_requests(PROTECTED_PATH, args.fresh)
            wsgi_fresh = measure_each(
                [
                    lambda q=q, t=t: client.get(
                        f"{PROTECTED_PATH}?{q}", headers={"Authorization": f"JWT {t}"}
                    )
                    for q, t in fresh
                ]
            )

        finally:
            server.stop()
    forge_rate = forge_verify_rate(args.fresh)
    result = {
        "verify_us": round(1e6 / verify_rate, 1),
        "wsgi": {
            "public_rps": round(wsgi_public),
            "jwt_reused_rps": round(wsgi_jwt),
            "jwt_fresh_rps": round(wsgi_fresh),
            "ratio_reused": round(wsgi_jwt / wsgi_public, 3),
            "ratio_fresh": round(wsgi_fresh / wsgi_public, 3),
        },
        "target_ratio": 0.8,
        "forge_verify_us": round(1e6 / forge_rate, 1),
        "forge_vs_connect": round(verify_rate / forge_rate, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
