"""The kit's app-wide objects as Pyramid services (``pyramid_services``), and their accessors.

Each core part registers what it owns in its ``includeme`` (the settings and the plugin manager
here, the tenant store and key ring in ``storage``, the install-key fetcher in ``lifecycle``, the
host-client factory in ``host``), under an interface from :mod:`atlassian_connect_kit.interfaces`
(or the class itself, for plain values such as :class:`~atlassian_connect_kit.settings.Settings`).
Every other part looks it up with :func:`find_service`, so which module implements a service is
invisible to its users and a service can be replaced by registering another one.

Singletons (all of the kit's services) are found through the registry, from a request, a
configurator or the registry itself; a service registered as a factory through the request's
service container.
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


_NOT_A_SINGLETON = object()


class KitServiceRegistry(ServiceRegistry):  # type: ignore[misc]  # wired is untyped
    """``wired``'s service registry, remembering the singletons it was asked for.

    ``pyramid_services`` finds a service through a service container built for each request,
    which registers the request and every service found into a fresh ``zope.interface``
    registry: about as costly as authenticating a request. The kit's services are singletons,
    the same for every request, so they are remembered here after the first lookup (and
    forgotten whenever anything is registered). A service registered as a factory is still
    built by the request's container.
    """

    def __init__(self) -> None:
        super().__init__()
        self._singletons: dict[Any, Any] = {}

    def register_factory(self, *args: Any, **kwargs: Any) -> None:
        """Register a factory (see ``wired``), forgetting the singletons found so far."""
        self._singletons.clear()
        super().register_factory(*args, **kwargs)

    def singleton(self, iface: Any) -> Any:
        """The singleton registered for ``iface`` (no context, no name), or a marker if none.

        Raises ``LookupError`` when nothing is registered for ``iface``.
        """
        found = self._singletons.get(iface, _NOT_A_SINGLETON)
        if found is not _NOT_A_SINGLETON:
            return found
        factory = self.find_factory(iface, context=None)
        if factory is None:
            raise LookupError(f"no service is registered for {getattr(iface, '__name__', iface)}")
        wrapped = getattr(factory, "factory", factory)  # pyramid_services' ProxyFactory
        if not isinstance(wrapped, pyramid_services.SingletonServiceWrapper):
            return _NOT_A_SINGLETON
        self._singletons[iface] = wrapped.service
        return wrapped.service


def find_service(source: Any, iface: type[T]) -> T:
    """Return the service registered for ``iface``, from a request, a configurator or a registry.

    Raises ``LookupError`` when none is registered. A service registered as a factory (rather
    than an object) can only be found from a request.
    """
    registry = getattr(source, "registry", source)
    services: KitServiceRegistry = registry.getUtility(pyramid_services.IServiceRegistry)
    found = services.singleton(iface)
    if found is not _NOT_A_SINGLETON:
        return cast(T, found)
    # context=None: the kit's services do not depend on the traversal context.
    return cast(T, source.find_service(iface, context=None))


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
    config.set_service_registry(KitServiceRegistry())
