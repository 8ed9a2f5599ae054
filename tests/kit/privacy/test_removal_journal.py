"""A site removed after a backup was made stays removed when that backup is restored.

Over real HTTP against the fake site: the app installs through the signed lifecycle, the operator
backs up, purges or the site uninstalls, the operator restores the older backup; the journal of
removals (hashes only) removes the site again, so its tokens stay refused.
"""

import datetime as dt
import hashlib
import logging

import pytest
import requests
from sqlalchemy import select

from atlassian_connect_kit.backup.retention import latest_expiry, removal_horizon
from atlassian_connect_kit.privacy.journal import RemovalJournal
from atlassian_connect_kit.storage.models import RemovalJournalEntry
from tests.addon_for_tests import SampleAddon
from tests.kit.operator import Site


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


@pytest.fixture
def ack_settings(ack_settings):
    # No tenant cache: the tests look at what the database says at once (the cache's own bound
    # is shown in tests/kit/test_tenant_cache_bound.py).
    return {**ack_settings, "ack.tenant_cache_seconds": "0"}


@pytest.fixture
def operator(tmp_path, ack_settings):
    """The operator's ini for the served app's database and keys, for ``ack`` commands."""
    return Site(
        tmp_path / "ops",
        ack_settings["sqlalchemy.url"],
        encryption_keys=ack_settings["ack.encryption_keys"],
    ).write()


def page_status(fake_jira, app):
    url = fake_jira.signed_url(app, "/test/page", account_id=fake_jira.data.users[0].account_id)
    return requests.get(url, timeout=10).status_code


def journal(operator):
    engine = operator.engine()
    try:
        with engine.connect() as connection:
            return {
                row.client_key_sha256: row.removed_at
                for row in connection.execute(select(RemovalJournalEntry))
            }
    finally:
        engine.dispose()


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def restore(operator, name, *extra):
    result = operator.ack("backup", "restore", name, *extra)
    assert result.status == 0, result.err
    return result.out


def test_purge_then_restore_of_an_older_backup_keeps_the_site_gone_and_its_tokens_refused(
    fake_jira, ack_server, operator, caplog
):
    caplog.set_level(logging.INFO)
    app = fake_jira.install(ack_server.base_url)
    other = fake_jira.install(ack_server.base_url, client_key="jira:stays")
    assert page_status(fake_jira, app) == 200
    assert page_status(fake_jira, other) == 200
    assert operator.ack("backup", "create").status == 0
    [backup] = operator.backups()

    caplog.clear()
    assert operator.ack("tenants", "purge", "--client-key", app.client_key).status == 0
    assert page_status(fake_jira, app) == 401
    entries = journal(operator)
    assert list(entries) == [sha256(app.client_key)]
    removal_lines = [r.getMessage() for r in caplog.records if "removal journal" in r.getMessage()]
    assert removal_lines == [
        f"site {sha256(app.client_key)} removed (purge): ack_tenants 1 row; "
        "recorded in the removal journal"
    ]
    # The removal is logged by hash only.
    assert all(app.client_key not in r.getMessage() for r in caplog.records)

    out = restore(operator, backup, "--force")
    assert "removal journal: removed 1 site again" in out
    assert set(operator.tenants()) == {"jira:stays"}
    assert page_status(fake_jira, app) == 401
    assert page_status(fake_jira, other) == 200
    # The restore left the journal as it was: a second restore removes the site again.
    assert journal(operator) == entries
    assert "removed 1 site again" in restore(operator, backup, "--force")
    assert page_status(fake_jira, app) == 401


def test_uninstall_then_restore_keeps_the_site_gone(fake_jira, ack_server, operator):
    app = fake_jira.install(ack_server.base_url)
    assert page_status(fake_jira, app) == 200
    assert operator.ack("backup", "create").status == 0
    [backup] = operator.backups()
    assert fake_jira.uninstall(app) == 204
    assert list(journal(operator)) == [sha256(app.client_key)]

    # Into the emptied database, as after losing the data but not the database.
    out = restore(operator, backup)
    assert "removal journal: removed 1 site again" in out
    assert operator.tenants() == {}
    assert page_status(fake_jira, app) == 401


def test_a_reinstall_clears_the_entry_so_a_restore_keeps_the_live_site(
    fake_jira, ack_server, operator
):
    app = fake_jira.install(ack_server.base_url)
    assert operator.ack("backup", "create", "--now", "2026-11-01T00:00:00Z").status == 0
    [older] = operator.backups()
    assert operator.ack("tenants", "purge", "--client-key", app.client_key).status == 0
    assert sha256(app.client_key) in journal(operator)

    again = fake_jira.install(ack_server.base_url, client_key=app.client_key)
    assert again.install_status == 204
    assert journal(operator) == {}
    assert page_status(fake_jira, again) == 200

    # Restoring a backup older than both the purge and the re-install keeps the site: it is
    # installed now. (Its secret is the backup's until Jira's next re-install.)
    out = restore(operator, older, "--force")
    assert "removal journal: removed 0 sites again" in out
    assert set(operator.tenants()) == {app.client_key}


def test_a_site_removed_twice_keeps_one_entry_dated_by_its_latest_removal(site):
    engine = site.engine()
    journal_rules = RemovalJournal(keep_days=35, keep_months=13)
    first = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    second = dt.datetime(2027, 2, 10, tzinfo=dt.UTC)
    try:
        with engine.begin() as connection:
            journal_rules.record(connection, "jira:1", first)
            journal_rules.record(connection, "jira:1", second)
    finally:
        engine.dispose()
    assert journal(site) == {sha256("jira:1"): second}


def test_backup_prune_forgets_removals_once_no_kept_backup_predates_them(site):
    engine = site.engine()
    rules = RemovalJournal(keep_days=35, keep_months=13)
    removed = dt.datetime(2027, 3, 15, 12, tzinfo=dt.UTC)
    try:
        with engine.begin() as connection:
            rules.record(connection, "jira:1", removed)
            rules.record(connection, "jira:2", removed + dt.timedelta(days=40))
    finally:
        engine.dispose()
    # A month-end backup made just before the removal is kept until 2028-04-01.
    held_until = latest_expiry(removed - dt.timedelta(seconds=1), keep_days=35, keep_months=13)
    assert held_until == dt.datetime(2028, 4, 1, tzinfo=dt.UTC)
    dry = site.ack("backup", "prune", "--dry-run", "--now", "2028-03-31T23:59:59Z")
    assert "removal journal: would forget 0 removals" in dry.out
    dry = site.ack("backup", "prune", "--dry-run", "--now", "2028-04-01T00:00:00Z")
    assert "removal journal: would forget 1 removals" in dry.out
    assert len(journal(site)) == 2
    result = site.ack("backup", "prune", "--now", "2028-04-01T00:00:00Z")
    assert result.status == 0, result.err
    assert "removal journal: forgot 1 removals" in result.out
    assert list(journal(site)) == [sha256("jira:2")]


@pytest.mark.parametrize(("keep_days", "keep_months"), [(35, 13), (35, 0), (400, 2), (1, 1)])
def test_the_journal_forgets_a_removal_only_after_every_backup_made_before_it_expired(
    keep_days, keep_months
):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for day in range(0, 800, 7):
        now = start + dt.timedelta(days=day, hours=5)
        horizon = removal_horizon(now, keep_days=keep_days, keep_months=keep_months)
        assert horizon <= now
        # The newest backup that can hold a site removed just before the horizon has expired
        # (and so has every older one: expiry grows with a backup's time).
        assert (
            latest_expiry(
                horizon - dt.timedelta(seconds=1), keep_days=keep_days, keep_months=keep_months
            )
            <= now
        )


def test_purge_stale_records_each_site_it_removes(site, caplog):
    caplog.set_level(logging.INFO)
    site.install([1, 2])
    result = site.ack("tenants", "purge-stale", "--days", "30", "--now", "2099-01-01T00:00:00Z")
    assert result.status == 0, result.err
    assert set(journal(site)) == {sha256("jira:1"), sha256("jira:2")}
    lines = [r.getMessage() for r in caplog.records if "(purge-stale)" in r.getMessage()]
    assert len(lines) == 2 and all("jira:" not in line for line in lines)
