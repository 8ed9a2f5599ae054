"""Plugins' settings are read like the kit's: the ini, overridden by the environment."""

import pytest

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.plugin_settings import (
    PluginSetting,
    boolean,
    load_plugin_settings,
    whole_number,
    words,
)
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import SettingsError


class Declares:
    def __init__(self, name, *declared):
        self.__name__ = name
        self.declared = declared

    @hookimpl
    def ack_plugin_settings(self):
        return list(self.declared)


REPORT = Declares(
    "report",
    PluginSetting("my_report.max_rows", "500", whole_number(1, 10000), "rows"),
    PluginSetting("my_report.title", None, help="required"),
    PluginSetting("my_report.beta", "false", boolean),
    PluginSetting("my_report.tags", "", words),
)


def _load(raw, environ=None, plugins=(REPORT,)):
    pm = make_plugin_manager((), extra_plugins=list(plugins))
    return load_plugin_settings(pm, raw, environ=environ or {})


def test_defaults_and_ini_values_are_parsed():
    values = _load({"my_report.title": "Hours", "my_report.tags": "a b"})
    assert dict(values) == {
        "my_report.max_rows": 500,
        "my_report.title": "Hours",
        "my_report.beta": False,
        "my_report.tags": ("a", "b"),
    }


def test_the_environment_overrides_the_ini_by_the_upper_cased_name():
    values = _load(
        {"my_report.title": "Hours", "my_report.max_rows": "20"},
        environ={"MY_REPORT_MAX_ROWS": "30", "MY_REPORT_TITLE": "From env"},
    )
    assert values["my_report.max_rows"] == 30
    assert values["my_report.title"] == "From env"
    assert REPORT.declared[0].env_var == "MY_REPORT_MAX_ROWS"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "my_report.title: is required (set it in the ini or MY_REPORT_TITLE)"),
        (
            {"my_report.title": "x", "my_report.max_rows": "0"},
            "my_report.max_rows: must be between 1 and 10000, got 0",
        ),
        (
            {"my_report.title": "x", "my_report.beta": "perhaps"},
            "my_report.beta: expected true or false, got 'perhaps'",
        ),
    ],
)
def test_a_missing_or_bad_value_is_one_line_naming_the_setting(raw, message):
    with pytest.raises(SettingsError) as refused:
        _load(raw)
    assert str(refused.value) == message


@pytest.mark.parametrize("name", ["ack.mine", "Mine.x", "nodot", "my report.x"])
def test_a_plugin_cannot_declare_the_kits_or_a_malformed_name(name):
    with pytest.raises(SettingsError, match="plugin's own prefix"):
        _load({}, plugins=[Declares("bad", PluginSetting(name, "1"))])


def test_two_plugins_cannot_declare_one_setting():
    twice = PluginSetting("shared.value", "1")
    with pytest.raises(SettingsError, match=r"shared\.value: is declared by two plugins"):
        _load({}, plugins=[Declares("one", twice), Declares("two", twice)])
