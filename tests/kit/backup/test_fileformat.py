"""A backup file is authentic and complete, or it is refused with a one-line reason."""

import datetime as dt
import zlib

import pytest

from atlassian_connect_kit.backup.fileformat import (
    MAGIC,
    BackupError,
    ColumnInfo,
    TableData,
    backup_key_id,
    backup_keyring,
    open_backup,
    seal,
)
from atlassian_connect_kit.settings import SettingsError, load_settings
from atlassian_connect_kit.storage.crypto import (
    KeyRing,
    decrypt_bytes,
    generate_key_line,
    parse_key,
)
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

CREATED = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
TABLES = (
    TableData(
        name="ack_tenants",
        columns=(
            ColumnInfo("id", "int", nullable=False, primary_key=True),
            ColumnInfo("client_key", "text", nullable=False),
            ColumnInfo("shared_secret", "text", nullable=False),
            ColumnInfo("enabled", "bool"),
            ColumnInfo("installed_at", "datetime"),
        ),
        rows=(
            (1, "jira:1", "ciphertext-one", True, "2026-11-01T10:00:00Z"),
            (2, "jira:2", "ciphertext-two", False, None),
        ),
    ),
)


def make_backup(keyring):
    return seal(
        created_at=CREATED,
        schema_revision="0001",
        tables=TABLES,
        secret_key_ids=["k1", "k0", "k1"],
        kit_version="0.1.0",
        source_dialect="sqlite",
        keyring=keyring,
    )


@pytest.fixture
def key_line():
    return generate_key_line("b1")


@pytest.fixture
def keyring(key_line):
    return KeyRing.from_setting(key_line)


def test_a_sealed_backup_opens_to_the_same_tables_and_manifest(keyring):
    blob, manifest = make_backup(keyring)
    opened = open_backup(blob, keyring, label="x.ackb")
    assert opened.tables == TABLES
    assert opened.manifest == manifest
    assert manifest.created_at == CREATED
    assert manifest.row_counts == {"ack_tenants": 2}
    assert manifest.secret_key_ids == ("k0", "k1")
    assert manifest.backup_key_id == "b1"
    assert len(manifest.data_sha256) == 64


def test_nothing_of_the_content_is_readable_without_the_key(keyring):
    blob, _ = make_backup(keyring)
    assert blob.startswith(MAGIC)
    for visible in (b"jira:1", b"ack_tenants", b"ciphertext-one", b"0001"):
        assert visible not in blob
    assert backup_key_id(blob, label="x") == "b1"


def _regions(blob):
    header_end = len(MAGIC) + 2 + len("b1")
    return {
        "version": len(MAGIC),
        "key id": header_end - 1,
        "nonce": header_end + 3,
        "ciphertext": len(blob) // 2,
        "tag": len(blob) - 2,
    }


@pytest.mark.parametrize("region", ["version", "key id", "nonce", "ciphertext", "tag"])
def test_a_flipped_byte_anywhere_is_refused(keyring, region):
    blob, _ = make_backup(keyring)
    damaged = bytearray(blob)
    damaged[_regions(blob)[region]] ^= 0x01
    with pytest.raises(BackupError) as refused:
        open_backup(bytes(damaged), keyring, label="x.ackb")
    message = str(refused.value)
    assert message.startswith("x.ackb: ") and "\n" not in message


@pytest.mark.parametrize("keep", [0, 4, 10, 30, -1])
def test_a_truncated_file_is_refused(keyring, keep):
    blob, _ = make_backup(keyring)
    with pytest.raises(BackupError, match=r"^x\.ackb: "):
        open_backup(blob[:keep] if keep >= 0 else blob[:-1], keyring, label="x.ackb")


def test_another_key_under_the_same_kid_is_refused(keyring):
    blob, _ = make_backup(keyring)
    impostor = KeyRing.from_setting(generate_key_line("b1"))
    with pytest.raises(BackupError, match="authentication failed"):
        open_backup(blob, impostor, label="x.ackb")


def test_a_backup_key_the_setting_lacks_is_named(keyring):
    blob, _ = make_backup(keyring)
    other = KeyRing.from_setting(generate_key_line("b2"))
    with pytest.raises(BackupError, match=r"backup key 'b1', which ack\.backup\.key lacks"):
        open_backup(blob, other, label="x.ackb")


def test_an_older_backup_key_still_opens_after_the_backup_key_rotates(keyring, key_line):
    blob, _ = make_backup(keyring)
    rotated = KeyRing.from_setting(f"{generate_key_line('b2')} {key_line}")
    assert open_backup(blob, rotated, label="x.ackb").tables == TABLES
    new_blob, manifest = make_backup(rotated)
    assert manifest.backup_key_id == "b2" and backup_key_id(new_blob, label="y") == "b2"


def test_a_tampered_checksum_is_caught_even_with_a_valid_tag(keyring, key_line):
    blob, _ = make_backup(keyring)
    header_end = len(MAGIC) + 2 + len("b1")
    header, body = blob[:header_end], blob[header_end:]
    # Re-seal modified content with the right key, as a holder of the backup key could.
    key = parse_key(key_line.split(":", 1)[1])
    plain = zlib.decompress(decrypt_bytes(key, body, header))
    tampered = plain.replace(b"ciphertext-two", b"ciphertext-TWO")
    _, resealed = keyring.encrypt_bytes(zlib.compress(tampered), associated_data=header)
    with pytest.raises(BackupError, match="SHA-256"):
        open_backup(header + resealed, keyring, label="x.ackb")


def test_not_a_backup_at_all():
    with pytest.raises(BackupError, match="not a backup file"):
        open_backup(b"PK\x03\x04 a zip file", KeyRing.from_setting(generate_key_line()), label="z")


@pytest.mark.parametrize(
    ("value", "kids"),
    [
        (generate_key_line("b7"), ("b7",)),
        (generate_key_line("b7").split(":", 1)[1], ("backup",)),
        (f"{generate_key_line('new')} {generate_key_line('old')}", ("new", "old")),
    ],
)
def test_the_backup_key_setting_takes_a_bare_key_or_kid_entries(value, kids):
    settings = load_settings(
        {**TEST_APP_IDENTITY, "ack.base_url": "https://a.example.com", "ack.backup.key": value},
        environ={},
    )
    assert backup_keyring(settings).kids == kids


@pytest.mark.parametrize("value", ["", "b1:short", "not base64 !"])
def test_a_bad_backup_key_names_the_setting_but_not_the_key(value):
    settings = load_settings(
        {**TEST_APP_IDENTITY, "ack.base_url": "https://a.example.com", "ack.backup.key": value},
        environ={},
    )
    with pytest.raises(SettingsError) as refused:
        backup_keyring(settings)
    assert str(refused.value).startswith("ack.backup.key: ")
    if value:
        assert value.split(":")[-1] not in str(refused.value)
