"""The tenant store keeps installs, encrypts their secrets and behaves across processes."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from atlassian_connect_kit.storage.crypto import DecryptionError, KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import DatabaseUnavailable, make_engine, upgrade
from atlassian_connect_kit.storage.models import Tenant
from atlassian_connect_kit.storage.store import (
    TOUCH_RETRY_SECONDS,
    InstallPayload,
    MissingKeyError,
    RotationResult,
    TenantStore,
)
from tests.kit.storage.clock import START_OF_TEST_CLOCK, FakeClock
from tests.kit.storage.databases import require_local_database_url

StoreFactory = Callable[..., TenantStore]

SECRET = "plain-shared-secret-6f1d2c9a8b7e"
START = dt.datetime.fromtimestamp(START_OF_TEST_CLOCK, dt.UTC)


def payload(client_key: str = "client-one", secret: str = SECRET, **fields: Any) -> InstallPayload:
    body = {
        "clientKey": client_key,
        "baseUrl": "https://one.atlassian.net",
        "sharedSecret": secret,
        "oauthClientId": "oauth-one",
        "installationId": "ari:cloud:ecosystem::installation/one",
        # Everything else Jira sends is dropped.
        "description": "Atlassian JIRA at https://one.atlassian.net",
        "serviceEntitlementNumber": "SEN-123",
        **fields,
    }
    return InstallPayload.from_lifecycle_body(body)


def row_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Tenant)) or 0


def stored_row(engine: Engine, client_key: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(Tenant.__table__).where(Tenant.client_key == client_key)
        ).one()
        return dict(row._mapping)


@contextmanager
def counting_updates(engine: Engine) -> Iterator[dict[str, int]]:
    """Count UPDATE statements on the tenant table, and those that changed a row."""
    counts = {"statements": 0, "rows_written": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ACK_TENANTS"):
            counts["statements"] += 1
            counts["rows_written"] += max(cursor.rowcount, 0)

    event.listen(engine, "after_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "after_cursor_execute", count)


# -- install ----------------------------------------------------------------------------------


def test_install_stores_the_tenant_for_every_process(make_store: StoreFactory) -> None:
    installed = make_store().save_install(payload())

    record = make_store().get("client-one")

    assert record == installed
    assert record is not None
    assert record.shared_secret == SECRET
    assert record.base_url == "https://one.atlassian.net"
    assert record.oauth_client_id == "oauth-one"
    assert record.installation_id == "ari:cloud:ecosystem::installation/one"
    assert record.enabled is True
    assert record.installed_at == record.updated_at == START
    assert record.last_seen_at is None
    assert SECRET not in repr(record)
    assert make_store().get("client-unknown") is None


def test_stored_secret_is_ciphertext_bound_to_the_tenant(
    make_store: StoreFactory, engine: Engine, keyring: KeyRing
) -> None:
    make_store().save_install(payload())

    row = stored_row(engine, "client-one")

    assert all(SECRET not in str(value) for value in row.values())
    assert row["secret_key_id"] == keyring.primary_kid
    assert keyring.decrypt(row["secret_key_id"], row["shared_secret"], associated_data="client-one")
    with pytest.raises(DecryptionError):
        keyring.decrypt(row["secret_key_id"], row["shared_secret"], associated_data="client-two")


def test_plaintext_secret_never_reaches_the_sqlite_files(tmp_path: Path, keyring: KeyRing) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ack.sqlite'}")
    upgrade(engine)
    store = TenantStore(engine, keyring)
    store.save_install(payload())
    store.save_install(payload(secret=SECRET + "-rotated"))
    assert store.get("client-one", fresh=True) is not None
    engine.dispose()

    written = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"client-one" in written
    assert SECRET.encode() not in written


def test_reinstall_replaces_the_secret_and_keeps_one_row(
    make_store: StoreFactory, engine: Engine, clock: FakeClock
) -> None:
    store = make_store()
    store.save_install(payload())
    assert store.set_enabled("client-one", False)
    clock.advance(90)

    reinstalled = store.save_install(
        payload(
            secret="rotated-secret",
            baseUrl="https://renamed.atlassian.net",
            oauthClientId="oauth-two",
            installationId=None,
        )
    )

    assert row_count(engine) == 1
    assert make_store().get("client-one") == reinstalled
    assert reinstalled.shared_secret == "rotated-secret"
    assert reinstalled.base_url == "https://renamed.atlassian.net"
    assert reinstalled.oauth_client_id == "oauth-two"
    assert reinstalled.installation_id is None
    assert reinstalled.installed_at == START
    assert reinstalled.updated_at == START + dt.timedelta(seconds=90)
    # Jira sends "enabled" on its own after an install; a re-install does not re-enable.
    assert reinstalled.enabled is False


def test_reinstall_is_seen_at_once_by_the_installing_process(make_store: StoreFactory) -> None:
    store = make_store()
    store.save_install(payload())
    assert store.get("client-one") is not None

    store.save_install(payload(secret="rotated-secret"))

    record = store.get("client-one")
    assert record is not None
    assert record.shared_secret == "rotated-secret"


def _race_installs(
    engines: list[Engine],
    keyring: KeyRing,
    barrier: threading.Barrier,
    secret_pattern: str,
    *,
    count: int,
    wait_first: bool = False,
) -> list[object]:
    """Install client-one from ``count`` threads over ``engines``; fail on any error.

    ``barrier`` is aborted when a thread fails, so no other thread waits for it; with
    ``wait_first`` every thread waits on it before installing.
    """
    results: dict[int, object] = {}

    def install(index: int) -> None:
        try:
            store = TenantStore(engines[index % len(engines)], keyring)
            if wait_first:
                barrier.wait()
            results[index] = store.save_install(payload(secret=secret_pattern.format(index)))
        except BaseException as error:
            barrier.abort()
            results[index] = error

    threads = [threading.Thread(target=install, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for each in engines:
        each.dispose()
    errors = [result for result in results.values() if isinstance(result, BaseException)]
    assert errors == []
    return list(results.values())


def test_concurrent_installs_of_one_client_key_leave_one_row(
    database_url: str, engine: Engine, keyring: KeyRing
) -> None:
    # Two processes: each its own engine and connections. Both read "no such tenant" before
    # either inserts, so one insert must collide with the other's row and turn into an update.
    engines = [make_engine(database_url) for _ in range(2)]
    both_have_read = threading.Barrier(2, timeout=20)

    def insert_only_when_both_have_read(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ACK_TENANTS"):
            both_have_read.wait()

    for each in engines:
        event.listen(each, "before_cursor_execute", insert_only_when_both_have_read)
    results = _race_installs(engines, keyring, both_have_read, "secret-from-process-{}", count=2)

    assert len(results) == 2
    assert row_count(engine) == 1
    final = TenantStore(engine, keyring).get("client-one")
    assert final is not None
    assert final.shared_secret in {"secret-from-process-0", "secret-from-process-1"}


def test_twenty_racing_installs_leave_one_row_with_the_secret_committed_last(
    database_url: str, engine: Engine, keyring: KeyRing
) -> None:
    # Two "processes" (engines), ten installing threads each, all released at once. The writes
    # to one row are serialised by the database (row lock, or SQLite's write lock), which holds
    # from the install's statement until its commit: so the order in which those statements
    # return is the commit order, and the row must end with the secret of the last of them.
    engines = [make_engine(database_url) for _ in range(2)]
    start = threading.Barrier(20, timeout=30)
    order: list[str] = []
    order_lock = threading.Lock()

    def note_write(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("INSERT INTO ACK_TENANTS", "UPDATE ACK_TENANTS")):
            secret = _installed_secret(parameters, keyring)
            if secret is not None:
                with order_lock:
                    order.append(secret)

    for each in engines:
        event.listen(each, "after_cursor_execute", note_write)
    results = _race_installs(
        engines, keyring, start, "secret-of-install-{:02d}", count=20, wait_first=True
    )

    assert len(results) == 20
    assert row_count(engine) == 1
    final = TenantStore(engine, keyring).get("client-one")
    assert final is not None
    assert final.enabled
    assert sorted(set(order)) == [f"secret-of-install-{index:02d}" for index in range(20)]
    assert final.shared_secret == order[-1]


def _installed_secret(parameters: Any, keyring: KeyRing) -> str | None:
    """The plaintext secret a statement writes: the bound value that decrypts for client-one."""
    values = parameters.values() if isinstance(parameters, dict) else parameters
    for value in values:
        if isinstance(value, str):
            try:
                return keyring.decrypt(keyring.primary_kid, value, associated_data="client-one")
            except DecryptionError:
                continue
    return None


def test_secret_copied_to_another_tenants_row_does_not_decrypt(
    make_store: StoreFactory, engine: Engine
) -> None:
    store = make_store()
    store.save_install(payload("client-one"))
    store.save_install(payload("client-two", secret="second-secret"))
    first = stored_row(engine, "client-one")
    with engine.begin() as connection:
        connection.execute(
            update(Tenant)
            .where(Tenant.client_key == "client-two")
            .values(shared_secret=first["shared_secret"], secret_key_id=first["secret_key_id"])
        )

    with pytest.raises(DecryptionError):
        store.get("client-two", fresh=True)
    assert make_store().get("client-one") is not None


# -- cache ------------------------------------------------------------------------------------


def test_write_by_another_process_is_seen_once_the_cache_expires(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    reader = make_store(cache_seconds=30)
    other_process = make_store()
    other_process.save_install(payload())
    assert reader.get("client-one") is not None

    other_process.save_install(payload(secret="rotated-secret"))
    clock.advance(29)
    still_cached = reader.get("client-one")
    clock.advance(2)
    expired = reader.get("client-one")

    assert still_cached is not None and still_cached.shared_secret == SECRET
    assert expired is not None and expired.shared_secret == "rotated-secret"


def test_fresh_read_sees_another_process_write_at_once_and_refreshes_the_cache(
    make_store: StoreFactory,
) -> None:
    reader = make_store(cache_seconds=30)
    other_process = make_store()
    other_process.save_install(payload())
    assert reader.get("client-one") is not None

    other_process.save_install(payload(secret="rotated-secret"))
    fresh = reader.get("client-one", fresh=True)
    cached_afterwards = reader.get("client-one")

    assert fresh is not None and fresh.shared_secret == "rotated-secret"
    assert cached_afterwards == fresh


def test_uninstall_by_another_process_is_seen_by_a_fresh_read(make_store: StoreFactory) -> None:
    reader = make_store()
    other_process = make_store()
    other_process.save_install(payload())
    assert reader.get("client-one") is not None

    assert other_process.delete("client-one")

    assert reader.get("client-one", fresh=True) is None
    assert reader.get("client-one") is None


def test_cache_holds_a_bounded_number_of_tenants(make_store: StoreFactory) -> None:
    reader = make_store(max_cached_tenants=2)
    writer = make_store()
    for client_key in ("client-a", "client-b", "client-c"):
        writer.save_install(payload(client_key))
        assert reader.get(client_key) is not None

    for client_key in ("client-a", "client-b", "client-c"):
        writer.save_install(payload(client_key, secret="rotated-secret"))
    # Read the cached ones first: the read of an evicted tenant evicts another in turn.
    secrets_seen = {key: reader.get(key) for key in ("client-c", "client-b", "client-a")}

    # client-a was evicted when client-c arrived, so its read went to the database.
    assert {key: record.shared_secret for key, record in secrets_seen.items() if record} == {
        "client-a": "rotated-secret",
        "client-b": SECRET,
        "client-c": SECRET,
    }


def test_clear_cache_sends_the_next_read_to_the_database(make_store: StoreFactory) -> None:
    reader = make_store()
    writer = make_store()
    writer.save_install(payload())
    assert reader.get("client-one") is not None
    writer.save_install(payload(secret="rotated-secret"))

    reader.clear_cache()

    record = reader.get("client-one")
    assert record is not None and record.shared_secret == "rotated-secret"


# -- last seen --------------------------------------------------------------------------------


def test_touch_writes_last_seen_at_most_once_per_interval(
    make_store: StoreFactory, engine: Engine, clock: FakeClock
) -> None:
    store = make_store(last_seen_interval=3600)
    store.save_install(payload())

    with counting_updates(engine) as counts:
        for _ in range(50):
            store.touch("client-one")
            clock.advance(60)
        assert counts == {"statements": 1, "rows_written": 1}
        clock.advance(3600)
        store.touch("client-one")
        store.touch("client-one")
        assert counts == {"statements": 2, "rows_written": 2}

    record = store.get("client-one", fresh=True)
    assert record is not None
    assert record.last_seen_at == START + dt.timedelta(seconds=50 * 60 + 3600)


def test_touch_skips_the_write_when_another_process_saw_the_tenant_recently(
    make_store: StoreFactory, engine: Engine, clock: FakeClock
) -> None:
    first_process = make_store(last_seen_interval=3600)
    second_process = make_store(last_seen_interval=3600)
    first_process.save_install(payload())
    first_process.touch("client-one")

    clock.advance(600)
    with counting_updates(engine) as counts:
        second_process.touch("client-one")
        second_process.touch("client-one")

    assert counts == {"statements": 1, "rows_written": 0}
    record = second_process.get("client-one")
    assert record is not None and record.last_seen_at == START


def test_stale_client_keys_counts_from_last_seen_or_else_last_update(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store()
    for client_key in ("client-silent", "client-seen-long-ago", "client-active"):
        store.save_install(payload(client_key))
    store.touch("client-seen-long-ago")
    clock.advance(10 * 86400)
    store.save_install(payload("client-new"))
    # A re-install is not a visit: the tenant was last seen ten days ago.
    store.save_install(payload("client-seen-long-ago", secret="rotated-secret"))
    clock.advance(86400)
    store.touch("client-active")

    five_days_in = START + dt.timedelta(days=5)
    just_after_ten_days = START + dt.timedelta(days=10, seconds=1)

    assert store.stale_client_keys(five_days_in) == ["client-seen-long-ago", "client-silent"]
    assert store.stale_client_keys(just_after_ten_days) == [
        "client-new",
        "client-seen-long-ago",
        "client-silent",
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        store.stale_client_keys(five_days_in.replace(tzinfo=None))


# -- enable, delete, list -----------------------------------------------------------------------


def test_set_enabled_flips_the_flag_and_reports_unknown_tenants(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store()
    store.save_install(payload())
    assert store.get("client-one") is not None
    clock.advance(5)

    assert store.set_enabled("client-one", False) is True
    disabled = store.get("client-one")
    assert store.set_enabled("client-missing", True) is False

    assert disabled is not None
    assert disabled.enabled is False
    assert disabled.updated_at == START + dt.timedelta(seconds=5)
    assert make_store().get("client-one") == disabled


def test_delete_removes_the_row(make_store: StoreFactory, engine: Engine) -> None:
    store = make_store()
    store.save_install(payload("client-one"))
    store.save_install(payload("client-two"))
    assert store.get("client-one") is not None

    assert store.delete("client-one") is True
    assert store.delete("client-one") is False

    assert store.get("client-one") is None
    assert row_count(engine) == 1
    assert [summary.client_key for summary in store.list_tenants()] == ["client-two"]


def test_list_tenants_shows_no_secrets(make_store: StoreFactory, keyring: KeyRing) -> None:
    store = make_store()
    store.save_install(payload("client-b"))
    store.save_install(payload("client-a"))
    store.set_enabled("client-b", False)

    summaries = store.list_tenants()

    assert [(s.client_key, s.enabled, s.secret_key_id) for s in summaries] == [
        ("client-a", True, keyring.primary_kid),
        ("client-b", False, keyring.primary_kid),
    ]
    assert all(SECRET not in repr(summary) for summary in summaries)
    assert not hasattr(summaries[0], "shared_secret")


# -- key rotation -------------------------------------------------------------------------------


def _ring(*lines: str) -> KeyRing:
    return KeyRing.from_setting(" ".join(lines))


def test_rotate_reencrypts_every_tenant_under_the_new_primary(
    make_store: StoreFactory, engine: Engine
) -> None:
    old_line, new_line = generate_key_line("old"), generate_key_line("new")
    store = make_store(keyring=_ring(old_line))
    client_keys = [f"client-{index}" for index in range(5)]
    for client_key in client_keys:
        store.save_install(payload(client_key, secret=f"secret-of-{client_key}"))

    result = store.rotate(_ring(new_line, old_line))

    assert result == RotationResult(total=5, reencrypted=5, already_current=0)
    assert store.key_ids_in_use() == {"new"}
    new_key_only = make_store(keyring=_ring(new_line))
    old_key_only = make_store(keyring=_ring(old_line))
    for client_key in client_keys:
        record = new_key_only.get(client_key)
        assert record is not None and record.shared_secret == f"secret-of-{client_key}"
        with pytest.raises(DecryptionError):
            old_key_only.get(client_key)
    # The rotating store now works with the ring it was given.
    store.save_install(payload("client-late"))
    assert new_key_only.get("client-late") is not None
    assert store.rotate(_ring(new_line, old_line)) == RotationResult(
        total=6, reencrypted=0, already_current=6
    )


def test_rotate_refuses_a_ring_missing_a_key_in_use_and_writes_nothing(
    make_store: StoreFactory, engine: Engine
) -> None:
    old_line, other_line, new_line = (generate_key_line(kid) for kid in ("old", "other", "new"))
    make_store(keyring=_ring(old_line)).save_install(payload("client-one"))
    make_store(keyring=_ring(other_line)).save_install(payload("client-two"))
    before = {key: stored_row(engine, key) for key in ("client-one", "client-two")}
    store = make_store(keyring=_ring(old_line, other_line))

    with pytest.raises(MissingKeyError) as raised:
        store.rotate(_ring(new_line, old_line))

    assert raised.value.missing_kids == {"other"}
    assert "other" in str(raised.value)
    assert {key: stored_row(engine, key) for key in ("client-one", "client-two")} == before
    assert store.key_ids_in_use() == {"old", "other"}
    assert store.get("client-two") is not None


# -- install payload --------------------------------------------------------------------------


VALID_BODY = {
    "clientKey": "client-one",
    "baseUrl": "https://one.atlassian.net",
    "sharedSecret": SECRET,
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"clientKey": None}, "clientKey"),
        ({"clientKey": ""}, "clientKey"),
        ({"clientKey": 42}, "clientKey"),
        ({"clientKey": "x" * 256}, "clientKey"),
        ({"baseUrl": None}, "baseUrl"),
        ({"baseUrl": "http://one.atlassian.net"}, "baseUrl"),
        ({"baseUrl": "ftp://one.atlassian.net"}, "baseUrl"),
        ({"baseUrl": "https://"}, "baseUrl"),
        ({"baseUrl": "https://user:pw@one.atlassian.net"}, "baseUrl"),
        ({"baseUrl": "https://one.atlassian.net/?next=elsewhere"}, "baseUrl"),
        ({"sharedSecret": None}, "sharedSecret"),
        ({"sharedSecret": ""}, "sharedSecret"),
        ({"sharedSecret": ["not", "text"]}, "sharedSecret"),
        ({"sharedSecret": f" {SECRET} "}, "sharedSecret"),
        ({"oauthClientId": 7}, "oauthClientId"),
        ({"installationId": {"id": 1}}, "installationId"),
    ],
)
def test_install_payload_rejects_bad_fields_naming_them(
    changes: dict[str, Any], field: str
) -> None:
    body = {key: value for key, value in {**VALID_BODY, **changes}.items() if value is not None}

    with pytest.raises(ValueError, match=field) as raised:
        InstallPayload.from_lifecycle_body(body)

    assert SECRET not in str(raised.value)


def test_install_payload_accepts_http_only_when_allowed() -> None:
    body = {**VALID_BODY, "baseUrl": "http://localhost:2990/jira"}

    with pytest.raises(ValueError, match="baseUrl"):
        InstallPayload.from_lifecycle_body(body)
    accepted = InstallPayload.from_lifecycle_body(body, allow_http=True)

    assert accepted.base_url == "http://localhost:2990/jira"
    assert accepted.oauth_client_id is None
    assert accepted.installation_id is None
    assert SECRET not in repr(accepted)


def test_install_payload_rejects_a_body_that_is_not_an_object() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        InstallPayload.from_lifecycle_body(["clientKey", "client-one"])  # type: ignore[arg-type]


# -- unavailable database -----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "url_template",
    [
        "postgresql+psycopg://postgres@127.0.0.1:{port}/test",
        "mysql+pymysql://root@127.0.0.1:{port}/test",
        "sqlite:///{missing_dir}/ack.sqlite",
    ],
    ids=["postgresql", "mariadb", "sqlite"],
)
def test_unreachable_database_raises_database_unavailable(
    url_template: str, tmp_path: Path, keyring: KeyRing
) -> None:
    url = url_template.format(port=_closed_port(), missing_dir=tmp_path / "missing")
    engine = make_engine(url)
    store = TenantStore(engine, keyring)

    with pytest.raises(DatabaseUnavailable) as raised:
        store.get("client-one")
    with pytest.raises(DatabaseUnavailable):
        store.save_install(payload())
    with pytest.raises(DatabaseUnavailable):
        upgrade(engine)

    message = str(raised.value)
    assert "SELECT" not in message.upper()
    assert SECRET not in message
    engine.dispose()


def test_a_failed_touch_is_retried_after_a_minute_not_on_every_request(
    tmp_path: Path, keyring: KeyRing, clock: FakeClock
) -> None:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/none")
    store = TenantStore(engine, keyring, clock=clock, last_seen_interval=3600)
    failures: list[object] = []
    event.listen(engine, "handle_error", failures.append)

    with pytest.raises(DatabaseUnavailable):
        store.touch("client-one")
    assert len(failures) == 1
    for _ in range(10):
        clock.advance(5)
        store.touch("client-one")  # within the retry delay: no attempt, no error
    assert len(failures) == 1
    clock.advance(TOUCH_RETRY_SECONDS)
    with pytest.raises(DatabaseUnavailable):
        store.touch("client-one")
    assert len(failures) == 2
    engine.dispose()


def test_query_errors_are_not_mistaken_for_unavailability(
    database_url: str, keyring: KeyRing
) -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        pytest.skip("SQLite reports a missing table as an operational error, like a locked file")
    # The server answers, but the database was never migrated: a deployment mistake that
    # must surface as such, not as a passing outage.
    engine = make_engine(database_url)
    try:
        with pytest.raises(ProgrammingError):
            TenantStore(engine, keyring).get("client-one")
    finally:
        engine.dispose()


# -- test database guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@localhost/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@[::1]:5432/test",
        "postgresql+psycopg://postgres@/test?host=/var/run/postgresql",
        "mysql+pymysql://root@127.0.0.1:3306/test",
    ],
)
def test_guard_accepts_local_test_databases(url: str) -> None:
    assert require_local_database_url(url).database == "test"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://app:pw@db.example.com/prod",
        "mysql+pymysql://root@10.0.0.5:3306/test",
        "postgresql+psycopg://postgres@/test?host=db.example.com",
    ],
)
def test_guard_refuses_remote_databases(url: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="not local") as raised:
        require_local_database_url(url)
    assert "pw" not in str(raised.value)
