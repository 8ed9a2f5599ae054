"""Encryption at rest: a ring of AES-256-GCM keys, each known by a key id (kid).

The first key of the ring encrypts; every key of the ring decrypts, so keys rotate by putting a
new key first and keeping the old ones until nothing is stored under them any more. Each stored
value keeps the kid it was written under beside its blob. The associated data binds a blob to
where it belongs (for example the tenant's clientKey and the field name): copied to another row,
the blob no longer decrypts.

A blob is a random 96-bit nonce followed by the ciphertext and its 128-bit tag. Nothing here
prints key material: errors and ``repr`` speak of kids and entry numbers only.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
"""Length of an encryption key: AES-256."""

NONCE_BYTES = 12
"""Length of the random nonce written at the start of every blob."""

TAG_BYTES = 16
"""Length of the authentication tag that ends every blob."""

KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""The shape of a kid in a key ring."""

SETTING_NAME = "ack.encryption_keys"
"""The setting that holds the key ring, named in error messages."""

_KID_RULE = "1 to 64 characters among A-Z a-z 0-9 . _ -"
_URL_SAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]*")


class KeyRingError(ValueError):
    """The key ring or one of its keys is unusable; the message names the problem, never a key."""


class DecryptionError(Exception):
    """A blob could not be decrypted: unknown kid, malformed blob, or failed authentication.

    ``key_id`` names the key ring entry the blob was written under, when known.
    """

    def __init__(self, reason: str, *, key_id: str | None = None) -> None:
        """Keep the reason (which names kids only) and the kid involved."""
        super().__init__(reason)
        self.key_id = key_id


def parse_key(value: str) -> bytes:
    """Return the 32-byte key written as URL-safe base64 in ``value`` (padding optional)."""
    text = value.strip()
    unpadded = text.rstrip("=")
    if _URL_SAFE_BASE64.fullmatch(unpadded) is None:
        if "+" in unpadded or "/" in unpadded:
            raise KeyRingError("key is standard base64; write it in URL-safe base64 ('-' and '_')")
        raise KeyRingError("key is not URL-safe base64")
    padding = len(text) - len(unpadded)
    if padding and len(text) % 4:
        raise KeyRingError("key has wrong base64 padding")
    try:
        key = _decode_base64(unpadded)
    except ValueError:
        raise KeyRingError("key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyRingError(f"key is {len(key)} bytes; it must be {KEY_BYTES}")
    return key


def generate_key() -> str:
    """Return a new random key as URL-safe base64 without padding."""
    return _encode_base64(secrets.token_bytes(KEY_BYTES))


def new_kid(*, now: datetime | None = None) -> str:
    """Return a fresh kid: ``k``, the UTC date and a short random suffix (``k20261127a1b2``).

    A naive ``now`` is taken to be UTC already.
    """
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"k{moment:%Y%m%d}{secrets.token_hex(2)}"


def generate_key_line(kid: str | None = None, *, now: datetime | None = None) -> str:
    """Return a new ``kid:KEY`` entry for the key ring setting, with a fresh kid unless given."""
    chosen_kid = new_kid(now=now) if kid is None else kid
    if not is_valid_key_id(chosen_kid):
        raise KeyRingError(f"kid must be {_KID_RULE}")
    return f"{chosen_kid}:{generate_key()}"


def is_valid_key_id(kid: object) -> bool:
    """Tell whether ``kid`` has the shape of a key ring kid."""
    return isinstance(kid, str) and KEY_ID_PATTERN.fullmatch(kid) is not None


def encrypt_bytes(key: bytes, data: bytes, associated_data: bytes) -> bytes:
    """Encrypt ``data`` under a 32-byte ``key``; return nonce, ciphertext and tag in one blob."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher(key).encrypt(nonce, data, associated_data)


def decrypt_bytes(key: bytes, blob: bytes, associated_data: bytes) -> bytes:
    """Decrypt a blob made by :func:`encrypt_bytes`; raise :class:`DecryptionError` on failure."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("encrypted data is too short")
    cipher = _cipher(key)
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise DecryptionError("authentication failed") from None


class KeyRing:
    """The encryption keys in use, by kid; the first one encrypts, all of them decrypt."""

    __slots__ = ("_keys", "_primary_kid")

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        """Build a ring from ``(kid, key)`` pairs, primary first; raise :class:`KeyRingError`."""
        if not keys:
            raise KeyRingError("no keys given")
        ring: dict[str, bytes] = {}
        for position, (kid, key) in enumerate(keys, start=1):
            if not is_valid_key_id(kid):
                raise KeyRingError(f"entry {position} has an invalid kid (use {_KID_RULE})")
            if kid in ring:
                earlier = list(ring).index(kid) + 1
                raise KeyRingError(f"entry {position} repeats the kid of entry {earlier}")
            if len(key) != KEY_BYTES:
                raise KeyRingError(
                    f"entry {position}: key is {len(key)} bytes; it must be {KEY_BYTES}"
                )
            ring[kid] = bytes(key)
        self._keys = ring
        self._primary_kid = keys[0][0]

    @classmethod
    def from_setting(cls, value: str, *, setting_name: str = SETTING_NAME) -> KeyRing:
        """Build a ring from the setting text: ``kid:KEY`` entries separated by white space.

        The first entry is the primary key. Errors name the setting and the entry, never a key.
        """
        entries = value.split()
        if not entries:
            raise KeyRingError(f"{setting_name} is empty")
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(entries, start=1):
            kid, separator, key_text = entry.partition(":")
            if not separator or not kid:
                raise KeyRingError(f"{setting_name}: entry {position} has no kid")
            try:
                keys.append((kid, parse_key(key_text)))
            except KeyRingError as error:
                raise KeyRingError(f"{setting_name}: entry {position}: {error}") from None
        try:
            return cls(keys)
        except KeyRingError as error:
            raise KeyRingError(f"{setting_name}: {error}") from None

    @property
    def primary_kid(self) -> str:
        """The kid of the key that encrypts new values."""
        return self._primary_kid

    @property
    def kids(self) -> tuple[str, ...]:
        """Every kid of the ring, primary first."""
        return tuple(self._keys)

    def has(self, kid: str) -> bool:
        """Tell whether the ring holds a key with this kid."""
        return kid in self._keys

    def encrypt(self, plaintext: str, *, associated_data: str) -> tuple[str, str]:
        """Encrypt text under the primary key; return ``(kid, blob)``, blob in URL-safe base64."""
        kid, blob = self.encrypt_bytes(
            plaintext.encode("utf-8"), associated_data=associated_data.encode("utf-8")
        )
        return kid, _encode_base64(blob)

    def decrypt(self, kid: str, blob: str, *, associated_data: str) -> str:
        """Decrypt a blob made by :meth:`encrypt`; raise :class:`DecryptionError` on failure."""
        try:
            raw_blob = _decode_base64(blob)
        except ValueError:
            raise DecryptionError(
                f"data under key {kid!r} is not valid base64", key_id=kid
            ) from None
        plaintext = self.decrypt_bytes(
            kid, raw_blob, associated_data=associated_data.encode("utf-8")
        )
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError(f"data under key {kid!r} is not text", key_id=kid) from None

    def encrypt_bytes(self, data: bytes, *, associated_data: bytes) -> tuple[str, bytes]:
        """Encrypt bytes under the primary key; return ``(kid, blob)``."""
        key = self._keys[self._primary_kid]
        return self._primary_kid, encrypt_bytes(key, data, associated_data)

    def decrypt_bytes(self, kid: str, blob: bytes, *, associated_data: bytes) -> bytes:
        """Decrypt bytes made by :meth:`encrypt_bytes`; raise :class:`DecryptionError`."""
        key = self._keys.get(kid)
        if key is None:
            raise DecryptionError(f"no key with kid {kid!r} in the key ring", key_id=kid)
        try:
            return decrypt_bytes(key, blob, associated_data)
        except DecryptionError as error:
            raise DecryptionError(
                f"cannot decrypt data under key {kid!r}: {error}", key_id=kid
            ) from None

    def __repr__(self) -> str:
        """Show the kids only, so that logging a ring never writes a key."""
        return f"KeyRing(kids={self.kids!r})"


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"key must be {KEY_BYTES} bytes")
    return AESGCM(key)


def _encode_base64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode_base64(text: str) -> bytes:
    # Padding is optional on the way in, so it is restored before decoding. The alphabet is
    # checked first because the base64 module silently skips characters outside it.
    unpadded = text.rstrip("=")
    if _URL_SAFE_BASE64.fullmatch(unpadded) is None:
        raise ValueError("not URL-safe base64")
    return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
