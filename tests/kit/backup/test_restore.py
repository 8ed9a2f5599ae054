"""A restore is one transaction: it completes, or leaves the database as it found it."""

import datetime as dt

import pytest
from sqlalchemy import inspect

from atlassian_connect_kit.backup.fileformat import (
    BackupError,
    ColumnInfo,
    TableData,
    open_backup,
    seal,
)
from atlassian_connect_kit.backup.restore import restore_backup
from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import current_revision, head_revision, make_engine

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
