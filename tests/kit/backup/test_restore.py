"""A restore is one transaction: it completes, or leaves the database as it found it."""

import datetime as dt

import pytest
from sqlalchemy import func, insert, inspect, select, text

from atlassian_connect_kit.backup.fileformat import (
    BackupError,
    ColumnInfo,
    TableData,
    open_backup,
    seal,
)
from atlassian_connect_kit.backup.restore import restore_backup
from atlassian_connect_kit.privacy.journal import RemovalJournal, removed_digests
from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import current_revision, head_revision, make_engine, upgrade
from atlassian_connect_kit.storage.models import LifecycleToken, sha256_hex

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
COLUMNS = tuple(
    ColumnInfo(name, kind)
    for name, kind in (
        ("id", "int"),
        ("client_key", "text"),
        ("base_url", "text"),
        ("shared_secret", "text"),
        ("secret_key_id", "text"),
        ("oauth_client_id", "text"),
        ("installation_id", "text"),
        ("enabled", "bool"),
        ("installed_at", "datetime"),
        ("updated_at", "datetime"),
        ("last_seen_at", "datetime"),
    )
)


def tenant_row(row_id, client_key):
    stamp = "2026-11-01T10:00:00Z"
    return (
        row_id,
        client_key,
        "https://a.atlassian.net",
        "blob",
        "k1",
        None,
        None,
        True,
        stamp,
        stamp,
        None,
    )


def sealed(rows, revision="0001"):
    keyring = KeyRing.from_setting(generate_key_line("b1"))
    blob, _ = seal(
        created_at=NOW,
        schema_revision=revision,
        tables=[TableData("ack_tenants", COLUMNS, tuple(rows))],
        secret_key_ids=["k1"],
        kit_version="0.1.0",
        source_dialect="sqlite",
        keyring=keyring,
    )
    return open_backup(blob, keyring, label="crafted.ackb")


def test_a_restore_failing_half_way_leaves_nothing_behind(database_url):
    # Authentic but impossible: the second row repeats the first one's clientKey.
    backup = sealed([tenant_row(1, "jira:1"), tenant_row(2, "jira:1")])
    engine = make_engine(database_url)
    try:
        with pytest.raises(BackupError, match="restore failed, nothing was written"):
            restore_backup(engine, backup)
        tables = inspect(engine).get_table_names()
        if engine.dialect.name in ("mysql", "mariadb"):
            # MariaDB commits schema changes by itself; the rows, at least, are not there.
            assert "ack_tenants" not in tables or _rows(engine) == 0
        else:
            assert tables == []
            assert current_revision(engine) is None
    finally:
        engine.dispose()


def _rows(engine):
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT COUNT(*) FROM ack_tenants").scalar()


def test_a_backup_from_an_unknown_schema_revision_is_refused(tmp_path):
    backup = sealed([tenant_row(1, "jira:1")], revision="9999")
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        with pytest.raises(BackupError, match="revision '9999'"):
            restore_backup(engine, backup)
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_a_restore_upgrades_the_schema_to_the_newest_revision(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        result = restore_backup(engine, sealed([tenant_row(7, "jira:7")]))
        assert result.revision_after == head_revision() == current_revision(engine)
        assert result.row_counts == {"ack_tenants": 1}
    finally:
        engine.dispose()


def _client_keys(engine, table="ack_tenants", column="client_key"):
    with engine.connect() as connection:
        return sorted(connection.scalars(text(f"SELECT {column} FROM {table}")))


def test_the_journal_and_token_memory_come_through_a_restore_from_an_older_schema(database_url):
    # The backup was made at revision 0001, before either table existed: the restore takes the
    # schema down to 0001 and back up, and both tables must come through as they were.
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            RemovalJournal(keep_days=35, keep_months=13).record(connection, "jira:2", NOW)
            connection.execute(
                insert(LifecycleToken).values(
                    token_sha256="t" * 64, body_sha256="b" * 64, expires_at=NOW
                )
            )
        backup = sealed([tenant_row(1, "jira:1"), tenant_row(2, "jira:2")], revision="0001")
        result = restore_backup(engine, backup)
        assert result.removed_again == 1
        assert result.row_counts == {"ack_tenants": 2}  # as restored, before the journal
        assert _client_keys(engine) == ["jira:1"]
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            assert removed_digests(connection) == {sha256_hex("jira:2")}
            assert connection.scalar(select(func.count()).select_from(LifecycleToken)) == 1
    finally:
        engine.dispose()


def test_the_journal_is_re_applied_to_every_tenant_table_of_the_inventory(tmp_path):
    plugin_columns = (ColumnInfo("id", "int", primary_key=True), ColumnInfo("site", "text"))
    keyring = KeyRing.from_setting(generate_key_line("b1"))
    blob, _ = seal(
        created_at=NOW,
        schema_revision=head_revision(),
        tables=[
            TableData("ack_tenants", COLUMNS, (tenant_row(1, "jira:1"), tenant_row(2, "jira:2"))),
            TableData("prefs", plugin_columns, ((1, "jira:1"), (2, "jira:2"), (3, "jira:2"))),
        ],
        secret_key_ids=["k1"],
        kit_version="0.1.0",
        source_dialect="sqlite",
        keyring=keyring,
    )
    backup = open_backup(blob, keyring, label="crafted.ackb")
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        upgrade(engine)
        with engine.begin() as connection:
            RemovalJournal(keep_days=35, keep_months=13).record(connection, "jira:2", NOW)
        result = restore_backup(
            engine,
            backup,
            create_missing_tables=True,
            tenant_columns={"ack_tenants": "client_key", "prefs": "site"},
        )
        assert result.removed_again == 1
        assert _client_keys(engine) == ["jira:1"]
        assert _client_keys(engine, "prefs", "site") == ["jira:1"]
    finally:
        engine.dispose()


def test_a_backup_holding_the_journal_is_refused(tmp_path):
    keyring = KeyRing.from_setting(generate_key_line("b1"))
    journal_columns = (
        ColumnInfo("client_key_sha256", "text"),
        ColumnInfo("removed_at", "datetime"),
    )
    blob, _ = seal(
        created_at=NOW,
        schema_revision=head_revision(),
        tables=[TableData("ack_removal_journal", journal_columns, ())],
        secret_key_ids=[],
        kit_version="0.1.0",
        source_dialect="sqlite",
        keyring=keyring,
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        with pytest.raises(BackupError, match="holds ack_removal_journal, which backups never"):
            restore_backup(engine, open_backup(blob, keyring, label="crafted.ackb"))
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
