"""Where backups are kept: a small interface, the local directory, and an in-memory stand-in.

A target stores opaque files by name. Plugins add targets (object storage, another disk) through
the ``ack_backup_targets`` hook; the kit contributes the local directory named by
``ack.backup.dir``. Every backup is written to every target, and each target is pruned and
verified on its own, so an off-site copy that stopped updating is noticed.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from atlassian_connect_kit.hookspecs import hookimpl

if TYPE_CHECKING:
    from atlassian_connect_kit.settings import Settings

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


@dataclass(frozen=True)
class StoredFile:
    """A file a target holds: its name and size in bytes."""

    name: str
    size: int


@runtime_checkable
class BackupTarget(Protocol):
    """A place that keeps backup files by name.

    ``write`` must be atomic: a reader sees the whole file or no file, never part of one, and an
    existing name is never overwritten. ``label`` names the target in command output (no
    credentials in it).
    """

    label: str

    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name``; raise ``FileExistsError`` if the name is taken."""

    def list(self) -> Sequence[StoredFile]:
        """Return the files the target holds, in any order."""

    def read(self, name: str) -> bytes:
        """Return the content of ``name``; raise ``FileNotFoundError`` when absent."""

    def delete(self, name: str) -> None:
        """Remove ``name``; raise ``FileNotFoundError`` when absent."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a plain file name (no folders, no leading dot); else raise."""
    if _SAFE_NAME.fullmatch(name) is None:
        raise ValueError(f"not a valid backup file name: {name!r}")
    return name


class LocalDirectoryTarget:
    """Backups as files in one local directory, created readable by their owner only.

    A file is written to a temporary name in the same directory, flushed to disk, renamed into
    place and the directory entry flushed too, so a crash leaves either the old state or the
    whole new file.
    """

    def __init__(self, directory: Path) -> None:
        """Keep backups in ``directory`` (created on first write, mode 0700)."""
        self.directory = directory
        self.label = f"local:{directory}"

    def write(self, name: str, data: bytes) -> None:
        """Write ``data`` atomically under ``name``."""
        final = self.directory / check_name(name)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if final.exists():
            raise FileExistsError(f"{final} already exists")
        temporary = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if final.exists():  # another writer finished first while this one wrote
                raise FileExistsError(f"{final} already exists")
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        self._sync_directory()

    def list(self) -> list[StoredFile]:
        """Return the visible files of the directory (temporary files start with a dot)."""
        if not self.directory.is_dir():
            return []
        return [
            StoredFile(entry.name, entry.stat().st_size)
            for entry in self.directory.iterdir()
            if entry.is_file() and not entry.name.startswith(".")
        ]

    def read(self, name: str) -> bytes:
        """Return a file's content."""
        return (self.directory / check_name(name)).read_bytes()

    def delete(self, name: str) -> None:
        """Remove a file and flush the directory entry."""
        (self.directory / check_name(name)).unlink()
        self._sync_directory()

    def _sync_directory(self) -> None:
        # The rename or unlink is durable only once the directory itself is flushed.
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def __repr__(self) -> str:
        """Name the directory."""
        return f"LocalDirectoryTarget({str(self.directory)!r})"


class MemoryTarget:
    """Backups in a dictionary: a stand-in for tests and for trying a target plugin."""

    def __init__(self, label: str = "memory") -> None:
        """Start empty."""
        self.label = label
        self.files: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name``."""
        with self._lock:
            if check_name(name) in self.files:
                raise FileExistsError(f"{self.label}: {name} already exists")
            self.files[name] = bytes(data)

    def list(self) -> list[StoredFile]:
        """Return the stored files."""
        with self._lock:
            return [StoredFile(name, len(data)) for name, data in self.files.items()]

    def read(self, name: str) -> bytes:
        """Return a stored file."""
        with self._lock:
            try:
                return self.files[name]
            except KeyError:
                raise FileNotFoundError(f"{self.label}: no file {name}") from None

    def delete(self, name: str) -> None:
        """Remove a stored file."""
        with self._lock:
            if self.files.pop(name, None) is None:
                raise FileNotFoundError(f"{self.label}: no file {name}")


def local_directory(settings: Settings) -> Path | None:
    """The directory ``ack.backup.dir`` names (relative to the ini's folder), or ``None``."""
    if not settings.backup_dir.strip():
        return None
    directory = Path(settings.backup_dir.strip()).expanduser()
    return directory if directory.is_absolute() else Path(settings.here, directory)


@hookimpl(trylast=True)
def ack_backup_targets(settings: Settings) -> Sequence[BackupTarget]:
    """The local directory of ``ack.backup.dir``, when it is set."""
    directory = local_directory(settings)
    return [] if directory is None else [LocalDirectoryTarget(directory)]
