"""The privacy part's answer to an uninstall: every row the site owns is deleted.

It implements ``ack_tenant_uninstalled`` like any plugin, registered ``trylast`` so the add-ons
are told first, while their rows are still there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.privacy.inventory import collect_inventory
from atlassian_connect_kit.privacy.journal import RemovalJournal
from atlassian_connect_kit.privacy.purge import purge_tenant
from atlassian_connect_kit.services import get_plugin_manager, get_settings
from atlassian_connect_kit.storage.service import get_engine, get_tenant_store

if TYPE_CHECKING:
    from pyramid.request import Request


@hookimpl(trylast=True)
def ack_tenant_uninstalled(client_key: str, request: Request | None) -> None:
    """Delete the site's rows from every declared table, the tenant row included.

    One transaction with the removal journal's entry (logged there, by hash). Rows a plugin left
    for a tenant row already gone are removed too: the signed callback names this clientKey.
    Without a request (``ack tenants purge``) the command purges itself, to report what it
    removed.
    """
    if request is None:
        return
    settings = get_settings(request)
    inventory = collect_inventory(get_plugin_manager(request), settings)
    journal = RemovalJournal.from_settings(settings)
    purge_tenant(get_engine(request), client_key, inventory, journal, reason="uninstall")
    get_tenant_store(request).clear_cache()
