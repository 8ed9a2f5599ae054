"""Fixtures for the backup tests: an operator's site, the storage tests' databases, Azurite."""

from tests.kit.backup.azurite import azurite  # noqa: F401 - Blob Storage on loopback
from tests.kit.operator import ack_environment_cleared, site  # noqa: F401 - shared fixtures
from tests.kit.storage.databases import database_url  # noqa: F401 - every configured backend
