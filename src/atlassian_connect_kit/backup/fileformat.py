"""The backup file: one AES-256-GCM sealed blob holding a manifest and the data.

Layout::

    header  = b"ACKBKP" | format version (1 byte) | kid length (1 byte) | kid (ASCII)
    file    = header | nonce (12 bytes) | ciphertext | tag (16 bytes)
    plain   = zlib( manifest JSON | b"\\n" | data JSON )

The header travels in clear (a reader must know which backup key to use) and is the associated
data of the encryption, so changing the version or the kid breaks authentication like any other
flipped byte. The manifest records when the backup was made, at which schema revision, how many
rows each table holds, the SHA-256 of the data JSON and the ids of the encryption keys the stored
secrets need. Secrets are copied as stored (ciphertext and kid): a backup never holds a secret in
clear, even inside its own encryption. Nothing is returned from :func:`open_backup` before the tag,
the checksum and the row counts all check out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atlassian_connect_kit.backup.naming import format_timestamp, parse_timestamp
from atlassian_connect_kit.settings import Settings, SettingsError
from atlassian_connect_kit.storage.crypto import (
    NONCE_BYTES,
    TAG_BYTES,
    DecryptionError,
    KeyRing,
    KeyRingError,
    is_valid_key_id,
    parse_key,
)

MAGIC = b"ACKBKP"
"""The first bytes of every backup file."""

FORMAT_VERSION = 1
"""The version of the layout this module writes; readers refuse versions they do not know."""

BARE_KEY_ID = "backup"
"""The kid given to an ``ack.backup.key`` written as a bare KEY, without ``kid:``."""

JSONValue = None | bool | int | float | str | list[Any] | dict[str, Any]
"""A value as stored in a backup's rows."""


class BackupError(ValueError):
    """A backup cannot be made, read or restored; the message is one line saying why.

    A ``ValueError``, so the ``ack`` command reports it as its one-line error like other bad
    input.
    """


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a backed-up table: its name and database-independent kind."""

    name: str
    kind: str
    nullable: bool = True
    primary_key: bool = False


@dataclass(frozen=True)
class TableData:
    """The rows of one table, as JSON-able values in ``columns`` order."""

    name: str
    columns: tuple[ColumnInfo, ...]
    rows: tuple[tuple[JSONValue, ...], ...]


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, readable once the file is authenticated."""

    created_at: dt.datetime
    schema_revision: str | None
    row_counts: Mapping[str, int]
    data_sha256: str
    secret_key_ids: tuple[str, ...]
    backup_key_id: str
    kit_version: str
    source_dialect: str

    @property
    def total_rows(self) -> int:
        """Rows across every table."""
        return sum(self.row_counts.values())


@dataclass(frozen=True)
class Backup:
    """An opened, authenticated and checked backup."""

    manifest: Manifest
    tables: tuple[TableData, ...]


def backup_keyring(settings: Settings) -> KeyRing:
    """Return the backup keys from ``ack.backup.key``: a bare KEY, or ``kid:KEY`` entries.

    With several entries the first encrypts new backups and all of them open older ones, so the
    backup key can rotate like the encryption keys. Errors name the setting, never a key.
    """
    text = settings.backup_key.strip()
    if not text:
        raise SettingsError(
            "ack.backup.key", "is not set (create one with `ack keys generate` and keep it apart)"
        )
    entries = text.split()
    try:
        if len(entries) == 1 and ":" not in entries[0]:
            return KeyRing([(BARE_KEY_ID, parse_key(entries[0]))])
        return KeyRing.from_setting(text, setting_name="ack.backup.key")
    except KeyRingError as error:
        raise SettingsError("ack.backup.key", str(error).removeprefix("ack.backup.key: ")) from None


def _header(kid: str) -> bytes:
    encoded = kid.encode("ascii")
    return MAGIC + bytes([FORMAT_VERSION, len(encoded)]) + encoded


def seal(
    *,
    created_at: dt.datetime,
    schema_revision: str | None,
    tables: Sequence[TableData],
    secret_key_ids: Sequence[str],
    kit_version: str,
    source_dialect: str,
    keyring: KeyRing,
) -> tuple[bytes, Manifest]:
    """Serialize, compress and encrypt a backup under the primary backup key.

    Returns the file's bytes and its manifest.
    """
    data = _canonical_json({"tables": [_table_json(t) for t in tables]})
    manifest = Manifest(
        created_at=created_at,
        schema_revision=schema_revision,
        row_counts={t.name: len(t.rows) for t in tables},
        data_sha256=hashlib.sha256(data).hexdigest(),
        secret_key_ids=tuple(sorted(set(secret_key_ids))),
        backup_key_id=keyring.primary_kid,
        kit_version=kit_version,
        source_dialect=source_dialect,
    )
    plain = _canonical_json(_manifest_json(manifest)) + b"\n" + data
    header = _header(keyring.primary_kid)
    _, blob = keyring.encrypt_bytes(zlib.compress(plain, 6), associated_data=header)
    return header + blob, manifest


def backup_key_id(blob: bytes, *, label: str) -> str:
    """Return the kid of the backup key a file was sealed with, reading its clear header only."""
    return _split_header(blob, label=label)[1]


def open_backup(blob: bytes, keyring: KeyRing, *, label: str) -> Backup:
    """Authenticate, decrypt and check a backup file; raise :class:`BackupError` if anything fails.

    ``label`` (the file's name) starts every error message.
    """
    header, kid, body = _split_header(blob, label=label)
    if not keyring.has(kid):
        configured = ", ".join(keyring.kids)
        raise BackupError(
            f"{label}: sealed with backup key {kid!r}, which ack.backup.key lacks "
            f"(it holds {configured})"
        )
    if len(body) < NONCE_BYTES + TAG_BYTES:
        raise BackupError(f"{label}: truncated (too short to hold encrypted data)")
    try:
        compressed = keyring.decrypt_bytes(kid, body, associated_data=header)
    except DecryptionError:
        raise BackupError(
            f"{label}: authentication failed: the file is corrupted or truncated, or "
            f"backup key {kid!r} is not the key it was sealed with"
        ) from None
    try:
        plain = zlib.decompress(compressed)
    except zlib.error:
        raise BackupError(f"{label}: corrupted (authentic, but does not decompress)") from None
    manifest_bytes, separator, data = plain.partition(b"\n")
    if not separator:
        raise BackupError(f"{label}: corrupted (no manifest)")
    try:
        manifest = _manifest_from_json(json.loads(manifest_bytes))
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{label}: unreadable manifest ({error})") from None
    if manifest.backup_key_id != kid:
        raise BackupError(f"{label}: the manifest names another backup key than the header")
    if hashlib.sha256(data).hexdigest() != manifest.data_sha256:
        raise BackupError(f"{label}: the data does not match the manifest's SHA-256 checksum")
    try:
        tables = tuple(_table_from_json(t) for t in json.loads(data)["tables"])
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{label}: unreadable data ({error})") from None
    counted = {t.name: len(t.rows) for t in tables}
    if counted != dict(manifest.row_counts):
        raise BackupError(f"{label}: the row counts do not match the manifest")
    return Backup(manifest=manifest, tables=tables)


def _split_header(blob: bytes, *, label: str) -> tuple[bytes, str, bytes]:
    fixed = len(MAGIC) + 2
    if len(blob) < fixed or not blob.startswith(MAGIC):
        raise BackupError(f"{label}: not a backup file (no backup header)")
    version, kid_length = blob[len(MAGIC)], blob[len(MAGIC) + 1]
    if version != FORMAT_VERSION:
        raise BackupError(
            f"{label}: backup format version {version} is not supported (this kit reads "
            f"version {FORMAT_VERSION})"
        )
    end = fixed + kid_length
    try:
        kid = blob[fixed:end].decode("ascii")
    except UnicodeDecodeError:
        kid = ""
    if len(blob) < end or not is_valid_key_id(kid):
        raise BackupError(f"{label}: corrupted header (no valid key id)")
    return blob[:end], kid, blob[end:]


def _canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "created_at": format_timestamp(manifest.created_at),
        "schema_revision": manifest.schema_revision,
        "row_counts": dict(manifest.row_counts),
        "data_sha256": manifest.data_sha256,
        "secret_key_ids": list(manifest.secret_key_ids),
        "backup_key_id": manifest.backup_key_id,
        "kit_version": manifest.kit_version,
        "source_dialect": manifest.source_dialect,
    }


def _manifest_from_json(value: Any) -> Manifest:
    if not isinstance(value, dict) or value.get("format") != FORMAT_VERSION:
        raise ValueError("unknown manifest format")
    counts = value["row_counts"]
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in counts.items()
    ):
        raise TypeError("row_counts must map table names to numbers")
    revision = value["schema_revision"]
    kids = value["secret_key_ids"]
    if not isinstance(kids, list) or not all(isinstance(k, str) for k in kids):
        raise TypeError("secret_key_ids must be a list of key ids")
    return Manifest(
        created_at=parse_timestamp(str(value["created_at"])),
        schema_revision=None if revision is None else str(revision),
        row_counts=counts,
        data_sha256=str(value["data_sha256"]),
        secret_key_ids=tuple(kids),
        backup_key_id=str(value["backup_key_id"]),
        kit_version=str(value["kit_version"]),
        source_dialect=str(value["source_dialect"]),
    )


def _table_json(data: TableData) -> dict[str, Any]:
    return {
        "name": data.name,
        "columns": [
            {"name": c.name, "kind": c.kind, "nullable": c.nullable, "primary_key": c.primary_key}
            for c in data.columns
        ],
        "rows": [list(row) for row in data.rows],
    }


def _table_from_json(value: Any) -> TableData:
    columns = tuple(
        ColumnInfo(
            name=str(c["name"]),
            kind=str(c["kind"]),
            nullable=bool(c["nullable"]),
            primary_key=bool(c["primary_key"]),
        )
        for c in value["columns"]
    )
    rows = tuple(tuple(row) for row in value["rows"])
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"a row of {value['name']} does not match its columns")
    return TableData(name=str(value["name"]), columns=columns, rows=rows)
