"""Forge installations on every backend: links to Connect tenants, pure installs, last seen."""

from __future__ import annotations

import datetime as dt

import pytest

from atlassian_connect_kit.storage.installations import ForgeInstallations, tenant_installation_ids
from atlassian_connect_kit.storage.store import InstallPayload

IID = "ari:cloud:ecosystem::installation/0a3a0000-0000-4000-8000-000000000001"
OTHER = "ari:cloud:ecosystem::installation/0a3a0000-0000-4000-8000-000000000002"


@pytest.fixture
def installations(engine, clock):
    """The store under test, on the test's clock, with a 60 s link cache and hourly writes."""
    return ForgeInstallations(engine, link_cache_seconds=60, last_seen_interval=3600, clock=clock)


def test_a_connect_install_naming_the_installation_links_it(
    engine, make_store, installations, clock
):
    assert installations.linked_client_key(IID) is None
    make_store().save_install(
        InstallPayload("jira:1", "https://one.atlassian.net", "s" * 32, None, IID)
    )
    # Remembered for a while (one lookup per minute at most), then read again.
    assert installations.linked_client_key(IID) is None
    clock.advance(61)
    assert installations.linked_client_key(IID) == "jira:1"
    assert tenant_installation_ids(engine) == {"jira:1": IID}
    installations.forget(IID)
    assert installations.linked_client_key(OTHER) is None


def test_seen_records_once_then_at_most_hourly(installations, clock):
    assert installations.seen(IID, "cloud-1") is True
    first = installations.get(IID)
    assert first is not None and first.cloud_id == "cloud-1"
    clock.advance(600)
    assert installations.seen(IID, "cloud-1") is False
    assert installations.get(IID).last_seen_at == first.last_seen_at
    clock.advance(3600)
    assert installations.seen(IID, "cloud-1") is False
    assert installations.get(IID).last_seen_at > first.last_seen_at
    # A lifecycle event writes whatever the interval.
    clock.advance(1)
    installations.seen(IID, "cloud-1", force=True)
    assert [r.installation_id for r in installations.list_installations()] == [IID]


def test_another_process_finding_the_row_does_not_call_it_new(engine, installations, clock):
    assert installations.seen(IID, "cloud-1") is True
    elsewhere = ForgeInstallations(engine, clock=clock)
    assert elsewhere.seen(IID, "cloud-1") is False
    assert len(installations.list_installations()) == 1


def test_stale_installations_count_from_their_last_seen(installations, clock):
    installations.seen(IID, "cloud-1")
    clock.advance(86400 * 10)
    installations.seen(OTHER, "cloud-2")
    now = dt.datetime.fromtimestamp(clock(), dt.UTC)
    assert installations.stale_installation_ids(now - dt.timedelta(days=5)) == [IID]
    assert installations.stale_installation_ids(now - dt.timedelta(days=20)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        installations.stale_installation_ids(now.replace(tzinfo=None))
