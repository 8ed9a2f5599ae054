"""How long another worker may still serve a site after it is disabled or removed: the bound.

Two app instances (two real servers, as two workers behind one public URL) share one database.
The worker that handles ``/disabled`` or ``/uninstalled`` refuses the site at once; every other
worker refuses it within ``ack.tenant_cache_seconds``, and so does every worker after an operator's
``ack tenants purge``. Runs on a SQLite file always and on PostgreSQL when
``ACK_TEST_POSTGRES_URL`` names a local server (a new database per test, dropped afterwards).
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.testing.server import AppServer
from tests.addon_for_tests import SampleAddon
from tests.kit.operator import Site, ack_environment_cleared  # noqa: F401 - shared fixture
from tests.kit.storage.databases import new_database

BOUND_SECONDS = 1.5
"""A small ``ack.tenant_cache_seconds``, so the test waits for it rather than for 30 s."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.database)])
def shared_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One new database for both workers: a SQLite file, or a PostgreSQL database when set."""
    with new_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


@pytest.fixture
def ack_settings(ack_settings, shared_database_url):
    return {
        **ack_settings,
        "sqlalchemy.url": shared_database_url,
        "ack.tenant_cache_seconds": str(BOUND_SECONDS),
    }


@pytest.fixture
def other_worker(ack_server, ack_settings, ack_extra_plugins):
    """A second app instance on the same database, behind the same public URL."""
    settings = {**ack_settings, "ack.base_url": ack_server.base_url}
    with AppServer(lambda _: make_app(settings, extra_plugins=ack_extra_plugins)) as worker:
        yield worker


def status(server, token):
    response = requests.get(
        f"{server.base_url}/test/api/whoami", headers={"Authorization": f"JWT {token}"}, timeout=10
    )
    return response.status_code


def poll_past_the_bound(server, token, since):
    """Poll ``server`` until well past the bound counted from ``since``; (start, status) pairs."""
    polls = []
    while True:
        started = time.time()
        polls.append((started, status(server, token)))
        if started > since + BOUND_SECONDS + 0.5:
            return polls
        time.sleep(0.05)


def answers_after_the_bound(polls, since):
    """The statuses of the polls that started once the bound had passed since ``since``."""
    return {code for started, code in polls if started > since + BOUND_SECONDS + 0.05}


@pytest.mark.parametrize("change", ["disabled", "uninstalled", "purge"])
def test_every_worker_refuses_a_disabled_or_removed_site_within_the_cache_bound(
    change, fake_jira, ack_server, other_worker, ack_settings, tmp_path
):
    app = fake_jira.install(ack_server.base_url)
    assert fake_jira.enable(app) == 204
    token = fake_jira.context_token(app, fake_jira.data.users[0].account_id)
    # Both workers serve the site and hold it in their tenant cache, read before this moment.
    assert status(ack_server, token) == 200
    assert status(other_worker, token) == 200
    last_read = time.time()

    if change == "disabled":
        assert fake_jira.disable(app) == 204
    elif change == "uninstalled":
        assert fake_jira.uninstall(app) == 204
    else:
        operator = Site(
            tmp_path / "ops",
            ack_settings["sqlalchemy.url"],
            encryption_keys=ack_settings["ack.encryption_keys"],
        ).write()
        assert operator.ack("tenants", "purge", "--client-key", app.client_key).status == 0

    if change in ("disabled", "uninstalled"):
        # The worker that handled the callback refuses at once.
        assert status(ack_server, token) == 401
    # Every request that starts once the bound has passed since a worker last read the site is
    # refused, however slow the machine (a slow request only starts later).
    for worker in (other_worker, ack_server):
        polls = poll_past_the_bound(worker, token, last_read)
        assert answers_after_the_bound(polls, last_read) == {401}


def test_the_security_model_promises_this_bound_and_nothing_stronger():
    docs = Path(__file__).resolve().parents[2] / "docs"
    security = " ".join((docs / "security.md").read_text().split())
    assert "flag is checked on every request" not in security
    assert (
        "`ack.tenant_cache_seconds` (default 30). That setting is the contract: it is the longest "
        "time any worker may still accept a site that was disabled, uninstalled, purged or "
        "restored away."
    ) in security
    assert "The worker that handled `/disabled` or `/uninstalled` refuses the site at once" in (
        security
    )
