"""Test-suite configuration: the kit's own pytest fixtures, as add-on authors enable them."""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.local_only import refusal

pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]

# For mutation runs (`tox -e mutation` passes --hypothesis-profile=mutation): every function of a
# mutated module is called through a dispatching wrapper, so examples run slower and unevenly.
# Timing is not what those runs judge, and a fixed seed makes a mutant's verdict repeatable.
settings.register_profile(
    "mutation", deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture(scope="session", autouse=True)
def only_local_databases() -> None:
    """Stop the whole run, before any test, when a database variable names another machine."""
    reason = refusal(os.environ)
    if reason is not None:
        pytest.exit(reason, returncode=3)
