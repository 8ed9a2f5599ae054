"""The memory of accepted lifecycle tokens: retries pass, replays with another body do not."""

import datetime as dt

from sqlalchemy import func, insert, select

from atlassian_connect_kit.storage.lifecycle_tokens import PRUNE_BATCH, LifecycleTokens
from atlassian_connect_kit.storage.models import LifecycleToken


def _entries(engine):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(LifecycleToken))


def test_a_retry_passes_and_another_body_is_refused_on_every_worker(engine, clock):
    worker_a, worker_b = LifecycleTokens(engine, clock=clock), LifecycleTokens(engine, clock=clock)
    expires = clock.now + 210
    assert worker_a.accept("token-1", b'{"sharedSecret":"a"}', expires_at=expires)
    assert worker_b.accept("token-1", b'{"sharedSecret":"a"}', expires_at=expires)
    assert not worker_b.accept("token-1", b'{"sharedSecret":"b"}', expires_at=expires)
    assert not worker_a.accept("token-1", b'{"sharedSecret":"b"}', expires_at=expires)
    assert worker_a.accept("token-2", b'{"sharedSecret":"b"}', expires_at=expires)


def test_only_hashes_are_stored(engine, clock):
    LifecycleTokens(engine, clock=clock).accept("eyJ.token", b"body", expires_at=clock.now + 60)
    with engine.connect() as connection:
        row = connection.execute(select(LifecycleToken)).one()
    assert "token" not in row.token_sha256 and len(row.token_sha256) == 64
    assert "body" not in row.body_sha256 and len(row.body_sha256) == 64


def test_an_entry_lives_until_its_token_expires(engine, clock):
    tokens = LifecycleTokens(engine, clock=clock)
    assert tokens.accept("kept", b"a", expires_at=clock.now + 60)
    clock.advance(59)
    assert tokens.accept("other", b"x", expires_at=clock.now + 60)  # prunes what expired
    assert not tokens.accept("kept", b"b", expires_at=clock.now + 1)


def test_expired_entries_are_pruned_a_bounded_number_at_a_time(engine, clock):
    tokens = LifecycleTokens(engine, clock=clock)
    old = 2 * PRUNE_BATCH + 50
    expired = dt.datetime.fromtimestamp(clock.now - 10, dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(LifecycleToken),
            [
                {"token_sha256": f"{n:064x}", "body_sha256": "0" * 64, "expires_at": expired}
                for n in range(old)
            ],
        )
    tokens.accept("new-1", b"body", expires_at=clock.now + 10)
    assert _entries(engine) == old - PRUNE_BATCH + 1
    tokens.accept("new-2", b"body", expires_at=clock.now + 10)
    tokens.accept("new-3", b"body", expires_at=clock.now + 10)
    assert _entries(engine) == 3
