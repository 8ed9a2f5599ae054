"""The examples use the kit's fixtures, enabled the way any add-on's test suite enables them."""

pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]
