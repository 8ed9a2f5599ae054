"""Forge installations over real HTTP: the lifecycle trigger, preUninstall, linking to Connect
tenants, and the ``ack tenants`` commands that list and purge them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from atlassian_connect_kit.storage.db import make_engine
from atlassian_connect_kit.storage.installations import ForgeInstallation
from atlassian_connect_kit.storage.models import RemovalJournalEntry, Tenant
from tests.kit.forge_probe import ForgeProbe
from tests.kit.operator import Site

INSTALLED = "avi:forge:installed:app"
UPGRADED = "avi:forge:upgraded:app"


@pytest.fixture
def probe() -> ForgeProbe:
    """The add-on whose hooks record what they heard."""
    return ForgeProbe()


@pytest.fixture
def ack_extra_plugins(probe):
    return [probe]


@pytest.fixture
def ack_settings(ack_settings):
    # The tests read the database at once; no tenant cache in between.
    return {**ack_settings, "ack.tenant_cache_seconds": "0"}


@pytest.fixture
def operator(tmp_path, ack_settings):
    """The operator's ini for the served app's database and keys, for ``ack`` commands."""
    return Site(
        tmp_path / "ops",
        ack_settings["sqlalchemy.url"],
        encryption_keys=ack_settings["ack.encryption_keys"],
    ).write()


def rows(ack_settings, model, **where):
    engine = make_engine(ack_settings["sqlalchemy.url"])
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return connection.scalar(query)
    finally:
        engine.dispose()


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def user(fake_jira):
    return next(u for u in fake_jira.data.users if u.active).account_id


def test_the_installed_event_records_the_installation_and_tells_plugins(
    forge_installation, fake_jira, ack_settings, probe
):
    [delivery] = fake_jira.forge_deliveries
    assert delivery.status == 204
    assert delivery.duration < 5  # Forge gives a trigger 5 seconds
    iid = forge_installation.installation_id
    assert rows(ack_settings, ForgeInstallation, installation_id=iid) == 1
    assert probe.heard == [("forge_installed", iid, INSTALLED)]


def test_a_redelivered_event_changes_nothing(forge_installation, fake_jira, ack_settings, probe):
    [delivery] = fake_jira.forge_deliveries
    again = requests.post(
        delivery.url, data=json.dumps(delivery.body), headers=delivery.headers, timeout=10
    )
    assert again.status_code == 204
    assert rows(ack_settings, ForgeInstallation) == 1
    upgraded = fake_jira.forge_upgrade(forge_installation, app_version="2.0.0")
    assert upgraded.installation_id == forge_installation.installation_id
    assert rows(ack_settings, ForgeInstallation) == 1
    assert [event for _, _, event in probe.heard] == [INSTALLED, INSTALLED, UPGRADED]


def test_a_pure_forge_invocation_is_keyed_by_its_installation(
    forge_invoke, forge_installation, fake_jira
):
    viewer = user(fake_jira)
    response = forge_invoke("/probe/whoami", user=viewer)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_key": forge_installation.installation_id,
        "account_id": viewer,
        "base_url": forge_installation.site_url,
        "mode": "context+forge",
        "linked": False,
        "installation_id": forge_installation.installation_id,
        "license_active": None,
    }


def test_the_lifecycle_endpoints_take_forge_tokens_only(
    forge_installation, fake_jira, ack_server, installed_tenant
):
    token = fake_jira.context_token(installed_tenant, user(fake_jira))
    for path in ("/forge/lifecycle", "/forge/uninstall"):
        response = requests.post(
            f"{ack_server.base_url}{path}",
            json={},
            headers={"Authorization": f"JWT {token}"},
            timeout=10,
        )
        assert response.status_code == 401
        assert response.json() == {"error": "a Forge invocation token is required"}


def test_an_event_for_another_installation_is_refused(forge_installation, fake_jira, ack_server):
    headers = fake_jira.forge_invocation_headers(forge_installation, "ack-lifecycle-endpoint")
    body = {"payload": {"id": "00000000-0000-4000-8000-000000000000", "eventType": INSTALLED}}
    response = requests.post(
        f"{ack_server.base_url}/forge/lifecycle", json=body, headers=headers, timeout=10
    )
    assert response.status_code == 400
    assert response.json() == {"error": "the payload names another installation than the token"}


def test_pre_uninstall_removes_the_installation_and_journals_it(
    forge_installation, fake_jira, ack_settings, probe
):
    iid = forge_installation.installation_id
    [call] = fake_jira.forge_uninstall(forge_installation)
    assert call.status == 204
    assert rows(ack_settings, ForgeInstallation) == 0
    assert rows(ack_settings, RemovalJournalEntry, client_key_sha256=sha256(iid)) == 1
    assert probe.heard[-1] == ("uninstalled", iid, None)


def test_a_connect_install_and_a_fit_of_its_installation_are_one_tenant(
    fake_jira, ack_server, forge_manifest, ack_settings, operator, probe
):
    app = fake_jira.install(ack_server.base_url)
    manifest = {**forge_manifest, "app": {**forge_manifest["app"]}}
    manifest["app"]["connect"] = {"key": app.app_key, "remote": "ack-remote"}
    fake_jira.set_forge_delivery(retry_interval=0.05)
    installation = fake_jira.forge_install(manifest, adopt=app)
    iid = installation.installation_id
    assert rows(ack_settings, Tenant, client_key=app.client_key, installation_id=iid) == 1
    assert ("installed", app.client_key, iid) in probe.heard
    headers = fake_jira.forge_invocation_headers(
        installation, "ack-remote-endpoint", account_id=user(fake_jira)
    )
    whoami = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
    assert whoami.json()["client_key"] == app.client_key
    assert whoami.json()["linked"] is True
    assert rows(ack_settings, ForgeInstallation) == 0  # nothing kept twice
    listing = operator.ack("tenants", "list")
    assert listing.status == 0, listing.err
    lines = listing.out.splitlines()
    assert lines[0] == "1 tenants"
    assert app.client_key in lines[1] and f"installation {iid}" in lines[1]

    purged = operator.ack("tenants", "purge", "--installation-id", iid)
    assert purged.status == 0, purged.err
    assert purged.out.strip() == f"purged {app.client_key}: ack_tenants 1 row"
    assert rows(ack_settings, Tenant) == 0 and rows(ack_settings, ForgeInstallation) == 0
    # The site is gone both ways: the Connect tenant, and its Forge invocations' tenant.
    again = requests.get(f"{ack_server.base_url}/probe/whoami", headers=headers, timeout=10)
    assert again.json()["client_key"] == iid and again.json()["linked"] is False


def test_a_fit_first_then_the_connect_install_leaves_one_tenant(
    fake_jira, ack_server, forge_invoke, forge_installation, ack_settings, operator, probe
):
    iid = forge_installation.installation_id
    assert rows(ack_settings, ForgeInstallation) == 1
    app = fake_jira.install(ack_server.base_url, installation_id=iid)
    assert 200 <= app.install_status < 300
    assert rows(ack_settings, ForgeInstallation) == 0
    # Plugins move what they kept: the tenant arrives, the installation's own key goes.
    assert probe.heard[-2:] == [("installed", app.client_key, iid), ("uninstalled", iid, None)]
    response = forge_invoke("/probe/whoami", user=user(fake_jira))
    assert response.json()["client_key"] == app.client_key
    assert operator.ack("tenants", "list").out.splitlines()[0] == "1 tenants"


def test_tenants_list_and_purge_a_pure_forge_installation(
    forge_installation, operator, ack_settings, probe
):
    iid = forge_installation.installation_id
    listing = operator.ack("tenants", "list")
    assert listing.out.splitlines()[0] == "1 tenants"
    assert listing.out.splitlines()[1].startswith(f"  {iid}  Forge  cloud ")
    privacy = operator.ack("privacy")
    assert "ack_forge_installations (per tenant by installation_id; backed up): 1 row" in (
        privacy.out
    )
    purged = operator.ack("tenants", "purge", "--installation-id", iid)
    assert purged.status == 0, purged.err
    assert purged.out.strip() == f"purged {iid}: ack_forge_installations 1 row"
    assert rows(ack_settings, RemovalJournalEntry, client_key_sha256=sha256(iid)) == 1
    missing = operator.ack("tenants", "purge", "--installation-id", iid)
    assert missing.status != 0
    assert "nothing is stored for installation id" in missing.err


def test_purge_stale_covers_forge_installations_by_last_seen(
    forge_installation, operator, ack_settings
):
    iid = forge_installation.installation_id
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    kept = operator.ack("tenants", "purge-stale", "--days", "30", "--now", soon)
    assert kept.out.splitlines()[0].startswith("0 tenants not seen since")
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    dry = operator.ack("tenants", "purge-stale", "--days", "30", "--now", later, "--dry-run")
    assert f"would purge {iid}" in dry.out
    assert rows(ack_settings, ForgeInstallation) == 1
    stale = operator.ack("tenants", "purge-stale", "--days", "30", "--now", later)
    assert stale.status == 0, stale.err
    assert f"purged {iid}: ack_forge_installations 1 row" in stale.out
    assert rows(ack_settings, ForgeInstallation) == 0


def test_backups_hold_pure_forge_installations_and_restores_keep_removed_ones_gone(
    forge_installation, fake_jira, operator, ack_settings, forge_invoke
):
    iid = forge_installation.installation_id
    assert operator.ack("backup", "create").status == 0
    [backup] = operator.backups()
    restored = operator.ack("backup", "restore", backup, "--force")
    assert restored.status == 0, restored.err
    assert rows(ack_settings, ForgeInstallation, installation_id=iid) == 1

    fake_jira.forge_uninstall(forge_installation)
    assert rows(ack_settings, ForgeInstallation) == 0
    again = operator.ack("backup", "restore", backup, "--force")
    assert again.status == 0, again.err
    assert "removal journal: removed 1 site again" in again.out
    assert rows(ack_settings, ForgeInstallation) == 0


def test_an_installation_seen_again_after_a_purge_leaves_the_journal(
    forge_installation, operator, ack_settings, fake_jira
):
    iid = forge_installation.installation_id
    assert operator.ack("tenants", "purge", "--installation-id", iid).status == 0
    assert rows(ack_settings, RemovalJournalEntry, client_key_sha256=sha256(iid)) == 1
    # Still installed at Forge: its next event (or, within the hour, an invocation) records it.
    fake_jira.forge_upgrade(forge_installation, app_version="2.0.0")
    assert rows(ack_settings, ForgeInstallation, installation_id=iid) == 1
    assert rows(ack_settings, RemovalJournalEntry, client_key_sha256=sha256(iid)) == 0
