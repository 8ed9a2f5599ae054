"""``ack db upgrade``, ``ack keys generate`` and ``ack keys rotate`` as an operator runs them."""

import os
import stat
import subprocess
import sys

import pytest

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.settings import SettingsError
from atlassian_connect_kit.storage.crypto import DecryptionError, KeyRing, parse_key
from atlassian_connect_kit.storage.db import current_revision, head_revision, make_engine
from atlassian_connect_kit.storage.store import InstallPayload, TenantStore
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


def ack(*args, cwd):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    return subprocess.run(
        [sys.executable, "-m", "atlassian_connect_kit.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=120,
    )


def write_ini(path, keys, database):
    path.write_text(
        "[app:main]\nuse = egg:atlassian-connect-kit\n"
        "ack.base_url = https://app.example.com\n"
        f"ack.encryption_keys = {keys}\n"
        f"sqlalchemy.url = sqlite:///{database}\n"
    )


def test_keys_generate_prints_a_usable_entry(tmp_path):
    result = ack("keys", "generate", cwd=tmp_path)
    assert result.returncode == 0
    kid, _, key = result.stdout.strip().partition(":")
    assert kid and len(parse_key(key)) == 32
    assert ack("keys", "generate", cwd=tmp_path).stdout != result.stdout


def test_db_upgrade_then_rotate_re_encrypts_every_tenant(tmp_path):
    old = ack("keys", "generate", "--kid", "old", cwd=tmp_path).stdout.strip()
    new = ack("keys", "generate", "--kid", "new", cwd=tmp_path).stdout.strip()
    database = tmp_path / "ack.sqlite"
    ini = tmp_path / "app.ini"
    write_ini(ini, old, database)
    upgraded = ack("db", "upgrade", "-c", str(ini), cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(f"sqlite:///{database}")
    assert current_revision(engine) == head_revision()
    store = TenantStore(engine, KeyRing.from_setting(old), cache_seconds=0)
    for n in range(3):
        store.save_install(
            InstallPayload(f"jira:{n}", "https://x.atlassian.net", f"secret-{n}", None, None)
        )

    write_ini(ini, f"{new} {old}", database)
    rotated = ack("keys", "rotate", "-c", str(ini), cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 3 of 3" in rotated.stdout
    assert "old" in rotated.stdout  # the retired key to keep for older backups

    under_new = TenantStore(engine, KeyRing.from_setting(new), cache_seconds=0)
    assert [under_new.get(f"jira:{n}").shared_secret for n in range(3)] == [
        "secret-0",
        "secret-1",
        "secret-2",
    ]
    only_old = TenantStore(engine, KeyRing.from_setting(old), cache_seconds=0)
    with pytest.raises(DecryptionError):
        only_old.get("jira:0")


def test_rotate_without_the_key_still_in_use_refuses_and_writes_nothing(tmp_path):
    old = ack("keys", "generate", "--kid", "old", cwd=tmp_path).stdout.strip()
    new = ack("keys", "generate", "--kid", "new", cwd=tmp_path).stdout.strip()
    database = tmp_path / "ack.sqlite"
    ini = tmp_path / "app.ini"
    write_ini(ini, old, database)
    assert ack("db", "upgrade", "-c", str(ini), cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{database}")
    TenantStore(engine, KeyRing.from_setting(old)).save_install(
        InstallPayload("jira:1", "https://x.atlassian.net", "secret-1", None, None)
    )
    write_ini(ini, new, database)
    refused = ack("keys", "rotate", "-c", str(ini), cwd=tmp_path)
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1 and "old" in refused.stderr
    assert TenantStore(engine, KeyRing.from_setting(old)).get("jira:1").shared_secret == "secret-1"


def test_production_refuses_to_start_without_a_key(tmp_path):
    with pytest.raises(SettingsError, match=r"ack\.encryption_keys"):
        make_app(
            {
                **TEST_APP_IDENTITY,
                "ack.base_url": "https://app.example.com",
                "sqlalchemy.url": f"sqlite:///{tmp_path}/a.sqlite",
            }
        )


def test_dev_mode_creates_an_owner_only_key_under_var(tmp_path):
    make_app(
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": "http://localhost:6543",
            "ack.dev_mode": "true",
            "sqlalchemy.url": f"sqlite:///{tmp_path}/var/a.sqlite",
            "here": str(tmp_path),
        }
    )
    key_file = tmp_path / "var" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    KeyRing.from_setting(key_file.read_text())
    # Dev mode also migrated the database at start.
    assert current_revision(make_engine(f"sqlite:///{tmp_path}/var/a.sqlite")) == head_revision()
