"""Pytest fixtures for testing add-ons built on atlassian-connect-kit.

Installed with the kit (entry point ``pytest11``), so an add-on's test suite gets these fixtures
without configuration. See docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest


@pytest.fixture
def ack_make_app() -> Callable[..., Any]:
    """A factory that builds the kit's WSGI app from settings and extra plugin objects.

    ``ack_make_app({"ack.base_url": ...}, plugins=[my_plugin])`` returns the Pyramid router.
    """
    from atlassian_connect_kit.config import make_app

    def factory(settings: Mapping[str, Any], plugins: Iterable[object] = ()) -> Any:
        return make_app(settings, extra_plugins=plugins)

    return factory
