"""The storing example, tested against the fake Jira site on SQLite and, if set up, PostgreSQL.

Set ``ACK_TEST_POSTGRES_URL`` to a local server (the database in the URL is only used to connect)
to run the PostgreSQL cases; each creates and drops a database of its own.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
import site_settings

HERE = Path(__file__).resolve().parent


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.database)])
def database_url(request, tmp_path):
    """A new, empty database: a SQLite file, or a fresh database on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    server = os.environ.get("ACK_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("ACK_TEST_POSTGRES_URL is not set")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver (the kit's postgres extra)")
    server_url = make_url(server)
    assert server_url.host in ("localhost", "127.0.0.1", "::1"), "only a local server"
    name = f"ack_example_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def ack_extra_plugins():
    return [site_settings]


@pytest.fixture
def ack_settings(ack_settings, database_url):
    return {**ack_settings, "sqlalchemy.url": database_url}


def _api(ack_server, token, method="GET", **kwargs):
    return requests.request(
        method,
        f"{ack_server.base_url}{site_settings.API_URL}",
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
        **kwargs,
    )


def _rows(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT client_key, greeting FROM site_settings ORDER BY client_key")
            ).all()
    finally:
        engine.dispose()


def test_dev_mode_start_up_runs_the_plugins_migration(ack_server, database_url):
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.scalar(
                text("SELECT version_num FROM site_settings_alembic_version")
            )
    finally:
        engine.dispose()
    assert {"ack_tenants", "site_settings", "site_settings_alembic_version"} <= tables
    assert version == "site_settings_0001"


def test_a_site_stores_its_greeting_and_its_page_shows_it(
    fake_jira, installed_tenant, ack_server, signed_page_url, database_url
):
    viewer = next(user for user in fake_jira.data.users if user.active)
    token = fake_jira.context_token(installed_tenant, viewer.account_id)
    assert _api(ack_server, token).json() == {"greeting": "Hello"}  # the setting's default
    changed = _api(ack_server, token, "PUT", json={"greeting": "  Welcome, team  "})
    assert changed.status_code == 200
    assert changed.json() == {"greeting": "Welcome, team"}
    page = requests.get(signed_page_url(site_settings.PAGE_URL), timeout=30)
    assert page.status_code == 200
    assert "<h1>Welcome, team</h1>" in page.text
    assert _rows(database_url) == [(installed_tenant.client_key, "Welcome, team")]


def test_a_refused_change_writes_nothing(fake_jira, installed_tenant, ack_server, database_url):
    viewer = next(user for user in fake_jira.data.users if user.active)
    token = fake_jira.context_token(installed_tenant, viewer.account_id)
    refused = _api(ack_server, token, "PUT", json={"greeting": "x" * 201})
    assert refused.status_code == 400
    assert refused.json() == {"error": "greeting must be 1 to 200 characters"}
    assert _rows(database_url) == []


def test_uninstalling_the_site_purges_its_row(
    fake_jira, installed_tenant, ack_server, database_url
):
    viewer = next(user for user in fake_jira.data.users if user.active)
    token = fake_jira.context_token(installed_tenant, viewer.account_id)
    assert _api(ack_server, token, "PUT", json={"greeting": "Bye"}).status_code == 200
    # A second site (another clientKey) keeps its row.
    other = fake_jira.install(ack_server.base_url, client_key="second-site")
    assert other.client_key != installed_tenant.client_key
    other_token = fake_jira.context_token(other, viewer.account_id)
    assert _api(ack_server, other_token, "PUT", json={"greeting": "Stay"}).status_code == 200
    assert fake_jira.uninstall(installed_tenant) == 204
    assert _rows(database_url) == [(other.client_key, "Stay")]


def test_the_default_greeting_comes_from_the_environment(
    monkeypatch, fake_jira, installed_tenant, ack_settings, ack_extra_plugins
):
    from atlassian_connect_kit.testing.server import serve_kit_app

    monkeypatch.setenv("SITE_SETTINGS_DEFAULT_GREETING", "Hi from the environment")
    server = serve_kit_app(
        {**ack_settings, "site_settings.default_greeting": "Hi from the ini"},
        plugins=ack_extra_plugins,
    )
    try:
        app = fake_jira.install(server.base_url)
        viewer = next(user for user in fake_jira.data.users if user.active)
        token = fake_jira.context_token(app, viewer.account_id)
        assert _api(server, token).json() == {"greeting": "Hi from the environment"}
    finally:
        server.stop()


def test_the_inventory_backs_up_the_table_and_names_its_tenant_column(ack_settings):
    from atlassian_connect_kit.testing.kit import plugin_inventory

    settings = {**ack_settings, "ack.base_url": "http://127.0.0.1:1"}
    inventory = plugin_inventory(settings, [site_settings])
    assert "site_settings" in inventory.backed_up_tables
    assert inventory.tenant_columns["site_settings"] == "client_key"


def _installed(tmp_path):
    """An environment in which the example is an installed add-on, found by its entry point.

    A dist-info folder on the path declares the entry point, as `pip install` of the add-on's
    distribution would.
    """
    dist = tmp_path / "site_settings_example-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: site-settings-example\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[atlassian_connect_kit]\nsite_settings = site_settings\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(tmp_path), str(HERE), os.environ.get("PYTHONPATH", "")]
    )
    return environment


def _write_ini(path, database_url, **extra):
    lines = {
        "use": "egg:atlassian-connect-kit",
        "ack.plugins": "site_settings",
        "sqlalchemy.url": database_url,
        **extra,
    }
    path.write_text(
        "[app:main]\n" + "".join(f"{k} = {v.replace('%', '%%')}\n" for k, v in lines.items())
    )
    return path


def _ack(environment, *args):
    return subprocess.run(
        [sys.executable, "-m", "atlassian_connect_kit.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ack_db_upgrade_creates_the_plugins_table_once_installed(tmp_path, database_url):
    environment = _installed(tmp_path)
    ini = _write_ini(tmp_path / "app.ini", database_url)
    first = _ack(environment, "db", "upgrade", "-c", str(ini))
    assert first.returncode == 0, first.stderr
    assert "plugin site_settings: upgraded from empty to site_settings_0001" in first.stdout
    again = _ack(environment, "db", "upgrade", "-c", str(ini))
    assert "plugin site_settings: upgraded from site_settings_0001 to site_settings_0001" in (
        again.stdout
    )
    sql = _ack(environment, "db", "upgrade", "-c", str(ini), "--sql")
    assert sql.returncode == 0, sql.stderr
    assert "CREATE TABLE site_settings" in sql.stdout
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(site_settings.SiteSetting)).all() == []
    finally:
        engine.dispose()


def test_the_plugins_rows_are_in_the_inventory_backups_purge_and_restore(tmp_path, database_url):
    from atlassian_connect_kit.testing.kit import encryption_key_line

    environment = _installed(tmp_path)
    keys = {
        "ack.encryption_keys": encryption_key_line(),
        "ack.backup.key": encryption_key_line(),
        "ack.backup.dir": str(tmp_path / "backups"),
    }
    ini = _write_ini(tmp_path / "app.ini", database_url, **keys)
    assert _ack(environment, "db", "upgrade", "-c", str(ini)).returncode == 0
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO site_settings (client_key, greeting, updated_at) "
                    "VALUES ('site-a', 'Hej', CURRENT_TIMESTAMP), "
                    "('site-b', 'Salut', CURRENT_TIMESTAMP)"
                )
            )
        privacy = _ack(environment, "privacy", "-c", str(ini))
        assert privacy.returncode == 0, privacy.stderr
        assert "site_settings (per tenant by client_key; backed up): 2 rows" in privacy.stdout
        backup = _ack(environment, "backup", "create", "-c", str(ini))
        assert backup.returncode == 0, backup.stderr
        purge = _ack(environment, "tenants", "purge", "-c", str(ini), "--client-key", "site-a")
        assert purge.returncode == 0, purge.stderr
        assert "site_settings 1 row" in purge.stdout
        assert _rows(database_url) == [("site-b", "Salut")]
    finally:
        engine.dispose()

    # A new machine: the add-on's tables come from `ack db upgrade`, the rows from the backup.
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    restored_ini = _write_ini(tmp_path / "restored.ini", restored_url, **keys)
    assert _ack(environment, "db", "upgrade", "-c", str(restored_ini)).returncode == 0
    (backup_file,) = (tmp_path / "backups").iterdir()
    restore = _ack(environment, "backup", "restore", str(backup_file), "-c", str(restored_ini))
    assert restore.returncode == 0, restore.stderr
    assert _rows(restored_url) == [("site-a", "Hej"), ("site-b", "Salut")]
