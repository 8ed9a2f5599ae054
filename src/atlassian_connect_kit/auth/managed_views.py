"""Which views the ``connect_auth`` rule covers: the kit's and its plugins', not a host app's.

Every view of the kit's core parts (configured in ``config.includeme``) and every view a plugin
adds through the ``ack_configure`` hook (with what it includes or scans from there) is *managed*:
it must declare ``connect_auth``, and start-up fails when one does not. A Pyramid application
that includes the kit (``config.include("atlassian_connect_kit")``) keeps its own views as they
are: the kit neither authenticates them nor refuses them for lacking the option. Such an
application opts in with ``ack.connect_auth_all_views = true``, and any view of its own may
declare ``connect_auth``.

Static views (``config.add_static_view``) are public by design, managed or not: a plugin's CSS,
scripts and images are fetched by the browser without a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyramid.config import Configurator
from pyramid.static import static_view

from atlassian_connect_kit.services import get_settings

if TYPE_CHECKING:
    from pyramid.interfaces import IViewDeriverInfo

MANAGED_OPTION = "connect_managed"
"""The view option marking the core's views and those added through ``ack_configure`` (set by the
kit, not by hand)."""


class ManagedViewsConfigurator(Configurator):  # type: ignore[misc]  # Pyramid is untyped
    """The configurator handed to ``ack_configure``: every view it adds is marked as managed.

    ``include``, ``scan`` and ``with_package`` make configurators of the same class, so views a
    plugin adds through them are marked too.
    """

    def add_view(self, *args: Any, **kwargs: Any) -> Any:
        """Add the view, marked as one the ``connect_auth`` rule covers."""
        kwargs.setdefault(MANAGED_OPTION, True)
        return super().add_view(*args, **kwargs)


def managed_configurator(config: Configurator) -> ManagedViewsConfigurator:
    """Return a configurator sharing ``config``'s registry and state whose views are managed."""
    managed = ManagedViewsConfigurator(
        registry=config.registry,
        package=config.package,
        root_package=config.root_package,
        autocommit=config.autocommit,
        route_prefix=config.route_prefix,
        introspection=config.introspection,
    )
    # Relative asset specs and conflict reports resolve as they would from ``config``.
    managed.basepath = config.basepath
    managed.includepath = config.includepath
    managed.info = config.info
    return managed


def is_static(info: IViewDeriverInfo) -> bool:
    """Whether the view serves static files (``config.add_static_view``)."""
    return isinstance(info.original_view, static_view)


def rule_applies(info: IViewDeriverInfo) -> bool:
    """Whether the view must declare ``connect_auth``: managed, or the host opted in."""
    if info.options.get(MANAGED_OPTION):
        return True
    # ack.connect_auth_all_views: the host application asked for the rule on every view.
    return get_settings(info.registry).connect_auth_all_views
