"""Microsoft Entra access tokens for Azure SQL: the parts that run without a SQL Server.

The token's wire format, its reuse until shortly before expiry, and what every new connection
of an ``mssql+pyodbc`` engine hands pyodbc. The credential is a stand-in for azure-identity's:
no token service is reachable from the tests.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any

import pytest

from atlassian_connect_kit.settings import SettingsError, load_settings
from atlassian_connect_kit.storage.db import DatabaseUnavailable, make_engine
from atlassian_connect_kit.storage.entra import (
    AZURE_SQL_SCOPE,
    REFRESH_MARGIN_SECONDS,
    SQL_COPT_SS_ACCESS_TOKEN,
    CachedAccessToken,
    access_token_attribute,
    use_access_tokens,
)
from atlassian_connect_kit.storage.service import engine_for
from tests.blocked_imports import run_ack_without

AZURE_SQL_URL = (
    "mssql+pyodbc://@127.0.0.1:1433/ack?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes"
)


@dataclass
class Token:
    token: str
    expires_on: int


@dataclass
class StandInCredential:
    """Hands out numbered tokens valid for an hour of the test's clock."""

    clock: list[float]
    scopes: list[tuple[str, ...]] = field(default_factory=list)
    fail_with: Exception | None = None

    def get_token(self, *scopes: str, **kwargs: Any) -> Token:
        if self.fail_with is not None:
            raise self.fail_with
        self.scopes.append(scopes)
        return Token(f"token-{len(self.scopes)}", int(self.clock[0]) + 3600)


class Connected(Exception):
    """Raised instead of connecting, carrying what pyodbc would have been given."""

    def __init__(self, cargs: list[Any], cparams: dict[str, Any]) -> None:
        super().__init__("stopped before connecting")
        self.cargs = list(cargs)
        self.cparams = dict(cparams)


def test_the_token_is_a_length_prefixed_utf16_buffer():
    assert access_token_attribute("abc") == b"\x06\x00\x00\x00a\x00b\x00c\x00"
    token = "eyJ0eXAiOiJKV1QifQ.payload.signature"
    encoded = access_token_attribute(token)
    (length,) = struct.unpack_from("<I", encoded)
    assert length == 2 * len(token) == len(encoded) - 4
    assert encoded[4:].decode("utf-16-le") == token


def test_a_token_is_reused_until_shortly_before_it_expires():
    clock = [1_800_000_000.0]
    credential = StandInCredential(clock)
    tokens = CachedAccessToken(credential, clock=lambda: clock[0])
    assert tokens() == tokens() == "token-1"
    clock[0] += 3600 - REFRESH_MARGIN_SECONDS - 1
    assert tokens() == "token-1"
    clock[0] += 2
    assert tokens() == "token-2"
    assert credential.scopes == [(AZURE_SQL_SCOPE,), (AZURE_SQL_SCOPE,)]


def test_no_token_means_the_database_is_unavailable_in_one_line():
    failure = RuntimeError("ManagedIdentityCredential: no identity\nmore detail\nand more")
    tokens = CachedAccessToken(StandInCredential([0.0], fail_with=failure))
    with pytest.raises(DatabaseUnavailable) as raised:
        tokens()
    message = str(raised.value)
    assert message == (
        f"cannot get a Microsoft Entra access token for {AZURE_SQL_SCOPE}: "
        "RuntimeError: ManagedIdentityCredential: no identity"
    )


def test_every_new_connection_gets_a_token_and_no_trusted_connection():
    pytest.importorskip("pyodbc", reason="pyodbc (the [mssql] extra) is not installed")
    from sqlalchemy import event

    clock = [1_800_000_000.0]
    engine = make_engine(AZURE_SQL_URL)
    use_access_tokens(engine, CachedAccessToken(StandInCredential(clock), clock=lambda: clock[0]))

    @event.listens_for(engine, "do_connect")
    def stop(dialect, connection_record, cargs, cparams):
        raise Connected(cargs, cparams)

    try:
        with pytest.raises(Connected) as connected:
            engine.connect()
    finally:
        engine.dispose()
    (connection_string,) = connected.value.cargs
    keywords = {part.split("=", 1)[0].lower() for part in connection_string.split(";")}
    assert "trusted_connection" not in keywords and "uid" not in keywords
    assert "DRIVER={ODBC Driver 18 for SQL Server}" in connection_string
    assert "Encrypt=yes" in connection_string
    attributes = connected.value.cparams["attrs_before"]
    assert attributes == {SQL_COPT_SS_ACCESS_TOKEN: access_token_attribute("token-1")}
    assert connected.value.cparams["timeout"] == 10  # the login timeout


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mssql+pyodbc://sa:pw@127.0.0.1/ack?driver=x", "no user name or password"),
        ("mssql+pyodbc://@127.0.0.1/ack?driver=x&authentication=ActiveDirectoryMsi", "no Authen"),
        ("postgresql+psycopg://postgres@127.0.0.1/test", "need an mssql+pyodbc URL"),
    ],
)
def test_entra_auth_refuses_a_url_that_signs_in_otherwise(url, problem):
    settings = load_settings(
        {"sqlalchemy.url": url, "ack.database.entra_auth": "true"},
        environ={},
        require_base_url=False,
    )
    with pytest.raises(SettingsError, match=re.escape(problem)) as raised:
        engine_for(settings)
    assert str(raised.value).startswith("ack.database.entra_auth: ")
    assert "pw" not in str(raised.value)


def test_entra_auth_without_azure_identity_names_what_to_install(tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:atlassian-connect-kit\n"
        f"sqlalchemy.url = {AZURE_SQL_URL}\nack.database.entra_auth = true\n"
    )
    result = run_ack_without(tmp_path, {"azure.identity": None}, "db", "upgrade", "-c", str(ini))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "ack: error: ack.database.entra_auth needs the azure-identity package, which is not "
        "installed; pip install 'atlassian-connect-kit[azure]'"
    )
