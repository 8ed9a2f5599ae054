"""The kit's app-wide objects as Pyramid services (``pyramid_services``), and their accessors.

Each core part registers what it owns in its ``includeme`` (the settings and the plugin manager
here, the tenant store and key ring in ``storage``, the install-key fetcher in ``lifecycle``, the
host-client factory in ``host``), under an interface from :mod:`atlassian_connect_kit.interfaces`
(or the class itself, for plain values such as :class:`~atlassian_connect_kit.settings.Settings`).
Every other part looks it up with :func:`find_service`, so which module implements a service is
invisible to its users and a service can be replaced by registering another one.

During a request the lookup goes through the request's service container; at start-up and in
commands (no request yet) through the registry. Only singletons can be found without a request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

import pluggy
import pyramid_services
from wired import ServiceRegistry

from atlassian_connect_kit.settings import Settings

if TYPE_CHECKING:
    from pyramid.config import Configurator

T = TypeVar("T")


class _RegistryHolder:
    """Lets ``pyramid_services.find_service_factory`` take a bare registry."""

    __slots__ = ("registry",)

    def __init__(self, registry: Any) -> None:
        self.registry = registry


def find_service(source: Any, iface: type[T]) -> T:
    """Return the service registered for ``iface``, from a request, a configurator or a registry.

    Raises ``LookupError`` when none is registered.
    """
    lookup = getattr(source, "find_service", None)
    if lookup is not None and hasattr(source, "environ"):
        # context=None: the kit's services do not depend on the traversal context.
        return cast(T, lookup(iface, context=None))
    registry = getattr(source, "registry", source)
    factory = pyramid_services.find_service_factory(_RegistryHolder(registry), iface)
    return cast(T, factory(None, None))


def get_settings(source: Any) -> Settings:
    """Return the validated settings of the app that ``source`` (request or registry) belongs to.

    Plugins read their own settings here too (declared through the kit's settings API).
    """
    return find_service(source, Settings)


def get_plugin_manager(source: Any) -> pluggy.PluginManager:
    """Return the plugin manager of the app that ``source`` (request or registry) belongs to."""
    return find_service(source, pluggy.PluginManager)


def includeme(config: Configurator) -> None:
    """Set up ``pyramid_services``: its directives and an empty service registry.

    Its request methods are not added (``pyramid_services``' own ``includeme`` would): the kit's
    request class (:class:`~atlassian_connect_kit.request.KitRequest`) defines ``services`` and
    ``find_service`` itself, so Pyramid builds no new request class per request for them.
    """
    config.add_directive("register_service", pyramid_services.register_service)
    config.add_directive("register_service_factory", pyramid_services.register_service_factory)
    config.add_directive("find_service_factory", pyramid_services.find_service_factory)
    config.add_directive("set_service_registry", pyramid_services.set_service_registry)
    config.set_service_registry(ServiceRegistry())
