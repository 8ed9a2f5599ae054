"""Settings of an app served as in production (not dev mode), for the security tests."""

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


def production_settings(tmp_path, **changes):
    """Production settings on a SQLite file in ``tmp_path``, with ``changes`` applied."""
    return {
        **TEST_APP_IDENTITY,
        "ack.base_url": "https://app.example.com",
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        "ack.encryption_keys": generate_key_line(),
        "ack.security.contact": "mailto:security@example.com",
        **changes,
    }
