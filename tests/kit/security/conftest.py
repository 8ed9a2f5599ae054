"""Fixtures for the security tests: the developer's ACK_* variables cannot change a test's app."""

from tests.kit.operator import ack_environment_cleared  # noqa: F401 - autouse
