"""Forge lifecycle on the remote: the install/upgrade trigger and the ``preUninstall`` call.

``ack manifest`` subscribes ``POST /forge/lifecycle`` to ``avi:forge:installed:app`` and
``avi:forge:upgraded:app`` and points the ``preUninstall`` module at ``POST /forge/uninstall``.
Both arrive with a Forge Invocation Token (``connect_auth="forge"``: nothing else is accepted).

- ``/forge/lifecycle`` records the installation (a pure Forge one gets its row; a linked
  Connect tenant is only marked as seen) and tells plugins through
  ``ack_tenant_forge_installed``. It does no more than one small write before answering 204,
  well inside Forge's 5 seconds, and repeating it changes nothing: Forge redelivers up to four
  times after a failure or a timeout.
- ``/forge/uninstall`` removes a pure Forge installation the way ``/uninstalled`` removes a
  Connect tenant: plugins hear ``ack_tenant_uninstalled`` (with the installation id as the
  tenant's key), then every declared table loses its rows, and the removal journal records the
  id's hash. Forge calls it once, without retries, and does not wait for it, so
  ``ack tenants purge-stale`` remains the path for installations whose call was lost. A linked
  Connect tenant is left to Connect's own ``uninstalled`` callback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pyramid.httpexceptions import HTTPNoContent
from pyramid.response import Response

from atlassian_connect_kit.auth.forge_request import FORGE_ONLY_MODE, ForgeIdentity
from atlassian_connect_kit.auth.policy import PLUGIN_MANAGER_KEY
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.lifecycle import LifecycleRefused, read_lifecycle_body, request_only
from atlassian_connect_kit.manifest import LIFECYCLE_PATH, UNINSTALL_PATH

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.auth.forge import ForgeInvocation
    from atlassian_connect_kit.settings import Settings
    from atlassian_connect_kit.storage.store import TenantRecord

log = logging.getLogger(__name__)

INSTALLED_EVENT = "avi:forge:installed:app"
"""Sent after the app is installed on a site."""

UPGRADED_EVENT = "avi:forge:upgraded:app"
"""Sent after a major version upgrade of an installation."""

EVENTS = frozenset({INSTALLED_EVENT, UPGRADED_EVENT})
"""The events ``/forge/lifecycle`` accepts."""


def _identity(request: Request) -> ForgeIdentity:
    identity = request.identity
    if not isinstance(identity, ForgeIdentity):  # pragma: no cover - the "forge" mode ensures it
        raise LifecycleRefused("a Forge invocation token is required")
    return identity


def announce_installation(request: Request, invocation: ForgeInvocation, event: str | None) -> None:
    """Tell plugins of a pure Forge installation (first seen, installed or upgraded)."""
    pm = request.registry[PLUGIN_MANAGER_KEY]
    pm.hook.ack_tenant_forge_installed(
        installation_id=invocation.installation_id,
        cloud_id=invocation.cloud_id,
        event=event,
        invocation=invocation,
        request=request,
    )


def _event_of(body: dict[str, Any], installation_id: str) -> str:
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise LifecycleRefused("the body has no payload object", 400)
    event = payload.get("eventType")
    if event not in EVENTS:
        raise LifecycleRefused("the payload's eventType is not an installed or upgraded event", 400)
    installation = payload.get("id")
    # Events name the installation by its bare UUID; the token by its ARI.
    if not isinstance(installation, str) or installation_id.rsplit("/", 1)[-1] != installation:
        raise LifecycleRefused("the payload names another installation than the token", 400)
    return str(event)


def forge_lifecycle_view(request: Request) -> Response:
    """Record an installed or upgraded installation and tell plugins; 204, idempotent."""
    from atlassian_connect_kit.storage.installations import get_installations

    identity = _identity(request)
    invocation = identity.forge
    event = _event_of(read_lifecycle_body(request), invocation.installation_id)
    if identity.linked:
        # The Connect tenant holds this installation: its own installed callback told plugins.
        log.info("Forge %s for a Connect tenant", event)
        return HTTPNoContent()
    get_installations(request.registry).seen(
        invocation.installation_id, invocation.cloud_id, force=True
    )
    announce_installation(request, invocation, event)
    log.info("Forge %s recorded", event)
    return HTTPNoContent()


def forge_uninstall_view(request: Request) -> Response:
    """Remove a pure Forge installation (plugins first, then every declared table); 204."""
    identity = _identity(request)
    installation_id = identity.forge.installation_id
    context = read_lifecycle_body(request).get("context")
    cloud_id = context.get("cloudId") if isinstance(context, dict) else None
    if cloud_id is not None and cloud_id != identity.forge.cloud_id:
        raise LifecycleRefused("the payload names another site than the token", 400)
    if identity.linked:
        log.info("Forge preUninstall for a Connect tenant: left to its uninstalled callback")
        return HTTPNoContent()
    remove_pure_installation(request, installation_id, reason="preUninstall")
    return HTTPNoContent()


def remove_pure_installation(request: Request, installation_id: str, *, reason: str) -> None:
    """Remove what is kept under a pure Forge installation's id, as an uninstall removes a tenant.

    Plugins hear ``ack_tenant_uninstalled`` first (when the installation is stored), then every
    declared table loses its rows and the removal journal records the id's hash, in one
    transaction.
    """
    from atlassian_connect_kit.config import get_settings
    from atlassian_connect_kit.privacy.inventory import collect_inventory
    from atlassian_connect_kit.privacy.journal import RemovalJournal
    from atlassian_connect_kit.privacy.purge import purge_tenant
    from atlassian_connect_kit.storage.installations import get_installations
    from atlassian_connect_kit.storage.service import ENGINE_KEY

    pm = request.registry[PLUGIN_MANAGER_KEY]
    installations = get_installations(request.registry)
    if installations.get(installation_id) is not None:
        pm.hook.ack_tenant_uninstalled(client_key=installation_id, request=request)
    settings = get_settings(request.registry)
    inventory = collect_inventory(pm, settings)
    journal = RemovalJournal.from_settings(settings)
    purge_tenant(request.registry[ENGINE_KEY], installation_id, inventory, journal, reason=reason)
    installations.forget(installation_id)


@hookimpl(trylast=True)
def ack_tenant_installed(tenant: TenantRecord, request: Request) -> None:
    """A Connect install naming a pure Forge installation takes it over: one site, one tenant.

    What was kept under the installation id goes, as at an uninstall (plugins hear
    ``ack_tenant_uninstalled`` with the installation id; they heard ``ack_tenant_installed``
    with the clientKey just before), and the installation's invocations are the tenant's from
    now on.
    """
    from atlassian_connect_kit.storage.installations import INSTALLATIONS_KEY, get_installations

    if not tenant.installation_id or INSTALLATIONS_KEY not in request.registry:
        return
    installations = get_installations(request.registry)
    if installations.get(tenant.installation_id) is not None:
        remove_pure_installation(request, tenant.installation_id, reason="linked to Connect")
    installations.forget(tenant.installation_id)


@hookimpl(trylast=True)
def ack_configure(config: Configurator, settings: Settings) -> None:
    """Register ``POST /forge/lifecycle`` and ``POST /forge/uninstall`` (FITs only)."""
    for name, path, view in (
        ("ack.forge.lifecycle", LIFECYCLE_PATH, forge_lifecycle_view),
        ("ack.forge.uninstall", UNINSTALL_PATH, forge_uninstall_view),
    ):
        config.add_route(name, path, request_method="POST")
        config.add_view(request_only(view), route_name=name, connect_auth=FORGE_ONLY_MODE)
