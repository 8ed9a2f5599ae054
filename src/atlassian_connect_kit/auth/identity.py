"""Who a request comes from, independent of the host protocol that proved it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AUTH_JWT = "jwt"
"""``connect_auth`` of a page Jira opens with a signed URL (the token's qsh matches the URL)."""

AUTH_CONTEXT = "context"
"""``connect_auth`` of a page's own XHRs and downloads, sent with a context token."""

AUTH_PUBLIC = "public"
"""``connect_auth`` of a view that needs no token (the descriptor, lifecycle callbacks)."""

AUTH_CONTEXT_FORGE = "context+forge"
"""``connect_auth`` of a view that accepts a Connect context token or a Forge Invocation Token."""

AUTH_FORGE = "forge"
"""``connect_auth`` of a view that accepts a Forge Invocation Token only."""

#: The authentication modes a view may declare with ``connect_auth``.
AUTH_MODES = (AUTH_JWT, AUTH_CONTEXT, AUTH_PUBLIC, AUTH_CONTEXT_FORGE, AUTH_FORGE)


class AuthenticationFailed(Exception):
    """The request carries no valid credentials; ``reason`` is short and safe to show."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Identity:
    """The authenticated tenant and user of a request.

    ``client_key`` identifies the tenant (the Jira site), ``account_id`` the Atlassian user (None
    for calls made by the product itself), ``context`` the token's extra context claims.
    """

    client_key: str
    account_id: str | None
    base_url: str
    context: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "jwt"
