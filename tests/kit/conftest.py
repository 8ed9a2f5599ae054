"""Fixtures shared by the kit's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Table

from tests.kit.table_plugin import TablePlugin


@pytest.fixture
def table_plugin() -> Callable[..., TablePlugin]:
    """Make a plugin that keeps one table of per-site rows: ``table_plugin(table, **options)``.

    Options: ``tenant_column`` (default ``client_key``), ``purpose``, ``backed_up``,
    ``rows_at_start`` (added when the app configures the plugin) and ``rows_at_install`` (added
    for every site that installs, with its clientKey). See :mod:`tests.kit.table_plugin`.
    """

    def make(table: Table, **options: Any) -> TablePlugin:
        return TablePlugin(table, **options)

    return make
