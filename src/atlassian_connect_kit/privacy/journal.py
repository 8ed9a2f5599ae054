"""The removal journal: which sites were removed, by the SHA-256 of their clientKey, and when.

Uninstalls and tenant purges record each removed site here, in the same transaction as the
removal. Backups never hold the journal and a restore never replaces it; instead a restore
re-applies it, so a site removed after a backup was made does not come back with that backup.
The journal keeps no identifier in clear, and forgets a removal once every backup made before it
has expired under the backup retention settings. A later install of the same site clears its
entry: a restore never removes a site that is installed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from atlassian_connect_kit.backup.retention import removal_horizon
from atlassian_connect_kit.settings import Settings
from atlassian_connect_kit.storage.models import RemovalJournalEntry, sha256_hex

JOURNAL_TABLE: str = RemovalJournalEntry.__tablename__
"""The table the journal lives in (never backed up)."""


@dataclass(frozen=True)
class RemovalJournal:
    """The journal's retention, taken from the backup retention settings."""

    keep_days: int
    keep_months: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RemovalJournal:
        """The journal kept as long as ``ack.backup.keep_days``/``keep_months`` keep backups."""
        return cls(keep_days=settings.backup_keep_days, keep_months=settings.backup_keep_months)

    def horizon(self, now: dt.datetime) -> dt.datetime:
        """Removals before this moment are in no kept backup any more: they are forgotten."""
        return removal_horizon(now, keep_days=self.keep_days, keep_months=self.keep_months)

    def record(self, connection: Connection, client_key: str, now: dt.datetime) -> str:
        """Record that ``client_key`` was removed at ``now``; return the hash recorded.

        Runs in the caller's transaction, so the entry exists exactly when the removal happened.
        A site removed again keeps one entry, dated by its latest removal. Expired entries go.
        """
        digest = sha256_hex(client_key)
        exists = connection.scalar(
            select(RemovalJournalEntry.client_key_sha256).where(
                RemovalJournalEntry.client_key_sha256 == digest
            )
        )
        if exists is None:
            connection.execute(
                insert(RemovalJournalEntry).values(client_key_sha256=digest, removed_at=now)
            )
        else:
            connection.execute(
                update(RemovalJournalEntry)
                .where(RemovalJournalEntry.client_key_sha256 == digest)
                .values(removed_at=now)
            )
        self.prune(connection, now)
        return digest

    def expired(self, connection: Connection, now: dt.datetime) -> int:
        """How many removals :meth:`prune` would forget at ``now``."""
        query = (
            select(func.count())
            .select_from(RemovalJournalEntry)
            .where(RemovalJournalEntry.removed_at < self.horizon(now))
        )
        return int(connection.scalar(query) or 0)

    def prune(self, connection: Connection, now: dt.datetime) -> int:
        """Forget the removals no kept backup can bring back any more; return how many."""
        statement = delete(RemovalJournalEntry).where(
            RemovalJournalEntry.removed_at < self.horizon(now)
        )
        return max(connection.execute(statement).rowcount, 0)


def removed_digests(connection: Connection) -> set[str]:
    """The hashes of every site the journal holds as removed."""
    return set(connection.scalars(select(RemovalJournalEntry.client_key_sha256)))


def removed_client_keys(candidates: Iterable[str], digests: set[str]) -> list[str]:
    """Those of ``candidates`` (clientKeys in clear) whose hash the journal holds, sorted."""
    return sorted({key for key in candidates if sha256_hex(key) in digests})
