"""Forge installations: which tenant a Forge installation id belongs to, and pure Forge installs.

Two kinds of site reach the app through Forge:

- an app that adopted Forge from Connect: Jira's Connect ``installed`` payload carries the Forge
  ``installationId``, stored on the tenant row, so a Forge Invocation Token naming that
  installation belongs to that Connect tenant (one site, one tenant, whichever way it arrives);
- a pure Forge app: no Connect install and no secret exists, a verified token is itself the
  proof of installation. The kit keeps only the installation id, the site's cloud id and when
  the installation was last seen (the ``ack_forge_installations`` table); the installation id
  is then the tenant's key (where a Connect tenant has its clientKey), for plugins, purges and
  the removal journal alike.

:class:`ForgeInstallations` answers both questions with a small per-process cache, and writes the
last-seen time at most once per interval, so a busy installation does not turn every invocation
into a database write.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.storage.db import Base, UnicodeString, UTCDateTime
from atlassian_connect_kit.storage.db import unavailability_as_error as _unavailable
from atlassian_connect_kit.storage.models import RemovalJournalEntry, Tenant, sha256_hex

if TYPE_CHECKING:
    from atlassian_connect_kit.settings import Settings

INSTALLATIONS_KEY = "ack.forge_installations"
"""Registry key of the application's :class:`ForgeInstallations`."""

LINK_CACHE_SECONDS = 30.0
"""How long a process trusts what it found out about an installation id's tenant."""

LAST_SEEN_INTERVAL = 3600.0
"""Fewest seconds between two writes of one installation's last-seen time by one process."""

MAX_CACHED = 1000
"""Most installation ids a process remembers at once (least recently used forgotten first)."""

UNTIL_REMOVED = "until uninstall"
"""Retention of a pure Forge installation's row: removed by Forge's ``preUninstall`` call, or by
``ack tenants purge``/``purge-stale`` when that call was lost (the same words as for tenants)."""


class ForgeInstallation(Base):
    """A pure Forge installation: its id, the site's cloud id, and when it was last seen."""

    __tablename__ = "ack_forge_installations"

    installation_id: Mapped[str] = mapped_column(UnicodeString(255), primary_key=True)
    cloud_id: Mapped[str] = mapped_column(UnicodeString(64), nullable=False)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


TABLE: str = ForgeInstallation.__tablename__
"""The table of pure Forge installations."""

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("installation_id", "identifies the Forge installation (Atlassian's installation id)"),
    ("cloud_id", "identifies the Jira site of the installation (its cloud id)"),
    ("last_seen_at", "when Forge last invoked the app for it, to find installations gone"),
)


@dataclass(frozen=True, slots=True)
class ForgeInstallationRecord:
    """One pure Forge installation as stored."""

    installation_id: str
    cloud_id: str
    last_seen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class _Link:
    client_key: str | None
    found_at: float


class ForgeInstallations:
    """Forge installation ids of the database: their Connect tenant, or their own row.

    Thread-safe; one per application. ``clock`` returns seconds since the epoch (tests move it).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        link_cache_seconds: float = LINK_CACHE_SECONDS,
        last_seen_interval: float = LAST_SEEN_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if link_cache_seconds < 0 or last_seen_interval < 0:
            raise ValueError("link_cache_seconds and last_seen_interval must not be negative")
        self._engine = engine
        self._link_cache_seconds = link_cache_seconds
        self._last_seen_interval = last_seen_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._links: OrderedDict[str, _Link] = OrderedDict()
        self._seen: OrderedDict[str, float] = OrderedDict()

    # -- the link to a Connect tenant -------------------------------------------------------------

    def linked_client_key(self, installation_id: str) -> str | None:
        """The clientKey of the Connect tenant whose install named ``installation_id``, if any."""
        now = self._clock()
        with self._lock:
            link = self._links.get(installation_id)
            if link is not None and now - link.found_at < self._link_cache_seconds:
                self._links.move_to_end(installation_id)
                return link.client_key
        query = (
            select(Tenant.client_key)
            .where(Tenant.installation_id == installation_id)
            .order_by(Tenant.client_key)
        )
        with _unavailable(), Session(self._engine) as session:
            client_key = session.scalars(query).first()
        with self._lock:
            self._links[installation_id] = _Link(client_key, now)
            self._links.move_to_end(installation_id)
            _bound(self._links)
        return client_key

    def forget(self, installation_id: str) -> None:
        """Drop what this process remembers of ``installation_id`` (after an install or purge)."""
        with self._lock:
            self._links.pop(installation_id, None)
            self._seen.pop(installation_id, None)

    # -- pure Forge installations ------------------------------------------------------------------

    def seen(self, installation_id: str, cloud_id: str, *, force: bool = False) -> bool:
        """Record that Forge invoked the app for ``installation_id``; tell whether it is new.

        Writes at most once per ``last_seen_interval`` per installation and process, unless
        ``force`` (a lifecycle event). Returns ``True`` when the row did not exist before (the
        first time any process saw the installation). Raises ``DatabaseUnavailable``.
        """
        now = self._clock()
        with self._lock:
            last = self._seen.get(installation_id)
            if not force and last is not None and now - last < self._last_seen_interval:
                return False
            self._seen[installation_id] = now
            self._seen.move_to_end(installation_id)
            _bound(self._seen)
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        try:
            return self._upsert(installation_id, cloud_id, moment)
        except Exception:
            with self._lock:
                if self._seen.get(installation_id) == now:
                    del self._seen[installation_id]
            raise

    def _upsert(self, installation_id: str, cloud_id: str, moment: dt.datetime) -> bool:
        recent = moment - dt.timedelta(seconds=self._last_seen_interval)
        # The conditions make the write a no-op when another process stored a recent time.
        refresh = (
            update(ForgeInstallation)
            .where(ForgeInstallation.installation_id == installation_id)
            .where(
                or_(
                    ForgeInstallation.last_seen_at <= recent,
                    ForgeInstallation.cloud_id != cloud_id,
                )
            )
            .values(last_seen_at=moment, cloud_id=cloud_id)
        )
        with _unavailable():
            with self._engine.begin() as connection:
                exists = connection.scalar(
                    select(func.count())
                    .select_from(ForgeInstallation)
                    .where(ForgeInstallation.installation_id == installation_id)
                )
                if exists:
                    connection.execute(refresh)
                    return False
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        insert(ForgeInstallation).values(
                            installation_id=installation_id,
                            cloud_id=cloud_id,
                            last_seen_at=moment,
                        )
                    )
                    # Back after a purge (Forge still invokes it): a restore must keep it now.
                    connection.execute(
                        delete(RemovalJournalEntry).where(
                            RemovalJournalEntry.client_key_sha256 == sha256_hex(installation_id)
                        )
                    )
                return True
            except IntegrityError:
                # Another process inserted it between the two transactions: it is not new.
                with self._engine.begin() as connection:
                    connection.execute(refresh)
                return False

    def get(self, installation_id: str) -> ForgeInstallationRecord | None:
        """The stored pure Forge installation ``installation_id``, if any."""
        with _unavailable(), Session(self._engine) as session:
            row = session.get(ForgeInstallation, installation_id)
            return _record(row) if row is not None else None

    def list_installations(self) -> list[ForgeInstallationRecord]:
        """Every stored pure Forge installation, by installation id."""
        query = select(ForgeInstallation).order_by(ForgeInstallation.installation_id)
        with _unavailable(), Session(self._engine) as session:
            return [_record(row) for row in session.scalars(query)]

    def stale_installation_ids(self, older_than: dt.datetime) -> list[str]:
        """The pure Forge installations not seen since ``older_than`` (an aware datetime)."""
        if older_than.tzinfo is None or older_than.utcoffset() is None:
            raise ValueError("older_than must be timezone-aware")
        query = (
            select(ForgeInstallation.installation_id)
            .where(ForgeInstallation.last_seen_at < older_than)
            .order_by(ForgeInstallation.installation_id)
        )
        with _unavailable(), Session(self._engine) as session:
            return list(session.scalars(query))


def _bound(cache: OrderedDict[str, Any]) -> None:
    while len(cache) > MAX_CACHED:
        cache.popitem(last=False)


def _record(row: ForgeInstallation) -> ForgeInstallationRecord:
    return ForgeInstallationRecord(row.installation_id, row.cloud_id, row.last_seen_at)


def get_installations(registry: Any) -> ForgeInstallations:
    """The :class:`ForgeInstallations` of the application that owns ``registry``."""
    installations: ForgeInstallations = registry[INSTALLATIONS_KEY]
    return installations


def installations_for(engine: Engine) -> ForgeInstallations:
    """A :class:`ForgeInstallations` for commands, which run without an application."""
    return ForgeInstallations(engine, link_cache_seconds=0)


def inventory_entries() -> Sequence[InventoryEntry]:
    """The inventory of the pure Forge installations table (purged by installation id)."""
    return tuple(
        InventoryEntry(
            table=TABLE,
            column=column,
            purpose=purpose,
            retention=UNTIL_REMOVED,
            tenant_column="installation_id",
        )
        for column, purpose in _COLUMNS
    )


@hookimpl(trylast=True)
def ack_data_inventory(settings: Settings) -> Sequence[InventoryEntry]:
    """Declare the pure Forge installations table, column by column."""
    return inventory_entries()


def tenant_installation_ids(engine: Engine) -> dict[str, str]:
    """The Forge installation id of every Connect tenant whose install named one, by clientKey."""
    query = select(Tenant.client_key, Tenant.installation_id).where(
        Tenant.installation_id.is_not(None)
    )
    with _unavailable(), Session(engine) as session:
        return {str(key): str(installation) for key, installation in session.execute(query)}
