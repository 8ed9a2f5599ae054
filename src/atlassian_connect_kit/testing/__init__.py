"""Test support shipped with the kit: a fake Jira Cloud site, an app server, pytest fixtures."""
