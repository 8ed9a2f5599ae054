"""The examples use the kit's fixtures, enabled the way any add-on's test suite enables them."""

pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]


def pytest_configure(config):
    """Name the marker the storing example uses, also where the project's settings are absent."""
    config.addinivalue_line("markers", "database: needs a database server named by ACK_TEST_*")
