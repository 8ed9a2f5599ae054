"""The tenant store: installed Jira sites with their shared secrets, encrypted at rest.

Shared secrets are encrypted with the key ring before they reach the database, bound to their
tenant's clientKey, and decrypted only on the way out. Decrypted records are cached in the
process for a short time because every incoming request needs one; writes made by another
process become visible when the cache entry expires, or at once with ``get(..., fresh=True)``.

Every method opens and commits its own short transaction, independent of any request
transaction, so an install is stored even when the request around it fails afterwards. Errors
that mean the database cannot be reached surface as :class:`DatabaseUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from atlassian_connect_kit.storage.crypto import KeyRing
from atlassian_connect_kit.storage.db import unavailability_as_error
from atlassian_connect_kit.storage.models import RemovalJournalEntry, Tenant, sha256_hex
from atlassian_connect_kit.tenants import TenantView

MAX_IDENTIFIER_LENGTH = 255
"""Longest clientKey, baseUrl, oauthClientId or installationId the tenant table holds."""

MAX_SHARED_SECRET_LENGTH = 4096
"""Longest shared secret accepted; Jira's are a few dozen characters."""

TOUCH_RETRY_SECONDS = 60.0
"""After a failed last-seen write, how long a process waits before writing it for that tenant."""


@dataclass(frozen=True)
class TenantRecord:
    """A tenant as the rest of the kit sees it, with its shared secret decrypted."""

    client_key: str
    base_url: str
    shared_secret: str = field(repr=False)
    oauth_client_id: str | None
    installation_id: str | None
    enabled: bool
    installed_at: dt.datetime
    updated_at: dt.datetime
    last_seen_at: dt.datetime | None

    def view(self) -> TenantView:
        """The tenant without its credentials, as plugins see it."""
        return TenantView(
            client_key=self.client_key,
            base_url=self.base_url,
            enabled=self.enabled,
            installation_id=self.installation_id,
            installed_at=self.installed_at,
            updated_at=self.updated_at,
            last_seen_at=self.last_seen_at,
        )


@dataclass(frozen=True)
class TenantSummary:
    """A tenant without its secret, for listings and administration."""

    client_key: str
    base_url: str
    enabled: bool
    installed_at: dt.datetime
    updated_at: dt.datetime
    last_seen_at: dt.datetime | None
    secret_key_id: str


@dataclass(frozen=True)
class RotationResult:
    """What a key rotation did: tenants seen, re-encrypted, and already under the primary key."""

    total: int
    reencrypted: int
    already_current: int


class MissingKeyError(Exception):
    """Stored secrets are encrypted under key ids the given key ring does not hold."""

    def __init__(self, missing_kids: set[str]) -> None:
        """Name the missing key ids (ids only, never key material)."""
        self.missing_kids = frozenset(missing_kids)
        listed = ", ".join(sorted(self.missing_kids))
        super().__init__(f"the key ring lacks keys still in use by stored secrets: {listed}")


@dataclass(frozen=True)
class InstallPayload:
    """What the kit keeps from an ``installed`` lifecycle callback."""

    client_key: str
    base_url: str
    shared_secret: str = field(repr=False)
    oauth_client_id: str | None
    installation_id: str | None

    @classmethod
    def from_lifecycle_body(
        cls, body: Mapping[str, Any], *, allow_http: bool = False
    ) -> InstallPayload:
        """Validate an ``installed`` JSON body and keep only the fields the kit stores.

        ``clientKey``, ``baseUrl`` and ``sharedSecret`` are required non-empty strings;
        ``oauthClientId`` and ``installationId`` are optional strings. ``baseUrl`` must be an
        https URL with a host (http too when ``allow_http``, for development). Raises
        :class:`ValueError` naming the offending field; a value is never quoted back.
        """
        if not isinstance(body, Mapping):
            raise ValueError("the install payload must be a JSON object")
        client_key = _required_text(body, "clientKey", MAX_IDENTIFIER_LENGTH)
        base_url = _required_text(body, "baseUrl", MAX_IDENTIFIER_LENGTH)
        _check_base_url(base_url, allow_http=allow_http)
        shared_secret = _required_text(body, "sharedSecret", MAX_SHARED_SECRET_LENGTH)
        return cls(
            client_key=client_key,
            base_url=base_url,
            shared_secret=shared_secret,
            oauth_client_id=_optional_text(body, "oauthClientId"),
            installation_id=_optional_text(body, "installationId"),
        )


def _required_text(body: Mapping[str, Any], name: str, max_length: int) -> str:
    if name not in body or body[name] is None:
        raise ValueError(f"{name} is missing")
    value = body[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    if value != value.strip():
        raise ValueError(f"{name} has leading or trailing white space")
    if len(value) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters")
    return value


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    if body.get(name) in (None, ""):
        return None
    return _required_text(body, name, MAX_IDENTIFIER_LENGTH)


def _check_base_url(url: str, *, allow_http: bool) -> None:
    allowed_schemes = ("https", "http") if allow_http else ("https",)
    try:
        parts = urlsplit(url)
        port_is_valid = parts.port is None or parts.port > 0
    except ValueError:
        raise ValueError("baseUrl is not a valid URL") from None
    if parts.scheme not in allowed_schemes:
        raise ValueError(f"baseUrl must use {' or '.join(allowed_schemes)}")
    if not parts.hostname or not port_is_valid:
        raise ValueError("baseUrl has no valid host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("baseUrl must not carry credentials")
    if parts.query or parts.fragment or any(char.isspace() for char in url):
        raise ValueError("baseUrl must be a plain site URL, without query or fragment")


_UPSERT_ATTEMPTS = 3


def _atomic_upsert(
    dialect: str, inserted: dict[str, Any], replaced: dict[str, Any]
) -> Executable | None:
    """One statement inserting ``inserted`` or, on a clientKey already stored, setting ``replaced``.

    ``None`` where the dialect has no such statement: the caller reads, then inserts or updates.
    """
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        return (
            insert(Tenant)
            .values(**inserted)
            .on_conflict_do_update(index_elements=[Tenant.client_key], set_=replaced)
        )
    if dialect in ("mysql", "mariadb"):
        return mysql_insert(Tenant).values(**inserted).on_duplicate_key_update(**replaced)
    return None


def _insert_or_update(
    session: Session, client_key: str, replaced: dict[str, Any], now: dt.datetime
) -> None:
    tenant = session.scalar(select(Tenant).where(Tenant.client_key == client_key))
    if tenant is None:
        tenant = Tenant(client_key=client_key, enabled=True, installed_at=now)
        session.add(tenant)
    for name, value in replaced.items():
        setattr(tenant, name, value)
    session.flush()


@dataclass
class _CacheEntry:
    record: TenantRecord
    expires_at: float


class TenantStore:
    """Installed tenants in the database, with secrets encrypted by a key ring.

    Safe to share between the threads of a process. ``clock`` returns seconds since the epoch; it
    dates the rows and drives cache expiry and the ``touch`` interval, so tests can move time.
    """

    def __init__(
        self,
        engine: Engine,
        keyring: KeyRing,
        *,
        cache_seconds: float = 30.0,
        last_seen_interval: float = 3600.0,
        clock: Callable[[], float] = time.time,
        max_cached_tenants: int = 1000,
    ) -> None:
        """Use ``engine``'s database (migrated to head) and ``keyring`` for the secrets.

        Decrypted records are served from memory for up to ``cache_seconds`` (0 disables the
        cache), for at most ``max_cached_tenants`` tenants at a time, least recently used
        evicted first. ``touch`` writes a tenant's last-seen time at most once per
        ``last_seen_interval`` seconds.
        """
        if cache_seconds < 0 or last_seen_interval < 0:
            raise ValueError("cache_seconds and last_seen_interval must not be negative")
        if max_cached_tenants < 1:
            raise ValueError("max_cached_tenants must be at least 1")
        self._engine = engine
        self._keyring = keyring
        self._cache_seconds = cache_seconds
        self._last_seen_interval = last_seen_interval
        self._clock = clock
        self._max_cached = max_cached_tenants
        self._lock = threading.Lock()
        self._records: OrderedDict[str, _CacheEntry] = OrderedDict()
        # Bumped by every write and cache clearing of this process.
        self._generation = 0
        # When this process last wrote (or found recent) each tenant's last-seen time.
        self._touched: OrderedDict[str, float] = OrderedDict()

    # -- reading ------------------------------------------------------------------------------

    def get(self, client_key: str, *, fresh: bool = False) -> TenantRecord | None:
        """Return the tenant with this clientKey, or None when it is not installed.

        Served from the in-process cache unless the entry expired or ``fresh`` is true, in which
        case the database is read and the cache refreshed. Read fresh after a signature check
        failed with a cached secret: another process may have stored a rotated one. Raises
        ``DecryptionError`` when the stored secret does not decrypt with the key ring.
        """
        now = self._clock()
        with self._lock:
            entry = self._records.get(client_key)
            if not fresh and entry is not None and entry.expires_at > now:
                self._records.move_to_end(client_key)
                return entry.record
            generation = self._generation
        with unavailability_as_error(), Session(self._engine) as session:
            tenant = session.scalar(select(Tenant).where(Tenant.client_key == client_key))
            record = None if tenant is None else self._decrypted(tenant, self._keyring)
        with self._lock:
            if record is None:
                self._records.pop(client_key, None)
            elif generation == self._generation:
                # Cache only if no write of this process overtook the read, which would make
                # the record outdated before it is served.
                self._remember(record, now)
        return record

    def list_tenants(self) -> list[TenantSummary]:
        """Return every tenant, without secrets, ordered by clientKey."""
        with unavailability_as_error(), Session(self._engine) as session:
            tenants = session.scalars(select(Tenant).order_by(Tenant.client_key))
            return [
                TenantSummary(
                    client_key=tenant.client_key,
                    base_url=tenant.base_url,
                    enabled=tenant.enabled,
                    installed_at=tenant.installed_at,
                    updated_at=tenant.updated_at,
                    last_seen_at=tenant.last_seen_at,
                    secret_key_id=tenant.secret_key_id,
                )
                for tenant in tenants
            ]

    def stale_client_keys(self, older_than: dt.datetime) -> list[str]:
        """Return the clientKeys of tenants not seen since ``older_than`` (an aware datetime).

        A tenant never seen counts from its last install or update. Jira sends no callback when
        an app moves to Forge, so these are the candidates for clean-up.
        """
        if older_than.tzinfo is None or older_than.utcoffset() is None:
            raise ValueError("older_than must be timezone-aware")
        last_activity = func.coalesce(Tenant.last_seen_at, Tenant.updated_at)
        query = (
            select(Tenant.client_key).where(last_activity < older_than).order_by(Tenant.client_key)
        )
        with unavailability_as_error(), Session(self._engine) as session:
            return list(session.scalars(query))

    def key_ids_in_use(self) -> set[str]:
        """Return the key ids that stored secrets are encrypted under."""
        with unavailability_as_error(), Session(self._engine) as session:
            return set(session.scalars(select(Tenant.secret_key_id).distinct()))

    # -- writing ------------------------------------------------------------------------------

    def save_install(self, payload: InstallPayload) -> TenantRecord:
        """Store an install: insert a new tenant, or replace the secret and URLs of a known one.

        A new tenant starts enabled; a re-install keeps its enabled flag and first install time
        (Jira re-installs to upgrade the app, rotate the secret or rename the site, and sends
        ``enabled``/``disabled`` separately). Installs of one clientKey racing from different
        threads or processes leave one row holding the secret of the install the database
        committed last: each is a single atomic upsert where the backend has one (PostgreSQL and
        SQLite ``ON CONFLICT``, MySQL/MariaDB ``ON DUPLICATE KEY``), elsewhere (SQL Server) an
        insert that turns into an update when another process inserted first. The same
        transaction clears the site's entry in the removal journal, so a later restore keeps the
        site.
        """
        kid, blob = self._keyring.encrypt(payload.shared_secret, associated_data=payload.client_key)
        with unavailability_as_error():
            record = self._upsert(payload, kid, blob)
        self._forget(payload.client_key)
        return record

    def _upsert(self, payload: InstallPayload, kid: str, blob: str) -> TenantRecord:
        now = self._now()
        replaced = {
            "base_url": payload.base_url,
            "shared_secret": blob,
            "secret_key_id": kid,
            "oauth_client_id": payload.oauth_client_id,
            "installation_id": payload.installation_id,
            "updated_at": now,
        }
        statement = _atomic_upsert(
            self._engine.dialect.name,
            {"client_key": payload.client_key, "enabled": True, "installed_at": now, **replaced},
            replaced,
        )
        for attempt in range(_UPSERT_ATTEMPTS):
            try:
                with Session(self._engine) as session, session.begin():
                    if statement is not None:
                        session.execute(statement)
                    else:
                        _insert_or_update(session, payload.client_key, replaced, now)
                    # The site is installed again: a restore must not remove it as an earlier
                    # removal.
                    session.execute(
                        delete(RemovalJournalEntry).where(
                            RemovalJournalEntry.client_key_sha256 == sha256_hex(payload.client_key)
                        )
                    )
                    tenant = session.scalar(
                        select(Tenant).where(Tenant.client_key == payload.client_key)
                    )
                    if tenant is None:  # pragma: no cover - the row was written just above
                        raise RuntimeError("the installed tenant vanished inside its transaction")
                    return self._record(tenant, payload.shared_secret)
            except IntegrityError:
                # Another process inserted this clientKey between our read and our insert (the
                # path without an atomic upsert): its row exists now, so the next try updates it.
                if attempt + 1 == _UPSERT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def set_enabled(self, client_key: str, enabled: bool) -> bool:
        """Enable or disable a tenant; return False when no tenant has this clientKey."""
        statement = (
            update(Tenant)
            .where(Tenant.client_key == client_key)
            .values(enabled=enabled, updated_at=self._now())
        )
        with unavailability_as_error(), self._engine.begin() as connection:
            changed = connection.execute(statement).rowcount > 0
        self._forget(client_key)
        return changed

    def delete(self, client_key: str) -> bool:
        """Delete a tenant and its secret; return False when no tenant has this clientKey."""
        with unavailability_as_error(), self._engine.begin() as connection:
            deleted = (
                connection.execute(delete(Tenant).where(Tenant.client_key == client_key)).rowcount
                > 0
            )
        self._forget(client_key)
        with self._lock:
            self._touched.pop(client_key, None)
        return deleted

    def touch(self, client_key: str) -> None:
        """Record that a tenant was just seen, writing at most once per ``last_seen_interval``.

        The first call for a tenant in this process writes unless the stored time is already
        recent (another process wrote it); later calls within the interval cost no database
        round trip, so a busy tenant does not turn every request into a write. When the write
        fails (``DatabaseUnavailable`` is raised), the next attempt for this tenant comes after
        ``TOUCH_RETRY_SECONDS`` at the soonest, so an outage does not cost every request of a
        cached tenant a failing connection attempt.
        """
        now = self._clock()
        with self._lock:
            last_touch = self._touched.get(client_key)
            if last_touch is not None and now - last_touch < self._last_seen_interval:
                return
            self._touched[client_key] = now
            self._touched.move_to_end(client_key)
            while len(self._touched) > self._max_cached:
                self._touched.popitem(last=False)
        moment = self._datetime(now)
        recent = moment - dt.timedelta(seconds=self._last_seen_interval)
        # The condition makes the write a no-op when another process stored a recent time.
        statement = (
            update(Tenant)
            .where(Tenant.client_key == client_key)
            .where(or_(Tenant.last_seen_at.is_(None), Tenant.last_seen_at <= recent))
            .values(last_seen_at=moment)
        )
        try:
            with unavailability_as_error(), self._engine.begin() as connection:
                connection.execute(statement)
        except Exception:
            # Not recorded after all: try again once TOUCH_RETRY_SECONDS have passed.
            retry_mark = (
                now - self._last_seen_interval + min(TOUCH_RETRY_SECONDS, self._last_seen_interval)
            )
            with self._lock:
                if self._touched.get(client_key) == now:
                    self._touched[client_key] = retry_mark
            raise

    def rotate(self, keyring: KeyRing) -> RotationResult:
        """Re-encrypt every stored secret under ``keyring``'s primary key, in one transaction.

        ``keyring`` must hold every key id in use (the old keys as well as the new primary);
        otherwise :class:`MissingKeyError` is raised before anything is written. Afterwards this
        store reads and writes with ``keyring``. A secret that fails to decrypt aborts the
        rotation with ``DecryptionError`` and nothing is written.
        """
        with unavailability_as_error(), Session(self._engine) as session, session.begin():
            tenants = list(session.scalars(select(Tenant).order_by(Tenant.id).with_for_update()))
            missing = {t.secret_key_id for t in tenants if not keyring.has(t.secret_key_id)}
            if missing:
                raise MissingKeyError(missing)
            stale = [t for t in tenants if t.secret_key_id != keyring.primary_kid]
            for tenant in stale:
                secret = keyring.decrypt(
                    tenant.secret_key_id, tenant.shared_secret, associated_data=tenant.client_key
                )
                tenant.secret_key_id, tenant.shared_secret = keyring.encrypt(
                    secret, associated_data=tenant.client_key
                )
        self._keyring = keyring
        self.clear_cache()
        return RotationResult(
            total=len(tenants),
            reencrypted=len(stale),
            already_current=len(tenants) - len(stale),
        )

    # -- cache --------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget every cached record, so the next reads go to the database."""
        with self._lock:
            self._records.clear()
            self._generation += 1

    def _remember(self, record: TenantRecord, now: float) -> None:
        if self._cache_seconds <= 0:
            return
        self._records[record.client_key] = _CacheEntry(record, now + self._cache_seconds)
        self._records.move_to_end(record.client_key)
        while len(self._records) > self._max_cached:
            self._records.popitem(last=False)

    def _forget(self, client_key: str) -> None:
        with self._lock:
            self._records.pop(client_key, None)
            self._generation += 1

    # -- helpers ------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self._datetime(self._clock())

    @staticmethod
    def _datetime(timestamp: float) -> dt.datetime:
        # Rows hold whole seconds on every backend; rounding here keeps returned records equal
        # to what a later read returns.
        return dt.datetime.fromtimestamp(int(timestamp), dt.UTC)

    @classmethod
    def _decrypted(cls, tenant: Tenant, keyring: KeyRing) -> TenantRecord:
        secret = keyring.decrypt(
            tenant.secret_key_id, tenant.shared_secret, associated_data=tenant.client_key
        )
        return cls._record(tenant, secret)

    @staticmethod
    def _record(tenant: Tenant, shared_secret: str) -> TenantRecord:
        return TenantRecord(
            client_key=tenant.client_key,
            base_url=tenant.base_url,
            shared_secret=shared_secret,
            oauth_client_id=tenant.oauth_client_id,
            installation_id=tenant.installation_id,
            enabled=tenant.enabled,
            installed_at=tenant.installed_at,
            updated_at=tenant.updated_at,
            last_seen_at=tenant.last_seen_at,
        )
