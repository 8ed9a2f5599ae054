"""Read and validate the ``ack.*`` settings, with their environment overrides.

Every setting the kit knows is declared once in :data:`SETTINGS` with its default and parser; the
rest of the kit reads the typed :class:`Settings` object, never the raw mapping. Each ``ack.x.y``
setting can be overridden by the environment variable ``ACK_X_Y``; ``sqlalchemy.url`` comes from
``ACK_DATABASE_URL``. A bad value fails at start-up with one line naming the setting.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atlassian_connect_kit.auth.forge import is_app_id
from atlassian_connect_kit.auth.jwks import check_jwks_url

DEFAULT_INSTALL_KEYS_URL = "https://connect-install-keys.atlassian.com"
DEFAULT_OAUTH2_TOKEN_URL = (
    "https://oauth-2-authorization-server.services.atlassian.com/oauth2/token"
)
DEFAULT_OAUTH2_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"
DEFAULT_FORGE_JWKS_URL = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
APP_IDENTITY_SETTINGS: tuple[str, ...] = (
    "ack.app_key",
    "ack.app_name",
    "ack.vendor_name",
    "ack.vendor_url",
)
"""Who the app is: the kit has no defaults for these, every add-on sets its own.

They are required wherever the app is described or served (the web app, ``ack descriptor``,
``ack manifest``); commands that only operate on the store (``ack db``, ``ack keys``, backups)
work without them.
"""


class SettingsError(ValueError):
    """A setting is missing or invalid; the message is one line naming the setting."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.setting = name


def env_var_name(setting: str) -> str:
    """Return the environment variable that overrides ``setting`` (``ack.a.b`` -> ``ACK_A_B``)."""
    if setting == "sqlalchemy.url":
        return "ACK_DATABASE_URL"
    return setting.upper().replace(".", "_")


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(name, f"expected true or false, got {value!r}")


def _int_parser(minimum: int, maximum: int | None = None) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise SettingsError(name, f"expected a whole number, got {value!r}") from None
        if maximum is not None and not minimum <= number <= maximum:
            raise SettingsError(name, f"must be between {minimum} and {maximum}, got {number}")
        if number < minimum:
            raise SettingsError(name, f"must be at least {minimum}, got {number}")
        return number

    return parse


def _float_parser(minimum: float) -> Callable[[str, str], float]:
    def parse(name: str, value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise SettingsError(name, f"expected a number, got {value!r}") from None
        if number < minimum:
            raise SettingsError(name, f"must be at least {minimum}, got {number}")
        return number

    return parse


def _text(name: str, value: str) -> str:
    return value.strip()


def _word_list(name: str, value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _peer_list(name: str, value: str) -> tuple[str, ...]:
    # Addresses or networks (CIDR), comma or space separated, or "*" for every peer.
    peers = tuple(part for part in value.replace(",", " ").split() if part)
    if "*" in peers:
        if len(peers) > 1:
            raise SettingsError(name, "'*' trusts every peer and stands alone")
        return peers
    for peer in peers:
        try:
            ipaddress.ip_network(peer, strict=False)
        except ValueError:
            raise SettingsError(name, f"not an IP address or network: {peer!r}") from None
    return peers


@dataclass(frozen=True)
class SettingSpec:
    """One documented setting: its name, default (as text) and parser."""

    name: str
    default: str | None
    parse: Callable[[str, str], Any]
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "ack.base_url", None, _text, "the app's public URL (https; http://localhost in dev)"
    ),
    SettingSpec("ack.app_key", None, _text, "the descriptor key and iss of app JWTs (required)"),
    SettingSpec("ack.app_name", None, _text, "the descriptor name (required)"),
    SettingSpec("ack.app_description", "", _text, "the descriptor description"),
    SettingSpec("ack.vendor_name", None, _text, "the descriptor vendor name (required)"),
    SettingSpec("ack.vendor_url", None, _text, "the vendor's URL (required)"),
    SettingSpec("ack.descriptor_template", "", _text, "path of the descriptor template"),
    SettingSpec("ack.plugins", "", _word_list, "entry-point names of the plugins to enable"),
    SettingSpec("sqlalchemy.url", None, _text, "the tenant store's database URL"),
    SettingSpec("ack.encryption_keys", "", _text, "kid:KEY entries; the first encrypts"),
    SettingSpec("ack.install_keys_url", DEFAULT_INSTALL_KEYS_URL, _text, "signed-install keys"),
    SettingSpec("ack.oauth2_token_url", DEFAULT_OAUTH2_TOKEN_URL, _text, "act-as-user tokens"),
    SettingSpec("ack.oauth2_audience", DEFAULT_OAUTH2_AUDIENCE, _text, "aud of user assertions"),
    SettingSpec("ack.dev_mode", "false", _parse_bool, "allow http and local conveniences"),
    SettingSpec(
        "ack.all_js_url",
        "https://connect-cdn.atl-paas.net/all.js",
        _text,
        "Atlassian's all.js, loaded by the app's pages (the demo points it at its stand-in)",
    ),
    SettingSpec("ack.jwt_leeway", "30", _int_parser(0, 60), "clock skew allowed, seconds"),
    SettingSpec("ack.tenant_cache_seconds", "30", _float_parser(0), "tenant cache lifetime"),
    SettingSpec("ack.context_token_seconds", "300", _int_parser(30, 900), "page token lifetime"),
    SettingSpec("ack.host.max_attempts", "5", _int_parser(1, 20), "attempts per Jira call"),
    SettingSpec("ack.host.max_wait_seconds", "60", _float_parser(0), "retry waits per call"),
    SettingSpec("ack.host.timeout_seconds", "30", _float_parser(0.1), "timeout per attempt"),
    SettingSpec("ack.host.concurrency", "8", _int_parser(1, 64), "parallel calls per tenant"),
    SettingSpec("ack.backup.dir", "", _text, "where backups are written"),
    SettingSpec("ack.backup.key", "", _text, "kid:KEY or KEY encrypting backups"),
    SettingSpec("ack.backup.keep_days", "35", _int_parser(1), "keep every backup this young"),
    SettingSpec("ack.backup.keep_months", "13", _int_parser(0), "monthly backups kept"),
    SettingSpec("ack.backup.rpo_hours", "24", _float_parser(0.1), "recovery point objective"),
    SettingSpec("ack.backup.rto_hours", "8", _float_parser(0.1), "recovery time objective"),
    SettingSpec(
        "ack.security.contact", "", _text, "security contact (mailto:, https: or tel: URI)"
    ),
    SettingSpec("ack.security.policy_url", "", _text, "disclosure policy URL"),
    SettingSpec(
        "ack.security.frame_ancestors",
        "https://*.atlassian.net https://*.jira.com https://*.jira-dev.com",
        _word_list,
        "origins allowed to frame the app's pages",
    ),
    SettingSpec(
        "ack.database.entra_auth", "false", _parse_bool, "sign in to Azure SQL with Entra tokens"
    ),
    SettingSpec("ack.backup.azure.account_url", "", _text, "Blob Storage account URL"),
    SettingSpec("ack.backup.azure.container", "", _text, "Blob Storage container for backups"),
    SettingSpec("ack.backup.azure.sas_token", "", _text, "SAS token for the container"),
    SettingSpec("ack.backup.azure.connection_string", "", _text, "storage connection string"),
    SettingSpec(
        "ack.forge.app_id", "", _text, "the Forge app id (ari:cloud:ecosystem::app/<uuid>)"
    ),
    SettingSpec(
        "ack.forge.jwks_url", DEFAULT_FORGE_JWKS_URL, _text, "keys of Forge invocation tokens"
    ),
    SettingSpec(
        "ack.forge.connect_adoption",
        "false",
        _parse_bool,
        "the Forge manifest carries the Connect modules (app.connect, connectModules)",
    ),
    SettingSpec(
        "ack.max_request_body_bytes",
        "1048576",
        _int_parser(65536),
        "largest request body accepted (bytes); larger gets 413",
    ),
    SettingSpec(
        "ack.connect_auth_all_views",
        "false",
        _parse_bool,
        "every view of the app must declare connect_auth, not only the kit's and its plugins'",
    ),
    SettingSpec(
        "ack.forwarded_allow_ips",
        "",
        _peer_list,
        "proxies whose X-Forwarded-Proto the app applies itself (for servers that do not)",
    ),
    SettingSpec(
        "ack.jwt_max_lifetime",
        "3600",
        _int_parser(60, 86400),
        "longest exp - iat an incoming token may have, seconds",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The validated settings of one application (or one ``ack`` command)."""

    base_url: str
    app_key: str
    app_name: str
    app_description: str
    vendor_name: str
    vendor_url: str
    descriptor_template: str
    plugins: tuple[str, ...]
    database_url: str
    encryption_keys: str = field(repr=False)
    install_keys_url: str
    oauth2_token_url: str
    oauth2_audience: str
    dev_mode: bool
    all_js_url: str
    jwt_leeway: int
    tenant_cache_seconds: float
    context_token_seconds: int
    host_max_attempts: int
    host_max_wait_seconds: float
    host_timeout_seconds: float
    host_concurrency: int
    backup_dir: str
    backup_key: str = field(repr=False)
    backup_keep_days: int
    backup_keep_months: int
    backup_rpo_hours: float
    backup_rto_hours: float
    security_contact: str
    security_policy_url: str
    security_frame_ancestors: tuple[str, ...]
    database_entra_auth: bool
    backup_azure_account_url: str
    backup_azure_container: str
    backup_azure_sas_token: str = field(repr=False)
    backup_azure_connection_string: str = field(repr=False)
    forge_app_id: str
    forge_jwks_url: str
    forge_connect_adoption: bool
    max_request_body_bytes: int
    jwt_max_lifetime: int
    forwarded_allow_ips: tuple[str, ...] = ()
    connect_auth_all_views: bool = False
    here: str = "."
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)

    @cached_property
    def base_path(self) -> str:
        """The path part of the base URL, without a trailing slash (``""`` at the root).

        Computed once: every authenticated request needs it for its ``qsh``.
        """
        return urlsplit(self.base_url).path.rstrip("/")


def _attribute_name(setting: str) -> str:
    name = setting.removeprefix("ack.").replace(".", "_")
    return "database_url" if setting == "sqlalchemy.url" else name


def _check_url(name: str, value: str, *, dev_mode: bool, local_http_only: bool = True) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(name, f"not an absolute http(s) URL: {value!r}")
    if parts.query or parts.fragment:
        raise SettingsError(name, "must not carry a query or fragment")
    if parts.scheme == "http":
        if not dev_mode:
            raise SettingsError(name, "must use https outside dev mode (ack.dev_mode = true)")
        if local_http_only and parts.hostname not in LOCAL_HOSTS:
            raise SettingsError(name, "http is only allowed for localhost or 127.0.0.1")


def load_settings(
    raw: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    here: str | None = None,
    require_base_url: bool = True,
) -> Settings:
    """Build :class:`Settings` from an ini's ``[app:main]`` mapping and the environment.

    Raises :class:`SettingsError` naming the first setting that is missing or invalid.
    ``require_base_url=False`` serves commands that neither describe nor serve the app (``ack db``,
    ``ack keys``, backups): ``ack.base_url`` and the app identity (:data:`APP_IDENTITY_SETTINGS`)
    may then be absent.
    """
    environ = os.environ if environ is None else environ
    here = here or str(raw.get("here") or os.getcwd())
    merged: dict[str, str] = {k: str(v) for k, v in raw.items() if isinstance(v, str | int | float)}
    for spec in SETTINGS:
        override = environ.get(env_var_name(spec.name))
        if override is not None:
            merged[spec.name] = override
    values: dict[str, Any] = {}
    for spec in SETTINGS:
        text = merged.get(spec.name)
        if text is None or (text.strip() == "" and spec.default is not None):
            text = spec.default
        if text is None or (spec.name in APP_IDENTITY_SETTINGS and not text.strip()):
            if spec.name == "sqlalchemy.url":
                text = f"sqlite:///{Path(here, 'var', 'ack.sqlite')}"
            elif not require_base_url and (
                spec.name == "ack.base_url" or spec.name in APP_IDENTITY_SETTINGS
            ):
                text = ""
            elif spec.name in APP_IDENTITY_SETTINGS:
                raise SettingsError(
                    spec.name,
                    f"is required (the kit has no default app identity; set it in the ini "
                    f"or {env_var_name(spec.name)})",
                )
            else:
                raise SettingsError(spec.name, "is required")
        values[_attribute_name(spec.name)] = spec.parse(spec.name, text)
    dev_mode = bool(values["dev_mode"])
    if values["base_url"] or require_base_url:
        _check_url("ack.base_url", values["base_url"], dev_mode=dev_mode)
        values["base_url"] = values["base_url"].rstrip("/")
    for name in ("ack.install_keys_url", "ack.oauth2_token_url", "ack.all_js_url"):
        _check_url(name, values[_attribute_name(name)], dev_mode=dev_mode)
    if values["jwt_max_lifetime"] < values["context_token_seconds"]:
        raise SettingsError(
            "ack.jwt_max_lifetime",
            "must be at least ack.context_token_seconds, or the app's own page tokens are refused",
        )
    if values["app_key"] and len(values["app_key"]) > 64:
        raise SettingsError("ack.app_key", "must be 1 to 64 characters")
    for name in ("ack.security.contact",):
        contact = values[_attribute_name(name)]
        if contact and not contact.startswith(("mailto:", "https://", "tel:")):
            raise SettingsError(name, "must be a mailto:, https: or tel: URI")
    _check_azure_backup(values, dev_mode=dev_mode)
    _check_forge(values, dev_mode=dev_mode)
    return Settings(**values, here=here, raw=dict(merged))


_AZURE_CONTAINER_NAME = re.compile(r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*")


def _check_azure_backup(values: dict[str, Any], *, dev_mode: bool) -> None:
    """Check the ``ack.backup.azure.*`` settings fit together (one way to sign in, a container)."""
    account_url = values["backup_azure_account_url"]
    connection_string = values["backup_azure_connection_string"]
    values["backup_azure_sas_token"] = values["backup_azure_sas_token"].lstrip("?")
    if connection_string and (account_url or values["backup_azure_sas_token"]):
        raise SettingsError(
            "ack.backup.azure.connection_string",
            "set either it or ack.backup.azure.account_url (with an optional sas_token), not both",
        )
    if values["backup_azure_sas_token"] and not account_url:
        raise SettingsError("ack.backup.azure.sas_token", "needs ack.backup.azure.account_url")
    if account_url:
        _check_url("ack.backup.azure.account_url", account_url, dev_mode=dev_mode)
        values["backup_azure_account_url"] = account_url.rstrip("/")
    container = values["backup_azure_container"]
    if (account_url or connection_string) and not container:
        raise SettingsError("ack.backup.azure.container", "is required for Azure Blob backups")
    if container and not _AZURE_CONTAINER_NAME.fullmatch(container):
        raise SettingsError(
            "ack.backup.azure.container",
            "must be 3 to 63 lower-case letters, digits and single hyphens "
            "(Azure's container name rules)",
        )
    if container and not (account_url or connection_string):
        raise SettingsError(
            "ack.backup.azure.container",
            "needs ack.backup.azure.account_url or ack.backup.azure.connection_string",
        )


def _check_forge(values: Mapping[str, Any], *, dev_mode: bool) -> None:
    app_id = values["forge_app_id"]
    if app_id and not is_app_id(app_id):
        raise SettingsError("ack.forge.app_id", "must look like ari:cloud:ecosystem::app/<uuid>")
    try:
        check_jwks_url(values["forge_jwks_url"], dev_mode=dev_mode)
    except ValueError as error:
        raise SettingsError("ack.forge.jwks_url", str(error)) from None
