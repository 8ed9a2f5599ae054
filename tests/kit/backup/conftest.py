"""Fixtures for the backup tests: an operator's site, and the storage tests' databases."""

from tests.kit.operator import ack_environment_cleared, site  # noqa: F401 - shared fixtures
from tests.kit.storage.conftest import database_url  # noqa: F401 - every configured backend
