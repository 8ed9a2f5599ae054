"""A small add-on for the error-handling tests: a public view that fails as nothing expects.

Registered through ``extra_plugins``; never ships with the package.
"""

from __future__ import annotations

from typing import Any

from atlassian_connect_kit import hookimpl


class FailingView:
    """``GET path`` raises ``error``, an exception no exception view of the kit knows."""

    __name__ = "failing_view"

    def __init__(self, path: str, error: Exception) -> None:
        self.path = path
        self.error = error

    @hookimpl
    def ack_configure(self, config: Any, settings: Any) -> None:
        def fail(request: Any) -> Any:
            raise self.error

        config.add_route("failing_view", self.path)
        config.add_view(fail, route_name="failing_view", connect_auth="public")
