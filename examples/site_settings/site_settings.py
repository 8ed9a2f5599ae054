"""An add-on that stores something: a greeting per Jira site, set by the site's administrators.

It shows the whole path of a plugin's own table:

- its Alembic migrations (``site_settings_migrations/``), contributed through
  ``ack_storage_migrations`` and run by ``ack db upgrade`` (at start-up in dev mode);
- its views read and write through ``request.ack_session``, a session on the kit's database that
  is committed with the response;
- its table declared in the data inventory (``ack_data_inventory``), which is what makes backups
  copy it and an uninstall (or ``ack tenants purge``) delete the site's row;
- a setting of its own (``site_settings.default_greeting``, overridden by the environment variable
  ``SITE_SETTINGS_DEFAULT_GREETING``), declared through ``ack_plugin_settings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import MetaData, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from atlassian_connect_kit import (
    NAMING_CONVENTION,
    InventoryEntry,
    PluginMigrations,
    PluginSetting,
    UnicodeString,
    UTCDateTime,
    get_plugin_settings,
    hookimpl,
)

PAGE_URL = "/site-settings"
API_URL = PAGE_URL + "/api/greeting"
GREETING_SETTING = "site_settings.default_greeting"
MAX_GREETING = 200


class Base(DeclarativeBase):
    """The example's own tables (never the kit's ``Base``: the kit's migrations own those)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SiteSetting(Base):
    """One row per Jira site that changed its greeting."""

    __tablename__ = "site_settings"

    client_key: Mapped[str] = mapped_column(UnicodeString(255), primary_key=True)
    greeting: Mapped[str] = mapped_column(UnicodeString(MAX_GREETING))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


@hookimpl
def ack_storage_migrations(settings: Any) -> PluginMigrations:
    """The table comes from the example's migrations, in its own history."""
    return PluginMigrations(
        name="site_settings",
        versions=Path(__file__).resolve().parent / "site_settings_migrations",
        metadata=Base.metadata,
    )


@hookimpl
def ack_data_inventory(settings: Any) -> Sequence[InventoryEntry]:
    """What the table holds and why; uninstalling a site deletes its row."""
    columns = (
        ("client_key", "the Jira site the greeting belongs to"),
        ("greeting", "the greeting the site's administrators chose"),
        ("updated_at", "when the greeting last changed"),
    )
    return [
        InventoryEntry(
            table=SiteSetting.__tablename__,
            column=column,
            purpose=purpose,
            retention="until uninstall",
            tenant_column="client_key",
        )
        for column, purpose in columns
    ]


@hookimpl
def ack_plugin_settings() -> Sequence[PluginSetting]:
    """The greeting of sites that chose none."""
    return [PluginSetting(GREETING_SETTING, "Hello", help="greeting of sites that set none")]


@hookimpl
def ack_descriptor_fragment(settings: Any) -> dict[str, Any]:
    """An administration page (Jira shows it to site administrators only)."""
    return {
        "scopes": ["READ"],
        "modules": {
            "adminPages": [{"key": "site-settings", "name": {"value": "Greeting"}, "url": PAGE_URL}]
        },
    }


@hookimpl
def ack_configure(config: Any, settings: Any) -> None:
    """The page, and the API its script uses to read and change the greeting."""
    config.add_route("site_settings.page", PAGE_URL)
    config.add_view(site_settings_page, route_name="site_settings.page", connect_auth="jwt")
    config.add_route("site_settings.api", API_URL)
    config.add_view(
        read_greeting,
        route_name="site_settings.api",
        request_method="GET",
        renderer="json",
        connect_auth="context",
    )
    config.add_view(
        change_greeting,
        route_name="site_settings.api",
        request_method="PUT",
        renderer="json",
        connect_auth="context",
        connect_require_user=True,
    )


def greeting_of(request: Request) -> str:
    """The site's greeting, or the configured default."""
    stored = request.ack_session.scalar(
        select(SiteSetting.greeting).where(SiteSetting.client_key == request.identity.client_key)
    )
    default: str = get_plugin_settings(request)[GREETING_SETTING]
    return stored if stored is not None else default


def site_settings_page(request: Request) -> Response:
    """The page Jira frames: the current greeting and a context token for the API."""
    body = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Greeting</title>"
        f"</head><body><h1>{escape(greeting_of(request))}</h1>"
        f"<p data-token='{escape(request.ack_context_token())}'>Change it at {API_URL}.</p>"
        "</body></html>"
    )
    return Response(body, content_type="text/html")


def read_greeting(request: Request) -> dict[str, str]:
    """``{"greeting": ...}`` for the requesting site."""
    return {"greeting": greeting_of(request)}


def change_greeting(request: Request) -> Any:
    """Store ``{"greeting": ...}`` for the requesting site (1 to 200 characters)."""
    try:
        greeting = request.json_body["greeting"]
    except (ValueError, KeyError, TypeError):
        greeting = None
    if not isinstance(greeting, str) or not 0 < len(greeting.strip()) <= MAX_GREETING:
        request.response.status = 400
        return {"error": f"greeting must be 1 to {MAX_GREETING} characters"}
    row = request.ack_session.get(SiteSetting, request.identity.client_key)
    if row is None:
        row = SiteSetting(client_key=request.identity.client_key)
        request.ack_session.add(row)
    row.greeting = greeting.strip()
    row.updated_at = dt.datetime.now(dt.UTC)
    return {"greeting": row.greeting}
