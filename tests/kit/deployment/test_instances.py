"""Two instances on one PostgreSQL database, as behind a load balancer: nothing else is shared.

Each instance is a real gunicorn process with its own tenant cache and connection pool. Both are
configured with the same public ``ack.base_url`` (the balancer's address), so an install or a
page load may reach either one.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
import requests
from sqlalchemy import func, select

from atlassian_connect_kit.storage.crypto import KeyRing
from atlassian_connect_kit.storage.db import make_engine
from atlassian_connect_kit.storage.models import Tenant
from atlassian_connect_kit.storage.store import TenantStore
from atlassian_connect_kit.testing.fakejira import FakeJira
from atlassian_connect_kit.testing.fakejira.connect import InstalledApp
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.processes import GunicornServer
from tests.kit.deployment.support import app_settings, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.database]

CACHE_SECONDS = 2
PERIOD = {"from": "2026-01-05", "to": "2026-02-01"}


@pytest.fixture
def two_instances(
    start_gunicorn: Callable[..., GunicornServer],
    fake_jira: FakeJira,
    postgres_url: str,
    key_line: str,
    tmp_path,
) -> tuple[GunicornServer, GunicornServer]:
    """Instances A and B on one database; both call themselves by A's URL (the public one)."""
    public_url: list[str] = []

    def settings_for(own_url: str) -> dict[str, str]:
        if not public_url:
            public_url.append(own_url)
        return app_settings(
            fake_jira,
            database_url=postgres_url,
            key_line=key_line,
            here=tmp_path,
            **{
                **TEST_APP_IDENTITY,
                "ack.base_url": public_url[0],
                "ack.tenant_cache_seconds": str(CACHE_SECONDS),
            },
        )

    return start_gunicorn(settings_for), start_gunicorn(settings_for)


def _viewer(fake_jira: FakeJira) -> str:
    return next(user for user in fake_jira.data.users if user.active).account_id


def _page(fake_jira: FakeJira, app: InstalledApp, server: GunicornServer) -> requests.Response:
    """Load the Timesheet page as Jira's iframe would, sent to ``server``."""
    url = fake_jira.signed_url(app, "/timesheet", account_id=_viewer(fake_jira))
    # The token covers the path and query only, so the balancer may send it to either instance.
    return requests.get(url.replace(app.app_base_url, server.base_url, 1), timeout=30)


def _page_with_secret(
    fake_jira: FakeJira, app: InstalledApp, secret: str, server: GunicornServer
) -> int:
    """The status of a page load whose token is signed with ``secret`` (current or not)."""
    from atlassian_connect_kit.testing.fakejira.connect import signed_module_url

    url = signed_module_url(
        replace(app, shared_secret=secret),
        "/timesheet",
        site_base_url=fake_jira.base_url,
        account_id=_viewer(fake_jira),
        time_zone=None,
        locale="en_US",
        context=None,
        now=int(time.time()),
    )
    return requests.get(url.replace(app.app_base_url, server.base_url, 1), timeout=30).status_code


def _report(server: GunicornServer, context_token: str) -> requests.Response:
    return requests.get(
        f"{server.base_url}/timesheet/api/report",
        params={**PERIOD, "group": "user"},
        headers={"Authorization": f"JWT {context_token}"},
        timeout=60,
    )


def _context_token(page: requests.Response) -> str:
    found = re.search(r'data-token="([^"]+)"', page.text)
    assert found, "the page hands a context token to its script"
    return found.group(1)


def test_install_through_one_instance_serves_pages_and_reports_through_the_other(
    two_instances, fake_jira
):
    a, b = two_instances
    app = fake_jira.install(a.base_url)
    assert app.install_status == 204
    assert fake_jira.enable(app) == 204

    page = _page(fake_jira, app, b)
    assert page.status_code == 200, page.text
    report = _report(b, _context_token(page))
    assert report.status_code == 200, report.text
    assert report.json()["rows"], "the report of the fake site's month is not empty"
    # And the other way round: the installing instance serves the same tenant.
    assert _page(fake_jira, app, a).status_code == 200


def test_a_reinstall_with_a_new_secret_is_honoured_by_both_instances(two_instances, fake_jira):
    a, b = two_instances
    first = fake_jira.install(a.base_url)
    assert first.install_status == 204
    # B serves the tenant, so it holds the first secret in its cache.
    assert _page(fake_jira, first, b).status_code == 200

    second = fake_jira.rotate_secret(first)  # Jira re-installs through A, with a new secret
    assert second.install_status == 204
    assert second.shared_secret != first.shared_secret

    # The new secret works at once everywhere: a refused signature makes B read the row again.
    assert _page_with_secret(fake_jira, second, second.shared_secret, b) == 200
    assert _page_with_secret(fake_jira, second, second.shared_secret, a) == 200
    # The old one is refused at once by A, which wrote the new one, and by B once its cached
    # copy expires (ack.tenant_cache_seconds).
    assert _page_with_secret(fake_jira, second, first.shared_secret, a) == 401
    assert wait_for(
        lambda: _page_with_secret(fake_jira, second, first.shared_secret, b) == 401,
        timeout=CACHE_SECONDS + 30,
    )
    report = _report(b, _context_token(_page(fake_jira, second, b)))
    assert report.status_code == 200, report.text


def test_twenty_concurrent_installs_across_both_instances_end_with_one_row_and_the_last_secret(
    two_instances, fake_jira, postgres_url, key_line
):
    a, b = two_instances
    descriptor = requests.get(f"{a.base_url}/atlassian-connect.json", timeout=30).json()
    first = fake_jira.install(a.base_url, descriptor=descriptor)
    assert first.install_status == 204

    start = threading.Barrier(20, timeout=60)
    installs: list[InstalledApp] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def reinstall(index: int) -> None:
        try:
            start.wait()
            server = (a, b)[index % 2]
            app = fake_jira.install(
                server.base_url, descriptor=descriptor, client_key=first.client_key
            )
            with lock:
                installs.append(app)
        except BaseException as error:
            start.abort()
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=reinstall, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert failures == []
    assert sorted(app.install_status for app in installs) == [204] * 20
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(Tenant))
        stored = TenantStore(engine, KeyRing.from_setting(key_line)).get(first.client_key)
    finally:
        engine.dispose()
    assert rows == 1
    assert stored is not None
    # "Last" is the install the database committed last; no client can tell which of twenty
    # simultaneous ones that was, but it is one of them, and both instances agree on it.
    secrets = {app.shared_secret for app in installs}
    assert stored.shared_secret in secrets
    last = next(app for app in installs if app.shared_secret == stored.shared_secret)
    for server in (a, b):
        assert _page_with_secret(fake_jira, last, stored.shared_secret, server) == 200
    losers = sorted(secrets - {stored.shared_secret})
    assert len(losers) == 19
    for server in (a, b):
        for secret in losers[:3]:
            assert _page_with_secret(fake_jira, last, secret, server) == 401

    # An install sent after all of them is the last one beyond doubt: it wins on both.
    later = fake_jira.install(b.base_url, descriptor=descriptor, client_key=first.client_key)
    assert later.install_status == 204
    for server in (a, b):
        assert _page_with_secret(fake_jira, later, later.shared_secret, server) == 200
