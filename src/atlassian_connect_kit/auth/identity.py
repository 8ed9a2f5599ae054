"""Who a request comes from, independent of the host protocol that proved it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The authentication modes a view may declare with ``connect_auth``: ``context+forge`` accepts
#: a Connect context token or a Forge Invocation Token, ``forge`` a Forge Invocation Token only.
AUTH_MODES = ("jwt", "context", "public", "context+forge", "forge")


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
