"""``ack db upgrade --sql``: the migrations as a script a DBA applies, rendered without connecting.

For SQL Server it is rendered without pyodbc installed, and the script's end state has the
types SQL Server should have. On the servers the suite can reach, the script applied by hand
builds exactly the schema the online upgrade builds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateTable

from atlassian_connect_kit.storage.db import (
    current_revision,
    head_revision,
    make_engine,
    upgrade_sql,
)
from atlassian_connect_kit.storage.installations import ForgeInstallation
from atlassian_connect_kit.storage.models import Tenant
from tests.blocked_imports import run_ack_without
from tests.kit.operator import run_ack
from tests.kit.storage.test_migrations import _schema_differences

SQL_SERVER_URL = (
    "mssql+pyodbc://@127.0.0.1:1433/ack?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes"
)
DEPRECATED_LARGE_TYPES = re.compile(r"\b(N?TEXT|IMAGE)\b", re.IGNORECASE)


def write_ini(folder: Path, url: str) -> Path:
    ini = folder / "app.ini"
    ini.write_text(f"[app:main]\nuse = egg:atlassian-connect-kit\nsqlalchemy.url = {url}\n")
    return ini


def replay_sql_server_script(script: str) -> dict[str, dict[str, object]]:
    """The tables a T-SQL script leaves behind: columns (type, nullability) and unique keys."""
    tables: dict[str, dict[str, object]] = {}
    for statement in (s.strip().rstrip(";") for s in re.split(r"^GO$", script, flags=re.M)):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        body = body.replace("BEGIN TRANSACTION;", "").replace("COMMIT;", "").strip()
        if match := re.fullmatch(r"CREATE TABLE (\w+) \((.*)\)", body, flags=re.S):
            columns: dict[str, tuple[str, bool]] = {}
            unique: dict[str, tuple[str, ...]] = {}
            for line in (x.strip().rstrip(",") for x in match.group(2).splitlines()):
                if constraint := re.fullmatch(r"CONSTRAINT (\w+) UNIQUE \((.*)\)", line):
                    unique[constraint.group(1)] = tuple(constraint.group(2).split(", "))
                elif column := re.fullmatch(r"(\w+) (\S+)( NOT)? NULL(?: IDENTITY)?", line):
                    columns[column.group(1)] = (column.group(2), column.group(3) is None)
            tables[match.group(1)] = {"columns": columns, "unique": unique}
        elif match := re.fullmatch(r"ALTER TABLE (\w+) ALTER COLUMN (\w+) (\S+)( NOT)? NULL", body):
            tables[match.group(1)]["columns"][match.group(2)] = (  # type: ignore[index]
                match.group(3),
                match.group(4) is None,
            )
        elif match := re.fullmatch(r"ALTER TABLE (\w+) DROP CONSTRAINT (\w+)", body):
            del tables[match.group(1)]["unique"][match.group(2)]  # type: ignore[attr-defined]
        elif match := re.fullmatch(r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+) UNIQUE \((.*)\)", body):
            tables[match.group(1)]["unique"][match.group(2)] = tuple(  # type: ignore[index]
                match.group(3).split(", ")
            )
    return tables


def test_the_models_render_sql_server_types_without_a_server_version():
    ddl = str(CreateTable(Tenant.__table__).compile(dialect=mssql.dialect()))
    assert "client_key NVARCHAR(255) NOT NULL" in ddl
    assert "shared_secret NVARCHAR(max) NOT NULL" in ddl
    assert "secret_key_id NVARCHAR(64) NOT NULL" in ddl
    assert "installed_at DATETIMEOFFSET NOT NULL" in ddl
    assert not DEPRECATED_LARGE_TYPES.search(ddl)


def test_sql_server_script_renders_without_pyodbc_and_ends_in_the_models_schema(tmp_path):
    ini = write_ini(tmp_path, SQL_SERVER_URL)
    blocked = {"pyodbc": None}
    rendered = run_ack_without(tmp_path, blocked, "db", "upgrade", "-c", str(ini), "--sql")
    assert rendered.returncode == 0, rendered.stderr
    script = rendered.stdout
    # The blocker works: the same command connecting needs pyodbc and says so in one line.
    online = run_ack_without(tmp_path, blocked, "db", "upgrade", "-c", str(ini))
    assert online.returncode == 1 and "pyodbc" in online.stderr.strip().splitlines()[-1]

    assert script.startswith("BEGIN TRANSACTION;") and script.rstrip().endswith("GO")
    assert not DEPRECATED_LARGE_TYPES.search(script), "no TEXT, NTEXT or IMAGE anywhere"
    assert f"SET version_num='{head_revision()}'" in script
    tables = replay_sql_server_script(script)
    tenants = tables["ack_tenants"]
    # Pure Forge installations (0005): Unicode text and time-zone-aware times there too.
    assert tables["ack_forge_installations"]["columns"] == {
        column.name: (str(column.type.compile(dialect=mssql.dialect())), bool(column.nullable))
        for column in ForgeInstallation.__table__.columns
    }
    assert tables["ack_forge_installations"]["columns"]["last_seen_at"] == (
        "DATETIMEOFFSET",
        False,
    )
    expected = {
        column.name: (str(column.type.compile(dialect=mssql.dialect())), bool(column.nullable))
        for column in Tenant.__table__.columns
    }
    assert tenants["columns"] == expected
    text_columns = [
        "client_key",
        "base_url",
        "shared_secret",
        "secret_key_id",
        "oauth_client_id",
        "installation_id",
    ]
    assert all(tenants["columns"][c][0].startswith("NVARCHAR(") for c in text_columns)
    assert tenants["columns"]["shared_secret"][0] == "NVARCHAR(max)"
    assert tenants["unique"] == {"uq_ack_tenants_client_key": ("client_key",)}


def test_a_range_renders_only_the_steps_a_database_at_0001_still_needs(tmp_path):
    ini = write_ini(tmp_path, SQL_SERVER_URL)
    result = run_ack("db", "upgrade", "-c", str(ini), "--sql", "--revision", "0001:head")
    assert result.status == 0, result.err
    assert "CREATE TABLE ack_tenants" not in result.out
    assert "-- Running upgrade 0001 -> " in result.out
    assert " -> 0004_sqlserver_types" in result.out
    assert "ALTER TABLE ack_tenants ALTER COLUMN client_key NVARCHAR(255) NOT NULL" in result.out


def test_the_script_applied_by_hand_builds_what_the_online_upgrade_builds(database_url):
    script = upgrade_sql(database_url)
    statements = []
    for chunk in re.split(r";\s*\n", script):
        lines = [line for line in chunk.splitlines() if line.strip() and not line.startswith("--")]
        statement = "\n".join(lines).strip()
        if statement and statement.upper() not in ("BEGIN", "COMMIT", "BEGIN TRANSACTION"):
            statements.append(statement)
    assert any(s.startswith("CREATE TABLE ack_tenants") for s in statements)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert _schema_differences(database_url) == []


def test_sql_rendering_needs_no_keys_and_touches_no_database(tmp_path):
    database = tmp_path / "never-created.sqlite"
    ini = write_ini(tmp_path, f"sqlite:///{database}")
    result = run_ack("db", "upgrade", "-c", str(ini), "--sql")
    assert result.status == 0, result.err
    assert "CREATE TABLE ack_tenants" in result.out
    assert not database.exists()


@pytest.mark.parametrize("revision", ["nonsense", "0001:nonsense"])
def test_an_unknown_revision_is_a_one_line_error(tmp_path, revision):
    ini = write_ini(tmp_path, SQL_SERVER_URL)
    result = run_ack("db", "upgrade", "-c", str(ini), "--sql", "--revision", revision)
    assert result.status == 1
    assert len(result.err.strip().splitlines()) == 1, result.err
