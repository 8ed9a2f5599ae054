"""Sign in to Azure SQL with Microsoft Entra access tokens instead of a password.

With ``ack.database.entra_auth = true`` every new connection of an ``mssql+pyodbc`` engine gets
an access token for Azure SQL from azure-identity's ``DefaultAzureCredential`` (a managed
identity, workload identity, a service principal in ``AZURE_*`` variables, or a developer's
Azure CLI login), passed to the ODBC driver as the ``SQL_COPT_SS_ACCESS_TOKEN`` connection
attribute. Tokens are reused until shortly before they expire, so the pool's new connections do
not each ask Entra ID for one.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL

from atlassian_connect_kit.storage.db import DatabaseUnavailable
from atlassian_connect_kit.storage.drivers import DatabaseDriverMissing

SQL_COPT_SS_ACCESS_TOKEN = 1256
"""The ODBC connection attribute of Microsoft's SQL Server drivers that carries an access token."""

AZURE_SQL_SCOPE = "https://database.windows.net/.default"
"""The scope of access tokens for Azure SQL Database and Managed Instance."""

REFRESH_MARGIN_SECONDS = 300.0
"""A cached token is replaced this long before it expires, so no connection gets a stale one."""

# Keywords an access-token connection string must not carry, per the ODBC driver's rules.
_CONFLICTING_KEYWORDS = ("trusted_connection", "authentication", "uid", "pwd")


class AccessTokenLike(Protocol):
    """What ``get_token`` returns (``azure.core.credentials.AccessToken``)."""

    @property
    def token(self) -> str:
        """The bearer token."""

    @property
    def expires_on(self) -> int:
        """Its expiry, in seconds since the epoch."""


class TokenCredential(Protocol):
    """An azure-identity credential (anything with azure-core's ``get_token``)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessTokenLike:
        """Return an access token for ``scopes``."""


def access_token_attribute(token: str) -> bytes:
    """Encode ``token`` as the ODBC driver expects it: a 4-byte length, then UTF-16-LE bytes."""
    encoded = token.encode("utf-16-le")
    return struct.pack(f"<I{len(encoded)}s", len(encoded), encoded)


class CachedAccessToken:
    """Access tokens for one scope from a credential, reused until shortly before expiry.

    Safe to call from the threads of a connection pool. ``clock`` returns seconds since the
    epoch (tests move it by hand). When no token can be had (no identity, Entra ID unreachable)
    the connection attempt fails with :class:`DatabaseUnavailable`, as a refused password would.
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        scope: str = AZURE_SQL_SCOPE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Ask ``credential`` for tokens of ``scope``."""
        self._credential = credential
        self._scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_on = 0.0

    def __call__(self) -> str:
        """Return a token valid for at least :data:`REFRESH_MARGIN_SECONDS` more."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_on - REFRESH_MARGIN_SECONDS:
                try:
                    fresh = self._credential.get_token(self._scope)
                except Exception as error:  # azure-identity raises several types; report one line
                    first_line = (str(error).strip().splitlines() or [""])[0][:300]
                    raise DatabaseUnavailable(
                        f"cannot get a Microsoft Entra access token for {self._scope}: "
                        f"{type(error).__name__}: {first_line}"
                    ) from None
                self._token, self._expires_on = fresh.token, float(fresh.expires_on)
            return self._token


def default_credential() -> TokenCredential:
    """Return azure-identity's ``DefaultAzureCredential``; a one-line error when not installed."""
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise DatabaseDriverMissing(
            "ack.database.entra_auth needs the azure-identity package, which is not installed; "
            "pip install 'atlassian-connect-kit[azure]'"
        ) from None
    credential: TokenCredential = DefaultAzureCredential()
    return credential


def token_url_problem(url: URL) -> str | None:
    """Why ``url`` cannot sign in with an access token, or ``None`` when it can."""
    if url.drivername != "mssql+pyodbc":
        return f"access tokens need an mssql+pyodbc URL, not {url.drivername}"
    if url.username or url.password:
        return "an access-token URL carries no user name or password"
    if any(key.lower() in _CONFLICTING_KEYWORDS for key in url.query):
        return "an access-token URL carries no Authentication, Trusted_Connection, UID or PWD"
    if "odbc_connect" in url.query:
        return "name the server in the URL, not in odbc_connect, to sign in with access tokens"
    return None


def _without_conflicting_keywords(connection_string: str) -> str:
    # SQLAlchemy adds Trusted_Connection=Yes to a URL without a user; the driver refuses a
    # token together with it.
    parts = [part for part in connection_string.split(";") if part]
    kept = [p for p in parts if p.split("=", 1)[0].strip().lower() not in _CONFLICTING_KEYWORDS]
    return ";".join(kept)


def use_access_tokens(engine: Engine, tokens: Callable[[], str]) -> None:
    """Sign each new connection of ``engine`` (mssql+pyodbc) in with a token from ``tokens``."""

    @event.listens_for(engine, "do_connect")
    def supply_token(dialect: Any, connection_record: Any, cargs: list[Any], cparams: Any) -> None:
        cargs[0] = _without_conflicting_keywords(str(cargs[0]))
        attributes = dict(cparams.get("attrs_before") or {})
        attributes[SQL_COPT_SS_ACCESS_TOKEN] = access_token_attribute(tokens())
        cparams["attrs_before"] = attributes
