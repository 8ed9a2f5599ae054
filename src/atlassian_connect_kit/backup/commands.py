"""The ``ack backup`` commands: create, list, prune, restore, verify.

Meant to be scheduled (see docs/backups.md): ``create`` daily or more often, ``prune`` after it,
``verify`` daily, alerting on a non-zero exit. ``--now`` replaces the clock, for drills and tests.
"""

from __future__ import annotations

import argparse
import datetime as dt

from atlassian_connect_kit.backup.fileformat import BackupError, backup_keyring
from atlassian_connect_kit.backup.naming import format_age, format_timestamp, parse_timestamp
from atlassian_connect_kit.backup.operations import (
    backup_files,
    backup_targets,
    create_backup,
    describe_counts,
    format_size,
    prune_backups,
    prune_removal_journal,
    read_backup,
    restore_into_database,
    verify_backups,
)
from atlassian_connect_kit.cli import add_config_argument, plugin_manager_for, settings_from_args
from atlassian_connect_kit.hookspecs import hookimpl


def _now(args: argparse.Namespace) -> dt.datetime:
    text = getattr(args, "now", None)
    if not text:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise ValueError(f"--now: {error}") from None


def command_create(args: argparse.Namespace) -> int:
    """Write one encrypted backup of the declared tables to every target."""
    settings = settings_from_args(args, require_base_url=False)
    created = create_backup(settings, plugin_manager_for(settings), now=_now(args))
    manifest = created.manifest
    print(
        f"created {created.name} ({format_size(created.size)}; "
        f"{describe_counts(manifest.row_counts)} rows; "
        f"schema {manifest.schema_revision or 'empty'}) on {', '.join(created.targets)}"
    )
    return 0


def command_list(args: argparse.Namespace) -> int:
    """List every target's backups: time, age, size and rows per table."""
    settings = settings_from_args(args, require_base_url=False)
    keyring = backup_keyring(settings)
    now = _now(args)
    for target in backup_targets(settings, plugin_manager_for(settings)):
        files = backup_files(target)
        print(f"{target.label}: {len(files)} backups")
        for file in reversed(files):
            try:
                manifest = read_backup(file, keyring).manifest
                contents = f"{describe_counts(manifest.row_counts)} rows"
            except BackupError as error:
                contents = f"UNREADABLE: {error}"
            print(
                f"  {format_timestamp(file.created_at)}  {format_age(now - file.created_at):>9}  "
                f"{format_size(file.size):>9}  {contents}"
            )
    return 0


def command_prune(args: argparse.Namespace) -> int:
    """Delete the backups the retention policy no longer keeps, saying why each one stays."""
    settings = settings_from_args(args, require_base_url=False)
    plans = prune_backups(
        settings, plugin_manager_for(settings), now=_now(args), dry_run=args.dry_run
    )
    deleted_word = "would delete" if args.dry_run else "deleted"
    for plan in plans:
        kept = sum(1 for d in plan.decisions if d.keep)
        removed = len(plan.decisions) - kept
        print(f"{plan.target.label}: keeping {kept}, {deleted_word} {removed}")
        for decision in plan.decisions:
            verb = "keep" if decision.keep else deleted_word
            print(f"  {verb} {decision.name}: {decision.reason}")
    forgotten = prune_removal_journal(settings, now=_now(args), dry_run=args.dry_run)
    verb = "would forget" if args.dry_run else "forgot"
    print(f"removal journal: {verb} {forgotten} removals older than every kept backup")
    return 0


def command_restore(args: argparse.Namespace) -> int:
    """Restore a backup into the configured (empty) database."""
    settings = settings_from_args(args, require_base_url=False)
    label, result, seconds = restore_into_database(
        settings, plugin_manager_for(settings), args.file, force=args.force
    )
    replaced = f"; replaced {result.replaced_rows} rows" if result.replaced_rows else ""
    print(
        f"restored {label} ({describe_counts(result.row_counts)} rows{replaced}); schema "
        f"{result.backup_revision or 'empty'} upgraded to {result.revision_after}, "
        f"in {seconds:.2f} s"
    )
    sites = "site" if result.removed_again == 1 else "sites"
    print(
        f"removal journal: removed {result.removed_again} {sites} again (uninstalled or purged, "
        "not installed since)"
    )
    return 0


def command_verify(args: argparse.Namespace) -> int:
    """Check the backups against the RPO and the key ring, and drill a restore of the newest."""
    settings = settings_from_args(args, require_base_url=False)
    report = verify_backups(settings, plugin_manager_for(settings), now=_now(args))
    for line in report.lines:
        print(line)
    if report.failures:
        more = f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""
        raise BackupError(f"backup verification failed: {report.failures[0]}{more}")
    return 0


def _add_now(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        metavar="TIMESTAMP",
        help="act as if it were this ISO 8601 time with a zone (default: the clock)",
    )


@hookimpl(trylast=True)
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``ack backup`` and its subcommands."""
    backup = subparsers.add_parser("backup", help="create, prune, verify and restore backups")
    commands = backup.add_subparsers(dest="backup_command", metavar="COMMAND", required=True)

    create = commands.add_parser("create", help="write an encrypted backup to every target")
    add_config_argument(create)
    _add_now(create)
    create.set_defaults(handler=command_create)

    listing = commands.add_parser("list", help="list the backups: time, age, size, rows")
    add_config_argument(listing)
    _add_now(listing)
    listing.set_defaults(handler=command_list)

    prune = commands.add_parser("prune", help="delete backups the retention policy drops")
    add_config_argument(prune)
    prune.add_argument("--dry-run", action="store_true", help="print, delete nothing")
    _add_now(prune)
    prune.set_defaults(handler=command_prune)

    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file", metavar="FILE", help="a backup file, or a name on a target")
    add_config_argument(restore)
    restore.add_argument(
        "--force", action="store_true", help="replace the rows of a database that is not empty"
    )
    restore.set_defaults(handler=command_restore)

    verify = commands.add_parser(
        "verify", help="check age, keys and a restore drill; non-zero exit on failure"
    )
    add_config_argument(verify)
    _add_now(verify)
    verify.set_defaults(handler=command_verify)
