"""Forge lifecycle events, delivered by the fake site to an app's remote the way Forge does.

An event subscribed to by a ``trigger`` module with an ``endpoint`` is POSTed to the remote's
base URL plus the endpoint's ``route.path``, with a Forge Invocation Token (and the app system
token when the endpoint asks for it). A delivery that answers anything but 2xx, or takes longer
than the timeout (5 seconds), is delivered again after the retry interval (60 seconds at Forge;
configurable so tests run fast), up to four times; each redelivery carries
``payload.retryContext`` with ``retryCount`` (1 to 4), ``retryReason`` and ``retryData`` (always
``null``). ``preUninstall`` endpoints are called once, without retries (Forge does not block the
uninstall on them). Every attempt is recorded, in :attr:`ForgeDeliveries.records` and in the
site's request log as a ``"sent"`` request.

Sources: Forge Remote "Sending Atlassian app and lifecycle events to a remote" (timeout, retries,
retry reasons, body), "Life cycle events" (payloads), "Pre-uninstall trigger" (payload).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from atlassian_connect_kit.testing.fakejira.connect import InstallKeys
from atlassian_connect_kit.testing.fakejira.forge import (
    INSTALLED_EVENT,
    SYSTEM_TOKEN_SCOPE,
    ForgeInstallation,
    ForgeTokens,
    invocation_headers,
    invocation_token,
)
from atlassian_connect_kit.testing.fakejira.requestlog import RequestLog, RequestRecord

RETRY_INTERVAL = 60.0
"""Seconds Forge waits before delivering a failed event again."""

DELIVERY_TIMEOUT = 5.0
"""Seconds a remote has to answer an event."""

MAX_RETRIES = 4
"""Redeliveries after the first delivery, at most."""

PRE_UNINSTALL_TIMEOUT = 55.0
"""Seconds a remote has to answer a ``preUninstall`` call."""

INVALID_REMOTE_INVOCATION_ERROR = "INVALID_REMOTE_INVOCATION_ERROR"
"""Retry reason: a non-2xx answer (other than 401) or a network error."""

TIMEOUT_ERROR = "TIMEOUT_ERROR"
"""Retry reason: the remote did not answer within the timeout."""

INVALID_FORGE_INVOCATION_TOKEN = "INVALID_FORGE_INVOCATION_TOKEN"
"""Retry reason: the remote answered 401 (it did not accept the invocation token)."""

ENDPOINT_MODULE_TYPE = "core:endpoint"
"""The ``app.module.type`` of FITs sent with events."""


@dataclass(frozen=True, slots=True)
class ForgeDelivery:
    """One attempt to deliver an event (or a ``preUninstall`` call) to a remote.

    ``retry_count`` is 0 for the first attempt; ``retry_reason`` is what the body's
    ``retryContext`` said (``None`` on the first). ``status`` is the remote's answer, ``None``
    when it gave none; ``failure`` the retry reason this attempt earns (``None`` on success).
    ``headers`` and ``body`` are what was sent.
    """

    event: str
    url: str
    retry_count: int
    retry_reason: str | None
    status: int | None
    failure: str | None
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    time: float
    duration: float


@dataclass
class DeliveryPolicy:
    """How Forge delivers events: retry interval, timeout and retries (changeable at run time)."""

    retry_interval: float = RETRY_INTERVAL
    timeout: float = DELIVERY_TIMEOUT
    max_retries: int = MAX_RETRIES
    pre_uninstall_timeout: float = PRE_UNINSTALL_TIMEOUT


@dataclass
class ForgeDeliveries:
    """Delivers lifecycle events for one site and remembers every attempt."""

    keys: InstallKeys
    tokens: ForgeTokens
    log: RequestLog
    stopping: threading.Event
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    _records: list[ForgeDelivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _http: requests.Session = field(default_factory=requests.Session)

    @property
    def records(self) -> list[ForgeDelivery]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget the attempts so far."""
        with self._lock:
            self._records.clear()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    def deliver_event(
        self, installation: ForgeInstallation, event: str, *, account_id: str | None = None
    ) -> list[ForgeDelivery]:
        """Deliver ``event`` to every endpoint subscribed to it, with Forge's retries.

        ``account_id`` is the installer (or upgrader) named in the payload. Returns the attempts
        made, in order; returns when each endpoint succeeded or ran out of retries.
        """
        attempts: list[ForgeDelivery] = []
        for endpoint_key in installation.app.triggers.get(event, ()):
            payload = _event_payload(installation, event, account_id)
            attempts.extend(self._deliver_with_retries(installation, event, endpoint_key, payload))
        return attempts

    def call_pre_uninstall(self, installation: ForgeInstallation) -> list[ForgeDelivery]:
        """Call every ``preUninstall`` endpoint once; failures change nothing."""
        attempts = []
        for module_key, endpoint_key in installation.app.pre_uninstall:
            body = {
                "context": {"cloudId": installation.cloud_id, "moduleKey": module_key},
                "contextToken": uuid.uuid4().hex,
            }
            attempts.append(
                self._attempt(
                    installation,
                    "preUninstall",
                    endpoint_key,
                    body,
                    retry_count=0,
                    retry_reason=None,
                    timeout=self.policy.pre_uninstall_timeout,
                )
            )
        return attempts

    def _deliver_with_retries(
        self,
        installation: ForgeInstallation,
        event: str,
        endpoint_key: str,
        payload: Mapping[str, Any],
    ) -> list[ForgeDelivery]:
        attempts: list[ForgeDelivery] = []
        reason: str | None = None
        for retry_count in range(self.policy.max_retries + 1):
            if retry_count and self.stopping.wait(self.policy.retry_interval):
                break  # the site is shutting down
            body_payload = dict(payload)
            if reason is not None:
                body_payload["retryContext"] = {
                    "retryData": None,
                    "retryCount": retry_count,
                    "retryReason": reason,
                }
            attempt = self._attempt(
                installation,
                event,
                endpoint_key,
                {"payload": body_payload},
                retry_count=retry_count,
                retry_reason=reason,
                timeout=self.policy.timeout,
            )
            attempts.append(attempt)
            if attempt.failure is None:
                break
            reason = attempt.failure
        return attempts

    def _attempt(
        self,
        installation: ForgeInstallation,
        event: str,
        endpoint_key: str,
        body: Mapping[str, Any],
        *,
        retry_count: int,
        retry_reason: str | None,
        timeout: float,
    ) -> ForgeDelivery:
        endpoint = installation.app.endpoints[endpoint_key]
        url = installation.app.endpoint_url(endpoint_key)
        fit = invocation_token(
            self.keys,
            installation,
            module_key=endpoint_key,
            module_type=ENDPOINT_MODULE_TYPE,
            principal=None,
            context=None,
        )
        # Forge sends a token only when the endpoint asks and the app has the token's scope.
        wanted = endpoint.system_token and SYSTEM_TOKEN_SCOPE in installation.app.scopes
        system = self.tokens.issue(installation, None) if wanted else None
        headers = invocation_headers(fit, system_token=system, user_token=None)
        headers["Content-Type"] = "application/json"
        started, clock = time.time(), time.perf_counter()
        status: int | None = None
        try:
            response = self._http.post(
                url,
                data=json.dumps(body).encode("utf-8"),
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
            status = response.status_code
            failure = _failure_of(status)
        except requests.Timeout:
            failure = TIMEOUT_ERROR
        except requests.RequestException:
            failure = INVALID_REMOTE_INVOCATION_ERROR
        duration = time.perf_counter() - clock
        attempt = ForgeDelivery(
            event=event,
            url=url,
            retry_count=retry_count,
            retry_reason=retry_reason,
            status=status,
            failure=failure,
            headers=dict(headers),
            body=body,
            time=started,
            duration=duration,
        )
        with self._lock:
            self._records.append(attempt)
        self.log.append(
            RequestRecord(
                method="POST",
                path=urlsplit(url).path or "/",
                query="",
                status=status or 0,
                acting_as=None,
                account_id=None,
                time=started,
                duration=duration,
                direction="sent",
            )
        )
        return attempt


def _failure_of(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if status == 401:
        return INVALID_FORGE_INVOCATION_TOKEN
    return INVALID_REMOTE_INVOCATION_ERROR


def _event_payload(
    installation: ForgeInstallation, event: str, account_id: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": installation.installation_uuid,
        "eventType": event,
        "context": f"ari:cloud:jira::site/{installation.cloud_id}",
        "app": {"id": installation.app_uuid, "version": installation.app_version},
        "environment": {"id": installation.environment_id.rsplit("/", 1)[-1]},
    }
    if account_id is not None:
        actor = "installerAccountId" if event == INSTALLED_EVENT else "upgraderAccountId"
        payload[actor] = account_id
    return payload
