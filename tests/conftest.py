"""Test-suite configuration: the kit's own pytest fixtures, as add-on authors enable them."""

pytest_plugins = ["atlassian_connect_kit.testing.pytest_plugin"]
