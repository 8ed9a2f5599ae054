"""The key ring: secrets stay readable across rotation and unreadable anywhere they don't belong."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from atlassian_connect_kit.storage.crypto import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    decrypt_bytes,
    encrypt_bytes,
    generate_key,
    generate_key_line,
    new_kid,
    parse_key,
)

CLIENT_KEY = "jira:7f3c2a10-0000-4000-8000-000000000001"
OTHER_CLIENT_KEY = "jira:7f3c2a10-0000-4000-8000-000000000002"
SECRET = "tenant-shared-secret-that-must-stay-secret"

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))


def text_of(key: bytes, *, padded: bool) -> str:
    """Write a key as URL-safe base64, with or without padding."""
    text = base64.urlsafe_b64encode(key).decode("ascii")
    return text if padded else text.rstrip("=")


@pytest.fixture
def ring() -> KeyRing:
    """A ring of one key."""
    return KeyRing([("k1", OLD_KEY)])


def test_round_trip(ring: KeyRing) -> None:
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)

    assert kid == "k1"
    assert ring.decrypt(kid, blob, associated_data=CLIENT_KEY) == SECRET


def test_round_trip_of_unicode_and_empty_text(ring: KeyRing) -> None:
    for plaintext in ("", "clé secrète ✓ 宮崎"):
        kid, blob = ring.encrypt(plaintext, associated_data=CLIENT_KEY)
        assert ring.decrypt(kid, blob, associated_data=CLIENT_KEY) == plaintext


def test_the_blob_does_not_reveal_the_plaintext(ring: KeyRing) -> None:
    _, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)

    assert SECRET not in blob
    assert SECRET.encode() not in base64.urlsafe_b64decode(blob + "==")


def test_each_write_uses_a_fresh_nonce(ring: KeyRing) -> None:
    blobs = {ring.encrypt(SECRET, associated_data=CLIENT_KEY)[1] for _ in range(20)}
    nonces = {base64.urlsafe_b64decode(blob + "==")[:12] for blob in blobs}

    assert len(blobs) == 20
    assert len(nonces) == 20


def test_a_blob_copied_to_another_row_does_not_decrypt(ring: KeyRing) -> None:
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)

    with pytest.raises(DecryptionError, match="'k1'"):
        ring.decrypt(kid, blob, associated_data=OTHER_CLIENT_KEY)


def test_a_tampered_blob_does_not_decrypt(ring: KeyRing) -> None:
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)
    raw = bytearray(base64.urlsafe_b64decode(blob + "=="))
    raw[-1] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()

    with pytest.raises(DecryptionError):
        ring.decrypt(kid, tampered, associated_data=CLIENT_KEY)


@pytest.mark.parametrize("blob", ["", "c2hvcnQ", "not base64 at all!", "ä"])
def test_a_malformed_blob_does_not_decrypt(ring: KeyRing, blob: str) -> None:
    with pytest.raises(DecryptionError, match="'k1'"):
        ring.decrypt("k1", blob, associated_data=CLIENT_KEY)


def test_an_unknown_kid_does_not_decrypt(ring: KeyRing) -> None:
    _, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)

    with pytest.raises(DecryptionError, match="'gone'"):
        ring.decrypt("gone", blob, associated_data=CLIENT_KEY)


def test_a_blob_under_the_same_kid_but_another_key_does_not_decrypt(ring: KeyRing) -> None:
    impostor = KeyRing([("k1", NEW_KEY)])
    kid, blob = impostor.encrypt(SECRET, associated_data=CLIENT_KEY)

    with pytest.raises(DecryptionError):
        ring.decrypt(kid, blob, associated_data=CLIENT_KEY)


def test_decryption_errors_never_show_the_plaintext_or_the_blob(ring: KeyRing) -> None:
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)

    with pytest.raises(DecryptionError) as failure:
        ring.decrypt(kid, blob, associated_data=OTHER_CLIENT_KEY)

    assert SECRET not in str(failure.value)
    assert blob not in str(failure.value)
    assert CLIENT_KEY not in str(failure.value)


def test_rotation_reads_old_blobs_and_writes_with_the_new_key() -> None:
    old_ring = KeyRing.from_setting(f"k2025:{text_of(OLD_KEY, padded=False)}")
    old_kid, old_blob = old_ring.encrypt(SECRET, associated_data=CLIENT_KEY)
    rotated = KeyRing.from_setting(
        f"k2026:{text_of(NEW_KEY, padded=False)}\n  k2025:{text_of(OLD_KEY, padded=True)}"
    )

    new_kid_, new_blob = rotated.encrypt(SECRET, associated_data=CLIENT_KEY)

    assert rotated.decrypt(old_kid, old_blob, associated_data=CLIENT_KEY) == SECRET
    assert (rotated.primary_kid, new_kid_) == ("k2026", "k2026")
    assert rotated.kids == ("k2026", "k2025")
    with pytest.raises(DecryptionError):
        old_ring.decrypt(new_kid_, new_blob, associated_data=CLIENT_KEY)


def test_has_tells_which_kids_the_ring_holds() -> None:
    ring = KeyRing([("a", OLD_KEY), ("b", NEW_KEY)])

    assert (ring.has("a"), ring.has("b"), ring.has("c")) == (True, True, False)


def test_the_ring_never_shows_its_keys() -> None:
    ring = KeyRing([("k1", OLD_KEY)])

    assert repr(ring) == "KeyRing(kids=('k1',))"
    assert text_of(OLD_KEY, padded=False) not in repr(ring)


@pytest.mark.parametrize("padded", [True, False])
def test_padded_and_unpadded_keys_are_both_accepted(padded: bool) -> None:
    assert parse_key(text_of(OLD_KEY, padded=padded)) == OLD_KEY


STANDARD_BASE64 = "key is standard base64; write it in URL-safe base64 ('-' and '_')"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (text_of(bytes(16), padded=True), "key is 16 bytes; it must be 32"),
        (text_of(bytes(33), padded=False), "key is 33 bytes; it must be 32"),
        ("", "key is 0 bytes; it must be 32"),
        (text_of(OLD_KEY, padded=True) + "=", "key has wrong base64 padding"),
        (base64.standard_b64encode(b"\xfb" * 32).decode(), STANDARD_BASE64),
        ("+" + text_of(OLD_KEY, padded=False)[1:], STANDARD_BASE64),
        ("/" + text_of(OLD_KEY, padded=False)[1:], STANDARD_BASE64),
        ("this is not a key at all, is it? no, not at all", "key is not URL-safe base64"),
        ("A" * 41, "key is not valid base64"),
    ],
    ids=["short", "long", "empty", "padding", "standard", "plus", "slash", "prose", "length"],
)
def test_unusable_keys_are_refused_with_the_problem_named(text: str, problem: str) -> None:
    # The operator reads this line at start-up: it must say exactly what to fix.
    with pytest.raises(KeyRingError, match=f"^{re.escape(problem)}$"):
        parse_key(text)


def test_generated_keys_are_unpadded_random_32_byte_keys() -> None:
    first, second = generate_key(), generate_key()

    assert "=" not in first
    assert len(parse_key(first)) == 32
    assert first != second


def test_a_generated_key_line_is_a_one_key_ring() -> None:
    line = generate_key_line("primary")

    ring = KeyRing.from_setting(line)

    assert ring.kids == ("primary",)


def test_the_default_kid_carries_the_utc_date() -> None:
    late_evening_west_of_utc = datetime(2026, 11, 26, 22, 30, tzinfo=timezone(timedelta(hours=-5)))

    kid = generate_key_line(now=late_evening_west_of_utc).split(":")[0]

    assert re.fullmatch(r"k20261127[0-9a-f]{4}", kid)


def test_a_kid_carries_the_utc_date_whatever_the_hosts_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The host's zone is chosen so that its date is not the UTC date right now: UTC-12 in the
    # first half of the UTC day, UTC+14 in the second. The fixed moment (given at UTC-5) falls
    # on another local date than its UTC date, 2026-11-27, in that zone too.
    if datetime.now(UTC).hour < 12:
        zone, moment = (
            "Etc/GMT+12",
            datetime(2026, 11, 27, 1, 0, tzinfo=timezone(timedelta(hours=-5))),
        )
    else:
        zone, moment = (
            "Etc/GMT-14",
            datetime(2026, 11, 27, 7, 0, tzinfo=timezone(timedelta(hours=-5))),
        )
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = datetime.now(UTC)
        made_now = new_kid()
        line_kid = generate_key_line().split(":")[0]
        after = datetime.now(UTC)
        dated = new_kid(now=moment)
    finally:
        monkeypatch.undo()
        time.tzset()

    utc_days = {f"{before:%Y%m%d}", f"{after:%Y%m%d}"}
    assert re.fullmatch(r"k[0-9]{8}[0-9a-f]{4}", made_now)
    assert made_now[1:9] in utc_days
    assert line_kid[1:9] in utc_days
    assert dated.startswith("k20261127")


def test_default_kids_differ_on_the_same_day() -> None:
    moment = datetime(2026, 11, 27, tzinfo=UTC)

    assert len({new_kid(now=moment) for _ in range(20)}) > 1


@pytest.mark.parametrize("kid", ["", "has space", "x" * 65, "a:b", "ü"])
def test_a_key_line_refuses_a_bad_kid(kid: str) -> None:
    with pytest.raises(KeyRingError, match="kid"):
        generate_key_line(kid)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "ack.encryption_keys is empty"),
        ("  \n ", "ack.encryption_keys is empty"),
        (
            f"a:{text_of(OLD_KEY, padded=False)} {text_of(NEW_KEY, padded=False)}",
            "entry 2 has no kid",
        ),
        (
            f"a:{text_of(OLD_KEY, padded=False)} :{text_of(NEW_KEY, padded=False)}",
            "entry 2 has no kid",
        ),
        (
            f"a:{text_of(OLD_KEY, padded=False)} b:{text_of(bytes(16), padded=False)}",
            "entry 2: key is 16 bytes",
        ),
        (
            f"a:{text_of(OLD_KEY, padded=False)} a:{text_of(NEW_KEY, padded=False)}",
            "entry 2 repeats the kid of entry 1",
        ),
        (f"bad/kid:{text_of(OLD_KEY, padded=False)}", "entry 1 has an invalid kid"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_entry(setting: str, message: str) -> None:
    with pytest.raises(KeyRingError) as refused:
        KeyRing.from_setting(setting)

    assert message in str(refused.value)
    assert str(refused.value).startswith("ack.encryption_keys")
    for key in (OLD_KEY, NEW_KEY, bytes(16)):
        assert text_of(key, padded=False) not in str(refused.value)


def test_a_key_pasted_where_the_kid_belongs_is_not_echoed() -> None:
    pasted_key = text_of(OLD_KEY, padded=False)

    with pytest.raises(KeyRingError) as refused:
        KeyRing.from_setting(f"{pasted_key}:k1")

    assert pasted_key not in str(refused.value)
    assert "entry 1" in str(refused.value)


def test_a_ring_needs_at_least_one_key() -> None:
    with pytest.raises(KeyRingError, match=r"^no keys given$"):
        KeyRing([])


def test_an_entry_with_two_colons_names_its_key_as_the_problem() -> None:
    # The kid ends at the first colon; the rest must be the key.
    with pytest.raises(KeyRingError, match=r"^ack\.encryption_keys: entry 1: key is not URL-safe"):
        KeyRing.from_setting(f"k1:k2:{text_of(OLD_KEY, padded=False)}")


@pytest.mark.parametrize(
    ("blob", "problem"),
    [
        (b"", "encrypted data is too short"),
        (bytes(27), "encrypted data is too short"),
        (bytes(28), "authentication failed"),
    ],
)
def test_the_byte_helpers_say_why_a_blob_does_not_decrypt(blob: bytes, problem: str) -> None:
    with pytest.raises(DecryptionError, match=f"^{problem}$"):
        decrypt_bytes(OLD_KEY, blob, b"backup")


def test_the_ring_names_the_key_of_what_it_cannot_decrypt(ring: KeyRing) -> None:
    # An operator finds the key id in the log line; nothing else of the data shows.
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)
    with pytest.raises(
        DecryptionError, match=r"^cannot decrypt data under key 'k1': authentication failed$"
    ):
        ring.decrypt(kid, blob, associated_data=OTHER_CLIENT_KEY)
    with pytest.raises(DecryptionError, match=r"^no key with kid 'gone' in the key ring$"):
        ring.decrypt("gone", blob, associated_data=CLIENT_KEY)
    with pytest.raises(DecryptionError, match=r"^data under key 'k1' is not valid base64$"):
        ring.decrypt("k1", "not base64!", associated_data=CLIENT_KEY)


def test_every_decryption_failure_of_the_ring_carries_its_kid(ring: KeyRing) -> None:
    # The 503 log line and the restore refusal name the key from DecryptionError.key_id, so an
    # operator knows which key to bring back whatever went wrong with the data.
    kid, blob = ring.encrypt(SECRET, associated_data=CLIENT_KEY)
    _, binary = ring.encrypt_bytes(b"\xff\xfe", associated_data=CLIENT_KEY.encode())
    not_text = base64.urlsafe_b64encode(binary).decode().rstrip("=")
    failures = [
        ("k1", lambda: ring.decrypt(kid, blob, associated_data=OTHER_CLIENT_KEY)),
        ("gone", lambda: ring.decrypt("gone", blob, associated_data=CLIENT_KEY)),
        ("k1", lambda: ring.decrypt("k1", "not base64!", associated_data=CLIENT_KEY)),
        ("k1", lambda: ring.decrypt("k1", not_text, associated_data=CLIENT_KEY)),
        ("k1", lambda: ring.decrypt_bytes("k1", b"short", associated_data=b"backup")),
        ("gone", lambda: ring.decrypt_bytes("gone", binary, associated_data=b"backup")),
    ]
    for expected_kid, attempt in failures:
        with pytest.raises(DecryptionError) as failure:
            attempt()
        assert failure.value.key_id == expected_kid


def test_binary_that_is_not_text_is_refused_by_the_text_decryption(ring: KeyRing) -> None:
    kid, blob = ring.encrypt_bytes(b"\xff\xfe", associated_data=CLIENT_KEY.encode())
    text_blob = base64.urlsafe_b64encode(blob).decode().rstrip("=")
    with pytest.raises(DecryptionError, match=r"^data under key 'k1' is not text$"):
        ring.decrypt(kid, text_blob, associated_data=CLIENT_KEY)


def test_texts_of_every_length_round_trip_with_or_without_padding(ring: KeyRing) -> None:
    # Blobs are stored without base64 padding; padding on the way in is accepted all the same.
    for length in range(900):
        plaintext = "s" * length
        kid, blob = ring.encrypt(plaintext, associated_data=CLIENT_KEY)
        assert "=" not in blob
        padded = blob + "=" * (-len(blob) % 4)
        assert ring.decrypt(kid, blob, associated_data=CLIENT_KEY) == plaintext
        assert ring.decrypt(kid, padded, associated_data=CLIENT_KEY) == plaintext


def test_a_ring_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(KeyRingError, match="entry 1: key is 31 bytes"):
        KeyRing([("k1", bytes(31))])


def test_whole_files_round_trip_with_the_byte_helpers() -> None:
    data = bytes(range(256)) * 10

    blob = encrypt_bytes(OLD_KEY, data, b"backup:2026-11-27")

    assert blob != encrypt_bytes(OLD_KEY, data, b"backup:2026-11-27")
    assert len(blob) == 12 + len(data) + 16
    assert decrypt_bytes(OLD_KEY, blob, b"backup:2026-11-27") == data


@pytest.mark.parametrize(
    ("key", "associated_data", "blob_slice"),
    [
        (NEW_KEY, b"backup:2026-11-27", slice(None)),
        (OLD_KEY, b"backup:2026-11-28", slice(None)),
        (OLD_KEY, b"backup:2026-11-27", slice(0, 27)),
    ],
)
def test_the_byte_helpers_refuse_the_wrong_key_context_or_a_truncated_blob(
    key: bytes, associated_data: bytes, blob_slice: slice
) -> None:
    blob = encrypt_bytes(OLD_KEY, b"tenant rows", b"backup:2026-11-27")

    with pytest.raises(DecryptionError):
        decrypt_bytes(key, blob[blob_slice], associated_data)


def test_the_ring_encrypts_bytes_under_its_primary_key() -> None:
    ring = KeyRing([("new", NEW_KEY), ("old", OLD_KEY)])

    kid, blob = ring.encrypt_bytes(b"archive", associated_data=b"backup")

    assert kid == "new"
    assert decrypt_bytes(NEW_KEY, blob, b"backup") == b"archive"
    assert ring.decrypt_bytes(kid, blob, associated_data=b"backup") == b"archive"
