"""What a plugin is told about a tenant: the site, never its credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class TenantView:
    """One Jira site the app is installed on, as the lifecycle hooks hand it to plugins.

    ``client_key`` identifies the site, ``base_url`` is its ``baseUrl``, ``installation_id`` the
    Forge installation it is linked to (if any). It holds no shared secret, OAuth client id or
    key: a plugin calls the site through ``request.jira`` and never signs anything itself.
    """

    client_key: str
    base_url: str
    enabled: bool
    installation_id: str | None
    installed_at: dt.datetime
    updated_at: dt.datetime
    last_seen_at: dt.datetime | None
