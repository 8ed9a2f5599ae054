"""Fixtures for the privacy tests: an operator's site, and the storage tests' databases."""

from tests.kit.operator import ack_environment_cleared, site  # noqa: F401 - shared fixtures
from tests.kit.storage.databases import database_url  # noqa: F401 - every configured backend
