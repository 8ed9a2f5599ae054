"""Helpers shared by the fake Jira tests: a tiny Connect app, a hand-built site, signed calls.

The app is a real HTTP server (a threaded wsgiref server on an ephemeral port) that serves a
descriptor and records every request it receives, so the tests see exactly what the fake site
sends.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import jwt
import requests

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.testing.fakejira import (
    FakeJira,
    InstalledApp,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)
from atlassian_connect_kit.testing.fakejira.server import RunningServer

ANN = "a1a1a1a1a1a1a1a1a1a1a1a1"
BOB = "b2b2b2b2b2b2b2b2b2b2b2b2"
CID = "c3c3c3c3c3c3c3c3c3c3c3c3"
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the recording app received."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class RecordingApp:
    """A Connect app that serves its descriptor and answers lifecycle calls with ``status``."""

    def __init__(
        self,
        *,
        key: str = "fake-jira-test-app",
        base_path: str = "",
        scopes: Sequence[str] = ("READ", "WRITE", "DELETE", "ACT_AS_USER"),
        status: int = 204,
    ) -> None:
        self.status = status
        self.received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._server = RunningServer(self._wsgi)
        port = self._server.port
        self.base_url = f"http://127.0.0.1:{port}{base_path}"
        self.descriptor: dict[str, Any] = {
            "key": key,
            "name": "Test app",
            "baseUrl": self.base_url,
            "authentication": {"type": "jwt"},
            "lifecycle": {
                "installed": "/installed",
                "uninstalled": "/uninstalled",
                "enabled": "/enabled",
                "disabled": "/disabled",
            },
            "apiMigrations": {"signed-install": True, "context-qsh": True},
            "scopes": list(scopes),
            "modules": {},
        }

    def stop(self) -> None:
        """Shut the server down."""
        self._server.close()

    def posts_to(self, path_end: str) -> list[ReceivedRequest]:
        """The POSTs received at a path ending in ``path_end``."""
        with self._lock:
            return [r for r in self.received if r.method == "POST" and r.path.endswith(path_end)]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        # The raw path, as the qsh covers it (PATH_INFO is already percent-decoded).
        path = str(environ.get("RAW_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
        received = ReceivedRequest(
            method=environ["REQUEST_METHOD"],
            path=path,
            query=environ.get("QUERY_STRING", ""),
            headers={
                k[5:].replace("_", "-").title(): v
                for k, v in environ.items()
                if k.startswith("HTTP_")
            },
            body=environ["wsgi.input"].read(length) if length else b"",
        )
        with self._lock:
            self.received.append(received)
        if path.endswith("/atlassian-connect.json"):
            body = json.dumps(self.descriptor).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        start_response(f"{self.status} Status", [])
        return []


def tiny_site(time_zone: str = "UTC") -> SiteData:
    """A hand-built site whose every value the tests can rely on.

    ALPHA: ALPHA-1 (epic), ALPHA-2 (story under ALPHA-1), ALPHA-3 (sub-task of ALPHA-2),
    ALPHA-4 (task with 25 worklogs), ALPHA-10 (task without worklogs). BETA: BETA-1 (task).
    Ann sees both projects, Bob and Cid (inactive) only ALPHA; Bob hides his zone.
    """
    users = [
        User(
            ANN,
            "Ann Ångström",
            "ann@example.com",
            "Europe/Berlin",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(BOB, "Bob Núñez", "bob@example.com", None, project_keys=frozenset({"ALPHA"})),
        User(
            CID,
            "李 Cid",
            "cid@example.com",
            "Asia/Kolkata",
            active=False,
            project_keys=frozenset({"ALPHA"}),
        ),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")]
    day = datetime(2026, 3, 2, tzinfo=UTC)
    issues = [
        Issue("20001", "ALPHA-1", "Epic one", "Epic", "ALPHA", created=day - timedelta(days=9)),
        Issue(
            "20002",
            "ALPHA-2",
            "Story two",
            "Story",
            "ALPHA",
            "ALPHA-1",
            created=day - timedelta(days=8),
        ),
        Issue(
            "20003",
            "ALPHA-3",
            "Sub three",
            "Sub-task",
            "ALPHA",
            "ALPHA-2",
            created=day - timedelta(days=7),
        ),
        Issue("20004", "ALPHA-4", "Heavy task", "Task", "ALPHA", created=day - timedelta(days=6)),
        Issue("20010", "ALPHA-10", "Idle task", "Task", "ALPHA", created=day - timedelta(days=5)),
        Issue("30001", "BETA-1", "Beta task", "Task", "BETA", created=day - timedelta(days=4)),
    ]
    worklogs = [
        Worklog(
            "1", "20002", ANN, datetime(2026, 3, 1, 9, 0, tzinfo=BERLIN), 5400, "Line one\nLine two"
        ),
        Worklog("2", "20002", BOB, datetime(2026, 3, 31, 17, 0, tzinfo=UTC), 3600),
        Worklog("3", "20003", CID, datetime(2026, 3, 1, 20, 0, tzinfo=UTC), 1800, "Late"),
        Worklog("4", "30001", ANN, datetime(2026, 3, 10, 8, 0, tzinfo=UTC), 7200, "Beta work"),
    ]
    # ALPHA-4: 25 worklogs, one a day from 2026-03-01 10:00 UTC, listed newest first so that
    # "first 20 by started" is something the site has to work out.
    worklogs += [
        Worklog(
            str(100 + n),
            "20004",
            BOB,
            datetime(2026, 3, 1, 10, tzinfo=UTC) + timedelta(days=n),
            900,
        )
        for n in reversed(range(25))
    ]
    return SiteData(users, projects, issues, worklogs, time_zone=time_zone)


def app_token(
    app: InstalledApp,
    method: str,
    url: str,
    site_base_url: str,
    *,
    now: int | None = None,
    lifetime: int = 180,
    secret: str | None = None,
    qsh: str | None = None,
    issuer: str | None = None,
) -> str:
    """An HS256 JWT from the app to the site for ``url``, as a Connect app signs REST calls."""
    issued = int(time.time()) if now is None else now
    target = urlsplit(url)
    claims = {
        "iss": issuer or app.app_key,
        "iat": issued,
        "exp": issued + lifetime,
        "qsh": qsh
        or query_string_hash(method, target.path, target.query, urlsplit(site_base_url).path),
    }
    return jwt.encode(claims, secret or app.shared_secret, algorithm="HS256")


def rest_url(site: FakeJira, path: str, params: Mapping[str, Any] | None = None) -> str:
    """The absolute URL of a REST path with a percent-encoded query."""
    query = urlencode(params or {}, doseq=True, quote_via=quote)
    return f"{site.base_url}{path}" + (f"?{query}" if query else "")


def as_app(
    site: FakeJira,
    app: InstalledApp,
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Call the site as the app, with a correctly signed JWT."""
    url = rest_url(site, path, params)
    token = app_token(app, method, url, site.base_url)
    return requests.request(
        method, url, headers={"Authorization": f"JWT {token}"}, timeout=10, **kwargs
    )


def as_user(
    site: FakeJira,
    token: str,
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Call the site as a user, with a bearer token."""
    url = rest_url(site, path, params)
    return requests.request(
        method, url, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )


def issue_keys(response: requests.Response) -> list[str]:
    """The issue keys of a search response, checking it succeeded."""
    assert response.status_code == 200, response.text
    return [issue["key"] for issue in response.json()["issues"]]
