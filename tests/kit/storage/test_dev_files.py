"""The files dev mode keeps on disk (key, SQLite database) are for their owner's eyes only."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.storage.service import engine_for
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with, which lets everyone read new files and folders."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dev_app(here: Path) -> None:
    """Build the app in dev mode with the default database and a generated key, under ``here``."""
    make_app(
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": "http://localhost:6543",
            "ack.dev_mode": "true",
            "here": str(here),
        }
    )


def test_dev_mode_creates_var_and_the_database_for_their_owner_only(tmp_path):
    dev_app(tmp_path)
    var = tmp_path / "var"
    assert mode(var) == 0o700
    assert mode(var / "ack.sqlite") == 0o600
    assert mode(var / "encryption.key") == 0o600


def test_dev_mode_tightens_a_var_folder_and_database_made_earlier(tmp_path, caplog):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "ack.sqlite").touch(mode=0o644)
    os.chmod(var, 0o755)
    os.chmod(var / "ack.sqlite", 0o644)
    dev_app(tmp_path)
    assert mode(var) == 0o700
    assert mode(var / "ack.sqlite") == 0o600
    assert "now by its owner only" in caplog.text


def test_outside_dev_mode_a_new_database_is_owner_only_and_existing_folders_are_left_alone(
    tmp_path,
):
    shared = tmp_path / "srv"
    shared.mkdir()
    os.chmod(shared, 0o755)
    settings = load_settings(
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": "https://app.example.com",
            "ack.encryption_keys": generate_key_line("k1"),
            "sqlalchemy.url": f"sqlite:///{shared / 'db' / 'ack.sqlite'}",
            "here": str(tmp_path),
        },
        environ={},
    )
    engine_for(settings).dispose()
    assert mode(shared) == 0o755
    assert mode(shared / "db") == 0o700
    assert mode(shared / "db" / "ack.sqlite") == 0o600
