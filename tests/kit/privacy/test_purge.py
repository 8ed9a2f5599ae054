"""Removing a tenant removes every row it owns, in every declared table, all or nothing."""

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import IntegrityError

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.privacy.inventory import collect_inventory
from atlassian_connect_kit.privacy.journal import RemovalJournal
from atlassian_connect_kit.privacy.purge import count_tenant_rows, purge_tenant

JOURNAL = RemovalJournal(keep_days=35, keep_months=13)
metadata = MetaData()
PREFERENCES = Table(
    "prefs_plugin_preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site", String(255), nullable=False),
    Column("name", String(50), nullable=False),
)
# Not declared by anyone, and pointing at a declared table: deleting the rows it refers to fails.
AUDIT = Table(
    "audit_of_preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("preference_id", ForeignKey("prefs_plugin_preferences.id"), nullable=False),
)


class PreferencesPlugin:
    """Keeps preferences per site, in a table whose tenant column is called ``site``."""

    __name__ = "prefs_plugin"

    @hookimpl
    def ack_data_inventory(self, settings):
        return [
            InventoryEntry(
                "prefs_plugin_preferences",
                c,
                "a preference",
                "until uninstall",
                tenant_column="site",
            )
            for c in ("id", "site", "name")
        ]


@pytest.fixture
def inventory(site):
    return collect_inventory(
        make_plugin_manager((), extra_plugins=[PreferencesPlugin()]), site.settings()
    )


@pytest.fixture
def two_tenants(site):
    site.install([1, 2])
    engine = site.engine()
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            PREFERENCES.insert(),
            [
                {"site": "jira:1", "name": "a"},
                {"site": "jira:1", "name": "b"},
                {"site": "jira:2", "name": "c"},
            ],
        )
    yield engine
    engine.dispose()


def count(engine, table, **where):
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with engine.connect() as connection:
        return connection.scalar(query)


def test_purge_removes_the_tenant_everywhere_and_nobody_else(site, inventory, two_tenants):
    engine = two_tenants
    # Pure Forge installations are tenants too (by installation id): none is stored here.
    assert count_tenant_rows(engine, "jira:1", inventory) == {
        "prefs_plugin_preferences": 2,
        "ack_tenants": 1,
        "ack_forge_installations": 0,
    }
    result = purge_tenant(engine, "jira:1", inventory, JOURNAL, reason="purge")
    assert dict(result.removed) == {
        "prefs_plugin_preferences": 2,
        "ack_tenants": 1,
        "ack_forge_installations": 0,
    }
    assert result.describe() == "prefs_plugin_preferences 2 rows, ack_tenants 1 row"
    assert count_tenant_rows(engine, "jira:1", inventory) == {
        "prefs_plugin_preferences": 0,
        "ack_tenants": 0,
        "ack_forge_installations": 0,
    }
    assert set(site.tenants()) == {"jira:2"}
    assert count(engine, PREFERENCES, site="jira:2") == 1


def test_a_purge_that_fails_half_way_removes_nothing(site, inventory, two_tenants):
    engine = two_tenants
    with engine.begin() as connection:
        first = connection.scalar(select(PREFERENCES.c.id).where(PREFERENCES.c.site == "jira:1"))
        connection.execute(AUDIT.insert(), {"preference_id": first})
    with pytest.raises(IntegrityError):
        purge_tenant(engine, "jira:1", inventory, JOURNAL, reason="purge")
    assert set(site.tenants()) == {"jira:1", "jira:2"}
    assert count(engine, PREFERENCES, site="jira:1") == 2


def test_a_declared_table_not_created_yet_is_skipped(site, inventory):
    site.install([1])
    engine = site.engine()
    try:
        result = purge_tenant(engine, "jira:1", inventory, JOURNAL, reason="purge")
    finally:
        engine.dispose()
    assert dict(result.removed) == {"ack_tenants": 1, "ack_forge_installations": 0}


def test_purging_an_unknown_tenant_removes_nothing(site, inventory, two_tenants):
    result = purge_tenant(two_tenants, "jira:404", inventory, JOURNAL, reason="purge")
    assert result.total == 0 and result.describe() == "nothing stored"
    assert set(site.tenants()) == {"jira:1", "jira:2"}
