"""Uninstalling the app from a site removes all the site's data, the plugins' included."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from atlassian_connect_kit.storage.service import get_tenant_store

metadata = MetaData()
VIEWS = Table(
    "views_plugin_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_key", String(255), nullable=False),
    Column("name", String(50), nullable=False),
)


@pytest.fixture
def plugin(table_plugin):
    """Keeps two saved views per site from its install; another site's view is there already."""
    return table_plugin(
        VIEWS,
        purpose="a saved view",
        rows_at_start=[{"client_key": "jira:other", "name": "theirs"}],
        rows_at_install=[{"name": "mine"}, {"name": "team"}],
    )


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
