"""The packaged migrations build exactly the schema the models declare, and can be reverted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select

from atlassian_connect_kit.storage import models  # noqa: F401 - registers the tables on Base
from atlassian_connect_kit.storage.crypto import KeyRing
from atlassian_connect_kit.storage.db import (
    LargeBytes,
    LargeText,
    UnicodeString,
    UTCDateTime,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from atlassian_connect_kit.storage.store import InstallPayload, TenantStore
from tests.kit.storage.schema import schema_differences


def test_upgrade_of_an_empty_database_builds_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert inspect(engine).has_table("ack_tenants")
    finally:
        engine.dispose()
    assert schema_differences(database_url) == []


def test_constraints_carry_the_naming_convention_names(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        inspector = inspect(engine)
        unique_names = {c["name"] for c in inspector.get_unique_constraints("ack_tenants")}
        # MySQL and MariaDB keep unique constraints as unique indexes.
        unique_names |= {i["name"] for i in inspector.get_indexes("ack_tenants") if i.get("unique")}
        assert "uq_ack_tenants_client_key" in unique_names
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not inspect(engine).has_table("ack_tenants")
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert schema_differences(database_url) == []


def test_migrations_leave_the_host_applications_alembic_history_alone(database_url: str) -> None:
    host_metadata = MetaData()
    host_versions = Table("alembic_version", host_metadata, Column("version_num", String(32)))
    host_table = Table("timesheet_notes", host_metadata, Column("id", Integer, primary_key=True))
    engine = make_engine(database_url)
    try:
        host_metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(host_versions.insert().values(version_num="hostapp42"))
        upgrade(engine)
        downgrade(engine, "base")
        with engine.connect() as connection:
            assert connection.scalars(select(host_versions.c.version_num)).all() == ["hostapp42"]
        assert inspect(engine).has_table(host_table.name)
    finally:
        engine.dispose()


# The last revision before the move to the portable types (0004_sqlserver_types).
BEFORE_PORTABLE_TYPES = "0003_lifecycle_tokens"


def test_a_database_before_the_portable_types_upgrades_to_head_keeping_every_value(
    database_url: str, keyring: KeyRing
) -> None:
    """Existing installs survive the move to the portable types: secrets decrypt, times are UTC."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, BEFORE_PORTABLE_TYPES)
        store = TenantStore(engine, keyring, cache_seconds=0)
        secrets = {f"jira:{n}": f"shared-secret-{n}-{'x' * 40}" for n in range(3)}
        secrets["jira:unicode"] = "secret-ß-€-日本-🔑"
        for client_key, secret in secrets.items():
            store.save_install(
                InstallPayload(client_key, "https://x.atlassian.net", secret, "oauth-1", None)
            )
        store.touch("jira:1")
        before = {key: store.get(key, fresh=True) for key in secrets}

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        after = {key: store.get(key, fresh=True) for key in secrets}
        assert after == before
        for key, record in after.items():
            assert record is not None and record.shared_secret == secrets[key]
            assert record.installed_at.tzinfo == dt.UTC and record.updated_at.tzinfo == dt.UTC
        assert after["jira:1"] is not None and after["jira:1"].last_seen_at is not None

        downgrade(engine, BEFORE_PORTABLE_TYPES)
        assert {key: store.get(key, fresh=True) for key in secrets} == before
        upgrade(engine)
    finally:
        engine.dispose()
    assert schema_differences(database_url) == []


PORTABLE = Table(
    "portable_types_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", UnicodeString(40)),
    Column("body", LargeText),
    Column("blob", LargeBytes),
    Column("at", UTCDateTime),
)


def test_the_portable_types_hold_unicode_and_large_values_on_every_backend(
    database_url: str,
) -> None:
    # Beyond 64 KiB, where MySQL's TEXT and BLOB would stop.
    body = "Grüße, 日本語 🔑 " * 10_000
    blob = bytes(range(256)) * 400
    moment = dt.datetime(2026, 11, 27, 12, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    engine = make_engine(database_url)
    try:
        PORTABLE.create(engine)
        with engine.begin() as connection:
            connection.execute(
                PORTABLE.insert().values(id=1, name="Ærøskøbing ✓", body=body, blob=blob, at=moment)
            )
        with engine.connect() as connection:
            row = connection.execute(select(PORTABLE)).one()
        assert (row.name, row.body, row.blob) == ("Ærøskøbing ✓", body, blob)
        assert row.at == moment and row.at.tzinfo == dt.UTC
    finally:
        PORTABLE.drop(engine, checkfirst=True)
        engine.dispose()
