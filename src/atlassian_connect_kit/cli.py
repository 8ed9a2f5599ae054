"""The ``ack`` command. Core subcommands are registered through the same hook plugins use."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from atlassian_connect_kit import __version__, hookspecs
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.plugins import PluginError, make_plugin_manager
from atlassian_connect_kit.settings import (
    Settings,
    SettingsError,
    load_settings,
)
from atlassian_connect_kit.storage.crypto import DecryptionError
from atlassian_connect_kit.storage.db import DatabaseUnavailable
from atlassian_connect_kit.storage.drivers import DatabaseDriverMissing
from atlassian_connect_kit.storage.store import MissingKeyError

COMMANDS_GROUP = "atlassian_connect_kit.commands"
"""Entry-point group of commands that need no ini (``ack demo``, from the testing package)."""


class CommandError(Exception):
    """A command cannot proceed; the message is the one-line reason printed to stderr."""


def read_ini_settings(path: str) -> dict[str, Any]:
    """Read the ``[app:main]`` settings of a PasteDeploy ini (with ``%(here)s`` expanded)."""
    from pyramid.paster import get_appsettings

    if not Path(path).is_file():
        raise CommandError(f"-c {path}: no such file")
    try:
        raw = dict(get_appsettings(path, name="main"))
    except Exception as exc:  # PasteDeploy raises many types for a bad ini; report one line
        raise CommandError(f"-c {path}: cannot read the [app:main] section ({exc})") from None
    raw.setdefault("here", str(Path(path).resolve().parent))
    return raw


def settings_from_args(args: argparse.Namespace, *, require_base_url: bool = True) -> Settings:
    """Load settings from ``-c INI`` (or from built-in defaults and the environment without it)."""
    raw: dict[str, Any] = read_ini_settings(args.config) if getattr(args, "config", None) else {}
    base_url = getattr(args, "base_url", None)
    if base_url:
        raw["ack.base_url"] = base_url
    environ = dict(os.environ)
    if base_url:
        environ.pop("ACK_BASE_URL", None)  # the command line wins over the environment
    return load_settings(raw, environ=environ, require_base_url=require_base_url)


def plugin_manager_for(settings: Settings) -> pluggy.PluginManager:
    """Build the plugin manager for a command, with the plugins the settings enable."""
    return make_plugin_manager(settings.plugins)


def add_config_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Give a subcommand the standard ``-c/--config INI`` option."""
    parser.add_argument(
        "-c",
        "--config",
        metavar="INI",
        required=required,
        help="PasteDeploy ini file whose [app:main] section holds the ack.* settings",
    )


# --- ack descriptor -----------------------------------------------------------------------------


def command_descriptor(args: argparse.Namespace) -> int:
    """Print or write the rendered, validated descriptor."""
    from atlassian_connect_kit.descriptor import build_descriptor

    settings = settings_from_args(args)
    descriptor = build_descriptor(settings, plugin_manager_for(settings))
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    write_output(text, args.output)
    return 0


# --- ack manifest -------------------------------------------------------------------------------


def command_manifest(args: argparse.Namespace) -> int:
    """Print or write the Forge manifest rendered from the settings and plugins."""
    from atlassian_connect_kit.manifest import build_manifest, manifest_yaml, place_resources

    settings = settings_from_args(args)
    manifest = build_manifest(settings, plugin_manager_for(settings))
    if args.output:
        # The output's folder becomes the Forge app folder: packaged resources are copied in.
        app_dir = Path(args.output).resolve().parent
        app_dir.mkdir(parents=True, exist_ok=True)
        manifest = place_resources(manifest, app_dir)
    write_output(manifest_yaml(manifest), args.output)
    return 0


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` atomically to ``output``, or to stdout when it is ``None``."""
    if output:
        target = Path(output)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
    else:
        sys.stdout.write(text)


# --- ack db ... ---------------------------------------------------------------------------------


def command_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the kit's migrations, then every enabled plugin's, or print them all as SQL.

    ``--revision`` names a revision of the kit's migrations; the plugins' migrations always go to
    their newest revision (and only when the kit's go to head).
    """
    from alembic.util import CommandError as AlembicCommandError

    from atlassian_connect_kit.storage.db import current_revision, upgrade, upgrade_sql
    from atlassian_connect_kit.storage.plugin_migrations import (
        collect_plugin_migrations,
        plugins_upgrade_sql,
        upgrade_plugins,
    )
    from atlassian_connect_kit.storage.service import engine_for

    settings = settings_from_args(args, require_base_url=False)
    plugin_migrations = collect_plugin_migrations(plugin_manager_for(settings), settings)
    with_plugins = args.revision == "head"
    try:
        if args.sql:
            sys.stdout.write(upgrade_sql(settings.database_url, args.revision))
            if with_plugins:
                sys.stdout.write(plugins_upgrade_sql(settings.database_url, plugin_migrations))
            return 0
        engine = engine_for(settings)
        try:
            before = current_revision(engine)
            upgrade(engine, args.revision)
            after = current_revision(engine)
            changes = upgrade_plugins(engine, plugin_migrations) if with_plugins else []
        finally:
            engine.dispose()
    except AlembicCommandError as error:  # an unknown or unreachable revision
        first_line = (str(error).strip().splitlines() or ["unknown revision"])[0]
        raise CommandError(f"--revision {args.revision}: {first_line}") from None
    print(f"database upgraded from {before or 'empty'} to {after}")
    for name, plugin_before, plugin_after in changes:
        print(f"plugin {name}: upgraded from {plugin_before or 'empty'} to {plugin_after}")
    return 0


# --- ack keys ... -------------------------------------------------------------------------------


def command_keys_generate(args: argparse.Namespace) -> int:
    """Print a new ``kid:KEY`` entry for ``ack.encryption_keys`` or ``ack.backup.key``."""
    from atlassian_connect_kit.storage.crypto import generate_key_line

    print(generate_key_line(args.kid))
    return 0


def command_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every stored secret under the primary key, in one transaction."""
    from atlassian_connect_kit.storage.service import engine_for, load_keyring
    from atlassian_connect_kit.storage.store import TenantStore

    settings = settings_from_args(args, require_base_url=False)
    keyring = load_keyring(settings, create_in_dev_mode=False)
    engine = engine_for(settings)
    try:
        result = TenantStore(engine, keyring, cache_seconds=0).rotate(keyring)
    finally:
        engine.dispose()
    print(
        f"re-encrypted {result.reencrypted} of {result.total} tenant secrets under "
        f"{keyring.primary_kid} ({result.already_current} already current)"
    )
    retired = [kid for kid in keyring.kids if kid != keyring.primary_kid]
    if retired:
        from atlassian_connect_kit.backup.operations import retired_key_report

        # Kept backups hold secrets under the keys of their day: say which still need which.
        for line in retired_key_report(settings, plugin_manager_for(settings), retired):
            print(line)
    return 0


@hookimpl(trylast=True)
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the core commands."""
    descriptor = subparsers.add_parser(
        "descriptor", help="print the Connect descriptor (atlassian-connect.json)"
    )
    add_config_argument(descriptor, required=False)
    descriptor.add_argument("--base-url", help="override ack.base_url")
    descriptor.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead")
    descriptor.set_defaults(handler=command_descriptor)

    manifest = subparsers.add_parser(
        "manifest",
        help="print the Forge manifest (manifest.yml) for Connect on Forge or Forge Remote",
    )
    add_config_argument(manifest, required=False)
    manifest.add_argument("--base-url", help="override ack.base_url")
    manifest.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead")
    manifest.set_defaults(handler=command_manifest)

    db = subparsers.add_parser("db", help="manage the tenant store's database")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    db_upgrade = db_commands.add_parser(
        "upgrade", help="apply the kit's migrations and every enabled plugin's"
    )
    add_config_argument(db_upgrade)
    db_upgrade.add_argument(
        "--revision",
        default="head",
        help="target revision (default head); with --sql also FROM:TO for a database at FROM",
    )
    db_upgrade.add_argument(
        "--sql",
        action="store_true",
        help="print the migrations as SQL for the URL's dialect instead of connecting",
    )
    db_upgrade.set_defaults(handler=command_db_upgrade)

    keys = subparsers.add_parser("keys", help="manage encryption keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)
    generate = key_commands.add_parser("generate", help="print a new kid:KEY entry")
    generate.add_argument("--kid", help="key id to use (default: date-based)")
    generate.set_defaults(handler=command_keys_generate)
    rotate = key_commands.add_parser(
        "rotate", help="re-encrypt every tenant secret under the primary key"
    )
    add_config_argument(rotate)
    rotate.set_defaults(handler=command_keys_rotate)


# --- the entry point ----------------------------------------------------------------------------


def _preparse_config(argv: Sequence[str]) -> str | None:
    """Find ``-c INI`` before the full parse, so the ini's plugins can add their commands."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-c", "--config")
    known, _ = pre.parse_known_args(list(argv))
    return known.config if isinstance(known.config, str) else None


def build_parser(pm: pluggy.PluginManager) -> argparse.ArgumentParser:
    """Build the ``ack`` argument parser with every command the plugin manager contributes."""
    parser = argparse.ArgumentParser(
        prog="ack", description="atlassian-connect-kit: run and operate an Atlassian Connect app."
    )
    parser.add_argument("--version", action="version", version=f"ack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    pm.hook.ack_cli_commands(subparsers=subparsers)
    standalone_commands().hook.ack_cli_commands(subparsers=subparsers)
    return parser


def standalone_commands() -> pluggy.PluginManager:
    """The plugins of the ``atlassian_connect_kit.commands`` entry-point group.

    Their commands need no ini, so they are offered whatever ``ack.plugins`` says. The kit's own
    testing package registers ``ack demo`` here: the command line finds it without any module of
    the kit importing the testing package.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for entry_point in sorted(entry_points(group=COMMANDS_GROUP), key=lambda ep: ep.name):
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken distribution must name itself, not crash obscurely
            raise PluginError(f"command {entry_point.name!r} failed to load: {exc}") from exc
        pm.register(plugin, name=f"{COMMANDS_GROUP}:{entry_point.name}")
    pm.check_pending()
    return pm


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ack``; print a one-line reason and return non-zero on failure."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Pyramid imports pkg_resources, which recent setuptools deprecate with a warning on import;
    # an operator can do nothing about it, and it would break the one-line error contract.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    try:
        config_path = _preparse_config(argv)
        plugins: tuple[str, ...] = ()
        if config_path and Path(config_path).is_file():
            plugins = load_settings(read_ini_settings(config_path), require_base_url=False).plugins
        parser = build_parser(make_plugin_manager(plugins))
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        status: int = handler(args)
        return status
    except (
        CommandError,
        SettingsError,
        PluginError,
        ValueError,
        OSError,
        DecryptionError,
        MissingKeyError,
        DatabaseUnavailable,
        DatabaseDriverMissing,
    ) as exc:
        print(f"ack: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    # Run the imported module's main, not this copy's: ``python -m`` loads the file a second time
    # as __main__, and its exception classes would not be the ones handlers raise.
    from atlassian_connect_kit.cli import main as imported_main

    raise SystemExit(imported_main())
