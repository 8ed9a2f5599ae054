"""Faults under load: the database stopped and started, Jira slow or down during reports.

The app runs in a real gunicorn process (gthread worker) as in production. The database is a
private PostgreSQL cluster made for the test (never a shared server), stopped and started while
client threads keep loading the app; Jira is the fake site with injected delays and failures.
Timing is asserted only with generous bounds, and every wait polls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
import requests
from sqlalchemy import func, select

from atlassian_connect_kit.storage.crypto import KeyRing
from atlassian_connect_kit.storage.db import make_engine
from atlassian_connect_kit.storage.models import Tenant
from atlassian_connect_kit.storage.store import TenantStore
from atlassian_connect_kit.testing.fakejira import FakeJira
from atlassian_connect_kit.testing.fakejira.connect import InstalledApp, signed_module_url
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.postgres import PrivatePostgres, find_postgres_bin
from atlassian_connect_kit.testing.processes import GunicornServer
from tests.kit.deployment.support import app_settings, migrate, wait_for

pytestmark = pytest.mark.slow

TENANTS = 6
CLIENT_THREADS = 4


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the test's own, started; removed afterwards."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed")
    cluster = PrivatePostgres(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@dataclass(frozen=True)
class Outcome:
    """One request of the load: what it was, when it ran, what came back."""

    kind: str
    started: float
    ended: float
    status: int
    retry_after: str | None


class Load:
    """Client threads sending page loads (each with a fresh Jira-signed URL) and public requests."""

    def __init__(self, server: GunicornServer, fake_jira: FakeJira, apps: list[InstalledApp]):
        self._server = server
        self._fake = fake_jira
        self._apps = apps
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(CLIENT_THREADS)
        ]

    def _run(self, index: int) -> None:
        session = requests.Session()
        n = index
        while not self._stop.is_set():
            n += CLIENT_THREADS
            if n % 5 == 0:
                kind, url = "public", f"{self._server.base_url}/atlassian-connect.json"
            else:
                kind, url = "page", page_url(self._fake, self._apps[n % len(self._apps)])
            started = time.monotonic()
            try:
                response = session.get(url, timeout=60)
                status, retry_after = response.status_code, response.headers.get("Retry-After")
            except requests.RequestException:
                status, retry_after = 0, None
            with self._lock:
                self.outcomes.append(Outcome(kind, started, time.monotonic(), status, retry_after))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=90)


def page_url(fake_jira: FakeJira, app: InstalledApp) -> str:
    """A fresh iframe URL for the Timesheet page, signed with ``app``'s secret as Jira signs it."""
    return signed_module_url(
        app,
        "/timesheet",
        site_base_url=fake_jira.base_url,
        account_id="557058:load-viewer",
        time_zone=None,
        locale="en_US",
        context=None,
        now=int(time.time()),
    )


def _install(fake_jira: FakeJira, server: GunicornServer, client_key: str) -> InstalledApp:
    return fake_jira.install(server.base_url, client_key=client_key)


def test_a_database_outage_under_load_gives_503s_then_heals_by_itself(
    start_gunicorn, fake_jira, private_postgres, key_line, tmp_path
):
    migrate(private_postgres.url)
    server = start_gunicorn(
        lambda own_url: app_settings(
            fake_jira,
            database_url=private_postgres.url,
            key_line=key_line,
            here=tmp_path,
            **{**TEST_APP_IDENTITY, "ack.base_url": own_url, "ack.tenant_cache_seconds": "1"},
        ),
        threads=4,
    )
    apps = [_install(fake_jira, server, f"jira:tenant-{n}") for n in range(TENANTS)]
    assert [app.install_status for app in apps] == [204] * TENANTS
    workers = server.worker_pids()
    acknowledged = {app.client_key: app.shared_secret for app in apps}
    refused_installs: list[str] = []

    with Load(server, fake_jira, apps) as load:
        assert wait_for(lambda: len(load.outcomes) >= 20, timeout=60)
        stop_began = time.monotonic()
        private_postgres.stop()
        # While the database is down: the cached tenants expire (1 s), page loads need the
        # database, and so does every install.
        assert wait_for(lambda: any(o.status == 503 for o in load.outcomes), timeout=60)
        for n in range(TENANTS):
            reinstall = _install(fake_jira, server, f"jira:tenant-{n}")
            if reinstall.install_status == 204:
                acknowledged[reinstall.client_key] = reinstall.shared_secret
            else:
                assert reinstall.install_status == 503
                refused_installs.append(reinstall.client_key)
        private_postgres.start()
        back = time.monotonic()
        outage_count = len(load.outcomes)
        assert wait_for(lambda: len(load.outcomes) >= outage_count + 40, timeout=60)

    outcomes = load.outcomes
    outside = [o for o in outcomes if o.ended < stop_began or o.started > back]
    during = [o for o in outcomes if not (o.ended < stop_began or o.started > back)]
    assert len(outside) > 40
    assert [o for o in outside if o.status != 200] == []
    # During the outage: 503 with Retry-After for what needed the database, never another error.
    assert {o.status for o in during} <= {200, 503}
    unavailable = [o for o in during if o.status == 503]
    assert unavailable, "page loads needed the database during the outage"
    assert all(o.retry_after and o.retry_after.isdigit() for o in unavailable)
    assert all(o.status == 200 for o in during if o.kind == "public")
    assert refused_installs, "installs need the database: they were refused during the outage"

    # Service resumed by itself (no restart), and the same workers are still serving.
    assert server.running()
    assert server.worker_pids() == workers
    # The refused installs succeed when Jira retries them; nothing was lost or half-written.
    for client_key in refused_installs:
        retried = _install(fake_jira, server, client_key)
        assert retried.install_status == 204
        acknowledged[client_key] = retried.shared_secret
    engine = make_engine(private_postgres.url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Tenant)) == TENANTS
        store = TenantStore(engine, KeyRing.from_setting(key_line), cache_seconds=0)
        for client_key, secret in acknowledged.items():
            record = store.get(client_key)
            assert record is not None and record.shared_secret == secret
    finally:
        engine.dispose()
    current = [
        replace(apps[0], client_key=client_key, shared_secret=secret)
        for client_key, secret in acknowledged.items()
    ]
    for app in current:
        assert requests.get(page_url(fake_jira, app), timeout=30).status_code == 200

    # A restart while nobody is asking: the pooled connections are dead, but each is checked
    # before use (pre-ping), so not even the first request after it fails.
    private_postgres.stop()
    private_postgres.start()
    time.sleep(1.5)  # past ack.tenant_cache_seconds: the next page loads read the database
    assert [requests.get(page_url(fake_jira, app), timeout=30).status_code for app in current] == [
        200
    ] * TENANTS


@pytest.fixture
def slow_jira_server(start_gunicorn, fake_jira, key_line, tmp_path) -> GunicornServer:
    """One gunicorn worker with four threads, on SQLite, whose Jira calls time out after 3 s."""
    return start_gunicorn(
        lambda own_url: app_settings(
            fake_jira,
            database_url=f"sqlite:///{tmp_path / 'ack.sqlite'}",
            key_line=key_line,
            here=tmp_path,
            **{
                **TEST_APP_IDENTITY,
                "ack.base_url": own_url,
                "ack.host.timeout_seconds": "3",
                "ack.host.max_attempts": "2",
                "ack.host.max_wait_seconds": "1",
            },
        ),
        threads=4,
    )


def _context_token(fake_jira: FakeJira, app: InstalledApp) -> str:
    viewer = next(user for user in fake_jira.data.users if user.active).account_id
    return fake_jira.context_token(app, viewer)


def _reports_in_parallel(
    server: GunicornServer, token: str, count: int
) -> tuple[list[threading.Thread], list[tuple[int, float, str]]]:
    results: list[tuple[int, float, str]] = []

    def report() -> None:
        started = time.monotonic()
        response = requests.get(
            f"{server.base_url}/timesheet/api/report",
            params={"from": "2026-01-05", "to": "2026-02-01", "group": "user"},
            headers={"Authorization": f"JWT {token}"},
            timeout=120,
        )
        results.append((response.status_code, time.monotonic() - started, response.text))

    threads = [threading.Thread(target=report, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_a_slow_jira_gives_a_clear_timeout_and_starves_no_other_request(
    slow_jira_server, fake_jira
):
    server = slow_jira_server
    app = _install(fake_jira, server, "jira:slow-site")
    assert app.install_status == 204
    workers = server.worker_pids()
    fake_jira.inject_delay("/rest/api/3", 8, count=100)
    try:
        threads, results = _reports_in_parallel(server, _context_token(fake_jira, app), 3)
        # Three of the worker's four threads now wait for Jira (two attempts of 3 s each); the
        # fourth serves the rest meanwhile.
        time.sleep(0.5)
        viewer = next(user for user in fake_jira.data.users if user.active).account_id
        for _ in range(2):
            public = requests.get(f"{server.base_url}/atlassian-connect.json", timeout=30)
            page = requests.get(
                fake_jira.signed_url(app, "/timesheet", account_id=viewer), timeout=30
            )
            assert public.status_code == 200
            assert page.status_code == 200
        assert all(thread.is_alive() for thread in threads), "served while every report hung"
    finally:
        _join_then_clear(threads, fake_jira)
    assert [status for status, _, _ in results] == [504] * 3
    assert all("Jira took too long" in text for _, _, text in results)
    # Two attempts of 3 s and at most 1 s of waiting: well inside a generous bound.
    assert all(seconds < 30 for _, seconds, _ in results)
    assert server.worker_pids() == workers


def test_jira_down_gives_a_clear_503_quickly(slow_jira_server, fake_jira):
    server = slow_jira_server
    app = _install(fake_jira, server, "jira:down-site")
    assert app.install_status == 204
    fake_jira.inject_failures("/rest/api/3", [503] * 50)
    try:
        threads, results = _reports_in_parallel(server, _context_token(fake_jira, app), 2)
    finally:
        _join_then_clear(threads, fake_jira)
    assert [status for status, _, _ in results] == [503] * 2
    assert all("Jira is unavailable" in text for _, _, text in results)
    assert all(seconds < 30 for _, seconds, _ in results)


def _join_then_clear(threads: list[threading.Thread], fake_jira: FakeJira) -> None:
    for thread in threads:
        thread.join(timeout=120)
    fake_jira.clear_faults()
