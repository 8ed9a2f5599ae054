"""Settings of an in-process app in dev mode, for tests that build the app themselves."""

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


def dev_settings(tmp_path):
    """Dev-mode settings on a SQLite file of its own in ``tmp_path``."""
    return {
        **TEST_APP_IDENTITY,
        "ack.dev_mode": "true",
        "ack.base_url": "http://localhost:6543",
        "ack.encryption_keys": generate_key_line(),
        "sqlalchemy.url": f"sqlite:///{tmp_path}/a.sqlite",
        "here": str(tmp_path),
    }
