"""The tenant store as a service of the running application: key ring, engine, store, 503s."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyramid.response import Response
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from atlassian_connect_kit.settings import Settings, SettingsError
from atlassian_connect_kit.storage.crypto import KeyRing, KeyRingError, generate_key_line
from atlassian_connect_kit.storage.db import (
    DatabaseUnavailable,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from atlassian_connect_kit.storage.store import TenantStore

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

log = logging.getLogger(__name__)
STORE_KEY = "ack.tenant_store"
ENGINE_KEY = "ack.engine"
DEV_KEY_FILE = "encryption.key"


def dev_key_path(settings: Settings) -> Path:
    """Where dev mode keeps the key it generated for itself."""
    return Path(settings.here, "var", DEV_KEY_FILE)


def load_keyring(settings: Settings, *, create_in_dev_mode: bool = True) -> KeyRing:
    """Return the key ring from ``ack.encryption_keys``.

    Outside dev mode a missing key is a start-up error. Dev mode without a key uses (and on first
    use creates, readable by its owner only) a key file under ``var/``.
    """
    value = settings.encryption_keys
    if not value.strip():
        if not settings.dev_mode:
            raise SettingsError(
                "ack.encryption_keys",
                "is required outside dev mode (create one with `ack keys generate`)",
            )
        path = dev_key_path(settings)
        if not path.exists():
            if not create_in_dev_mode:
                raise SettingsError("ack.encryption_keys", f"is empty and {path} does not exist")
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(generate_key_line() + "\n")
            log.info("dev mode: created an encryption key in %s", path)
        value = path.read_text(encoding="ascii")
    try:
        return KeyRing.from_setting(value)
    except KeyRingError as exc:
        message = str(exc).removeprefix("ack.encryption_keys: ")
        raise SettingsError("ack.encryption_keys", message) from None


def engine_for(settings: Settings) -> Engine:
    """Create the engine for ``sqlalchemy.url``, making a local SQLite file's folder if needed.

    With ``ack.database.entra_auth`` its connections sign in with Microsoft Entra access tokens.
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if not settings.database_entra_auth:
        return make_engine(settings.database_url)
    from atlassian_connect_kit.storage.entra import (
        CachedAccessToken,
        default_credential,
        token_url_problem,
        use_access_tokens,
    )

    problem = token_url_problem(url)
    if problem is not None:
        raise SettingsError("ack.database.entra_auth", f"sqlalchemy.url: {problem}")
    engine = make_engine(settings.database_url)
    use_access_tokens(engine, CachedAccessToken(default_credential()))
    return engine


def get_tenant_store(registry: Any) -> TenantStore:
    """Return the tenant store of the application that owns ``registry``."""
    store: TenantStore = registry[STORE_KEY]
    return store


def database_unavailable_view(exc: DatabaseUnavailable, request: Request) -> Response:
    """Answer 503 with a short message when the database cannot be reached."""
    log.error("database unavailable during %s %s: %s", request.method, request.path, exc)
    response = Response(json_body={"error": "service temporarily unavailable"}, status=503)
    response.headers["Retry-After"] = "30"
    response.cache_control.no_store = True
    return response


def _warn_if_not_migrated(engine: Engine) -> None:
    # Start-up does not fail on this: the database may be briefly unreachable while the
    # server starts, and requests answer 503 until it is back.
    try:
        current = current_revision(engine)
    except DatabaseUnavailable as error:
        log.warning("database unavailable at start-up: %s", error)
        return
    if current != head_revision():
        log.warning(
            "database schema is at %s, the code expects %s: run `ack db upgrade -c INI`",
            current or "nothing",
            head_revision(),
        )


def includeme(config: Configurator) -> None:
    """Create the tenant store (migrating the database first in dev mode) and the 503 view."""
    from atlassian_connect_kit.config import get_settings

    settings = get_settings(config.registry)
    keyring = load_keyring(settings)
    engine = engine_for(settings)
    if settings.dev_mode:
        upgrade(engine)
    else:
        _warn_if_not_migrated(engine)
    config.registry[ENGINE_KEY] = engine
    config.registry[STORE_KEY] = TenantStore(
        engine, keyring, cache_seconds=settings.tenant_cache_seconds
    )
    config.add_exception_view(database_unavailable_view, context=DatabaseUnavailable)
