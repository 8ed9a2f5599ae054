"""Test-suite configuration: the kit's own pytest fixtures, as add-on authors enable them."""

import os

import pytest

from tests.local_only import refusal

pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]


@pytest.fixture(scope="session", autouse=True)
def only_local_databases() -> None:
    """Stop the whole run, before any test, when a database variable names another machine."""
    reason = refusal(os.environ)
    if reason is not None:
        pytest.exit(reason, returncode=3)
