"""Plugins' own migrations: run after the kit's, each in its own history, on every backend."""

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.plugins import PluginError, make_plugin_manager
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.storage.db import current_revision as kit_revision
from atlassian_connect_kit.storage.db import head_revision as kit_head
from atlassian_connect_kit.storage.plugin_migrations import (
    PluginMigrations,
    PluginMigrationsError,
    collect_plugin_migrations,
    current_revision,
    downgrade_plugin,
    head_revision,
    plugins_upgrade_sql,
    upgrade_plugins,
)

VERSIONS = Path(__file__).resolve().parent / "plugin_versions"
NOTES = PluginMigrations(name="notes", versions=VERSIONS)
SETTINGS = load_settings({}, environ={}, require_base_url=False)


class Contributes:
    def __init__(self, name, *answers):
        self.__name__ = name
        self.answers = answers

    @hookimpl
    def ack_storage_migrations(self, settings):
        return list(self.answers)


def test_the_plugins_tables_come_after_the_kits_in_a_history_of_their_own(engine):
    assert current_revision(engine, NOTES) is None
    changes = upgrade_plugins(engine, [NOTES])
    assert changes == [("notes", None, "notes_0002")]
    assert head_revision(NOTES) == "notes_0002"
    columns = {c["name"] for c in inspect(engine).get_columns("notes")}
    assert columns == {"client_key", "body", "pinned"}
    # The kit's history is untouched by the plugin's, and the other way round.
    assert kit_revision(engine) == kit_head()
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM notes_alembic_version")) == (
            "notes_0002"
        )
    assert upgrade_plugins(engine, [NOTES]) == [("notes", "notes_0002", "notes_0002")]


def test_a_plugins_migrations_go_down_without_touching_the_kits_tables(engine):
    upgrade_plugins(engine, [NOTES])
    downgrade_plugin(engine, NOTES, "notes_0001")
    assert {c["name"] for c in inspect(engine).get_columns("notes")} == {"client_key", "body"}
    downgrade_plugin(engine, NOTES, "base")
    tables = set(inspect(engine).get_table_names())
    assert "notes" not in tables
    assert "ack_tenants" in tables


@pytest.mark.parametrize("url", ["postgresql://db/app", "mssql+pyodbc://db/app"])
def test_the_plugins_migrations_print_as_sql_without_a_connection(url):
    sql = plugins_upgrade_sql(url, [NOTES])
    assert sql.startswith("-- plugin migrations: notes\n")
    assert "CREATE TABLE notes" in sql
    assert "notes_alembic_version" in sql


def test_plugins_answer_in_the_order_they_were_enabled():
    other = PluginMigrations(name="other", versions=VERSIONS)
    pm = make_plugin_manager(
        (), extra_plugins=[Contributes("first", NOTES), Contributes("second", other)]
    )
    assert [m.name for m in collect_plugin_migrations(pm, SETTINGS)] == ["notes", "other"]


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ((NOTES, NOTES), "'notes' is used twice"),
        ((PluginMigrations(name="Notes", versions=VERSIONS),), "lower-case letters"),
        ((PluginMigrations(name="ack_notes", versions=VERSIONS),), "reserved for the kit"),
        ((PluginMigrations(name="notes", versions=VERSIONS / "missing"),), "no folder"),
        (("notes",), "returned a str, not a PluginMigrations"),
    ],
)
def test_a_wrong_declaration_fails_with_one_line(answers, fragment):
    pm = make_plugin_manager((), extra_plugins=[Contributes("bad", *answers)])
    with pytest.raises(PluginMigrationsError) as refused:
        collect_plugin_migrations(pm, SETTINGS)
    assert fragment in str(refused.value)
    assert "\n" not in str(refused.value)
    assert isinstance(refused.value, PluginError)  # the app factory stops with one line
