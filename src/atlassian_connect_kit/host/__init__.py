"""Calling a tenant's Jira REST API: signed or impersonating, retried, paged, bounded.

Build a :class:`HostClient` with :meth:`HostClient.as_app` or :meth:`HostClient.as_user`, call
``get``/``post``/``put``/``delete``, walk collections with :func:`iter_token_pages` and
:func:`iter_start_at`, run independent calls side by side with :func:`fan_out`, and catch
:class:`JiraError` (or one of its subclasses) to tell the user what went wrong.
:class:`SignInRequired` means no call was made: the viewer is not signed in to Jira.
"""

from atlassian_connect_kit.host.client import (
    DEFAULT_OAUTH2_AUDIENCE,
    DEFAULT_OAUTH2_TOKEN_URL,
    HostClient,
    HostConfig,
    QueryParams,
    QueryValue,
    TenantCredentials,
    create_session,
    encode_query,
    flatten_query_params,
)
from atlassian_connect_kit.host.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
    SignInRequired,
)
from atlassian_connect_kit.host.fanout import fan_out
from atlassian_connect_kit.host.oauth2 import AccessTokenCache, fetch_access_token
from atlassian_connect_kit.host.paging import iter_start_at, iter_token_pages

__all__ = [
    "DEFAULT_OAUTH2_AUDIENCE",
    "DEFAULT_OAUTH2_TOKEN_URL",
    "AccessTokenCache",
    "HostClient",
    "HostConfig",
    "JiraAuthError",
    "JiraBadRequest",
    "JiraError",
    "JiraNotFound",
    "JiraRateLimited",
    "JiraTimeout",
    "JiraUnavailable",
    "QueryParams",
    "QueryValue",
    "SignInRequired",
    "TenantCredentials",
    "create_session",
    "encode_query",
    "fan_out",
    "fetch_access_token",
    "flatten_query_params",
    "iter_start_at",
    "iter_token_pages",
]
