"""Everything a running fake site remembers, shared by the request threads and the test driving it.

The site's :class:`~atlassian_connect_kit.testing.fakejira.model.SiteData` is immutable and swapped
as a whole, so reading it needs no lock; each mutable part below guards itself.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from atlassian_connect_kit.testing.fakejira.auth import AccessTokens
from atlassian_connect_kit.testing.fakejira.connect import InstalledApps, InstallKeys
from atlassian_connect_kit.testing.fakejira.faults import FaultPlan
from atlassian_connect_kit.testing.fakejira.forge import ForgeInstallations, ForgeTokens
from atlassian_connect_kit.testing.fakejira.model import SiteData
from atlassian_connect_kit.testing.fakejira.ratelimit import RateLimitConfig, RateLimiter
from atlassian_connect_kit.testing.fakejira.requestlog import RequestLog


class UserProperties:
    """Per-user JSON values by property key, as ``/rest/api/3/user/properties`` stores them.

    Values are kept as JSON text, so a caller can never change a stored value by mutating what it
    put in or got out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], str] = {}

    def get(self, account_id: str, key: str) -> tuple[bool, Any]:
        """Return ``(found, value)`` for one user's property."""
        with self._lock:
            text = self._values.get((account_id, key))
        return (False, None) if text is None else (True, json.loads(text))

    def put(self, account_id: str, key: str, value: Any) -> bool:
        """Store a value; return ``True`` when the property is new."""
        text = json.dumps(value)
        with self._lock:
            created = (account_id, key) not in self._values
            self._values[(account_id, key)] = text
        return created

    def delete(self, account_id: str, key: str) -> bool:
        """Remove a property; return whether it existed."""
        with self._lock:
            return self._values.pop((account_id, key), None) is not None

    def keys(self, account_id: str) -> list[str]:
        """The keys of one owner's properties, sorted."""
        with self._lock:
            return sorted(key for owner, key in self._values if owner == account_id)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A dashboard: its owner, whether every signed-in user may view it, and its items.

    ``items`` maps an item's id to the module key it renders (an app's gadget).
    """

    dashboard_id: str
    owner: str
    shared: bool
    items: dict[str, str] = field(default_factory=dict)


class Dashboards:
    """The site's dashboards and their items' properties (``/dashboard/{id}/items/{id}/...``).

    Jira has no REST resource to add gadgets; a test or the demo host adds them here, as a user
    adding a gadget in Jira's UI would. Property values are kept as JSON text, as user properties.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dashboards: dict[str, Dashboard] = {}
        self._values: dict[tuple[str, str, str], str] = {}
        self._next_id = 10000

    def add(self, owner: str, *, shared: bool) -> Dashboard:
        """A new dashboard owned by ``owner``."""
        with self._lock:
            self._next_id += 1
            dashboard = Dashboard(str(self._next_id), owner, shared)
            self._dashboards[dashboard.dashboard_id] = dashboard
            return dashboard

    def add_item(self, dashboard_id: str, module_key: str) -> str:
        """Put an item rendering ``module_key`` on a dashboard; returns the item's id."""
        with self._lock:
            self._next_id += 1
            item_id = str(self._next_id)
            self._dashboards[dashboard_id].items[item_id] = module_key
            return item_id

    def get(self, dashboard_id: str) -> Dashboard | None:
        """The dashboard with this id, or ``None``."""
        with self._lock:
            return self._dashboards.get(dashboard_id)

    def property(self, dashboard_id: str, item_id: str, key: str) -> tuple[bool, Any]:
        """``(found, value)`` of one item property."""
        with self._lock:
            text = self._values.get((dashboard_id, item_id, key))
        return (False, None) if text is None else (True, json.loads(text))

    def keys(self, dashboard_id: str, item_id: str) -> list[str]:
        """The property keys of one item, sorted."""
        with self._lock:
            return sorted(k for d, i, k in self._values if (d, i) == (dashboard_id, item_id))

    def put(self, dashboard_id: str, item_id: str, key: str, value: Any) -> bool:
        """Store an item property; ``True`` when it is new."""
        text = json.dumps(value)
        with self._lock:
            created = (dashboard_id, item_id, key) not in self._values
            self._values[(dashboard_id, item_id, key)] = text
        return created

    def delete(self, dashboard_id: str, item_id: str, key: str) -> bool:
        """Remove an item property; return whether it existed."""
        with self._lock:
            return self._values.pop((dashboard_id, item_id, key), None) is not None


class SiteState:
    """The mutable state of one fake site.

    ``base_url`` is known once the server is listening; ``stopping`` is set when it shuts down,
    so that requests held back by injected delays return at once.
    """

    def __init__(
        self,
        data: SiteData,
        *,
        base_path: str,
        rate_limit: RateLimitConfig | None,
        latency: float,
        oauth_audience: str,
        token_lifetime: int,
    ) -> None:
        self.data = data
        self.base_path = base_path
        self.origin = ""
        self.latency = latency
        self.oauth_audience = oauth_audience
        self.token_lifetime = token_lifetime
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        self.apps = InstalledApps()
        self.tokens = AccessTokens()
        self.keys = InstallKeys()
        self.cloud_id = str(uuid.uuid4())
        self.forge_keys = InstallKeys(kid_prefix="forge/invocation-token/")
        self.forge_installations = ForgeInstallations()
        self.forge_tokens = ForgeTokens()
        self.properties = UserProperties()
        #: Connect app properties, by ``"<clientKey>/<addonKey>"`` in place of an accountId.
        self.app_properties = UserProperties()
        self.dashboards = Dashboards()
        self.faults = FaultPlan()
        self.log = RequestLog()
        self.stopping = threading.Event()

    @property
    def base_url(self) -> str:
        """The site's base URL: origin plus base path (no trailing slash)."""
        return self.origin + self.base_path
