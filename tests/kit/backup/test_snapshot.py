"""Backups read one consistent snapshot and carry every table a plugin declares."""

import datetime as dt

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)
from sqlalchemy.exc import OperationalError

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.backup.fileformat import BackupError, backup_keyring, open_backup
from atlassian_connect_kit.backup.operations import create_backup, verify_backups
from atlassian_connect_kit.backup.restore import restore_backup
from atlassian_connect_kit.backup.snapshot import read_transaction, take_snapshot
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.storage.models import Tenant

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

notes_metadata = MetaData()
NOTES = Table(
    "notes_plugin_notes",
    notes_metadata,
    Column("id", Integer, primary_key=True),
    Column("client_key", String(255), nullable=False),
    Column("text", String(200), nullable=False),
    Column("pinned", Boolean, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
)


class NotesPlugin:
    """A plugin that stores notes per tenant and declares them."""

    __name__ = "notes_plugin"

    @hookimpl
    def ack_data_inventory(self, settings):
        return [
            InventoryEntry("notes_plugin_notes", column, "a note", "until uninstall")
            for column in ("id", "client_key", "text", "pinned", "written_at")
        ]


def add_notes(site, rows):
    engine = site.engine()
    try:
        notes_metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(NOTES.insert(), rows)
    finally:
        engine.dispose()


def test_a_snapshot_does_not_see_writes_committed_while_it_reads(database_url):
    engine = make_engine(database_url)
    # On SQLite the writer waits for the reader: a short wait keeps the test quick.
    sqlite = database_url.startswith("sqlite")
    writer = create_engine(database_url, connect_args={"timeout": 0.2}) if sqlite else None
    writer = writer or make_engine(database_url)
    try:
        upgrade(engine)
        with read_transaction(engine) as connection:
            before = connection.execute(select(Tenant.client_key)).all()
            try:
                with writer.begin() as write:
                    write.execute(
                        Tenant.__table__.insert(),
                        {
                            "client_key": "jira:late",
                            "base_url": "https://late.atlassian.net",
                            "shared_secret": "x",
                            "secret_key_id": "k1",
                            "enabled": True,
                            "installed_at": NOW,
                            "updated_at": NOW,
                        },
                    )
            except OperationalError:
                pass  # SQLite makes the writer wait for the reader instead; also consistent
            during = connection.execute(select(Tenant.client_key)).all()
        assert before == during == []
    finally:
        engine.dispose()
        writer.dispose()


def test_a_declared_plugin_table_is_backed_up_and_restored_with_its_types(site):
    site.install([1])
    add_notes(
        site,
        [
            {"client_key": "jira:1", "text": "ünïcode ✓", "pinned": True, "written_at": NOW},
            {"client_key": "jira:1", "text": "second", "pinned": False, "written_at": NOW},
        ],
    )
    pm = make_plugin_manager((), extra_plugins=[NotesPlugin()])
    created = create_backup(site.settings(), pm, now=NOW)
    assert dict(created.manifest.row_counts) == {
        "ack_tenants": 1,
        "ack_forge_installations": 0,
        "notes_plugin_notes": 2,
    }

    engine = make_engine(f"sqlite:///{site.root.parent / 'restored.sqlite'}")
    try:
        backup = open_backup(
            (site.backup_dir / created.name).read_bytes(),
            backup_keyring(site.settings()),
            label=created.name,
        )
        with pytest.raises(BackupError, match="lacks the plugin tables notes_plugin_notes"):
            restore_backup(engine, backup)
        notes_metadata.create_all(engine)  # the plugin's own migration, run first
        restore_backup(engine, backup)
        with engine.connect() as connection:
            rows = connection.execute(select(NOTES).order_by(NOTES.c.id)).all()
        assert [(r.text, r.pinned) for r in rows] == [("ünïcode ✓", True), ("second", False)]
        assert all(r.written_at.replace(tzinfo=dt.UTC) == NOW for r in rows)
    finally:
        engine.dispose()


def test_the_drill_recreates_plugin_tables_it_cannot_migrate(site):
    site.install([1, 2])
    add_notes(site, [{"client_key": "jira:2", "text": "n", "pinned": True, "written_at": NOW}])
    pm = make_plugin_manager((), extra_plugins=[NotesPlugin()])
    create_backup(site.settings(), pm, now=NOW)
    report = verify_backups(site.settings(), pm, now=NOW + dt.timedelta(hours=1))
    assert report.failures == []
    assert any("3 tables, 3 rows, 2 secrets decrypted" in line for line in report.lines)
    assert len(report.drill_seconds) == 1


def test_a_declared_table_missing_from_the_database_stops_the_backup(site):
    pm = make_plugin_manager((), extra_plugins=[NotesPlugin()])
    with pytest.raises(BackupError, match="lacks declared tables notes_plugin_notes"):
        create_backup(site.settings(), pm, now=NOW)
    assert site.backups() == []


def test_the_snapshot_records_the_keys_its_secrets_need(site):
    site.install([1])
    engine = site.engine()
    try:
        snapshot = take_snapshot(engine, ["ack_tenants"])
    finally:
        engine.dispose()
    assert snapshot.secret_key_ids == ("k1",)
    assert snapshot.dialect == "sqlite"
    (tenants,) = snapshot.tables
    kinds = {c.name: c.kind for c in tenants.columns}
    assert kinds["enabled"] == "bool" and kinds["installed_at"] == "datetime"
    assert kinds["id"] == "int" and kinds["shared_secret"] == "text"
