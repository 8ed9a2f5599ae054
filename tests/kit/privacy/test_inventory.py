"""Everything the app stores is declared, with its purpose; nothing is stored undeclared."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.backup.retention import latest_expiry
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.privacy.inventory import (
    Inventory,
    InventoryError,
    collect_inventory,
    render_markdown,
)
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.storage.db import VERSION_TABLE, make_engine, upgrade

DOCS = Path(__file__).resolve().parents[3] / "docs"
SETTINGS = load_settings({"ack.base_url": "https://app.example.com"}, environ={})


def product_inventory():
    """The inventory of the product as shipped: the kit with the Smart Timesheet plugin."""
    return collect_inventory(make_plugin_manager(("smart_timesheet",)), SETTINGS)


def test_every_table_and_column_of_the_migrated_schema_is_declared(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        schema = inspect(engine)
        live = {
            (table, column["name"])
            for table in schema.get_table_names()
            if table != VERSION_TABLE
            for column in schema.get_columns(table)
        }
    finally:
        engine.dispose()
    declared = {(e.table, e.column) for e in product_inventory().entries}
    assert live - declared == set(), "stored but not declared in the data inventory"
    # And the kit declares nothing its schema does not hold.
    kit_declared = {(t, c) for t, c in declared if t.startswith("ack_")}
    assert kit_declared - live == set()


def test_the_shared_secret_is_the_one_encrypted_column_and_everything_goes_at_uninstall():
    inventory = product_inventory()
    entries = inventory.entries
    assert [e.column for e in entries if e.encrypted] == ["shared_secret"]
    per_tenant = [e for e in entries if e.tenant_column is not None]
    assert {e.retention for e in per_tenant} == {"until uninstall"}
    assert all(e.purpose.strip() for e in entries)
    assert inventory.backed_up_tables == ("ack_tenants", "ack_forge_installations")


def test_tables_kept_by_hash_hold_no_client_key_and_are_never_backed_up():
    inventory = product_inventory()
    bookkeeping = [name for name in inventory.tables if inventory.tenant_column(name) is None]
    assert bookkeeping == ["ack_removal_journal", "ack_lifecycle_tokens"]
    for name in bookkeeping:
        assert not inventory.is_backed_up(name)
        assert all(e.column != "client_key" for e in inventory.columns(name))
    assert "at most 13 months" in inventory.columns("ack_removal_journal")[0].retention
    shorter = load_settings(
        {"ack.base_url": "https://app.example.com", "ack.backup.keep_months": "0"}, environ={}
    )
    journal = collect_inventory(make_plugin_manager(()), shorter).columns("ack_removal_journal")
    assert "at most 35 days" in journal[0].retention


def test_a_table_must_agree_on_whether_it_is_backed_up():
    with pytest.raises(InventoryError, match="disagree on whether it is backed up"):
        Inventory(
            (
                InventoryEntry("t", "client_key", "p", "r"),
                InventoryEntry("t", "other", "p", "r", backed_up=False),
            )
        )


def test_the_privacy_statement_shows_the_current_inventory():
    statement = (DOCS / "privacy.md").read_text()
    assert render_markdown(product_inventory()) in statement, (
        "docs/privacy.md is out of date: paste the output of `ack privacy -c INI --markdown`"
    )


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        (
            [InventoryEntry("t", "a", "p", "r"), InventoryEntry("t", "a", "p", "r")],
            "t.a is declared twice",
        ),
        (
            [
                InventoryEntry("t", "client_key", "p", "r"),
                InventoryEntry("t", "site", "p", "r", tenant_column="site"),
            ],
            "different tenant columns",
        ),
        ([InventoryEntry("t", "a", "p", "r")], "tenant column 'client_key' is not declared"),
    ],
)
def test_a_contradictory_inventory_is_refused(entries, problem):
    with pytest.raises(InventoryError, match=problem):
        Inventory(tuple(entries))


def test_a_plugin_s_entries_follow_the_kit_s():
    class Plugin:
        __name__ = "p"

        @hookimpl
        def ack_data_inventory(self, settings):
            return [InventoryEntry("p_things", "client_key", "whose", "until uninstall")]

    inventory = collect_inventory(make_plugin_manager((), extra_plugins=[Plugin()]), SETTINGS)
    assert inventory.tables == (
        "ack_tenants",
        "ack_removal_journal",
        "ack_lifecycle_tokens",
        "ack_forge_installations",
        "p_things",
    )
    assert inventory.backed_up_tables == ("ack_tenants", "ack_forge_installations", "p_things")
    assert inventory.tenant_column("p_things") == "client_key"


def test_the_statement_promises_the_configured_backup_policy():
    statement = (DOCS / "privacy.md").read_text()
    assert f"Kept {SETTINGS.backup_keep_days} days" in statement
    assert f"each of the {SETTINGS.backup_keep_months} most recent calendar" in statement
    assert f"(RPO): {SETTINGS.backup_rpo_hours:g} hours" in statement
    assert f"(RTO): {SETTINGS.backup_rto_hours:g} hours" in statement
    assert f"within {SETTINGS.backup_keep_months} months at the latest" in statement
    # ... and the policy keeps that promise for a tenant removed on any day of the year.
    for day in range(366):
        removed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)
        last_backup_holding_it = removed - dt.timedelta(seconds=1)
        gone_by = latest_expiry(
            last_backup_holding_it,
            keep_days=SETTINGS.backup_keep_days,
            keep_months=SETTINGS.backup_keep_months,
        )
        months = (gone_by.year - removed.year) * 12 + gone_by.month - removed.month
        assert months < SETTINGS.backup_keep_months or (
            months == SETTINGS.backup_keep_months and gone_by.day <= removed.day
        )
