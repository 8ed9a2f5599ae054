"""atlassian-connect-kit: turn a Pyramid application into an Atlassian Connect app for Jira Cloud.

Public face: :data:`hookimpl` for plugins, :func:`main` (the PasteDeploy app factory),
:func:`includeme` (``config.include("atlassian_connect_kit")``) and ``__version__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from atlassian_connect_kit.hookspecs import hookimpl

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.router import Router

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl", "includeme", "main"]


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """PasteDeploy app factory (``use = egg:atlassian-connect-kit``): return the WSGI app.

    A configuration mistake (a bad setting, an unknown plugin, an invalid descriptor, a database
    driver that is not installed) stops the server with one line naming it, not a traceback.
    """
    from atlassian_connect_kit.config import make_app
    from atlassian_connect_kit.descriptor import DescriptorError
    from atlassian_connect_kit.plugins import PluginError
    from atlassian_connect_kit.settings import SettingsError
    from atlassian_connect_kit.storage.drivers import DatabaseDriverMissing

    try:
        return make_app(settings, global_config=global_config)
    except (SettingsError, PluginError, DescriptorError, DatabaseDriverMissing) as error:
        raise SystemExit(f"atlassian-connect-kit: cannot start: {error}") from None


def includeme(config: Configurator) -> None:
    """Let an existing Pyramid app ``config.include("atlassian_connect_kit")``."""
    from atlassian_connect_kit.config import includeme as configure

    configure(config)
