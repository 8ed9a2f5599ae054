"""The Connect descriptor: template -> placeholders -> plugin fragments -> validation.

The maintainers' template (``atlassian-connect.json.tmpl``) holds the fields that belong to the app;
plugins contribute modules and scopes through ``ack_descriptor_fragment``. The result is validated
once, at start-up and in ``ack descriptor``, so a broken descriptor never reaches Jira.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from atlassian_connect_kit.services import get_plugin_manager, get_settings

if TYPE_CHECKING:
    import pluggy
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.settings import Settings

TEMPLATE_NAME = "atlassian-connect.json.tmpl"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]*)\s*\}\}")
PLACEHOLDER_SETTINGS = (
    "base_url",
    "app_key",
    "app_name",
    "app_description",
    "vendor_name",
    "vendor_url",
)
MODULE_KEY = re.compile(r"^[a-z0-9-]+$")
API_MIGRATIONS = {"signed-install": True, "context-qsh": True}
REQUIRED_FIELDS = ("key", "name", "baseUrl", "authentication", "lifecycle")
SCOPES = frozenset(
    {
        "NONE",
        "READ",
        "WRITE",
        "DELETE",
        "PROJECT_ADMIN",
        "ADMIN",
        "ACT_AS_USER",
        "ACCESS_EMAIL_ADDRESSES",
    }
)


class DescriptorError(ValueError):
    """The template, a fragment or the merged descriptor is invalid; the message says where."""


def default_template_path() -> Path:
    """Return the packaged copy of the template, or the checkout's repo-root original."""
    packaged = resources.files("atlassian_connect_kit").joinpath(TEMPLATE_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    # A source checkout (editable install or PYTHONPATH=src) has no packaged copy: the build
    # makes it from this very file.
    checkout = Path(__file__).resolve().parents[2] / TEMPLATE_NAME
    if checkout.is_file():
        return checkout
    raise DescriptorError(f"{TEMPLATE_NAME} is missing from the installed package")


def render_template(text: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Fill ``{{name}}`` placeholders with JSON-escaped values and parse the result."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise DescriptorError(f"descriptor template: unknown placeholder {{{{{name}}}}}")
        return json.dumps(values[name])[1:-1]

    rendered = PLACEHOLDER.sub(substitute, text)
    try:
        document = json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise DescriptorError(
            f"descriptor template: not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(document, dict):
        raise DescriptorError("descriptor template: the top level must be a JSON object")
    return document


def placeholder_values(settings: Settings) -> dict[str, str]:
    """Return the placeholder values the template may use, from the settings of the same name."""
    return {name: str(getattr(settings, name)) for name in PLACEHOLDER_SETTINGS}


def merge_fragments(
    descriptor: dict[str, Any], fragments: list[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """Merge plugin fragments into ``descriptor`` (a new dict is returned).

    Module lists are concatenated per module type, scopes unioned and sorted. A module key used
    twice fails, naming both owners (the template counts as the owner ``template``).
    """
    merged = dict(descriptor)
    modules: dict[str, list[Any]] = {
        kind: list(items) for kind, items in dict(descriptor.get("modules") or {}).items()
    }
    owners: dict[str, str] = {}
    for items in modules.values():
        for module in items:
            if isinstance(module, Mapping) and isinstance(module.get("key"), str):
                owners.setdefault(module["key"], "template")
    scopes = {str(s).upper() for s in descriptor.get("scopes") or []}
    for owner, fragment in fragments:
        unknown = set(fragment) - {"modules", "scopes"}
        if unknown:
            raise DescriptorError(f"plugin {owner}: unsupported fragment fields {sorted(unknown)}")
        for kind, items in dict(fragment.get("modules") or {}).items():
            if not isinstance(items, list):
                raise DescriptorError(f"plugin {owner}: modules.{kind} must be a list")
            for module in items:
                key = module.get("key") if isinstance(module, Mapping) else None
                if not isinstance(key, str):
                    raise DescriptorError(f"plugin {owner}: a {kind} module has no key")
                if key in owners:
                    raise DescriptorError(
                        f"module key {key!r} is declared by both {owners[key]} and {owner}"
                    )
                owners[key] = owner
            modules.setdefault(kind, []).extend(items)
        scopes.update(str(s).upper() for s in fragment.get("scopes") or [])
    merged["modules"] = modules
    merged["scopes"] = sorted(scopes)
    merged["apiMigrations"] = dict(API_MIGRATIONS)
    return merged


def validate_descriptor(descriptor: Mapping[str, Any], *, dev_mode: bool) -> None:
    """Check the rules Jira enforces at install time, plus the kit's own; raise on the first."""
    for name in REQUIRED_FIELDS:
        if not descriptor.get(name):
            raise DescriptorError(f"descriptor: required field {name!r} is missing")
    base = urlsplit(str(descriptor["baseUrl"]))
    if base.scheme != "https" and not (dev_mode and base.scheme == "http"):
        raise DescriptorError("descriptor: baseUrl must be https outside dev mode")
    if not base.hostname:
        raise DescriptorError("descriptor: baseUrl is not an absolute URL")
    if dict(descriptor.get("authentication") or {}).get("type") != "jwt":
        raise DescriptorError("descriptor: authentication type must be jwt")
    for scope in descriptor.get("scopes") or []:
        if scope not in SCOPES:
            raise DescriptorError(f"descriptor: unknown scope {scope!r}")
    seen: set[str] = set()
    for kind, items in dict(descriptor.get("modules") or {}).items():
        for module in items:
            key = module.get("key", "")
            if not MODULE_KEY.match(key):
                raise DescriptorError(
                    f"descriptor: module key {key!r} ({kind}) must match ^[a-z0-9-]+$"
                )
            if key in seen:
                raise DescriptorError(f"descriptor: module key {key!r} is used twice")
            seen.add(key)
            url = module.get("url")
            if url is not None and (not isinstance(url, str) or not url.startswith("/")):
                raise DescriptorError(
                    f"descriptor: module {key!r} url must be relative (start with /)"
                )
    for event, path in dict(descriptor.get("lifecycle") or {}).items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise DescriptorError(f"descriptor: lifecycle {event} must be a relative path")


def build_descriptor(settings: Settings, pm: pluggy.PluginManager) -> dict[str, Any]:
    """Render the template with ``settings``, merge every active plugin's fragment, validate."""
    template = Path(settings.descriptor_template) if settings.descriptor_template else None
    path = template or default_template_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DescriptorError(
            f"ack.descriptor_template: cannot read {path} ({exc.strerror})"
        ) from None
    document = render_template(text, placeholder_values(settings))
    fragments: list[tuple[str, Mapping[str, Any]]] = []
    for impl in reversed(pm.hook.ack_descriptor_fragment.get_hookimpls()):
        fragment = impl.function(settings=settings)
        if fragment:
            if not isinstance(fragment, Mapping):
                raise DescriptorError(f"plugin {impl.plugin_name}: fragment must be a mapping")
            fragments.append((impl.plugin_name, fragment))
    descriptor = merge_fragments(document, fragments)
    validate_descriptor(descriptor, dev_mode=settings.dev_mode)
    return descriptor


class AppDescriptor(dict[str, Any]):
    """The app's built descriptor, registered as a service (``find_service(request,
    AppDescriptor)``) for the parts that read it, such as the scopes a user's token asks for."""


def includeme(config: Configurator) -> None:
    """Build and validate the descriptor now (a bad template or fragment fails start-up) and
    serve it at ``/atlassian-connect.json`` (public: Jira fetches it without a token)."""
    descriptor = build_descriptor(get_settings(config), get_plugin_manager(config))
    config.register_service(AppDescriptor(descriptor), AppDescriptor)

    def descriptor_view(request: Request) -> dict[str, Any]:
        return descriptor

    config.add_route("ack.descriptor", "/atlassian-connect.json", request_method="GET")
    config.add_view(
        descriptor_view,
        route_name="ack.descriptor",
        renderer="json",
        connect_auth="public",
        http_cache=60,
    )
