"""Helpers shared by the Forge tests: app ids and a manifest the fake site can install."""

from __future__ import annotations

from typing import Any

APP_ID = "ari:cloud:ecosystem::app/0f7d1c5a-0000-4000-8000-000000000001"
OTHER_APP_ID = "ari:cloud:ecosystem::app/9a8b7c6d-0000-4000-8000-000000000002"


def forge_manifest(
    *,
    remote_base_url: str,
    scopes: tuple[str, ...] = (
        "read:jira-work",
        "read:jira-user",
        "write:jira-work",
        "read:app-system-token",
        "read:app-user-token",
    ),
    connect_key: str | None = None,
) -> dict[str, Any]:
    """A Forge Remote manifest shaped like the one ``ack manifest`` renders."""
    manifest: dict[str, Any] = {
        "app": {"id": APP_ID, "runtime": {"name": "nodejs24.x"}},
        "remotes": [{"key": "ack-remote", "baseUrl": remote_base_url}],
        "permissions": {"scopes": list(scopes)},
        "modules": {
            "endpoint": [
                {
                    "key": "ack-remote-endpoint",
                    "remote": "ack-remote",
                    "auth": {
                        "appSystemToken": {"enabled": True},
                        "appUserToken": {"enabled": True},
                    },
                },
                {
                    "key": "ack-lifecycle-endpoint",
                    "remote": "ack-remote",
                    "route": {"path": "/forge/lifecycle"},
                    "auth": {"appSystemToken": {"enabled": True}},
                },
                {
                    "key": "ack-uninstall-endpoint",
                    "remote": "ack-remote",
                    "route": {"path": "/forge/uninstall"},
                },
            ],
            "trigger": [
                {
                    "key": "ack-lifecycle",
                    "endpoint": "ack-lifecycle-endpoint",
                    "events": ["avi:forge:installed:app", "avi:forge:upgraded:app"],
                }
            ],
            "preUninstall": [{"key": "ack-pre-uninstall", "endpoint": "ack-uninstall-endpoint"}],
        },
    }
    if connect_key is not None:
        manifest["app"]["connect"] = {"key": connect_key, "remote": "ack-remote"}
    return manifest
