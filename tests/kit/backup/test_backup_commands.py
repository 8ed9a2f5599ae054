"""The backup promises, as an operator meets them through ``ack backup ...``.

Backups are made at least daily, encrypted, kept 35 days plus a year of month-ends, restorable
into any supported database, drilled against the RPO and RTO, and refused when damaged.
"""

import datetime as dt
import stat

import pytest
from sqlalchemy import inspect

from atlassian_connect_kit.auth.tokens import mint_context_token, verify_tenant_token
from atlassian_connect_kit.backup.fileformat import backup_keyring, open_backup
from atlassian_connect_kit.backup.naming import backup_name
from atlassian_connect_kit.backup.operations import create_backup
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import current_revision, head_revision
from tests.kit.operator import Site, synthetic_secret

NOW = "2026-11-27T12:00:00Z"
NOW_DT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def one_line_error(result):
    assert result.status != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def fresh_site(site, name, database_url=None):
    """Another deployment sharing the site's keys (as a disaster-recovery host would)."""
    url = database_url or f"sqlite:///{site.root.parent / name / 'ack.sqlite'}"
    return Site(
        site.root.parent / name,
        url,
        encryption_keys=site.encryption_keys,
        backup_key=site.backup_key,
        name=name,
    ).write()


def comparable(tenants):
    return {
        key: (
            t.base_url,
            t.shared_secret,
            t.oauth_client_id,
            t.enabled,
            t.installed_at,
            t.updated_at,
            t.last_seen_at,
        )
        for key, t in tenants.items()
    }


# --- create ---------------------------------------------------------------------------------


def test_create_writes_one_owner_only_file_named_and_dated_by_now(site):
    site.install([1, 2, 3])
    result = site.ack("backup", "create", "--now", NOW)
    assert result.status == 0, result.err
    assert site.backups() == ["ack-backup-20261127T120000Z.ackb"]
    assert "ack_tenants 3 rows" in result.out
    path = site.backup_dir / site.backups()[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(site.backup_dir.stat().st_mode) == 0o700
    assert [p.name for p in site.backup_dir.iterdir()] == [path.name], "no temporary file left"
    manifest = open_backup(path.read_bytes(), backup_keyring(site.settings()), label="b").manifest
    assert manifest.created_at == NOW_DT
    assert manifest.schema_revision == head_revision()
    assert manifest.secret_key_ids == ("k1",)


def test_secrets_stay_encrypted_inside_the_backup(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", NOW)
    blob = (site.backup_dir / site.backups()[0]).read_bytes()
    backup = open_backup(blob, backup_keyring(site.settings()), label="b")
    # Pure Forge installations (none here) are backed up beside the tenants.
    tables = {table.name: table for table in backup.tables}
    assert set(tables) == {"ack_tenants", "ack_forge_installations"}
    assert tables["ack_forge_installations"].rows == ()
    tenants = tables["ack_tenants"]
    columns = [c.name for c in tenants.columns]
    secret_at, kid_at, key_at = (
        columns.index("shared_secret"),
        columns.index("secret_key_id"),
        columns.index("client_key"),
    )
    for row in tenants.rows:
        assert synthetic_secret(1) not in str(row) and synthetic_secret(2) not in str(row)
        plain = site.keyring().decrypt(row[kid_at], row[secret_at], associated_data=row[key_at])
        assert plain in (synthetic_secret(1), synthetic_secret(2))


def test_create_without_a_backup_key_or_directory_is_a_one_line_error(site):
    site.write(**{"ack.backup.key": ""})
    assert "ack.backup.key" in one_line_error(site.ack("backup", "create"))
    site.write(**{"ack.backup.key": site.backup_key, "ack.backup.dir": ""})
    assert "ack.backup.dir" in one_line_error(site.ack("backup", "create"))
    assert site.backups() == []


def test_create_refuses_a_naive_now(site):
    assert "--now" in one_line_error(site.ack("backup", "create", "--now", "2026-11-27T12:00"))


# --- list and prune ---------------------------------------------------------------------------


def test_list_shows_time_age_size_and_counts(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", "2026-11-26T12:00:00Z")
    site.install([3])
    site.ack("backup", "create", "--now", NOW)
    result = site.ack("backup", "list", "--now", "2026-11-27T18:00:00Z")
    assert result.status == 0, result.err
    newest, older = [line.split() for line in result.out.splitlines()[1:]]
    assert newest[:3] == ["2026-11-27T12:00:00Z", "6.0", "h"]
    assert older[:3] == ["2026-11-26T12:00:00Z", "30.0", "h"]
    assert newest[-3:] == ["ack_tenants", "3", "rows"]
    assert older[-3:] == ["ack_tenants", "2", "rows"]
    assert newest[4] in ("B", "KiB")


def test_prune_over_400_days_of_daily_backups_leaves_35_days_and_13_month_ends(site):
    site.install([1])
    settings = site.settings()
    pm = make_plugin_manager(())
    start = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)
    for day in range(400):
        create_backup(settings, pm, now=start + dt.timedelta(days=day))
    now = start + dt.timedelta(days=399)

    dry = site.ack("backup", "prune", "--dry-run", "--now", now.isoformat())
    assert dry.status == 0 and len(site.backups()) == 400
    assert "keeping 46, would delete 354" in dry.out

    result = site.ack("backup", "prune", "--now", now.isoformat())
    assert result.status == 0, result.err
    daily = [backup_name(start + dt.timedelta(days=d)) for d in range(365, 400)]
    month_ends = [
        backup_name(
            dt.datetime(2026 + m // 12, m % 12 + 1, 1, 2, 0, tzinfo=dt.UTC) - dt.timedelta(days=1)
        )
        for m in range(2, 13)
    ]
    assert site.backups() == sorted(month_ends + daily)
    assert f"keep {daily[0]}: younger than 35 days" in result.out
    assert f"keep {month_ends[0]}: newest of 2026-02 (monthly, 13 months kept)" in result.out
    assert f"deleted {backup_name(start)}: expired" in result.out


# --- restore ----------------------------------------------------------------------------------


def test_restore_into_an_empty_database_brings_back_every_tenant(site):
    site.install([1, 2, 3])
    site.ack("backup", "create", "--now", NOW)
    target = fresh_site(site, "recovered")
    result = target.ack("backup", "restore", str(site.backup_dir / site.backups()[0]))
    assert result.status == 0, result.err
    assert "ack_tenants 3 rows" in result.out
    assert comparable(target.tenants()) == comparable(site.tenants())
    engine = target.engine()
    assert current_revision(engine) == head_revision()
    engine.dispose()
    # The restored database takes new installs (ids continue after the restored ones).
    target.install([4])
    assert len(target.tenants()) == 4


def test_restore_finds_a_backup_by_name_on_the_targets(site):
    site.install([1])
    site.ack("backup", "create", "--now", NOW)
    target = fresh_site(site, "recovered")
    target.write(**{"ack.backup.dir": str(site.backup_dir)})
    assert target.ack("backup", "restore", site.backups()[0]).status == 0
    assert set(target.tenants()) == {"jira:1"}


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", NOW)
    backup = str(site.backup_dir / site.backups()[0])
    site.install([3])
    error = one_line_error(site.ack("backup", "restore", backup))
    assert "not empty" in error and "--force" in error
    assert set(site.tenants()) == {"jira:1", "jira:2", "jira:3"}
    forced = site.ack("backup", "restore", backup, "--force")
    assert forced.status == 0, forced.err
    assert "replaced 3 rows" in forced.out
    assert set(site.tenants()) == {"jira:1", "jira:2"}


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "wrong key", "not a backup"])
def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_written(site, damage):
    site.install([1, 2])
    site.ack("backup", "create", "--now", NOW)
    blob = (site.backup_dir / site.backups()[0]).read_bytes()
    target = fresh_site(site, "recovered")
    if damage == "flipped byte":
        blob = blob[:100] + bytes([blob[100] ^ 0x40]) + blob[101:]
    elif damage == "truncated":
        blob = blob[: len(blob) // 2]
    elif damage == "wrong key":
        target.backup_key = generate_key_line("b1")
        target.write(**{"ack.backup.key": target.backup_key})
    else:
        blob = b"SQLite format 3\x00" + blob[16:]
    path = target.root / "candidate.ackb"
    path.write_bytes(blob)
    error = one_line_error(target.ack("backup", "restore", str(path), "--force"))
    assert error.startswith("ack: error: candidate.ackb: ")
    engine = target.engine()
    try:
        assert inspect(engine).get_table_names() == [], "nothing was written"
    finally:
        engine.dispose()


def test_restore_refuses_a_backup_needing_keys_the_key_ring_lacks(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", NOW)
    target = fresh_site(site, "recovered")
    # The recovery host was set up with a new encryption key only: k1 is missing.
    target.encryption_keys = generate_key_line("k2")
    target.write(**{"ack.encryption_keys": target.encryption_keys})
    error = one_line_error(
        target.ack("backup", "restore", str(site.backup_dir / site.backups()[0]))
    )
    assert error == (
        f"ack: error: {site.backups()[0]}: its secrets are encrypted under key ids k1, which "
        "ack.encryption_keys lacks; add them (the retired keys), then restore"
    )
    engine = target.engine()
    try:
        assert inspect(engine).get_table_names() == [], "nothing was written"
    finally:
        engine.dispose()
    # With the key added (after the primary), the same backup restores.
    target.encryption_keys = f"{target.encryption_keys} {site.encryption_keys}"
    target.write(**{"ack.encryption_keys": target.encryption_keys})
    result = target.ack("backup", "restore", str(site.backup_dir / site.backups()[0]))
    assert result.status == 0, result.err
    assert "removal journal: removed 0 sites again" in result.out


def test_restore_into_every_backend_and_back_keeps_tenants_whose_jwts_verify(site, database_url):
    """SQLite -> each configured server -> SQLite, with secrets that still verify Jira's JWTs."""
    site.install([1, 2, 3])
    site.ack("backup", "create", "--now", NOW)
    server = fresh_site(site, "server", database_url)
    result = server.ack("backup", "restore", str(site.backup_dir / site.backups()[0]))
    assert result.status == 0, result.err
    restored = server.tenants()
    assert comparable(restored) == comparable(site.tenants())
    for number in (1, 2, 3):
        # Jira holds the shared secret it sent at install; its tokens verify with the restored one.
        tenant = restored[f"jira:{number}"]
        token = mint_context_token(
            client_key=tenant.client_key, shared_secret=synthetic_secret(number), account_id="u1"
        )
        claims = verify_tenant_token(
            token,
            shared_secret=tenant.shared_secret,
            client_key=tenant.client_key,
            expected_qsh="not-used-for-context-tokens",
            allow_context_qsh=True,
        )
        assert claims["sub"] == "u1"
    server.install([4])  # new installs get fresh ids on every backend
    server.ack("backup", "create", "--now", "2026-11-28T12:00:00Z")
    back = fresh_site(site, "back")
    result = back.ack("backup", "restore", str(server.backup_dir / server.backups()[0]))
    assert result.status == 0, result.err
    assert comparable(back.tenants()) == comparable(server.tenants())


# --- verify (the restore drill) ---------------------------------------------------------------


def test_verify_passes_with_a_fresh_backup_and_reports_the_drill(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", NOW)
    result = site.ack("backup", "verify", "--now", "2026-11-28T11:00:00Z")
    assert result.status == 0, result.err
    assert "is 23.0 h old (RPO 24 h)" in result.out
    assert "2 secrets decrypted, in " in result.out and "(RTO 8 h)" in result.out
    assert "FAILED" not in result.out


def test_verify_fails_when_the_newest_backup_is_older_than_the_rpo(site):
    site.install([1])
    site.ack("backup", "create", "--now", NOW)
    result = site.ack("backup", "verify", "--now", "2026-11-28T13:00:00Z")
    error = one_line_error(result)
    assert "25.0 h old (RPO 24 h)" in error
    assert "FAILED:" in result.out


def test_verify_fails_for_a_stale_backup_renamed_to_look_fresh(site):
    site.install([1])
    site.ack("backup", "create", "--now", "2026-11-20T12:00:00Z")
    stale = site.backup_dir / site.backups()[0]
    fresh_name = backup_name(NOW_DT)
    stale.rename(site.backup_dir / fresh_name)
    result = site.ack("backup", "verify", "--now", "2026-11-27T13:00:00Z")
    error = one_line_error(result)
    assert f"{fresh_name} was made at 2026-11-20T12:00:00Z, not the time its name says" in error
    assert f"newest backup {fresh_name} is 169.0 h old (RPO 24 h)" in result.out
    assert "FAILED" in result.out


def test_verify_fails_without_any_backup(site):
    assert "no backups" in one_line_error(site.ack("backup", "verify"))


def test_verify_fails_when_a_kept_backup_needs_a_key_no_longer_configured(site):
    site.install([1, 2])
    site.ack("backup", "create", "--now", "2026-11-20T12:00:00Z")
    old_key = site.encryption_keys
    site.encryption_keys = f"{generate_key_line('k2')} {old_key}"
    site.write(**{"ack.encryption_keys": site.encryption_keys})
    rotated = site.ack("keys", "rotate")
    assert rotated.status == 0, rotated.err
    assert "retired key k1: 1 kept backups need it" in rotated.out
    site.ack("backup", "create", "--now", NOW)
    assert site.ack("backup", "verify", "--now", NOW).status == 0

    site.encryption_keys = site.encryption_keys.split()[0]  # the operator drops k1 too early
    site.write(**{"ack.encryption_keys": site.encryption_keys})
    error = one_line_error(site.ack("backup", "verify", "--now", NOW))
    assert "need encryption key 'k1'" in error


def test_verify_fails_when_a_kept_backup_is_damaged(site):
    site.install([1])
    site.ack("backup", "create", "--now", "2026-11-26T12:00:00Z")
    site.ack("backup", "create", "--now", NOW)
    older = site.backup_dir / site.backups()[0]
    older.write_bytes(older.read_bytes()[:-5])
    error = one_line_error(site.ack("backup", "verify", "--now", NOW))
    assert site.backups()[0] in error


def test_rotate_says_a_retired_key_no_backup_needs_can_go(site):
    site.install([1])
    site.encryption_keys = f"{generate_key_line('k2')} {site.encryption_keys}"
    site.write(**{"ack.encryption_keys": site.encryption_keys})
    result = site.ack("keys", "rotate")
    assert result.status == 0, result.err
    assert "retired key k1: no kept backup needs it" in result.out
    assert KeyRing.from_setting(site.encryption_keys).primary_kid == "k2"
