"""Uninstalling the app from a site removes all the site's data, the plugins' included."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.storage.service import get_engine, get_tenant_store

metadata = MetaData()
VIEWS = Table(
    "views_plugin_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_key", String(255), nullable=False),
    Column("name", String(50), nullable=False),
)


class SavedViewsPlugin:
    """Stores a saved view per tenant at install, and declares its table."""

    __name__ = "views_plugin"

    def __init__(self):
        self.engine = None
        self.rows_when_told = []

    def rows(self, client_key):
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(VIEWS).where(VIEWS.c.client_key == client_key)
            return connection.scalar(query)

    @hookimpl
    def ack_data_inventory(self, settings):
        return [
            InventoryEntry("views_plugin_views", c, "a saved view", "until uninstall")
            for c in ("id", "client_key", "name")
        ]

    @hookimpl
    def ack_configure(self, config, settings):
        self.engine = get_engine(config.registry)
        metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            # Another site's view, which no uninstall of this site may touch.
            connection.execute(VIEWS.insert(), {"client_key": "jira:other", "name": "theirs"})

    @hookimpl
    def ack_tenant_installed(self, tenant, request):
        with self.engine.begin() as connection:
            connection.execute(
                VIEWS.insert(),
                [{"client_key": tenant.client_key, "name": n} for n in ("mine", "team")],
            )

    @hookimpl
    def ack_tenant_uninstalled(self, client_key, request):
        self.rows_when_told.append(self.rows(client_key))


@pytest.fixture
def plugin():
    return SavedViewsPlugin()


@pytest.fixture
def ack_extra_plugins(plugin):
    return [plugin]


def test_uninstall_removes_the_tenant_and_every_declared_row(fake_jira, ack_server, plugin):
    app = fake_jira.install(ack_server.base_url)
    assert plugin.rows(app.client_key) == 2
    assert fake_jira.uninstall(app) == 204
    assert plugin.rows_when_told == [2], "plugins hear of the uninstall before the purge"
    assert plugin.rows(app.client_key) == 0
    assert get_tenant_store(ack_server.app.registry).get(app.client_key, fresh=True) is None
    assert plugin.rows("jira:other") == 1
