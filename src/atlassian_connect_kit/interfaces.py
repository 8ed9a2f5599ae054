"""The interfaces of the kit's services, each a small :class:`typing.Protocol`.

Each core part registers its implementation with ``pyramid_services`` under one of these (see
:mod:`atlassian_connect_kit.services`), and every other part finds it there, never by importing
the implementation. An add-on or a test replaces one by registering its own object in
``ack_configure``, which runs after the core::

    config.register_service(my_store, ITenantStore)

The kit's implementations: :class:`~atlassian_connect_kit.storage.store.TenantStore`,
:class:`~atlassian_connect_kit.storage.crypto.KeyRing`,
:class:`~atlassian_connect_kit.host.requests_api.ConnectHostClients` and
:class:`~atlassian_connect_kit.auth.install_keys.InstallKeyFetcher`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pyramid.request import Request

    from atlassian_connect_kit.auth.identity import Identity
    from atlassian_connect_kit.host.protocol import JiraClient
    from atlassian_connect_kit.storage.store import InstallPayload, TenantRecord


class ITenantStore(Protocol):
    """The installed tenants, their secrets decrypted on the way out."""

    def get(self, client_key: str, *, fresh: bool = False) -> TenantRecord | None:
        """The tenant of ``client_key`` (``fresh``: not from a cache), or ``None``."""
        ...

    def save_install(self, payload: InstallPayload) -> TenantRecord:
        """Store (or update) a tenant from a verified install callback."""
        ...

    def set_enabled(self, client_key: str, enabled: bool) -> bool:
        """Mark the tenant enabled or disabled; ``False`` when it is unknown."""
        ...

    def touch(self, client_key: str) -> None:
        """Note that the tenant was seen now (bookkeeping, may be deferred)."""
        ...

    def clear_cache(self) -> None:
        """Forget every cached tenant."""
        ...


class IKeyRing(Protocol):
    """The encryption keys of ``ack.encryption_keys``: the primary encrypts, any decrypts."""

    @property
    def primary_kid(self) -> str:
        """The id of the key new secrets are encrypted with."""
        ...

    def has(self, kid: str) -> bool:
        """Whether the ring holds the key ``kid``."""
        ...

    def encrypt(self, plaintext: str, *, associated_data: str) -> tuple[str, str]:
        """Encrypt with the primary key; return ``(kid, blob)``."""
        ...

    def decrypt(self, kid: str, blob: str, *, associated_data: str) -> str:
        """Decrypt ``blob`` written under ``kid``."""
        ...


class IHostClientFactory(Protocol):
    """Builds the Connect clients behind ``request.jira`` and ``request.jira_as_app``."""

    def client(self, request: Request, identity: Identity, *, as_user: bool) -> JiraClient:
        """A client for ``identity``'s site, acting as its user or (``as_user=False``) the app."""
        ...


class IInstallKeyFetcher(Protocol):
    """Finds the public key that signed an install callback, by key id."""

    def public_key(self, kid: object) -> bytes:
        """The PEM public key published under ``kid``; raises for an invalid or unknown id."""
        ...


class ILifecycleTokens(Protocol):
    """The lifecycle tokens already accepted, so a replay with another body is refused."""

    def accept(self, token: str, body: bytes, *, expires_at: float) -> bool:
        """Remember ``token`` with ``body``; ``False`` when it was accepted with another body."""
        ...
