"""The ``ack privacy`` and ``ack tenants`` commands: what is stored, and removing a tenant.

``ack tenants purge`` and ``purge-stale`` exist for sites that leave without an ``uninstalled``
callback (a site deleted by Atlassian, an app moved to Forge): they tell the plugins first, as the
callback would, then delete the tenant's rows from every declared table.

Pure Forge installations are tenants too, keyed by their installation id (see
:mod:`atlassian_connect_kit.storage.installations`); a Connect tenant whose install named a Forge
installation is one tenant, listed and purged as one.
"""

from __future__ import annotations

import argparse
import datetime as dt

import pluggy
from sqlalchemy import Engine

from atlassian_connect_kit.backup.naming import format_timestamp, parse_timestamp
from atlassian_connect_kit.cli import add_config_argument, plugin_manager_for, settings_from_args
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.privacy.inventory import (
    Inventory,
    collect_inventory,
    render_markdown,
    render_text,
    row_counts,
)
from atlassian_connect_kit.privacy.journal import RemovalJournal
from atlassian_connect_kit.privacy.purge import PurgeResult, count_tenant_rows, purge_tenant
from atlassian_connect_kit.settings import Settings


def _engine(settings: Settings) -> Engine:
    from atlassian_connect_kit.storage.service import engine_for

    return engine_for(settings)


def command_privacy(args: argparse.Namespace) -> int:
    """Print the data inventory with row counts, or its Markdown for the privacy statement."""
    settings = settings_from_args(args, require_base_url=False)
    inventory = collect_inventory(plugin_manager_for(settings), settings)
    if args.markdown:
        print(render_markdown(inventory), end="")
        return 0
    engine = _engine(settings)
    try:
        counts = row_counts(engine, inventory.tables)
    finally:
        engine.dispose()
    print(render_text(inventory, counts), end="")
    return 0


def command_tenants_list(args: argparse.Namespace) -> int:
    """List the installed tenants (never their secrets), Connect and pure Forge ones."""
    from atlassian_connect_kit.storage.installations import (
        installations_for,
        tenant_installation_ids,
    )
    from atlassian_connect_kit.storage.service import load_keyring
    from atlassian_connect_kit.storage.store import TenantStore

    settings = settings_from_args(args, require_base_url=False)
    engine = _engine(settings)
    try:
        # Listing decrypts nothing; the key ring is only needed to build the store.
        store = TenantStore(engine, load_keyring(settings, create_in_dev_mode=False))
        tenants = store.list_tenants()
        linked = tenant_installation_ids(engine)
        forge = [
            installation
            for installation in installations_for(engine).list_installations()
            if installation.installation_id not in linked.values()
        ]
    finally:
        engine.dispose()
    print(f"{len(tenants) + len(forge)} tenants")
    for tenant in tenants:
        seen = format_timestamp(tenant.last_seen_at) if tenant.last_seen_at else "never"
        installation = linked.get(tenant.client_key)
        print(
            f"  {tenant.client_key}  {tenant.base_url}  "
            f"{'enabled' if tenant.enabled else 'disabled'}  "
            f"installed {format_timestamp(tenant.installed_at)}  last seen {seen}  "
            f"key {tenant.secret_key_id}"
            + (f"  installation {installation}" if installation else "")
        )
    for record in forge:
        print(
            f"  {record.installation_id}  Forge  cloud {record.cloud_id}  "
            f"last seen {format_timestamp(record.last_seen_at)}"
        )
    return 0


def _purge(
    pm: pluggy.PluginManager,
    settings: Settings,
    inventory: Inventory,
    client_key: str,
    *,
    reason: str,
) -> PurgeResult:
    # Plugins hear of the removal first, as they would from the uninstalled callback.
    pm.hook.ack_tenant_uninstalled(client_key=client_key, request=None)
    engine = _engine(settings)
    try:
        journal = RemovalJournal.from_settings(settings)
        return purge_tenant(engine, client_key, inventory, journal, reason=reason)
    finally:
        engine.dispose()


def _tenant_keys(engine: Engine, client_key: str | None, installation_id: str | None) -> list[str]:
    """Every key a tenant is stored under: its clientKey and its Forge installation id."""
    from atlassian_connect_kit.storage.installations import tenant_installation_ids

    linked = tenant_installation_ids(engine)
    if client_key is not None:
        return [client_key] + ([linked[client_key]] if client_key in linked else [])
    assert installation_id is not None
    holders = [key for key, installation in linked.items() if installation == installation_id]
    return [*holders, installation_id]


def command_tenants_purge(args: argparse.Namespace) -> int:
    """Remove everything stored for one tenant, by clientKey or Forge installation id."""
    settings = settings_from_args(args, require_base_url=False)
    pm = plugin_manager_for(settings)
    inventory = collect_inventory(pm, settings)
    engine = _engine(settings)
    try:
        keys = _tenant_keys(engine, args.client_key, args.installation_id)
        stored = {key: count_tenant_rows(engine, key, inventory) for key in keys}
    finally:
        engine.dispose()
    present = [key for key in keys if any(stored[key].values())]
    if not present:
        named = "client key" if args.client_key is not None else "installation id"
        raise ValueError(f"nothing is stored for {named} {keys[0]!r}")
    for key in present:
        result = _purge(pm, settings, inventory, key, reason="purge")
        print(f"purged {result.client_key}: {result.describe()}")
    return 0


def command_tenants_purge_stale(args: argparse.Namespace) -> int:
    """Remove every tenant not seen for ``--days`` days, Connect and pure Forge ones."""
    from atlassian_connect_kit.storage.installations import (
        installations_for,
        tenant_installation_ids,
    )
    from atlassian_connect_kit.storage.service import load_keyring
    from atlassian_connect_kit.storage.store import TenantStore

    settings = settings_from_args(args, require_base_url=False)
    try:
        now = parse_timestamp(args.now) if args.now else dt.datetime.now(dt.UTC)
    except ValueError as error:
        raise ValueError(f"--now: {error}") from None
    cutoff = now - dt.timedelta(days=args.days)
    engine = _engine(settings)
    try:
        store = TenantStore(engine, load_keyring(settings, create_in_dev_mode=False))
        stale = store.stale_client_keys(cutoff)
        # Pure Forge installations count from their last invocation; linked ones go with their
        # Connect tenant (its last-seen time is kept by both kinds of request).
        linked = tenant_installation_ids(engine)
        stale += [
            installation_id
            for installation_id in installations_for(engine).stale_installation_ids(cutoff)
            if installation_id not in linked.values()
        ]
    finally:
        engine.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{len(stale)} tenants not seen since {format_timestamp(cutoff)} "
        f"({args.days} day{'' if args.days == 1 else 's'})"
        + (": dry run, nothing removed" if args.dry_run and stale else "")
    )
    if not stale or args.dry_run:
        for client_key in stale:
            print(f"  {verb} {client_key}")
        return 0
    pm = plugin_manager_for(settings)
    inventory = collect_inventory(pm, settings)
    for client_key in stale:
        result = _purge(pm, settings, inventory, client_key, reason="purge-stale")
        print(f"  {verb} {client_key}: {result.describe()}")
    return 0


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return days


@hookimpl(trylast=True)
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``ack privacy`` and ``ack tenants``."""
    privacy = subparsers.add_parser(
        "privacy", help="print what the app stores, column by column, with row counts"
    )
    add_config_argument(privacy)
    privacy.add_argument(
        "--markdown", action="store_true", help="print the privacy statement's data section"
    )
    privacy.set_defaults(handler=command_privacy)

    tenants = subparsers.add_parser("tenants", help="list and remove installed tenants")
    commands = tenants.add_subparsers(dest="tenants_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="list the installed tenants")
    add_config_argument(listing)
    listing.set_defaults(handler=command_tenants_list)

    purge = commands.add_parser("purge", help="remove everything stored for one tenant")
    add_config_argument(purge)
    which = purge.add_mutually_exclusive_group(required=True)
    which.add_argument("--client-key", help="the tenant's clientKey")
    which.add_argument("--installation-id", help="the tenant's Forge installation id")
    purge.set_defaults(handler=command_tenants_purge)

    stale = commands.add_parser(
        "purge-stale", help="remove tenants that have not used the app for N days"
    )
    add_config_argument(stale)
    stale.add_argument(
        "--days", type=_positive_days, required=True, help="days since the last request"
    )
    stale.add_argument("--dry-run", action="store_true", help="print, remove nothing")
    stale.add_argument(
        "--now", metavar="TIMESTAMP", help="count the days back from this ISO 8601 time"
    )
    stale.set_defaults(handler=command_tenants_purge_stale)
