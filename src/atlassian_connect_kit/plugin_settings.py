"""Plugins' own settings: declared once, read like the kit's (ini, then environment overrides).

A plugin declares its settings with the ``ack_plugin_settings`` hook, returning
:class:`PluginSetting` items. Each is read from the app's ini section (``[app:main]``) and can be
overridden by the environment variable named by upper-casing it and turning dots into
underscores (``myplugin.greeting`` -> ``MYPLUGIN_GREETING``), exactly as ``ack.base_url`` is
overridden by ``ACK_BASE_URL``. Values are parsed once at start-up; a missing or bad one stops the
app with one line naming the setting (:class:`~atlassian_connect_kit.settings.SettingsError`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from atlassian_connect_kit.services import find_service, get_plugin_manager, get_settings
from atlassian_connect_kit.settings import (
    Settings,
    SettingsError,
    _float_parser,
    _int_parser,
    _parse_bool,
    _text,
    _word_list,
    env_var_name,
)

if TYPE_CHECKING:
    import pluggy
    from pyramid.config import Configurator

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

text: Callable[[str, str], str] = _text
"""Parser: the value as text, surrounding spaces removed."""

boolean: Callable[[str, str], bool] = _parse_bool
"""Parser: true/false, yes/no, on/off, 1/0."""

words: Callable[[str, str], tuple[str, ...]] = _word_list
"""Parser: space-separated words, as a tuple."""


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str, str], int]:
    """Parser: an integer of at least ``minimum`` (and at most ``maximum``)."""
    return _int_parser(minimum, maximum)


def number(minimum: float) -> Callable[[str, str], float]:
    """Parser: a decimal number of at least ``minimum``."""
    return _float_parser(minimum)


@dataclass(frozen=True)
class PluginSetting:
    """One setting of a plugin.

    ``name`` is dotted and starts with the plugin's own prefix (``myplugin.greeting``; the
    ``ack.`` prefix is the kit's). ``default`` is the value as text, or ``None`` when the setting
    is required. ``parse(name, text)`` turns the text into the value (:data:`text`,
    :data:`boolean`, :data:`words`, :func:`whole_number`, :func:`number` or your own, raising
    :class:`~atlassian_connect_kit.settings.SettingsError` for a bad value). ``help`` is one line
    for the plugin's documentation.
    """

    name: str
    default: str | None
    parse: Callable[[str, str], Any] = text
    help: str = ""

    @property
    def env_var(self) -> str:
        """The environment variable that overrides this setting."""
        return env_var_name(self.name)


def declared_plugin_settings(pm: pluggy.PluginManager) -> tuple[PluginSetting, ...]:
    """Every setting the registered plugins declare, checked for bad and duplicate names."""
    declared: list[PluginSetting] = []
    seen: set[str] = set()
    for result in reversed(list(pm.hook.ack_plugin_settings())):
        for item in result or ():
            if not isinstance(item, PluginSetting):
                raise SettingsError(
                    "ack_plugin_settings", f"returned a {type(item).__name__}, not a PluginSetting"
                )
            if not _NAME.fullmatch(item.name) or item.name.startswith("ack."):
                raise SettingsError(
                    item.name,
                    "a plugin setting needs a dotted lower-case name with the plugin's own "
                    "prefix (ack. is the kit's)",
                )
            if item.name in seen:
                raise SettingsError(item.name, "is declared by two plugins")
            seen.add(item.name)
            declared.append(item)
    return tuple(declared)


def load_plugin_settings(
    pm: pluggy.PluginManager,
    raw: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
) -> Mapping[str, Any]:
    """Read and parse every declared plugin setting from ``raw`` (an ini section) and the env."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in declared_plugin_settings(pm):
        text_value = environ.get(spec.env_var)
        if text_value is None:
            found = raw.get(spec.name)
            text_value = found if isinstance(found, str) else None
        if text_value is None or (text_value.strip() == "" and spec.default is not None):
            text_value = spec.default
        if text_value is None:
            raise SettingsError(spec.name, f"is required (set it in the ini or {spec.env_var})")
        values[spec.name] = spec.parse(spec.name, text_value)
    return MappingProxyType(values)


class PluginSettingValues(dict[str, Any]):
    """The parsed plugin settings, registered as a service (read them with
    :func:`get_plugin_settings`)."""


def get_plugin_settings(source: Any) -> Mapping[str, Any]:
    """Return the parsed plugin settings of the app ``source`` (a request or registry) is of.

    In a view: ``get_plugin_settings(request)["myplugin.greeting"]``.
    """
    return MappingProxyType(find_service(source, PluginSettingValues))


def includeme(config: Configurator) -> None:
    """Read the enabled plugins' settings once, before any plugin configures itself."""
    settings: Settings = get_settings(config)
    # Settings.raw holds every text value of the ini section, the plugins' keys included.
    values = load_plugin_settings(get_plugin_manager(config), settings.raw)
    config.register_service(PluginSettingValues(values), PluginSettingValues)
