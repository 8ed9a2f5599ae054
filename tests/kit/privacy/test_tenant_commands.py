"""``ack tenants`` and ``ack privacy``: an operator sees what is stored and removes a tenant."""

import datetime as dt

import pytest
from sqlalchemy import update

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.privacy import commands
from atlassian_connect_kit.storage.models import Tenant


class Recorder:
    """Notes each removal the plugins hear of, and whether the tenant was still stored then."""

    __name__ = "recorder"

    def __init__(self, site):
        self.site = site
        self.heard = []

    @hookimpl
    def ack_tenant_uninstalled(self, client_key, request):
        self.heard.append((client_key, request, client_key in self.site.tenants()))


@pytest.fixture
def recorder(site, monkeypatch):
    recorder = Recorder(site)
    monkeypatch.setattr(
        commands,
        "plugin_manager_for",
        lambda settings: make_plugin_manager(settings.plugins, extra_plugins=[recorder]),
    )
    return recorder


def set_last_seen(site, client_key, when, updated=None):
    engine = site.engine()
    with engine.begin() as connection:
        values = {"last_seen_at": when}
        if updated is not None:
            values["updated_at"] = updated
        connection.execute(update(Tenant).where(Tenant.client_key == client_key).values(values))
    engine.dispose()


def test_tenants_list_shows_sites_but_never_a_secret(site):
    site.install([1, 2])
    result = site.ack("tenants", "list")
    assert result.status == 0, result.err
    assert result.out.splitlines()[0] == "2 tenants"
    assert "jira:1  https://site-1.atlassian.net  enabled" in result.out
    assert "last seen never  key k1" in result.out
    assert "synthetic-shared-secret" not in result.out


def test_purge_tells_the_plugins_first_then_removes_the_tenant(site, recorder):
    site.install([1, 2])
    result = site.ack("tenants", "purge", "--client-key", "jira:1")
    assert result.status == 0, result.err
    assert result.out.strip() == "purged jira:1: ack_tenants 1 row"
    assert recorder.heard == [("jira:1", None, True)]
    assert set(site.tenants()) == {"jira:2"}


def test_purging_a_key_with_nothing_stored_is_an_error_and_tells_nobody(site, recorder):
    result = site.ack("tenants", "purge", "--client-key", "jira:typo")
    assert result.status == 1
    assert result.err.strip() == "ack: error: nothing is stored for client key 'jira:typo'"
    assert recorder.heard == []


def test_purge_stale_removes_tenants_not_seen_for_n_days(site, recorder):
    site.install([1, 2, 3])
    now = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    set_last_seen(site, "jira:1", now - dt.timedelta(days=100))  # gone quiet
    set_last_seen(site, "jira:2", now - dt.timedelta(days=2))  # active
    # jira:3 never made a request; it counts from its last install or update.
    set_last_seen(site, "jira:3", None, updated=now - dt.timedelta(days=91))

    dry = site.ack("tenants", "purge-stale", "--days", "90", "--now", now.isoformat(), "--dry-run")
    assert dry.status == 0, dry.err
    assert "would purge jira:1" in dry.out and "would purge jira:3" in dry.out
    assert set(site.tenants()) == {"jira:1", "jira:2", "jira:3"} and recorder.heard == []

    result = site.ack("tenants", "purge-stale", "--days", "90", "--now", now.isoformat())
    assert result.status == 0, result.err
    assert result.out.splitlines()[0].startswith("2 tenants not seen since 2026-12-01T00:00:00Z")
    assert "purged jira:1: ack_tenants 1 row" in result.out
    assert "purged jira:3: ack_tenants 1 row" in result.out
    assert [(key, request) for key, request, _ in recorder.heard] == [
        ("jira:1", None),
        ("jira:3", None),
    ]
    assert set(site.tenants()) == {"jira:2"}


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_purge_stale_needs_a_positive_number_of_days(site, days):
    result = site.ack("tenants", "purge-stale", "--days", days)
    assert result.status != 0 and "--days" in result.err


def test_privacy_prints_each_column_with_its_purpose_and_the_row_counts(site):
    site.install([1, 2, 3])
    result = site.ack("privacy")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "ack_tenants (per tenant by client_key; backed up): 3 rows"
    secret = next(line for line in lines if line.split()[0] == "shared_secret")
    assert "encrypted" in secret and "until uninstall" in secret
    assert len([line for line in lines if line.startswith("  ")]) == 11 + 2 + 3 + 3
    # The bookkeeping tables: what they are, that backups never hold them, how long they last.
    assert "ack_removal_journal (not per tenant; never backed up or restored): 0 rows" in lines
    assert "ack_lifecycle_tokens (not per tenant; never backed up or restored): 0 rows" in lines
    digest = next(line for line in lines if line.split()[0] == "client_key_sha256")
    assert "at most 13 months" in digest and "never the key itself" in digest


def test_privacy_markdown_is_the_statement_s_table(site):
    result = site.ack("privacy", "--markdown")
    assert result.status == 0, result.err
    assert result.out.startswith("| Table | Column | Purpose | Kept | Encrypted | In backups |")
    assert "| `ack_tenants` | `shared_secret` |" in result.out
