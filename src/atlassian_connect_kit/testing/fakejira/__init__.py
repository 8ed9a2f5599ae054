"""A fake Jira Cloud site over real HTTP, for tests, benchmarks and the demo.

:class:`FakeJira` serves the REST endpoints a timesheet uses, authenticates Connect JWTs and
OAuth 2.0 bearer tokens with per-user visibility, drives an app's Connect lifecycle, plays Forge
for a Forge Remote (JWKS, invocation tokens, app tokens on the API gateway, lifecycle events), and
can be told to rate-limit, slow down or fail. :func:`generate_site` builds deterministic synthetic
data of any size; :class:`SiteData` and its entities build exact data by hand.
"""

from atlassian_connect_kit.testing.fakejira.connect import ConnectError, InstalledApp
from atlassian_connect_kit.testing.fakejira.fake import FakeJira, default_site
from atlassian_connect_kit.testing.fakejira.forge import ForgeApp, ForgeError, ForgeInstallation
from atlassian_connect_kit.testing.fakejira.forgeevents import ForgeDelivery
from atlassian_connect_kit.testing.fakejira.generate import generate_site
from atlassian_connect_kit.testing.fakejira.model import (
    SPRINT_FIELD,
    CustomField,
    Group,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)
from atlassian_connect_kit.testing.fakejira.ratelimit import RateLimitConfig
from atlassian_connect_kit.testing.fakejira.requestlog import RequestRecord

__all__ = [
    "SPRINT_FIELD",
    "ConnectError",
    "CustomField",
    "FakeJira",
    "ForgeApp",
    "ForgeDelivery",
    "ForgeError",
    "ForgeInstallation",
    "Group",
    "InstalledApp",
    "Issue",
    "Project",
    "RateLimitConfig",
    "RequestRecord",
    "SiteData",
    "User",
    "Worklog",
    "default_site",
    "generate_site",
]
