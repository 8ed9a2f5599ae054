"""The Forge manifest (``manifest.yml``), from the same settings and plugins as the descriptor.

What the kit writes:

- ``app.id`` (``ack.forge.app_id``) and ``app.runtime`` (required by the schema; a remote-only app
  runs no Forge function, so the runtime name only has to be valid);
- one remote, ``ack-remote``, at the app's base URL;
- ``endpoint`` modules on that remote: ``ack-remote-endpoint`` for UI modules' calls
  (``resolver: {endpoint: ack-remote-endpoint}``), ``ack-lifecycle-endpoint`` at
  :data:`LIFECYCLE_PATH` for the ``trigger`` on ``avi:forge:installed:app`` and
  ``avi:forge:upgraded:app``, and ``ack-uninstall-endpoint`` at :data:`UNINSTALL_PATH` for the
  ``preUninstall`` module (the only uninstall signal Forge sends a remote);
- ``permissions.scopes``: the Forge scopes equivalent to the descriptor's Connect scopes
  (:data:`CLASSIC_SCOPES`), the token scopes the endpoints need, and the plugins' own;
- with ``ack.forge.connect_adoption``: ``app.connect`` (key, remote, ``authentication: jwt``),
  the legacy Connect scopes in their Forge form (:data:`CONNECT_SCOPES_ON_FORGE`) and
  ``connectModules`` carrying the descriptor's modules one to one as ``jira:<type>``, plus the
  Connect lifecycle callbacks as ``jira:lifecycle``.

Plugins add Forge ``modules``, ``resources``, ``scopes``, ``remotes`` and ``permissions`` through
the ``ack_manifest_fragment`` hook. A module type the pinned ``@forge/manifest`` does not know, a
Connect module type ``connectModules`` cannot carry, or a key used twice fails with one line.
:func:`render_manifest` is pure; :func:`build_manifest` gathers its inputs.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from atlassian_connect_kit.auth.forge import is_app_id
from atlassian_connect_kit.descriptor import build_descriptor
from atlassian_connect_kit.forge_modules import CONNECT_JIRA_MODULE_TYPES, FORGE_MODULE_TYPES

if TYPE_CHECKING:
    import pluggy

    from atlassian_connect_kit.settings import Settings

RUNTIME = "nodejs24.x"
"""``app.runtime.name``: the runtime the Forge docs recommend, one of the schema's enum."""

REMOTE_KEY = "ack-remote"
"""The remote at the app's base URL."""

REMOTE_ENDPOINT_KEY = "ack-remote-endpoint"
"""The endpoint UI modules name in ``resolver.endpoint`` to call the app (``invokeRemote``)."""

LIFECYCLE_ENDPOINT_KEY = "ack-lifecycle-endpoint"
"""The endpoint the lifecycle trigger posts to."""

LIFECYCLE_TRIGGER_KEY = "ack-lifecycle"
"""The ``trigger`` module subscribed to :data:`LIFECYCLE_EVENTS`."""

UNINSTALL_ENDPOINT_KEY = "ack-uninstall-endpoint"
"""The endpoint the ``preUninstall`` module calls."""

PRE_UNINSTALL_KEY = "ack-pre-uninstall"
"""The ``preUninstall`` module."""

CONNECT_LIFECYCLE_KEY = "ack-connect-lifecycle"
"""The ``jira:lifecycle`` Connect module of an adopting app."""

LIFECYCLE_PATH = "/forge/lifecycle"
"""Where Forge posts ``avi:forge:installed:app`` and ``avi:forge:upgraded:app``."""

UNINSTALL_PATH = "/forge/uninstall"
"""Where Forge posts the ``preUninstall`` call."""

LIFECYCLE_EVENTS = ("avi:forge:installed:app", "avi:forge:upgraded:app")
"""The Forge lifecycle events the kit subscribes to."""

SYSTEM_TOKEN_SCOPE = "read:app-system-token"
USER_TOKEN_SCOPE = "read:app-user-token"

CLASSIC_SCOPES: Mapping[str, tuple[str, ...]] = {
    "NONE": (),
    "READ": ("read:jira-work", "read:jira-user"),
    "WRITE": ("write:jira-work",),
    "DELETE": ("write:jira-work",),
    "PROJECT_ADMIN": ("manage:jira-project",),
    "ADMIN": ("manage:jira-configuration",),
    "ACT_AS_USER": (),
    "ACCESS_EMAIL_ADDRESSES": ("read:email-address:jira",),
}
"""The Forge (OAuth 2.0) scopes each Connect scope maps to, after Connect's implications.

From Atlassian's "Equivalent Connect to Forge OAuth2 scope mappings": ``read:jira-work`` and
``read:jira-user`` correspond to READ, ``write:jira-work`` to DELETE (it deletes issues too, so an
app with WRITE gets the broader classic scope: there is no classic write-only scope),
``manage:jira-project`` to PROJECT_ADMIN, ``manage:jira-configuration`` to ADMIN.
ACCESS_EMAIL_ADDRESSES maps to the granular ``read:email-address:jira``. ACT_AS_USER has no
product scope: it turns on the app user token (:data:`USER_TOKEN_SCOPE`).
"""

CONNECT_SCOPES_ON_FORGE: Mapping[str, str] = {
    "READ": "read:connect-jira",
    "WRITE": "write:connect-jira",
    "DELETE": "delete:connect-jira",
    "PROJECT_ADMIN": "project-admin:connect-jira",
    "ADMIN": "admin:connect-jira",
    "ACT_AS_USER": "act-as-user:connect-jira",
    "ACCESS_EMAIL_ADDRESSES": "access-email-addresses:connect-jira",
}
"""The legacy Connect scopes as an adopting app declares them in ``permissions.scopes``."""

FRAGMENT_FIELDS = frozenset({"modules", "resources", "scopes", "remotes", "permissions"})
"""What an ``ack_manifest_fragment`` may contribute."""

# Connect's scope ladder: each scope implies the ones before it.
_LADDER = ("READ", "WRITE", "DELETE", "PROJECT_ADMIN", "ADMIN")
_KIT = "the kit"
_TEMPLATE = "the descriptor"


class ManifestError(ValueError):
    """The manifest cannot be rendered; the message is one line saying what and whose."""


def forge_scopes(connect_scopes: Iterable[str]) -> list[str]:
    """The Forge product scopes equivalent to ``connect_scopes`` (see :data:`CLASSIC_SCOPES`)."""
    declared = {scope.upper() for scope in connect_scopes}
    implied = set(declared)
    for index, scope in enumerate(_LADDER):
        if scope in declared:
            implied.update(_LADDER[:index])
    unknown = implied - CLASSIC_SCOPES.keys()
    if unknown:
        raise ManifestError(f"descriptor: Connect scope {sorted(unknown)[0]!r} has no Forge scope")
    return sorted({forge for scope in implied for forge in CLASSIC_SCOPES[scope]})


def render_manifest(
    *,
    app_id: str,
    app_key: str,
    base_url: str,
    descriptor: Mapping[str, Any],
    fragments: Sequence[tuple[str, Mapping[str, Any]]],
    connect_adoption: bool,
) -> dict[str, Any]:
    """Render the manifest from its inputs; raise :class:`ManifestError` naming what is wrong.

    ``descriptor`` is the rendered, validated Connect descriptor (its scopes, modules and
    lifecycle); ``fragments`` are ``(plugin name, fragment)`` pairs from ``ack_manifest_fragment``.
    """
    if not is_app_id(app_id):
        raise ManifestError(
            "ack.forge.app_id: is required to render the Forge manifest and must look like "
            "ari:cloud:ecosystem::app/<uuid> (forge register prints it)"
        )
    connect_scopes = [str(scope) for scope in descriptor.get("scopes") or []]
    product_scopes = forge_scopes(connect_scopes)
    tokens = bool(product_scopes)  # Forge issues no token without a product scope to use it
    user_token = tokens and "ACT_AS_USER" in {scope.upper() for scope in connect_scopes}
    scopes = set(product_scopes)
    if tokens:
        scopes.add(SYSTEM_TOKEN_SCOPE)
    if user_token:
        scopes.add(USER_TOKEN_SCOPE)
    if connect_adoption:
        scopes.update(
            CONNECT_SCOPES_ON_FORGE[s.upper()] for s in connect_scopes if s.upper() != "NONE"
        )

    modules = _kit_modules(system_token=tokens, user_token=user_token)
    owners = {item["key"]: _KIT for items in modules.values() for item in items}
    remotes: list[dict[str, Any]] = [{"key": REMOTE_KEY, "baseUrl": base_url}]
    resources: list[dict[str, Any]] = []
    permissions: dict[str, Any] = {}
    for plugin, fragment in fragments:
        _check_fragment_fields(plugin, fragment)
        _add_modules(modules, owners, plugin, fragment.get("modules") or {})
        resources.extend(_keyed_list(plugin, "resources", fragment.get("resources")))
        remotes.extend(_keyed_list(plugin, "remotes", fragment.get("remotes")))
        scopes.update(_scope_list(plugin, fragment.get("scopes")))
        extra = fragment.get("permissions") or {}
        if not isinstance(extra, Mapping) or "scopes" in extra:
            raise ManifestError(f"plugin {plugin}: permissions must be a mapping without scopes")
        permissions = _merged(permissions, extra, f"plugin {plugin}: permissions")
    _check_unique("resource", resources)
    _check_unique("remote", remotes)

    app: dict[str, Any] = {"id": app_id, "runtime": {"name": RUNTIME}}
    manifest: dict[str, Any] = {"app": app, "remotes": remotes}
    manifest["permissions"] = {"scopes": sorted(scopes), **permissions}
    manifest["modules"] = modules
    if connect_adoption:
        app["connect"] = {"key": app_key, "remote": REMOTE_KEY, "authentication": "jwt"}
        manifest["connectModules"] = _connect_modules(descriptor, owners)
    if resources:
        manifest["resources"] = resources
    return manifest


def build_manifest(
    settings: Settings, pm: pluggy.PluginManager, *, descriptor: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Render the manifest for ``settings`` and the plugins of ``pm``.

    The descriptor is built (and validated) the same way ``ack descriptor`` builds it unless
    given; every plugin's ``ack_manifest_fragment`` is collected in registration order.
    """
    if descriptor is None:
        descriptor = build_descriptor(settings, pm)
    fragments: list[tuple[str, Mapping[str, Any]]] = []
    for impl in reversed(pm.hook.ack_manifest_fragment.get_hookimpls()):
        fragment = impl.function(settings=settings)
        if fragment:
            if not isinstance(fragment, Mapping):
                raise ManifestError(f"plugin {impl.plugin_name}: fragment must be a mapping")
            fragments.append((impl.plugin_name, fragment))
    return render_manifest(
        app_id=settings.forge_app_id,
        app_key=settings.app_key,
        base_url=settings.base_url,
        descriptor=descriptor,
        fragments=fragments,
        connect_adoption=settings.forge_connect_adoption,
    )


RESOURCES_FOLDER = "static"
"""Where :func:`place_resources` copies packaged resource folders, beside ``manifest.yml``."""


def place_resources(manifest: Mapping[str, Any], app_dir: Path) -> dict[str, Any]:
    """Copy every resource given as an absolute folder into ``app_dir`` and point at the copy.

    A plugin ships its built Custom UI inside its package and names that folder by its absolute
    path; Forge wants ``resources[].path`` relative to ``manifest.yml``. Each such folder is copied
    to ``app_dir/static/<key>`` (replacing an older copy) and the returned manifest says
    ``static/<key>``, so ``app_dir`` is a Forge app folder ready for ``forge deploy``. Relative
    paths are left as they are. A missing folder raises :class:`ManifestError`.
    """
    placed = copy.deepcopy(dict(manifest))
    for resource in placed.get("resources") or []:
        source = Path(str(resource.get("path", "")))
        if not source.is_absolute():
            continue
        if not (source / "index.html").is_file():
            raise ManifestError(
                f"resource {resource['key']!r}: {source} is not a built folder with an index.html"
            )
        relative = f"{RESOURCES_FOLDER}/{resource['key']}"
        target = app_dir / relative
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        resource["path"] = relative
    return placed


def manifest_yaml(manifest: Mapping[str, Any]) -> str:
    """The manifest as YAML, in the order it was built, behind a line saying where it came from."""
    body = yaml.safe_dump(
        _plain(manifest), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return (
        "# Generated by `ack manifest` from the app's settings and plugins; "
        "change those, not this file.\n" + body
    )


def _kit_modules(*, system_token: bool, user_token: bool) -> dict[str, list[dict[str, Any]]]:
    def auth(*, user: bool) -> dict[str, Any]:
        tokens: dict[str, Any] = {"appSystemToken": {"enabled": system_token}}
        if user:
            tokens["appUserToken"] = {"enabled": user_token}
        return tokens

    return {
        "endpoint": [
            {"key": REMOTE_ENDPOINT_KEY, "remote": REMOTE_KEY, "auth": auth(user=True)},
            {
                "key": LIFECYCLE_ENDPOINT_KEY,
                "remote": REMOTE_KEY,
                "route": {"path": LIFECYCLE_PATH},
                # Forge sends no user token with events: a trigger's endpoint may not ask for one.
                "auth": auth(user=False),
            },
            {
                "key": UNINSTALL_ENDPOINT_KEY,
                "remote": REMOTE_KEY,
                "route": {"path": UNINSTALL_PATH},
            },
        ],
        "trigger": [
            {
                "key": LIFECYCLE_TRIGGER_KEY,
                "endpoint": LIFECYCLE_ENDPOINT_KEY,
                "events": list(LIFECYCLE_EVENTS),
            }
        ],
        "preUninstall": [{"key": PRE_UNINSTALL_KEY, "endpoint": UNINSTALL_ENDPOINT_KEY}],
    }


def _check_fragment_fields(plugin: str, fragment: Mapping[str, Any]) -> None:
    unknown = set(fragment) - FRAGMENT_FIELDS
    if unknown:
        raise ManifestError(
            f"plugin {plugin}: unsupported manifest fragment fields {sorted(unknown)}"
        )


def _add_modules(
    modules: dict[str, list[dict[str, Any]]],
    owners: dict[str, str],
    plugin: str,
    contributed: object,
) -> None:
    if not isinstance(contributed, Mapping):
        raise ManifestError(f"plugin {plugin}: modules must be a mapping of module type to list")
    for kind, items in contributed.items():
        if kind not in FORGE_MODULE_TYPES:
            raise ManifestError(f"plugin {plugin}: unknown Forge module type {kind!r}")
        if not isinstance(items, list):
            raise ManifestError(f"plugin {plugin}: modules.{kind} must be a list")
        for item in items:
            _claim_key(owners, item, plugin, kind)
            modules.setdefault(kind, []).append(copy.deepcopy(dict(item)))


def _claim_key(owners: dict[str, str], item: object, owner: str, kind: str) -> None:
    key = item.get("key") if isinstance(item, Mapping) else None
    if not isinstance(key, str) or not key:
        raise ManifestError(f"{owner}: a {kind} module has no key")
    if key in owners:
        raise ManifestError(
            f"Forge module key {key!r} is declared by both {owners[key]} and {owner}"
        )
    owners[key] = owner


def _connect_modules(
    descriptor: Mapping[str, Any], owners: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    carried: dict[str, list[dict[str, Any]]] = {}
    lifecycle = {
        event: path
        for event, path in dict(descriptor.get("lifecycle") or {}).items()
        if isinstance(path, str)
    }
    if lifecycle:
        entry = {"key": CONNECT_LIFECYCLE_KEY, **lifecycle}
        _claim_key(owners, entry, _KIT, "jira:lifecycle")
        carried["jira:lifecycle"] = [entry]
    for kind, items in dict(descriptor.get("modules") or {}).items():
        if kind not in CONNECT_JIRA_MODULE_TYPES or kind == "lifecycle":
            raise ManifestError(
                f"descriptor: Connect module type {kind!r} has no connectModules equivalent"
            )
        for item in items:
            _claim_key(owners, item, _TEMPLATE, f"jira:{kind}")
        carried[f"jira:{kind}"] = copy.deepcopy(list(items))
    return carried


def _keyed_list(plugin: str, field: str, value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, Mapping) and isinstance(item.get("key"), str) for item in value
    ):
        raise ManifestError(f"plugin {plugin}: {field} must be a list of mappings with a key")
    return [copy.deepcopy(dict(item)) for item in value]


def _scope_list(plugin: str, value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise ManifestError(f"plugin {plugin}: scopes must be a list of scope names")
    return list(value)


def _check_unique(kind: str, items: Sequence[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for item in items:
        if item["key"] in seen:
            raise ManifestError(f"Forge {kind} key {item['key']!r} is declared twice")
        seen.add(item["key"])


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> dict[str, Any]:
    merged = dict(base)
    for name, value in extra.items():
        if name not in merged:
            merged[name] = copy.deepcopy(value)
        elif isinstance(merged[name], Mapping) and isinstance(value, Mapping):
            merged[name] = _merged(merged[name], value, f"{where}.{name}")
        elif isinstance(merged[name], list) and isinstance(value, list):
            merged[name] = [*merged[name], *(v for v in value if v not in merged[name])]
        elif merged[name] != value:
            raise ManifestError(f"{where}.{name} conflicts with another plugin's value")
    return merged


def _plain(value: Any) -> Any:
    """Mappings as dicts and sequences as lists, so the YAML holds no Python-specific tags."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
