"""Fixtures for the storage tests: a database on every configured backend, a key ring, a clock,
and tenant stores built on them (the databases are :mod:`tests.kit.storage.databases`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.storage.store import TenantStore
from tests.kit.storage import databases
from tests.kit.storage.clock import FakeClock

# Every configured backend (the fixture lives with the databases it makes).
database_url = databases.database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, migrated to the newest schema."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def keyring() -> KeyRing:
    """A key ring holding one freshly generated key."""
    return KeyRing.from_setting(generate_key_line())


@pytest.fixture
def clock() -> FakeClock:
    """A hand-driven clock starting at a fixed moment."""
    return FakeClock()


@pytest.fixture
def make_store(engine: Engine, keyring: KeyRing, clock: FakeClock) -> Callable[..., TenantStore]:
    """Build tenant stores on the test database; each one stands in for a separate process.

    They share the test's engine, key ring and fake clock unless given others; keyword
    arguments such as ``cache_seconds`` go to the store.
    """

    def build(
        *, engine: Engine = engine, keyring: KeyRing = keyring, **options: Any
    ) -> TenantStore:
        return TenantStore(engine, keyring, clock=clock, **options)

    return build
