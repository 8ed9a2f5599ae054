"""The tenant store as a service of the running application: key ring, engine, store, 503s."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyramid.response import Response
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from atlassian_connect_kit.interfaces import IKeyRing, ILifecycleTokens, ITenantStore
from atlassian_connect_kit.responses import json_error
from atlassian_connect_kit.services import find_service, get_settings
from atlassian_connect_kit.settings import Settings, SettingsError
from atlassian_connect_kit.storage.crypto import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    generate_key_line,
)
from atlassian_connect_kit.storage.db import (
    DatabaseUnavailable,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from atlassian_connect_kit.storage.lifecycle_tokens import LifecycleTokens
from atlassian_connect_kit.storage.store import TenantStore

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

log = logging.getLogger(__name__)
DEV_KEY_FILE = "encryption.key"
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def dev_key_path(settings: Settings) -> Path:
    """Where dev mode keeps the key it generated for itself."""
    return Path(settings.here, "var", DEV_KEY_FILE)


def load_keyring(settings: Settings, *, create_in_dev_mode: bool = True) -> KeyRing:
    """Return the key ring from ``ack.encryption_keys``.

    Outside dev mode a missing key is a start-up error. Dev mode without a key uses (and on first
    use creates, readable by its owner only) a key file under ``var/``, a folder only its owner
    may enter (tightened to that if it exists with wider permissions).
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
            make_private_folder(path.parent, tighten=True)
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


def make_private_folder(path: Path, *, tighten: bool) -> None:
    """Create the folder ``path`` (and missing parents) with access for its owner only (0700).

    An existing folder is left as it is, unless ``tighten`` (the kit's own ``var/`` in dev mode)
    and it belongs to this user: then group and others lose their access.
    """
    try:
        path.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True)
    except FileExistsError:
        if tighten:
            _tighten(path, PRIVATE_FOLDER_MODE)
        return
    # mkdir's mode passes through the umask; set it exactly.
    os.chmod(path, PRIVATE_FOLDER_MODE)


def make_private_file(path: Path, *, tighten: bool) -> None:
    """Create the empty file ``path`` readable and writable by its owner only (0600), if absent.

    SQLite takes an empty file as a new database and gives its journal files the database's
    permissions. An existing file is left as it is, unless ``tighten`` (dev mode).
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        if tighten:
            _tighten(path, PRIVATE_FILE_MODE)
        return
    os.close(descriptor)
    os.chmod(path, PRIVATE_FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    if os.name != "posix":
        return  # other systems have no owner/group/other bits to tighten
    status = path.stat()
    if status.st_uid != os.getuid() or not stat.S_IMODE(status.st_mode) & ~mode:
        return
    os.chmod(path, stat.S_IMODE(status.st_mode) & mode)
    log.warning("dev mode: %s was readable by others; now by its owner only", path)


def engine_for(settings: Settings) -> Engine:
    """Create the engine for ``sqlalchemy.url``; a local SQLite file is created owner-only.

    A missing SQLite file and folder are created readable by their owner only (0600 and 0700).
    In dev mode the kit's ``var/`` folder and the database file are tightened to that when they
    exist already with wider permissions: they hold the dev key and the tenants' secrets. With
    ``ack.database.entra_auth`` its connections sign in with Microsoft Entra access tokens.
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        kit_folder = dev_key_path(settings).parent
        make_private_folder(
            path.parent, tighten=settings.dev_mode and _same_path(path.parent, kit_folder)
        )
        make_private_file(path, tighten=settings.dev_mode)
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


def _same_path(first: Path, second: Path) -> bool:
    return first.resolve() == second.resolve()


def get_tenant_store(source: Any) -> ITenantStore:
    """Return the tenant store of the app that ``source`` (a request or registry) belongs to."""
    return find_service(source, ITenantStore)


def get_engine(source: Any) -> Engine:
    """Return the database engine of the app that ``source`` (a request or registry) belongs to."""
    return find_service(source, Engine)


def get_lifecycle_tokens(source: Any) -> ILifecycleTokens:
    """Return the memory of accepted lifecycle tokens of the app ``source`` belongs to."""
    return find_service(source, ILifecycleTokens)


def database_unavailable_view(exc: DatabaseUnavailable, request: Request) -> Response:
    """Answer 503 with a short message when the database cannot be reached."""
    log.error("database unavailable during %s %s: %s", request.method, request.path, exc)
    return json_error("service temporarily unavailable", 503, retry_after=30)


def undecryptable_secret_view(exc: DecryptionError, request: Request) -> Response:
    """Answer 503 when a stored secret does not decrypt with ``ack.encryption_keys``.

    The app cannot verify or sign anything for that site until an operator configures the key
    the secret was written under (see docs/security.md); the log names that key id, never a key.
    """
    log.error(
        "a stored secret cannot be decrypted during %s %s (key id %s): %s; "
        "add that key to ack.encryption_keys",
        request.method,
        request.path,
        exc.key_id or "unknown",
        exc,
    )
    return json_error("service temporarily unavailable", 503)


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
    """Register the key ring, engine, tenant store and token memory, and the 503 views.

    Dev mode migrates the database first; otherwise a database behind the code is logged.
    """
    settings = get_settings(config)
    keyring = load_keyring(settings)
    engine = engine_for(settings)
    if settings.dev_mode:
        upgrade(engine)
    else:
        _warn_if_not_migrated(engine)
    config.register_service(keyring, IKeyRing)
    config.register_service(engine, Engine)
    config.register_service(
        TenantStore(engine, keyring, cache_seconds=settings.tenant_cache_seconds), ITenantStore
    )
    config.register_service(LifecycleTokens(engine), ILifecycleTokens)
    config.add_exception_view(database_unavailable_view, context=DatabaseUnavailable)
    config.add_exception_view(undecryptable_secret_view, context=DecryptionError)
