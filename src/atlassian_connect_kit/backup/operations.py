"""The backup operations an operator runs: create, list, prune, restore and the restore drill.

Each takes the settings and the plugin manager (for the data inventory and the targets) and
returns values the commands print; none prints by itself.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pluggy
from sqlalchemy import Engine, inspect

from atlassian_connect_kit import __version__
from atlassian_connect_kit.backup.fileformat import (
    Backup,
    BackupError,
    Manifest,
    backup_keyring,
    open_backup,
    seal,
)
from atlassian_connect_kit.backup.naming import backup_name, created_at_of, format_timestamp
from atlassian_connect_kit.backup.restore import RestoreResult, restore_backup
from atlassian_connect_kit.backup.retention import Decision, latest_expiry, plan_retention
from atlassian_connect_kit.backup.snapshot import take_snapshot
from atlassian_connect_kit.backup.targets import BackupTarget
from atlassian_connect_kit.privacy.inventory import collect_inventory, row_counts
from atlassian_connect_kit.privacy.journal import JOURNAL_TABLE, RemovalJournal
from atlassian_connect_kit.settings import Settings
from atlassian_connect_kit.storage.crypto import DecryptionError, KeyRing
from atlassian_connect_kit.storage.db import make_engine, unavailability_as_error
from atlassian_connect_kit.storage.service import engine_for, load_keyring
from atlassian_connect_kit.storage.store import TenantStore


@dataclass(frozen=True)
class BackupFile:
    """A backup a target holds, known by name and size (its content not read yet)."""

    target: BackupTarget
    name: str
    size: int
    created_at: dt.datetime


@dataclass(frozen=True)
class CreatedBackup:
    """A backup just written: its name, manifest, size and the targets holding it."""

    name: str
    manifest: Manifest
    size: int
    targets: tuple[str, ...]


def backup_targets(settings: Settings, pm: pluggy.PluginManager) -> list[BackupTarget]:
    """Return every configured target; raise :class:`BackupError` when there is none."""
    targets: list[BackupTarget] = []
    # pluggy answers last-registered first; reversed, the kit's local directory comes first.
    for result in reversed(pm.hook.ack_backup_targets(settings=settings)):
        targets.extend(result or ())
    if not targets:
        raise BackupError(
            "no backup target: set ack.backup.dir (or enable a plugin that adds a target)"
        )
    return targets


def backup_files(target: BackupTarget) -> list[BackupFile]:
    """Return the backups a target holds, oldest first; other files are ignored."""
    files: list[BackupFile] = []
    for stored in target.list():
        created = created_at_of(stored.name)
        if created is not None:
            files.append(BackupFile(target, stored.name, stored.size, created))
    return sorted(files, key=lambda f: f.created_at)


def kept_files(
    settings: Settings, files: Sequence[BackupFile], now: dt.datetime
) -> list[BackupFile]:
    """Return the files the retention policy keeps at ``now`` (the others await pruning)."""
    decisions = plan_retention(
        ((f.name, f.created_at) for f in files),
        now=now,
        keep_days=settings.backup_keep_days,
        keep_months=settings.backup_keep_months,
    )
    kept = {d.name for d in decisions if d.keep}
    return [f for f in files if f.name in kept]


def read_backup(file: BackupFile, keyring: KeyRing) -> Backup:
    """Read, authenticate and check one backup of a target."""
    try:
        blob = file.target.read(file.name)
    except OSError as error:
        raise BackupError(f"{file.name}: cannot read from {file.target.label}: {error}") from None
    return open_backup(blob, keyring, label=file.name)


def create_backup(
    settings: Settings, pm: pluggy.PluginManager, *, now: dt.datetime
) -> CreatedBackup:
    """Snapshot the declared tables and write one sealed backup, dated ``now``, to every target.

    Raises :class:`BackupError` naming the targets that could not be written (the others keep
    their copy).
    """
    keyring = backup_keyring(settings)
    targets = backup_targets(settings, pm)
    inventory = collect_inventory(pm, settings)
    engine = engine_for(settings)
    try:
        snapshot = take_snapshot(engine, inventory.backed_up_tables)
    finally:
        engine.dispose()
    blob, manifest = seal(
        created_at=now,
        schema_revision=snapshot.schema_revision,
        tables=snapshot.tables,
        secret_key_ids=snapshot.secret_key_ids,
        kit_version=__version__,
        source_dialect=snapshot.dialect,
        keyring=keyring,
    )
    name = backup_name(now)
    written: list[str] = []
    failed: list[str] = []
    for target in targets:
        try:
            target.write(name, blob)
            written.append(target.label)
        except OSError as error:
            failed.append(f"{target.label} ({error})")
    if failed:
        raise BackupError(f"{name} not written to {'; '.join(failed)}")
    return CreatedBackup(name=name, manifest=manifest, size=len(blob), targets=tuple(written))


@dataclass(frozen=True)
class PrunePlan:
    """The retention decisions for one target."""

    target: BackupTarget
    decisions: tuple[Decision, ...]


def prune_backups(
    settings: Settings, pm: pluggy.PluginManager, *, now: dt.datetime, dry_run: bool
) -> list[PrunePlan]:
    """Apply the retention policy to every target; delete the expired backups unless ``dry_run``.

    Decided from the names alone, so even unreadable files expire.
    """
    plans: list[PrunePlan] = []
    for target in backup_targets(settings, pm):
        decisions = plan_retention(
            ((f.name, f.created_at) for f in backup_files(target)),
            now=now,
            keep_days=settings.backup_keep_days,
            keep_months=settings.backup_keep_months,
        )
        if not dry_run:
            for decision in decisions:
                if not decision.keep:
                    target.delete(decision.name)
        plans.append(PrunePlan(target, tuple(decisions)))
    return plans


def prune_removal_journal(settings: Settings, *, now: dt.datetime, dry_run: bool) -> int:
    """Forget the removals no kept backup predates any more; return how many (would) go."""
    journal = RemovalJournal.from_settings(settings)
    engine = engine_for(settings)
    try:
        with unavailability_as_error(), engine.begin() as connection:
            if not inspect(connection).has_table(JOURNAL_TABLE):
                return 0  # a database the migrations have not reached yet holds no journal
            if dry_run:
                return journal.expired(connection, now)
            return journal.prune(connection, now)
    finally:
        engine.dispose()


def load_backup_file(
    settings: Settings, pm: pluggy.PluginManager, reference: str
) -> tuple[str, bytes]:
    """Return ``(label, bytes)`` of a backup given as a file path or as a name on a target."""
    path = Path(reference)
    if path.is_file():
        return path.name, path.read_bytes()
    for target in backup_targets(settings, pm):
        if any(stored.name == reference for stored in target.list()):
            return reference, target.read(reference)
    raise BackupError(f"{reference}: no such file, and no backup target holds that name")


def restore_into_database(
    settings: Settings, pm: pluggy.PluginManager, reference: str, *, force: bool
) -> tuple[str, RestoreResult, float]:
    """Restore a backup into ``sqlalchemy.url``; return its label, the result and the seconds."""
    label, blob = load_backup_file(settings, pm, reference)
    backup = open_backup(blob, backup_keyring(settings), label=label)
    _require_data_keys(settings, backup, label)
    tenant_columns = collect_inventory(pm, settings).tenant_columns
    engine = engine_for(settings)
    started = time.monotonic()
    try:
        result = restore_backup(
            engine, backup, force=force, label=label, tenant_columns=tenant_columns
        )
    finally:
        engine.dispose()
    return label, result, time.monotonic() - started


def _require_data_keys(settings: Settings, backup: Backup, label: str) -> None:
    """Refuse a backup whose secrets need encryption keys ``ack.encryption_keys`` lacks.

    Restored, those tenants would fail every request (their secrets cannot be decrypted), and
    the restore would have replaced working rows with them.
    """
    needed = backup.manifest.secret_key_ids
    if not needed:
        return
    data_keys = load_keyring(settings, create_in_dev_mode=False)
    missing = sorted(kid for kid in needed if not data_keys.has(kid))
    if missing:
        raise BackupError(
            f"{label}: its secrets are encrypted under key ids {', '.join(missing)}, which "
            "ack.encryption_keys lacks; add them (the retired keys), then restore"
        )


# --- the restore drill ------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What ``ack backup verify`` found: lines to print, and the failures among them."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    drill_seconds: list[float] = field(default_factory=list)

    def ok(self, line: str) -> None:
        """Record a check that passed."""
        self.lines.append(f"ok: {line}")

    def fail(self, line: str) -> None:
        """Record a check that failed."""
        self.lines.append(f"FAILED: {line}")
        self.failures.append(line)


def verify_backups(
    settings: Settings, pm: pluggy.PluginManager, *, now: dt.datetime
) -> VerifyReport:
    """Check every target's backups against the promises, and drill a restore of the newest.

    Fails when a target has no backup, when its newest backup is older than the RPO, when any
    kept backup is unreadable or needs an encryption key ``ack.encryption_keys`` no longer
    holds, or when the drill fails or takes longer than the RTO.
    """
    report = VerifyReport()
    keyring = backup_keyring(settings)
    data_keys = load_keyring(settings, create_in_dev_mode=False)
    rpo = dt.timedelta(hours=settings.backup_rpo_hours)
    for target in backup_targets(settings, pm):
        files = backup_files(target)
        if not files:
            report.fail(f"{target.label}: no backups")
            continue
        kept = kept_files(settings, files, now)
        opened: list[tuple[BackupFile, Backup]] = []
        for file in kept:
            try:
                opened.append((file, read_backup(file, keyring)))
            except BackupError as error:
                report.fail(f"{target.label}: {error}")
        if len(opened) == len(kept):
            expired = len(files) - len(kept)
            waiting = f" ({expired} expired, awaiting prune, not checked)" if expired else ""
            report.ok(f"{target.label}: {len(kept)} kept backups, all authentic{waiting}")
        _check_names(report, target, opened)
        _check_age(report, target, opened, now, rpo, settings.backup_rpo_hours)
        _check_keys(report, target, opened, data_keys)
        if opened and opened[-1][0] is files[-1]:
            _drill(report, settings, target, files[-1].name, opened[-1][1], data_keys)
    return report


def _check_names(
    report: VerifyReport, target: BackupTarget, opened: Sequence[tuple[BackupFile, Backup]]
) -> None:
    # The name is not authenticated, the manifest is: a renamed file misleads retention too.
    for file, backup in opened:
        if backup.manifest.created_at != file.created_at:
            report.fail(
                f"{target.label}: {file.name} was made at "
                f"{format_timestamp(backup.manifest.created_at)}, not the time its name says "
                "(renamed?)"
            )


def _check_age(
    report: VerifyReport,
    target: BackupTarget,
    opened: Sequence[tuple[BackupFile, Backup]],
    now: dt.datetime,
    rpo: dt.timedelta,
    rpo_hours: float,
) -> None:
    if not opened:
        report.fail(
            f"{target.label}: no authentic backup, so no known backup age (RPO {rpo_hours:g} h)"
        )
        return
    # The age comes from the authenticated manifest, never from the file name.
    file, newest = max(opened, key=lambda pair: pair[1].manifest.created_at)
    created = newest.manifest.created_at
    hours = (now - created).total_seconds() / 3600
    line = f"{target.label}: newest backup {file.name} is {hours:.1f} h old (RPO {rpo_hours:g} h)"
    if now - created > rpo:
        report.fail(line)
    else:
        report.ok(line)


def _check_keys(
    report: VerifyReport,
    target: BackupTarget,
    opened: Sequence[tuple[BackupFile, Backup]],
    data_keys: KeyRing,
) -> None:
    needed: dict[str, list[str]] = {}
    for file, backup in opened:
        for kid in backup.manifest.secret_key_ids:
            needed.setdefault(kid, []).append(file.name)
    missing = sorted(kid for kid in needed if not data_keys.has(kid))
    if missing:
        for kid in missing:
            report.fail(
                f"{target.label}: {len(needed[kid])} kept backups (newest {needed[kid][-1]}) "
                f"need encryption key {kid!r}, which ack.encryption_keys no longer holds"
            )
    else:
        listed = ", ".join(sorted(needed)) or "none"
        report.ok(f"{target.label}: every key the backups need is configured ({listed})")


def _drill(
    report: VerifyReport,
    settings: Settings,
    target: BackupTarget,
    name: str,
    backup: Backup,
    data_keys: KeyRing,
) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ack-drill-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch, 'drill.sqlite')}")
        try:
            try:
                restore_backup(engine, backup, create_missing_tables=True, label=name)
            except BackupError as error:
                report.fail(f"{target.label}: restore drill of {name} failed: {error}")
                return
            counts = row_counts(engine, backup.manifest.row_counts)
            decrypted, undecryptable = _decrypt_every_secret(engine, data_keys)
        finally:
            engine.dispose()
    seconds = time.monotonic() - started
    report.drill_seconds.append(seconds)
    if counts != dict(backup.manifest.row_counts):
        report.fail(f"{target.label}: restore drill of {name}: row counts differ from manifest")
    for client_key, reason in undecryptable:
        report.fail(f"{target.label}: restore drill of {name}: secret of {client_key}: {reason}")
    line = (
        f"{target.label}: restore drill of {name} into a scratch SQLite database: "
        f"{_plural(len(counts), 'table')}, {_plural(backup.manifest.total_rows, 'row')}, "
        f"{_plural(decrypted, 'secret')} decrypted, in {seconds:.2f} s "
        f"(RTO {settings.backup_rto_hours:g} h)"
    )
    if seconds > settings.backup_rto_hours * 3600:
        report.fail(line)
    else:
        report.ok(line)


def _decrypt_every_secret(engine: Engine, data_keys: KeyRing) -> tuple[int, list[tuple[str, str]]]:
    store = TenantStore(engine, data_keys, cache_seconds=0)
    decrypted = 0
    failures: list[tuple[str, str]] = []
    for tenant in store.list_tenants():
        try:
            store.get(tenant.client_key, fresh=True)
            decrypted += 1
        except DecryptionError as error:
            failures.append((tenant.client_key, str(error)))
    return decrypted, failures


# --- what retired keys kept backups need ------------------------------------------------------


def retired_key_report(
    settings: Settings, pm: pluggy.PluginManager, retired: Iterable[str]
) -> list[str]:
    """Say, for each retired encryption key, whether kept backups still need it and how long.

    Without configured backups the answer is the general rule; an unreadable backup is named,
    and then every retired key is to be kept until it has been checked.
    """
    retired = list(retired)
    general = (
        "keep the retired keys "
        + ", ".join(retired)
        + " in ack.encryption_keys until every backup made before this rotation has expired"
    )
    try:
        keyring = backup_keyring(settings)
        targets = backup_targets(settings, pm)
    except (BackupError, ValueError):
        return [general]
    needed: dict[str, dict[str, dt.datetime]] = {kid: {} for kid in retired}
    lines: list[str] = []
    now = dt.datetime.now(dt.UTC)
    for target in targets:
        try:
            files = backup_files(target)
        except OSError as error:  # an unreachable off-site target must not hide the advice
            lines.append(f"cannot check {error}")
            continue
        for file in kept_files(settings, files, now):
            try:
                manifest = read_backup(file, keyring).manifest
            except BackupError as error:
                lines.append(f"cannot check {error}")
                continue
            for kid in manifest.secret_key_ids:
                if kid in needed:
                    needed[kid][file.name] = manifest.created_at
    if lines:
        return [*lines, general]
    for kid in retired:
        if not needed[kid]:
            lines.append(f"retired key {kid}: no kept backup needs it; it can be removed")
            continue
        newest = max(needed[kid].values())
        until = latest_expiry(
            newest, keep_days=settings.backup_keep_days, keep_months=settings.backup_keep_months
        )
        lines.append(
            f"retired key {kid}: {len(needed[kid])} kept backups need it; keep it in "
            f"ack.encryption_keys until they expire (by {format_timestamp(until)} at the latest)"
        )
    return lines


def describe_counts(counts: Mapping[str, int]) -> str:
    """Format row counts per table as ``ack_tenants 3, other 0``."""
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "no tables"


def format_size(size: int) -> str:
    """Format a byte count as B, KiB or MiB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
