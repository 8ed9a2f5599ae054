"""``atlassian_connect_kit.wsgi``: the app built from the ini a server's environment names."""

import pytest
from webtest import TestApp

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.processes import write_ini
from atlassian_connect_kit.wsgi import app_from_ini


def test_the_app_comes_from_the_ini_named_by_ack_ini(tmp_path, monkeypatch):
    ini = write_ini(
        tmp_path / "app.ini",
        {
            **TEST_APP_IDENTITY,
            "ack.dev_mode": "true",
            "ack.base_url": "http://localhost:6543",
            "ack.encryption_keys": generate_key_line(),
            "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        },
    )
    monkeypatch.setenv("ACK_INI", str(ini))
    descriptor = TestApp(app_from_ini()).get("/atlassian-connect.json").json
    assert descriptor["baseUrl"] == "http://localhost:6543"
    assert descriptor["key"] == TEST_APP_IDENTITY["ack.app_key"]


def test_a_missing_ini_is_named_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACK_INI", raising=False)
    with pytest.raises(SystemExit) as raised:
        app_from_ini()
    message = str(raised.value)
    assert message.startswith("ack: ") and "production.ini" in message and "\n" not in message
